"""Daily rollups (stats table) and the scans that feed them (daily jobs only, never requests).

``pk`` is a member id or ``PLATFORM``, ``sk`` the UTC date ``YYYY-MM-DD``; ``values`` is JSON.
Rows are overwritten by a re-run of the same day, so the rollup is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from followswarm.data.models import DailyStatModel, FollowJobModel, MemberModel

PLATFORM_PK = "PLATFORM"


def members() -> Iterator[MemberModel]:
    """Every member row (the members table also holds ``ARTIST#``/``SPOTIFY#`` lookup rows)."""
    return MemberModel.scan(MemberModel.spotify_user_id.exists())


def jobs_completed_between(start: int, end: int) -> Iterator[FollowJobModel]:
    """History rows whose batch finished in ``[start, end)`` (epoch seconds)."""
    return FollowJobModel.scan(
        (FollowJobModel.completed_at >= start) & (FollowJobModel.completed_at < end)
    )


def save_daily(rows: Iterable[tuple[str, str, dict[str, Any]]], *, at: int) -> int:
    """Writes ``(pk, date, values)`` rows (BatchWriteItem, chunked to 25); returns how many."""
    count = 0
    with DailyStatModel.batch_write() as batch:
        for pk, day, values in rows:
            batch.save(DailyStatModel(pk, day, values=values, at=at))
            count += 1
    return count


def get_daily(pk: str, day: str) -> DailyStatModel | None:
    try:
        return DailyStatModel.get(pk, day, consistent_read=True)
    except DailyStatModel.DoesNotExist:
        return None


def daily_series(pk: str, first_day: str, last_day: str) -> list[DailyStatModel]:
    """One key's rows between two dates, inclusive, oldest first."""
    return list(DailyStatModel.query(pk, DailyStatModel.sk.between(first_day, last_day)))
