"""The audit log: append-only entries bucketed by UTC day."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from followswarm.data.models import AuditEntryModel

PREFIX = "AUDIT#"


def day_key(epoch: float) -> str:
    return PREFIX + datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def append(
    action: str, actor_id: str | None, subject_id: str | None, details: dict[str, Any], at: float
) -> None:
    # Millisecond, zero-padded sort key keeps a day's entries in time order.
    sort_key = f"{int(at * 1000):015d}#{uuid.uuid4().hex[:12]}"
    AuditEntryModel(
        day_key(at),
        sort_key,
        action=action,
        actor_id=actor_id,
        subject_id=subject_id,
        details=details,
        at=int(at),
    ).save()


def entries_for_day(epoch: float, limit: int = 100) -> list[AuditEntryModel]:
    """The day's entries, newest first."""
    return list(AuditEntryModel.query(day_key(epoch), scan_index_forward=False, limit=limit))
