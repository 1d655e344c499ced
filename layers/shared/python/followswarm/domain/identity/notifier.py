"""Telling members things by email, through SendGrid (the local sink in development).

Only the verification mail goes to an unverified address; everything else waits until the
member has verified one. ``sendgrid`` is imported on first send, so API routes that never mail
do not pay for it at cold start.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from followswarm.clients.secrets import get_json_secret
from followswarm.settings import get_settings

if TYPE_CHECKING:
    from sendgrid import SendGridAPIClient

logger = Logger(child=True)

VERIFY_EMAIL = "verify_email"
NEEDS_REAUTH = "needs_reauth"

#: kind -> (subject, HTML body template); ``{name}`` placeholders are HTML-escaped data.
TEMPLATES: dict[str, tuple[str, str]] = {
    VERIFY_EMAIL: (
        "Confirm your email for Follow-Swarm",
        '<p>Hi {display_name},</p><p>Confirm this address: <a href="{link}">{link}</a></p>'
        "<p>The link expires in 24 hours.</p>",
    ),
    NEEDS_REAUTH: (
        "Follow-Swarm needs you to sign in again",
        "<p>Hi {display_name},</p><p>Spotify no longer accepts our access to your account, so "
        "your follows are paused. Sign in with Spotify again to resume.</p>",
    ),
}


@lru_cache(maxsize=1)
def _client() -> SendGridAPIClient:
    from sendgrid import SendGridAPIClient

    settings = get_settings()
    api_key = str(get_json_secret(settings.sendgrid_secret_name)["api_key"])
    return SendGridAPIClient(api_key, host=settings.sendgrid_api_url.rstrip("/"))


def reset_client() -> None:
    _client.cache_clear()


def notify(member_id: str, kind: str, data: dict[str, Any]) -> None:
    """Sends the ``kind`` notification to the member, if they have somewhere to receive it."""
    from followswarm.domain.identity.members import get_member_or_none

    member = get_member_or_none(member_id)
    if member is None:
        return
    if kind == VERIFY_EMAIL:
        to = str(data["email"])  # the address being verified, not yet trusted for anything else
    elif member.email and member.email_verified:
        to = str(member.email)
    else:
        logger.info(
            "no verified email; notification skipped", extra={"kind": kind, "member_id": member_id}
        )
        return
    subject, body = render(kind, {"display_name": member.display_name, **data})
    send_mail(to, subject, body, category=kind)


def render(kind: str, data: dict[str, Any]) -> tuple[str, str]:
    if kind not in TEMPLATES:
        raise KeyError(f"no template for notification {kind!r}")
    subject, template = TEMPLATES[kind]
    safe = {key: html.escape(str(value)) for key, value in data.items()}
    return subject, template.format_map(_Blank(safe))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def send_mail(to: str, subject: str, html_body: str, *, category: str) -> None:
    from python_http_client.exceptions import HTTPError
    from sendgrid.helpers.mail import Category, Mail

    settings = get_settings()
    mail = Mail(
        from_email=settings.email_from, to_emails=to, subject=subject, html_content=html_body
    )
    mail.category = Category(category)
    try:
        response = _client().send(mail)
    except (HTTPError, OSError) as exc:
        # Mail is best effort for the request that triggered it; the failure is for operators.
        status = getattr(exc, "status_code", None)
        logger.error("mail not sent", extra={"kind": category, "status": status})
        return
    logger.info("mail sent", extra={"kind": category, "status": response.status_code})
