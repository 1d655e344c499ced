"""Billing with Stripe: Checkout and Billing Portal sessions, and webhook events that set a
member's tier from Stripe's own state of their subscription."""

from __future__ import annotations

from typing import Literal

PaidTier = Literal["pro", "premium"]
PAID_TIERS: tuple[str, ...] = ("pro", "premium")
#: Tiers from least to most follows: a move up reschedules the member's dispatch at once.
TIER_RANK = {"free": 0, "pro": 1, "premium": 2}
#: Subscription statuses that keep the paid tier. ``past_due`` keeps it while Stripe retries
#: the payment; ``unpaid``, ``canceled``, ``incomplete(_expired)`` and ``paused`` don't.
ENTITLED_STATUSES = frozenset({"active", "trialing", "past_due"})
