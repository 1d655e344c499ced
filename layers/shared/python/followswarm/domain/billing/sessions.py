"""Starting a subscription (Stripe Checkout) and managing it (the Stripe Billing Portal)."""

from __future__ import annotations

from typing import Any

import stripe
from aws_lambda_powertools import Logger

from followswarm import clock
from followswarm.clients.stripe_client import stripe_client
from followswarm.data.models import MemberModel
from followswarm.data.repositories import billing as billing_repo
from followswarm.data.repositories import members as member_repo
from followswarm.domain.billing import ENTITLED_STATUSES, PAID_TIERS
from followswarm.errors import Conflict, DependencyFailed, NotFound, SwarmError
from followswarm.settings import Settings

logger = Logger(child=True)


def _member(member_id: str) -> MemberModel:
    member = member_repo.get(member_id, consistent=True)
    if member is None:
        raise NotFound("No such member", code="member_not_found")
    return member


def _provider_failed(exc: stripe.StripeError) -> DependencyFailed:
    logger.error(
        "stripe call failed", extra={"error": type(exc).__name__, "status": exc.http_status}
    )
    return DependencyFailed(
        "The payment provider is not answering; try again", code="billing_failed"
    )


def ensure_customer(member: MemberModel) -> str:
    """The member's Stripe customer, created once (an idempotency key makes a concurrent second
    create return the same customer) and remembered on the member."""
    if member.stripe_customer_id:
        return str(member.stripe_customer_id)
    params: dict[str, Any] = {
        "name": member.display_name or member.pk,
        "metadata": {"member_id": member.pk},
    }
    if member.email and member.email_verified:
        params["email"] = member.email
    customer = stripe_client().v1.customers.create(
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": f"followswarm-customer-{member.pk}"},
    )
    try:
        billing_repo.link_customer(member, customer.id, clock.now_int())
    except billing_repo.CustomerTaken:
        again = _member(member.pk)
        if again.stripe_customer_id:
            return str(again.stripe_customer_id)
        raise
    return str(customer.id)


def start_checkout(settings: Settings, member_id: str, tier: str) -> dict[str, Any]:
    """A Checkout Session (subscription mode) for ``tier``; returns its id and URL."""
    if tier not in PAID_TIERS:
        raise SwarmError("tier must be pro or premium", code="tier_invalid")
    price = settings.stripe_prices().get(tier)
    if not price:
        raise SwarmError(
            f"The {tier} tier is not on sale here", code="billing_unavailable", status=503
        )
    member = _member(member_id)
    if member.subscription_id and member.subscription_status in ENTITLED_STATUSES:
        raise Conflict(
            "You already have a subscription: change it in the billing portal",
            code="subscription_exists",
        )
    base = settings.dashboard_url.rstrip("/")
    try:
        customer = ensure_customer(member)
        session = stripe_client().v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": member_id,
                "line_items": [{"price": price, "quantity": 1}],
                "metadata": {"member_id": member_id, "tier": tier},
                "subscription_data": {"metadata": {"member_id": member_id}},
                "success_url": f"{base}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
                "cancel_url": f"{base}/billing?checkout=cancelled",
            }
        )
    except stripe.StripeError as exc:
        raise _provider_failed(exc) from exc
    logger.info("checkout started", extra={"member_id": member_id, "tier": tier})
    return {"id": session.id, "url": session.url, "tier": tier}


def portal(settings: Settings, member_id: str) -> dict[str, Any]:
    """A Billing Portal session URL for the member's Stripe customer."""
    member = _member(member_id)
    if not member.stripe_customer_id:
        raise Conflict("Subscribe first: there is nothing to manage yet", code="no_billing_account")
    try:
        session = stripe_client().v1.billing_portal.sessions.create(
            params={
                "customer": str(member.stripe_customer_id),
                "return_url": f"{settings.dashboard_url.rstrip('/')}/billing",
            }
        )
    except stripe.StripeError as exc:
        raise _provider_failed(exc) from exc
    return {"url": session.url}
