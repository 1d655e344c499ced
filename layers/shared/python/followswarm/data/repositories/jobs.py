"""Follow history: one row per batch (``pk`` = follower, ``sk`` = job id, time ordered)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from followswarm.data.models import FollowJobModel, JobTarget

HISTORY_TTL_SECONDS = 400 * 24 * 3600


@dataclass(frozen=True)
class HistoryPage:
    items: list[FollowJobModel]
    cursor: str | None


def put_history(
    member_id: str,
    job_id: str,
    *,
    status: str,
    targets: Iterable[JobTarget],
    created_at: float,
    completed_at: float,
    error: str | None = None,
) -> None:
    FollowJobModel(
        member_id,
        job_id,
        status=status,
        targets=list(targets),
        created_at=int(created_at),
        completed_at=int(completed_at),
        error=error,
        expires_at=int(completed_at + HISTORY_TTL_SECONDS),
    ).save(
        # An overwrite by design: a replayed or redriven job rewrites its own row. The version
        # condition of a fresh object ("no row yet") would fail every replay forever.
        add_version_condition=False
    )


def get_history(member_id: str, job_id: str) -> FollowJobModel | None:
    try:
        return FollowJobModel.get(member_id, job_id, consistent_read=True)
    except FollowJobModel.DoesNotExist:
        return None


def _encode(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return decoded


def history_page(member_id: str, *, cursor: str | None, limit: int, now: float) -> HistoryPage:
    """Newest first; expired rows are filtered on read (TTL deletion is not immediate)."""
    result = FollowJobModel.query(
        member_id,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=_decode(cursor),
        filter_condition=FollowJobModel.expires_at > int(now),
    )
    items = list(result)
    return HistoryPage(items=items, cursor=_encode(result.last_evaluated_key))


def all_history(member_id: str) -> list[FollowJobModel]:
    return list(FollowJobModel.query(member_id))


def delete_history(member_id: str) -> None:
    with FollowJobModel.batch_write() as batch:
        for item in FollowJobModel.query(member_id):
            batch.delete(item)


def history_since(member_id: str, *, since: float, now: float) -> list[FollowJobModel]:
    """History rows since a time (job ids start with the dispatch time, so a key range)."""
    return list(
        FollowJobModel.query(
            member_id,
            FollowJobModel.sk >= f"{int(since):010d}",
            filter_condition=FollowJobModel.expires_at > int(now),
        )
    )
