"""Stripe webhook events: verified with the stripe library, applied from Stripe's own state.

An event is only a hint. Its handler retrieves the subscription it concerns and applies what
Stripe says *now*, so events arriving late, twice or out of order all converge on Stripe's
latest state. Applying each event id once is the caller's job (Powertools idempotency in the
billing function); the handlers are safe to repeat anyway, except for the mail they send.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import stripe
from aws_lambda_powertools import Logger

from followswarm import clock
from followswarm.clients.stripe_client import stripe_client, webhook_secret
from followswarm.data.repositories import billing as billing_repo
from followswarm.data.repositories import members as member_repo
from followswarm.domain.billing import ENTITLED_STATUSES, TIER_RANK
from followswarm.errors import SwarmError
from followswarm.settings import Settings

logger = Logger(child=True)

CHECKOUT_COMPLETED = "checkout.session.completed"
SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)
INVOICE_PAID = "invoice.paid"
INVOICE_PAYMENT_FAILED = "invoice.payment_failed"
HANDLED_EVENTS = frozenset(
    {CHECKOUT_COMPLETED, INVOICE_PAID, INVOICE_PAYMENT_FAILED} | SUBSCRIPTION_EVENTS
)


class InvalidSignature(SwarmError):
    status = 400
    code = "signature_invalid"


@dataclass(frozen=True)
class Applied:
    """What an event changed (the billing function's answer, remembered per event id)."""

    event_id: str
    type: str
    outcome: str
    member_id: str | None = None
    tier: str | None = None
    subscription_status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify(settings: Settings, payload: str, signature: str | None) -> dict[str, Any]:
    """The event, if ``signature`` is Stripe's for this payload and recent enough."""
    try:
        event = stripe_client().construct_event(
            payload, signature, webhook_secret(), settings.stripe_webhook_tolerance_seconds
        )
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise InvalidSignature("The Stripe signature is not valid") from exc
    values: dict[str, Any] = event.to_dict()
    return values


def is_handled(event: Mapping[str, Any]) -> bool:
    return str(event.get("type")) in HANDLED_EVENTS


def apply_event(settings: Settings, event: dict[str, Any]) -> dict[str, Any]:
    """Applies one verified event; returns what it changed."""
    kind = str(event.get("type"))
    handler = _HANDLERS.get(kind)
    if handler is None:
        return Applied(str(event.get("id")), kind, "ignored").to_dict()
    obj: dict[str, Any] = dict(event.get("data", {}).get("object") or {})
    result = handler(settings, str(event["id"]), obj)
    logger.info("stripe event applied", extra=result.to_dict())
    return result.to_dict()


# ------------------------------------------------------------------------------ handlers


def _checkout_completed(settings: Settings, event_id: str, session: dict[str, Any]) -> Applied:
    if session.get("mode") != "subscription":
        return Applied(event_id, CHECKOUT_COMPLETED, "not_a_subscription")
    member_id = session.get("client_reference_id") or (session.get("metadata") or {}).get(
        "member_id"
    )
    customer = _id(session.get("customer"))
    if member_id and customer:
        member = member_repo.get(str(member_id), consistent=True)
        if member is not None and not member.stripe_customer_id:
            try:
                billing_repo.link_customer(member, customer, clock.now_int())
            except billing_repo.CustomerTaken:
                logger.warning("member has another customer", extra={"member_id": member_id})
    subscription = _id(session.get("subscription"))
    if not subscription:
        return Applied(event_id, CHECKOUT_COMPLETED, "no_subscription", member_id=member_id)
    return sync_subscription(settings, event_id, CHECKOUT_COMPLETED, subscription, member_id)


def _subscription_changed(settings: Settings, event_id: str, obj: dict[str, Any]) -> Applied:
    return sync_subscription(settings, event_id, "customer.subscription", str(obj["id"]), None)


def _invoice(kind: str) -> Callable[[Settings, str, dict[str, Any]], Applied]:
    def handle(settings: Settings, event_id: str, invoice: dict[str, Any]) -> Applied:
        subscription = _invoice_subscription(invoice)
        if not subscription:
            return Applied(event_id, kind, "not_a_subscription_invoice")
        applied = sync_subscription(settings, event_id, kind, subscription, None)
        if kind == INVOICE_PAYMENT_FAILED and applied.member_id:
            from followswarm.domain.identity import notifier

            notifier.notify(
                applied.member_id,
                notifier.PAYMENT_FAILED,
                {
                    "amount_due": int(invoice.get("amount_due") or 0),
                    "currency": str(invoice.get("currency") or "usd"),
                    "invoice_url": invoice.get("hosted_invoice_url") or "",
                    "next_attempt": invoice.get("next_payment_attempt"),
                },
                notification_id=f"payment_failed:{event_id}",
            )
        return applied

    return handle


_HANDLERS: dict[str, Callable[[Settings, str, dict[str, Any]], Applied]] = {
    CHECKOUT_COMPLETED: _checkout_completed,
    **dict.fromkeys(SUBSCRIPTION_EVENTS, _subscription_changed),
    INVOICE_PAID: _invoice(INVOICE_PAID),
    INVOICE_PAYMENT_FAILED: _invoice(INVOICE_PAYMENT_FAILED),
}


# ------------------------------------------------------------------------- convergence


def sync_subscription(
    settings: Settings, event_id: str, kind: str, subscription_id: str, member_hint: str | None
) -> Applied:
    """Retrieves the subscription from Stripe and applies its current state to its member."""
    subscription: dict[str, Any] = (
        stripe_client().v1.subscriptions.retrieve(subscription_id).to_dict()
    )
    member_id = (
        (subscription.get("metadata") or {}).get("member_id")
        or member_hint
        or billing_repo.member_id_for_customer(_id(subscription.get("customer")) or "")
    )
    if not member_id:
        logger.warning("subscription of no member", extra={"subscription": subscription_id})
        return Applied(event_id, kind, "unknown_member")
    member = member_repo.get(str(member_id), consistent=True)
    if member is None:
        return Applied(event_id, kind, "member_deleted", member_id=str(member_id))
    status = str(subscription.get("status"))
    entitled = status in ENTITLED_STATUSES
    if member.subscription_id and member.subscription_id != subscription_id and not entitled:
        # The end of an older subscription says nothing about the current one.
        return Applied(event_id, kind, "superseded", member.pk, member.tier)
    if entitled:
        tier = _tier_of(settings, subscription)
        if tier is None:
            logger.error(
                "subscription price not configured", extra={"subscription": subscription_id}
            )
            return Applied(event_id, kind, "unknown_price", member.pk, member.tier, status)
    else:
        tier = "free"
    raised = TIER_RANK.get(tier, 0) > TIER_RANK.get(str(member.tier), 0)
    billing_repo.set_subscription(
        member.pk,
        tier=tier,
        subscription_id=subscription_id,
        status=status,
        now=clock.now_int(),
        dispatch_now=raised,
    )
    if tier != member.tier:
        logger.info("tier changed", extra={"member_id": member.pk, "from": member.tier, "to": tier})
    return Applied(event_id, kind, "applied", member.pk, tier, status)


def _tier_of(settings: Settings, subscription: Mapping[str, Any]) -> str | None:
    by_price = {price: tier for tier, price in settings.stripe_prices().items()}
    for item in (subscription.get("items") or {}).get("data") or []:
        price = _id((item or {}).get("price"))
        if price in by_price:
            return by_price[price]
    return None


def _invoice_subscription(invoice: Mapping[str, Any]) -> str | None:
    """The invoice's subscription: ``parent.subscription_details`` (API 2025-03-31 and later)
    or the older top-level ``subscription``."""
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    return _id(details.get("subscription")) or _id(invoice.get("subscription"))


def _id(value: Any) -> str | None:
    """An id whether Stripe sent it bare or expanded into an object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None
