"""Billing routes: /api/v1/billing/* (signed-in members) and /webhooks/stripe (Stripe-signed)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from pydantic import BaseModel, Field

from followswarm.clients.aws import aws_client
from followswarm.domain.billing import events, sessions
from followswarm.settings import get_settings

from ..auth import CurrentMemberId
from ..errors import error_response

router = APIGatewayHttpRouter()
logger = Logger(child=True)
TAGS = ["billing"]
SIGNATURE_HEADER = "stripe-signature"

#: Shared with the handler, which registers each invocation's Lambda context on it (an
#: event being applied when its function dies may be applied again once that time has passed).
idempotency_config = IdempotencyConfig(
    event_key_jmespath="id",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=get_settings().idempotency_ttl_seconds,
)


class CheckoutRequest(BaseModel):
    tier: Literal["pro", "premium"] = Field(description="The tier to subscribe to")


@router.post(
    "/api/v1/billing/checkout",
    summary="Start a subscription: returns the Stripe Checkout URL",
    tags=TAGS,
    responses={409: {"description": "Already subscribed: use the portal"}},
)
def checkout(member_id: CurrentMemberId, body: CheckoutRequest) -> dict[str, Any]:
    return sessions.start_checkout(get_settings(), member_id, body.tier)


@router.get(
    "/api/v1/billing/portal",
    summary="Manage your subscription: returns a Stripe Billing Portal URL",
    tags=TAGS,
    responses={409: {"description": "No subscription yet"}},
)
def portal(member_id: CurrentMemberId) -> dict[str, Any]:
    return sessions.portal(get_settings(), member_id)


@lru_cache(maxsize=4)
def _apply_once(table: str, endpoint: str | None) -> Callable[..., dict[str, Any]]:
    """``events.apply_event`` applied once per Stripe event id (Powertools idempotency), per
    idempotency table and endpoint (the local runtime may switch them)."""
    persistence = DynamoDBPersistenceLayer(table_name=table, boto3_client=aws_client("dynamodb"))

    def apply(event: dict[str, Any]) -> dict[str, Any]:
        return events.apply_event(get_settings(), event)

    once: Callable[..., dict[str, Any]] = idempotent_function(
        apply,
        data_keyword_argument="event",
        persistence_store=persistence,
        config=idempotency_config,
        key_prefix="stripe-event",
    )
    return once


@router.post(
    "/webhooks/stripe",
    summary="Stripe webhook events (Stripe-Signature verified; each event applied once)",
    tags=TAGS,
    include_in_schema=False,
)
def stripe_webhook() -> Response[dict[str, Any]]:
    event_source = router.current_event
    payload = event_source.decoded_body or ""
    event = events.verify(get_settings(), payload, event_source.headers.get(SIGNATURE_HEADER))
    if not events.is_handled(event):
        # Acknowledged so Stripe stops retrying; nothing changes.
        return _ok({"received": True, "event": event.get("id"), "outcome": "ignored"})
    try:
        settings = get_settings()
        applied = _apply_once(settings.idempotency_table, settings.aws_endpoint_url)(event=event)
    except IdempotencyAlreadyInProgressError:
        # Another delivery of this event is being applied right now: Stripe will retry.
        return error_response(409, "event_in_progress", "This event is being applied")
    return _ok({"received": True, **applied})


def _ok(body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(200, content_types.APPLICATION_JSON, body)
