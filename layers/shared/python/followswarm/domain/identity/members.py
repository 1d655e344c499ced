"""Member accounts: created at sign-in, an artist claim, a verified email, export and deletion."""

from __future__ import annotations

import re
import uuid
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError

from followswarm import clock
from followswarm.data.models import MemberModel
from followswarm.data.repositories import members as member_repo
from followswarm.domain.identity import audit, signing
from followswarm.errors import Conflict, NotFound, SwarmError
from followswarm.settings import get_settings

logger = Logger(child=True)

REAUTH_PAUSE = "needs_reauth"
EMAIL_AUDIENCE = "followswarm-email-verify"
_ARTIST_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_ARTIST_URL = re.compile(
    r"^(?:https?://)?open\.spotify\.com/(?:intl-[a-zA-Z-]+/)?artist/([0-9A-Za-z]{22})(?:[/?#].*)?$"
)
# Deliberately loose: the verification mail is the real check.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def get_member(member_id: str) -> MemberModel:
    member = member_repo.get(member_id)
    if member is None:
        raise NotFound("No such member", code="member_not_found")
    return member


def get_member_or_none(member_id: str) -> MemberModel | None:
    return member_repo.get(member_id)


# ---------------------------------------------------------------------------------- sign-in


def upsert_from_spotify(spotify_user_id: str, display_name: str) -> tuple[MemberModel, bool]:
    """The member for a Spotify user, created on first sign-in; ``(member, created)``.

    Signing in again also lifts ``needs_reauth`` and the pause it caused (new tokens follow).
    """
    settings = get_settings()
    now = clock.now_int()
    role = "admin" if spotify_user_id in settings.admin_spotify_user_ids else None
    for _ in range(3):
        member_id = member_repo.member_id_for_spotify_user(spotify_user_id)
        if member_id is None:
            member = MemberModel(
                uuid.uuid4().hex,
                spotify_user_id=spotify_user_id,
                display_name=display_name,
                role=role or "member",
                created_at=now,
                updated_at=now,
            )
            try:
                member_repo.create(member)
            except member_repo.LinkTaken:
                continue  # a concurrent first sign-in won; use its member
            return member, True
        existing = member_repo.get(member_id, consistent=True)
        if existing is None:
            raise NotFound("No such member", code="member_not_found")
        member = existing
        actions: list[Any] = [
            MemberModel.display_name.set(display_name),
            MemberModel.needs_reauth.set(False),
            MemberModel.updated_at.set(now),
        ]
        if member.pause_reason == REAUTH_PAUSE:
            actions += [MemberModel.paused.set(False), MemberModel.pause_reason.remove()]
        if role and member.role != role:
            actions.append(MemberModel.role.set(role))
        try:
            member.update(actions=actions)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        return member, False
    raise Conflict("The account is being changed; try again", code="busy")


def mark_needs_reauth(member_id: str, reason: str) -> None:
    """Flags the member for re-authorization, pauses them, and tells them (once)."""
    from followswarm.domain.identity import notifier

    for _ in range(3):
        member = member_repo.get(member_id, consistent=True)
        if member is None:
            return
        if member.needs_reauth:
            return  # already flagged; the member was told
        actions: list[Any] = [
            MemberModel.needs_reauth.set(True),
            MemberModel.paused.set(True),
            MemberModel.updated_at.set(clock.now_int()),
        ]
        if not member.paused:
            # Only a pause we set is ours to lift at the next sign-in.
            actions.append(MemberModel.pause_reason.set(REAUTH_PAUSE))
        try:
            member.update(actions=actions)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        audit.record(audit.NEEDS_REAUTH, None, member_id, {"reason": reason})
        notifier.notify(member_id, notifier.NEEDS_REAUTH, {"reason": reason})
        return


# ---------------------------------------------------------------------------- artist claim


def parse_artist_ref(ref: str) -> str:
    """An artist ID from an ID, a ``spotify:artist:`` URI or an ``open.spotify.com`` URL."""
    value = ref.strip()
    if value.startswith("spotify:artist:"):
        value = value.removeprefix("spotify:artist:")
    elif "open.spotify.com" in value:
        match = _ARTIST_URL.match(value)
        value = match.group(1) if match else ""
    if not _ARTIST_ID.match(value):
        raise SwarmError(
            "Give a Spotify artist ID, a spotify:artist: URI or an open.spotify.com/artist/ URL",
            code="artist_ref_invalid",
        )
    return value


def claim_artist(member_id: str, artist_ref: str) -> MemberModel:
    """Checks the artist on Spotify and claims it for the member (one member per artist)."""
    from followswarm.domain.identity.spotify_lookup import artist_name

    artist_id = parse_artist_ref(artist_ref)
    member = get_member(member_id)
    if member.artist_id == artist_id:
        return member
    if member.roster_status == "joined":
        raise Conflict("Leave the roster before changing your artist", code="leave_roster_first")
    existing = member_repo.artist_claim(artist_id)
    if existing is not None and existing.member_id != member_id:
        raise Conflict("Another member has claimed this artist", code="artist_claimed")
    name = artist_name(member_id, artist_id)
    status = "pending" if get_settings().require_artist_approval else "approved"
    try:
        member_repo.claim_artist(member, artist_id, name, status, clock.now_int())
    except member_repo.ClaimTaken as exc:
        raise Conflict("Another member has claimed this artist", code="artist_claimed") from exc
    audit.record(
        audit.ARTIST_CLAIM, member_id, member_id, {"artist_id": artist_id, "status": status}
    )
    return member


def preview_artist(member_id: str, artist_ref: str) -> dict[str, Any]:
    """What claiming ``artist_ref`` would claim: the artist as Spotify knows it, and whether
    another member already holds it. Nothing is stored."""
    from followswarm.domain.identity.spotify_lookup import artist

    artist_id = parse_artist_ref(artist_ref)
    found = artist(member_id, artist_id)
    holder = member_repo.artist_claim(artist_id)
    images = [i for i in found.get("images") or [] if isinstance(i, dict) and i.get("url")]
    # Spotify lists images widest first; the smallest one that is still >= 160 px suits a card.
    image = next(
        (i for i in reversed(images) if int(i.get("width") or 0) >= 160),
        images[0] if images else None,
    )
    return {
        "id": artist_id,
        "name": str(found.get("name") or ""),
        "image_url": image["url"] if image else None,
        "spotify_url": (found.get("external_urls") or {}).get("spotify")
        or f"https://open.spotify.com/artist/{artist_id}",
        "claimed_by_you": holder is not None and holder.member_id == member_id,
        "claimed_by_another": holder is not None and holder.member_id != member_id,
    }


# ------------------------------------------------------------------------------------ email


def set_email(member_id: str, email: str) -> MemberModel:
    """Stores an unverified address and mails it a signed, expiring verification link."""
    from followswarm.domain.identity import notifier

    address = email.strip()
    if not _EMAIL.match(address) or len(address) > 254:
        raise SwarmError("That is not an email address", code="email_invalid")
    member = get_member(member_id)
    member.update(
        actions=[
            MemberModel.email.set(address),
            MemberModel.email_verified.set(False),
            MemberModel.updated_at.set(clock.now_int()),
        ]
    )
    token = email_verification_token(member_id, address)
    link = f"{get_settings().dashboard_url.rstrip('/')}/verify-email?token={token}"
    notifier.notify(
        member_id, notifier.VERIFY_EMAIL, {"email": address, "link": link, "token": token}
    )
    return member


def email_verification_token(member_id: str, email: str) -> str:
    now = clock.now_int()
    claims = {
        "aud": EMAIL_AUDIENCE,
        "sub": member_id,
        "email": email,
        "iat": now,
        "exp": now + get_settings().email_verification_ttl_seconds,
    }
    return signing.sign(claims)


def verify_email(member_id: str, token: str) -> MemberModel:
    try:
        claims = signing.verify(token, audience=EMAIL_AUDIENCE, require=["exp", "sub", "email"])
    except signing.InvalidSignature as exc:
        raise SwarmError("The verification link is not valid", code="email_token_invalid") from exc
    if clock.now() >= float(claims["exp"]):
        raise SwarmError("The verification link has expired", code="email_token_expired")
    member = get_member(member_id)
    if claims["sub"] != member_id or claims["email"] != member.email:
        raise SwarmError(
            "The verification link is not for this address", code="email_token_invalid"
        )
    if not member.email_verified:
        from followswarm.data.repositories import mail as mail_repo
        from followswarm.domain.identity import notifier

        member.update(
            actions=[
                MemberModel.email_verified.set(True),
                MemberModel.updated_at.set(clock.now_int()),
            ]
        )
        # Once per member ever, whatever address they verify later.
        if mail_repo.mark_milestone(member_id, notifier.WELCOME):
            notifier.notify(
                member_id, notifier.WELCOME, {}, notification_id=f"{notifier.WELCOME}:{member_id}"
            )
    return member


# -------------------------------------------------------------------------------- admin


def set_role(actor_id: str, member_id: str, role: str) -> MemberModel:
    if role not in ("member", "admin"):
        raise SwarmError("role must be member or admin", code="role_invalid")
    member = get_member(member_id)
    if member.role != role:
        previous = member.role
        member.update(
            actions=[MemberModel.role.set(role), MemberModel.updated_at.set(clock.now_int())]
        )
        audit.record(audit.ROLE_CHANGE, actor_id, member_id, {"from": previous, "to": role})
    return member


def set_account_status(actor_id: str, member_id: str, status: str) -> MemberModel:
    if status not in ("active", "suspended"):
        raise SwarmError("status must be active or suspended", code="status_invalid")
    from followswarm.domain.follows import roster  # suspension also ends being a target

    member = get_member(member_id)
    if member.account_status != status:
        if status == "suspended":
            roster.suspend(member_id, clock.now())
        else:
            roster.reinstate(get_settings(), member_id, clock.now())
        audit.record(audit.ACCOUNT_STATUS, actor_id, member_id, {"to": status})
    return get_member(member_id)


def approve_artist_claim(actor_id: str, member_id: str) -> MemberModel:
    member = get_member(member_id)
    if member.artist_claim_status != "pending":
        raise Conflict("No artist claim is waiting for approval", code="no_pending_claim")
    member.update(
        actions=[
            MemberModel.artist_claim_status.set("approved"),
            MemberModel.updated_at.set(clock.now_int()),
        ]
    )
    audit.record(audit.ARTIST_CLAIM_APPROVED, actor_id, member_id, {"artist_id": member.artist_id})
    return member


# ------------------------------------------------------------------------ export, deletion

#: Internal bookkeeping left out of the export (it describes our scheduler, not the member).
_EXPORT_SKIP = frozenset(
    {"version", "dispatch_shard", "next_dispatch_at", "new_cursor", "backlog_cursor"}
)


def profile(member: MemberModel) -> dict[str, Any]:
    """The member as the API shows it to themselves."""
    return {
        "id": member.pk,
        "spotify_user_id": member.spotify_user_id,
        "display_name": member.display_name,
        "role": member.role,
        "account_status": member.account_status,
        "tier": member.tier,
        "email": member.email,
        "email_verified": bool(member.email_verified),
        "artist": {
            "id": member.artist_id,
            "name": member.artist_name,
            "claim_status": member.artist_claim_status,
        },
        "roster_status": member.roster_status,
        "paused": bool(member.paused),
        "needs_reauth": bool(member.needs_reauth),
        "created_at": int(member.created_at or 0),
    }


def export(member_id: str) -> dict[str, Any]:
    """Everything held about the member except their tokens."""
    from followswarm.domain.follows.erasure import export_member_follow_data
    from followswarm.domain.identity import sessions, vault

    member = get_member(member_id)
    attributes = {
        name: _plain(value)
        for name, value in member.attribute_values.items()
        if name not in _EXPORT_SKIP
    }
    token_record = vault.token_metadata(member_id)
    return {
        "member": attributes,
        "spotify_authorization": token_record,
        "sessions": sessions.describe_member_sessions(member_id),
        "follows": export_member_follow_data(member_id),
        "exported_at": clock.now_int(),
    }


def delete_account(member_id: str) -> None:
    """Erases the member: sessions, tokens, follow data, analytics, the account itself.

    Nothing is revoked on Spotify (the member did not ask for it); one audit entry remains,
    holding the opaque member id only.
    """
    from followswarm.domain.follows.erasure import erase_member_follow_data
    from followswarm.domain.identity import sessions, vault

    member = get_member(member_id)
    sessions.delete_member_sessions(member_id)
    vault.delete_tokens(member_id)
    erase_member_follow_data(member_id)
    member_repo.delete_all(member)
    audit.record(audit.ACCOUNT_DELETED, member_id, member_id, {})
    logger.info("account deleted", extra={"member_id": member_id})


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
