"""Which optional mails a member gets, and the signed one-click unsubscribe links.

A link carries a token signed with the session signing keys (audience
``followswarm-unsubscribe``): the member and the kind, no expiry, so an old mail's link still
works. Verification and billing mails carry none and are always sent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from followswarm import clock
from followswarm.data.models import MemberModel
from followswarm.data.repositories import mail as mail_repo
from followswarm.domain.identity import notifier, signing
from followswarm.errors import NotFound, SwarmError
from followswarm.settings import get_settings

UNSUBSCRIBE_AUDIENCE = "followswarm-unsubscribe"
UNSUBSCRIBE_PATH = "/unsubscribe"


def wants(member: MemberModel, kind: str) -> bool:
    """Whether the member gets ``kind`` mails (transactional ones always)."""
    if kind in notifier.TRANSACTIONAL:
        return True
    return (member.email_preferences or {}).get(kind, True) is not False


def preferences(member: MemberModel) -> dict[str, bool]:
    return {kind: wants(member, kind) for kind in notifier.OPTIONAL}


def unsubscribe_token(member_id: str, kind: str) -> str:
    claims = {"aud": UNSUBSCRIBE_AUDIENCE, "sub": member_id, "kind": kind, "iat": clock.now_int()}
    return signing.sign(claims)


def unsubscribe_url(member_id: str, kind: str) -> str:
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}{UNSUBSCRIBE_PATH}?{urlencode({'token': unsubscribe_token(member_id, kind)})}"


def read_unsubscribe_token(token: str) -> tuple[str, str]:
    """(member id, kind) of a valid token."""
    try:
        claims = signing.verify(token, audience=UNSUBSCRIBE_AUDIENCE, require=["sub", "kind"])
    except signing.InvalidSignature as exc:
        raise SwarmError("The unsubscribe link is not valid", code="unsubscribe_invalid") from exc
    kind = str(claims["kind"])
    if kind not in notifier.OPTIONAL:
        raise SwarmError("The unsubscribe link is not valid", code="unsubscribe_invalid")
    return str(claims["sub"]), kind


def unsubscribe(token: str) -> dict[str, Any]:
    """Turns off the token's kind of mail for its member (repeating it changes nothing)."""
    member_id, kind = read_unsubscribe_token(token)
    member = mail_repo.set_preferences(member_id, {kind: False}, clock.now_int())
    if member is None:
        raise NotFound("No such member", code="member_not_found")
    return {"kind": kind, "subscribed": False}


def update(member_id: str, changes: dict[str, bool]) -> dict[str, bool]:
    """Sets the member's preferences for the given optional kinds; returns all of them."""
    unknown = set(changes) - set(notifier.OPTIONAL)
    if unknown:
        raise SwarmError(
            f"Unknown mail kinds {sorted(unknown)}; choose from {', '.join(notifier.OPTIONAL)}",
            code="preference_invalid",
        )
    member = mail_repo.set_preferences(
        member_id, {k: bool(v) for k, v in changes.items()}, clock.now_int()
    )
    if member is None:
        raise NotFound("No such member", code="member_not_found")
    return preferences(member)
