"""Telling members things by email: ``notify`` queues a notification, the notifier sends it.

Queuing is cheap (one SQS send, no ``sendgrid`` import), so any function may notify; the
notifier function (``followswarm.domain.mail.delivery``) renders the template with the member's
data and sends it through SendGrid, retrying through SQS and dead-lettering what keeps failing.
Only the verification mail goes to an unverified address.

    >>> notify(member_id, WELCOME, {})
"""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from followswarm import clock
from followswarm.clients import queues
from followswarm.settings import get_settings

logger = Logger(child=True)

VERIFY_EMAIL = "verify_email"
WELCOME = "welcome"
FIRST_FOLLOWERS = "first_followers"
ROSTER_COMPLETE = "roster_complete"
WEEKLY_DIGEST = "weekly_digest"
PAYMENT_FAILED = "payment_failed"
NEEDS_REAUTH = "needs_reauth"
RECIPROCITY_WARNING = "reciprocity_warning"

KINDS: tuple[str, ...] = (
    VERIFY_EMAIL,
    WELCOME,
    FIRST_FOLLOWERS,
    ROSTER_COMPLETE,
    WEEKLY_DIGEST,
    PAYMENT_FAILED,
    NEEDS_REAUTH,
    RECIPROCITY_WARNING,
)
#: Mails without an unsubscribe link, sent whatever the preferences: the one the member asked
#: for (verification) and billing.
TRANSACTIONAL: frozenset[str] = frozenset({VERIFY_EMAIL, PAYMENT_FAILED})
#: Mails a member can turn off (``email_preferences[kind] = false``).
OPTIONAL: tuple[str, ...] = tuple(k for k in KINDS if k not in TRANSACTIONAL)


class Notification(BaseModel):
    """One queued notification (the notify queue's message body)."""

    id: str = Field(min_length=1, max_length=200)
    member_id: str
    kind: str
    data: dict[str, Any] = Field(default_factory=dict)
    queued_at: float = 0.0


def notify(
    member_id: str, kind: str, data: dict[str, Any], *, notification_id: str | None = None
) -> bool:
    """Queues the ``kind`` mail for the member; ``notification_id`` makes repeats send once.

    Mail is best effort for whatever triggered it: a queue failure is logged, never raised.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    message = Notification(
        id=notification_id or f"{kind}:{uuid.uuid4().hex}",
        member_id=member_id,
        kind=kind,
        data=data,
        queued_at=clock.now(),
    )
    try:
        queues.send_json(get_settings().notify_queue_name, message.model_dump(mode="json"))
    except (BotoCoreError, ClientError) as exc:
        logger.error(
            "notification not queued",
            extra={"kind": kind, "member_id": member_id, "error": type(exc).__name__},
        )
        return False
    return True
