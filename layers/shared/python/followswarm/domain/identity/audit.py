"""Security and administration events, recorded without tokens or personal data."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from followswarm import clock
from followswarm.data.repositories import audit as audit_repo

logger = Logger(child=True)

SIGN_IN = "sign_in"
LOGOUT = "logout"
REFRESH_REUSE = "refresh_reuse_detected"
ROLE_CHANGE = "role_change"
ARTIST_CLAIM = "artist_claim"
ARTIST_CLAIM_APPROVED = "artist_claim_approved"
ACCOUNT_DELETED = "account_deleted"
TOKEN_UNREADABLE = "token_unreadable"
NEEDS_REAUTH = "needs_reauth"
ACCOUNT_STATUS = "account_status"


def record(
    action: str, actor_id: str | None, subject_id: str | None, details: dict[str, Any]
) -> None:
    """Appends an entry; ``details`` must hold identifiers and flags only, never secrets."""
    audit_repo.append(action, actor_id, subject_id, details, clock.now())
    logger.info(
        "audit", extra={"audit_action": action, "actor_id": actor_id, "subject_id": subject_id}
    )


def recent(limit: int = 100, day_epoch: float | None = None) -> list[dict[str, Any]]:
    entries = audit_repo.entries_for_day(clock.now() if day_epoch is None else day_epoch, limit)
    return [
        {
            "action": e.action,
            "actor_id": e.actor_id,
            "subject_id": e.subject_id,
            "details": e.details,
            "at": int(e.at),
        }
        for e in entries
    ]
