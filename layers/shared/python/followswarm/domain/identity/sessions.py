"""Sessions: a 15-minute access JWT plus an opaque, rotating refresh token.

The refresh token is ``<family id>.<random>``; only its SHA-256 is stored, on the family's
record. Refreshing replaces the hash and remembers the old one; presenting a remembered
(rotated) token again means it leaked, so the whole family is revoked.

CSRF: a cookie-authenticated, state-changing request must echo the CSRF token, an HMAC of
the family id under the signing key (double submit, nothing stored).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from followswarm import clock
from followswarm.data.repositories import auth as auth_repo
from followswarm.domain.identity import audit, signing
from followswarm.domain.identity.signing import signing_keys
from followswarm.errors import Forbidden, Unauthorized
from followswarm.settings import get_settings

logger = Logger(child=True)

ACCESS_AUDIENCE = "followswarm-api"
ROLES = ("member", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is calling: from a verified access JWT."""

    member_id: str
    role: str
    session_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class IssuedSession:
    access_token: str
    refresh_token: str
    csrf_token: str
    expires_in: int
    member_id: str
    session_id: str

    def __repr__(self) -> str:
        return f"IssuedSession(member_id={self.member_id!r}, session_id={self.session_id!r})"


def _issuer() -> str:
    settings = get_settings()
    return f"{settings.app_name}-{settings.stage}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# ------------------------------------------------------------------------------- access JWT


def issue_access_token(member_id: str, role: str, session_id: str) -> str:
    now = clock.now_int()
    claims = {
        "iss": _issuer(),
        "aud": ACCESS_AUDIENCE,
        "sub": member_id,
        "sid": session_id,
        "role": role,
        "iat": now,
        "nbf": now,
        "exp": now + get_settings().access_jwt_ttl_seconds,
    }
    return signing.sign(claims)


def decode_signed(token: str, *, audience: str) -> dict[str, Any]:
    """Verifies signature (by ``kid``), audience, issuer and expiry against our clock."""
    try:
        claims = signing.verify(
            token, audience=audience, issuer=_issuer(), require=["exp", "iat", "sub"]
        )
    except signing.InvalidSignature as exc:
        raise Unauthorized("The token is not valid", code="token_invalid") from exc
    now = clock.now()
    if now >= float(claims["exp"]):
        raise Unauthorized("The token has expired", code="token_expired")
    if now + 60 < float(claims.get("nbf", claims["iat"])):
        raise Unauthorized("The token is not valid yet", code="token_invalid")
    return claims


def verify_access_token(token: str) -> Principal:
    claims = decode_signed(token, audience=ACCESS_AUDIENCE)
    role = str(claims.get("role", ""))
    if role not in ROLES or not claims.get("sid"):
        raise Unauthorized("The token is not valid", code="token_invalid")
    return Principal(member_id=str(claims["sub"]), role=role, session_id=str(claims["sid"]))


# ------------------------------------------------------------------------------------ CSRF


def csrf_token_for(session_id: str) -> str:
    current, _ = signing_keys()
    return _b64(hmac.new(current.secret, b"csrf:" + session_id.encode(), "sha256").digest())


def check_csrf(session_id: str, presented: str | None) -> None:
    """Raises :class:`Forbidden` unless ``presented`` is this session's CSRF token."""
    _, accepted = signing_keys()
    if presented:
        for key in accepted.values():
            expected = _b64(hmac.new(key.secret, b"csrf:" + session_id.encode(), "sha256").digest())
            if hmac.compare_digest(expected, presented):
                return
    raise Forbidden("A valid CSRF token is required", code="csrf_failed")


# -------------------------------------------------------------------------- session family


def start_session(member_id: str, role: str) -> IssuedSession:
    settings = get_settings()
    family_id = secrets.token_urlsafe(16)
    refresh_token = f"{family_id}.{secrets.token_urlsafe(32)}"
    auth_repo.create_session(
        family_id,
        member_id,
        _hash(refresh_token),
        clock.now_int(),
        settings.refresh_token_ttl_seconds,
    )
    return _issue(member_id, role, family_id, refresh_token)


def _issue(member_id: str, role: str, family_id: str, refresh_token: str) -> IssuedSession:
    return IssuedSession(
        access_token=issue_access_token(member_id, role, family_id),
        refresh_token=refresh_token,
        csrf_token=csrf_token_for(family_id),
        expires_in=get_settings().access_jwt_ttl_seconds,
        member_id=member_id,
        session_id=family_id,
    )


def family_of(refresh_token: str) -> str:
    family_id, dot, rest = refresh_token.partition(".")
    if not dot or not family_id or not rest:
        raise Unauthorized("The refresh token is not valid", code="refresh_invalid")
    return family_id


def refresh_session(refresh_token: str) -> IssuedSession:
    """Rotates the refresh token; a rotated one presented again revokes the whole family."""
    from followswarm.domain.identity.members import get_member_or_none

    family_id = family_of(refresh_token)
    presented = _hash(refresh_token)
    for _ in range(3):
        session = auth_repo.get_session(family_id)
        if session is None:
            raise Unauthorized("The refresh token is not valid", code="refresh_invalid")
        if session.revoked:
            raise Unauthorized("The session was revoked; sign in again", code="session_revoked")
        if clock.now() >= float(session.expires_at):
            raise Unauthorized("The session has expired; sign in again", code="session_expired")
        if presented in (session.previous_hashes or set()):
            auth_repo.revoke_session(family_id)
            audit.record(
                audit.REFRESH_REUSE, session.member_id, session.member_id, {"session_id": family_id}
            )
            logger.warning("refresh token reuse; family revoked", extra={"session_id": family_id})
            raise Unauthorized(
                "This refresh token was already used; every session of its family is revoked",
                code="refresh_reused",
            )
        if not hmac.compare_digest(presented, str(session.current_hash)):
            raise Unauthorized("The refresh token is not valid", code="refresh_invalid")
        member = get_member_or_none(str(session.member_id))
        if member is None or member.account_status != "active":
            auth_repo.revoke_session(family_id)
            raise Unauthorized("The account is not active", code="account_inactive")
        new_token = f"{family_id}.{secrets.token_urlsafe(32)}"
        if auth_repo.rotate_session(session, _hash(new_token)):
            return _issue(str(member.pk), str(member.role), family_id, new_token)
        # Lost a race with another rotation: look again (the token is now a rotated one).
    raise Unauthorized("The refresh token is not valid", code="refresh_invalid")


def revoke(session_id: str) -> None:
    auth_repo.revoke_session(session_id)


def session_member(refresh_token: str) -> str | None:
    """The member a (current, unrevoked) refresh token belongs to, without rotating it."""
    session = auth_repo.get_session(family_of(refresh_token))
    if session is None or session.revoked:
        return None
    if not hmac.compare_digest(_hash(refresh_token), str(session.current_hash)):
        return None
    return str(session.member_id)


def delete_member_sessions(member_id: str) -> int:
    sessions = auth_repo.member_sessions(member_id)
    for session in sessions:
        auth_repo.delete_session(str(session.pk).removeprefix(auth_repo.FAMILY_PREFIX))
    return len(sessions)


def describe_member_sessions(member_id: str) -> list[dict[str, Any]]:
    """Session metadata for the member's export (no hashes)."""
    return [
        {
            "session_id": str(s.pk).removeprefix(auth_repo.FAMILY_PREFIX),
            "created_at": int(s.created_at),
            "expires_at": int(s.expires_at),
            "revoked": bool(s.revoked),
        }
        for s in auth_repo.member_sessions(member_id)
    ]
