"""Sending one queued notification: who may get it, rendering it, and SendGrid.

Only the verification mail goes to an unverified address (and only while that address is the
member's current, unverified one); optional kinds honour the member's preferences and carry a
one-click unsubscribe link (``List-Unsubscribe`` too). A send that fails raises
:class:`MailNotSent`: the notify queue delivers it again and dead-letters it after
``queue_max_receive_count`` attempts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from followswarm.clients.secrets import get_json_secret
from followswarm.data.models import MemberModel
from followswarm.data.repositories import members as member_repo
from followswarm.domain.identity import notifier
from followswarm.domain.mail import preferences
from followswarm.domain.mail.render import Rendered, render
from followswarm.settings import Settings, get_settings

if TYPE_CHECKING:
    from sendgrid import SendGridAPIClient

logger = Logger(child=True)

#: Kinds whose mail shows the member's follow progress.
_PROGRESS_KINDS = frozenset(
    {notifier.FIRST_FOLLOWERS, notifier.ROSTER_COMPLETE, notifier.WEEKLY_DIGEST}
)


class MailNotSent(Exception):
    """SendGrid refused or could not be reached; the message goes back to the queue."""


def _client() -> SendGridAPIClient:
    """A SendGrid client for the current key (the secret is re-read every 5 minutes, so a
    rotated key takes over without a cold start)."""
    settings = get_settings()
    api_key = str(get_json_secret(settings.sendgrid_secret_name)["api_key"])
    return _client_for(api_key, settings.sendgrid_api_url.rstrip("/"))


@lru_cache(maxsize=2)
def _client_for(api_key: str, host: str) -> SendGridAPIClient:
    from sendgrid import SendGridAPIClient

    return SendGridAPIClient(api_key, host=host)


def reset_client() -> None:
    _client_for.cache_clear()


def deliver(settings: Settings, notification: notifier.Notification, now: float) -> str:
    """Sends the notification if it should go out; returns what happened (for the logs)."""
    member = member_repo.get(notification.member_id, consistent=True)
    if member is None:
        return "member_deleted"
    kind = notification.kind
    if kind == notifier.VERIFY_EMAIL:
        to = str(notification.data.get("email") or "")
        if not to or member.email != to or member.email_verified:
            return "address_changed"  # a newer address or already verified: a stale link
    elif member.email and member.email_verified:
        to = str(member.email)
    else:
        return "no_verified_address"
    if not preferences.wants(member, kind):
        return "unsubscribed"
    unsubscribe = (
        None if kind in notifier.TRANSACTIONAL else preferences.unsubscribe_url(member.pk, kind)
    )
    rendered = render(kind, context(settings, member, notification, now, unsubscribe))
    send(settings, to, rendered, category=kind, unsubscribe_url=unsubscribe)
    return "sent"


def context(
    settings: Settings,
    member: MemberModel,
    notification: notifier.Notification,
    now: float,
    unsubscribe_url: str | None,
) -> dict[str, Any]:
    """Everything a template may use: the member's data, the notification's, links."""
    dashboard = settings.dashboard_url.rstrip("/")
    values: dict[str, Any] = {
        "display_name": member.display_name or "there",
        "artist_name": member.artist_name or "",
        "tier": member.tier,
        "dashboard_url": dashboard,
        "preferences_url": f"{dashboard}/settings/email",
        "signin_url": f"{settings.public_base_url.rstrip('/')}/auth/spotify",
        "unsubscribe_url": unsubscribe_url,
        "expires_hours": settings.email_verification_ttl_seconds // 3600,
    }
    kind = notification.kind
    if kind in _PROGRESS_KINDS:
        from followswarm.domain.follows import views

        progress = views.progress(settings, member.pk, now)
        values |= {
            "followers_received": progress["followers"]["received"],
            "followers_possible": progress["followers"]["possible"],
            "following_done": progress["following"]["done"],
            "following_pending": progress["following"]["pending"],
        }
        if kind == notifier.WEEKLY_DIGEST:
            week = views.stats(member.pk, period="7d", now=now)
            values |= {"week_done": week["done"], "week_ending": _date(now)}
    data = dict(notification.data)
    if kind == notifier.PAYMENT_FAILED:
        amount = int(data.pop("amount_due", 0) or 0)
        currency = str(data.pop("currency", "usd")).upper()
        next_attempt = data.pop("next_attempt", None)
        data |= {
            "amount": f"{amount / 100:.2f} {currency}",
            "next_attempt": _date(float(next_attempt)) if next_attempt else None,
            "invoice_url": data.get("invoice_url") or None,
        }
    return {**values, **data}


def send(
    settings: Settings,
    to: str,
    rendered: Rendered,
    *,
    category: str,
    unsubscribe_url: str | None,
) -> None:
    from python_http_client.exceptions import HTTPError
    from sendgrid.helpers.mail import Category, From, Header, Mail

    mail = Mail(
        from_email=From(settings.email_from, settings.email_from_name),
        to_emails=to,
        subject=rendered.subject,
        plain_text_content=rendered.text,
        html_content=rendered.html,
    )
    mail.category = Category(category)
    if unsubscribe_url:
        mail.header = [
            Header("List-Unsubscribe", f"<{unsubscribe_url}>"),
            Header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
    try:
        response = _client().send(mail)
    except (HTTPError, OSError) as exc:
        status = getattr(exc, "status_code", None)
        logger.warning("mail not sent", extra={"kind": category, "status": status})
        raise MailNotSent(f"sendgrid: {status or type(exc).__name__}") from exc
    logger.info("mail sent", extra={"kind": category, "status": response.status_code})


def _date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()
