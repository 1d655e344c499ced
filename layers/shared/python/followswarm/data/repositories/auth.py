"""OAuth states, session (refresh-token) families and sign-in rate-limit counters."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, UpdateError

from followswarm.data.models import OAuthStateModel, RateLimitModel, SessionModel

STATE_PREFIX = "STATE#"
FAMILY_PREFIX = "FAMILY#"
RATE_PREFIX = "RL#"


# ------------------------------------------------------------------------------ OAuth state


#: How long a state row outlives its validity (to answer "expired", then TTL deletes it).
STATE_RETENTION_SECONDS = 24 * 3600


def put_state(state: str, browser_binding: str, valid_until: int) -> None:
    OAuthStateModel(
        STATE_PREFIX + state,
        browser_binding=browser_binding,
        valid_until=valid_until,
        expires_at=valid_until + STATE_RETENTION_SECONDS,
    ).save(condition=OAuthStateModel.pk.does_not_exist())


def get_state(state: str) -> OAuthStateModel | None:
    try:
        return OAuthStateModel.get(STATE_PREFIX + state, consistent_read=True)
    except DoesNotExist:
        return None


def consume_state(record: OAuthStateModel) -> bool:
    """Marks the state used; ``False`` if someone used it first (single use, atomically)."""
    try:
        record.update(
            actions=[OAuthStateModel.used.set(True)],
            condition=OAuthStateModel.used == False,  # noqa: E712 - a DynamoDB condition
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


# --------------------------------------------------------------------------------- sessions


def create_session(family_id: str, member_id: str, token_hash: str, now: int, ttl: int) -> None:
    SessionModel(
        FAMILY_PREFIX + family_id,
        member_id=member_id,
        current_hash=token_hash,
        created_at=now,
        expires_at=now + ttl,
    ).save()


def get_session(family_id: str) -> SessionModel | None:
    try:
        return SessionModel.get(FAMILY_PREFIX + family_id, consistent_read=True)
    except DoesNotExist:
        return None


#: Rotated hashes remembered per family, to recognise reuse (a long session refreshes often).
MAX_PREVIOUS_HASHES = 500


def rotate_session(session: SessionModel, new_hash: str) -> bool:
    """Replaces the current hash; ``False`` if the family changed meanwhile (version check)."""
    previous = [*list(session.previous_hashes)[: MAX_PREVIOUS_HASHES - 1], session.current_hash]
    try:
        session.update(
            actions=[
                SessionModel.current_hash.set(new_hash),
                SessionModel.previous_hashes.set(set(previous)),
            ],
            condition=SessionModel.revoked == False,  # noqa: E712 - a DynamoDB condition
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def revoke_session(family_id: str) -> None:
    """Revokes a family whatever its version (revocation must never lose a race)."""
    try:
        SessionModel(FAMILY_PREFIX + family_id).update(
            actions=[SessionModel.revoked.set(True)],
            condition=SessionModel.pk.exists(),
            add_version_condition=False,
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def member_sessions(member_id: str) -> list[SessionModel]:
    """The member's session families (a scan: used only by account deletion and export)."""
    return list(SessionModel.scan(SessionModel.member_id == member_id))


def delete_session(family_id: str) -> None:
    SessionModel(FAMILY_PREFIX + family_id).delete(add_version_condition=False)


# ------------------------------------------------------------------------------ rate limits


def take_rate_slot(scope: str, key: str, window_start: int, limit: int, expires_at: int) -> bool:
    """Counts one attempt in a fixed window; ``False`` (and no count) when the window is full."""
    record = RateLimitModel(f"{RATE_PREFIX}{scope}#{key}#{window_start}")
    try:
        record.update(
            actions=[RateLimitModel.hits.add(1), RateLimitModel.expires_at.set(expires_at)],
            condition=RateLimitModel.hits.does_not_exist() | (RateLimitModel.hits < limit),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
