"""The daily analytics rollup: per-member daily stats and the platform's, for one UTC day.

Per member (only members with activity that day, so idle members cost no writes):
``follows_done``, ``follows_skipped``, ``follows_failed`` (as follower, by the status of each
target in the batches that finished that day) and ``followers_received`` (as target, ``done``).

Platform (``pk = PLATFORM``): ``members``, ``active_members`` (on the roster and a target:
account active, not paused, not reciprocity-blocked), ``new_members`` (created that day),
``follows_completed``, ``follows_failed``, ``follows_skipped``, ``members_by_tier`` and
``active_by_tier``. A member counts in the tier stored on their row (unknown tiers as free).

Re-running a day rewrites the same rows: idempotent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from followswarm.data.models import MemberModel
from followswarm.data.repositories import stats
from followswarm.metric_names import TIERS

DAY_SECONDS = 86400


@dataclass
class MemberDay:
    follows_done: int = 0
    follows_skipped: int = 0
    follows_failed: int = 0
    followers_received: int = 0

    def as_values(self) -> dict[str, int]:
        return {
            "follows_done": self.follows_done,
            "follows_skipped": self.follows_skipped,
            "follows_failed": self.follows_failed,
            "followers_received": self.followers_received,
        }


@dataclass
class RollupReport:
    day: str
    platform: dict[str, Any] = field(default_factory=dict)
    members: dict[str, dict[str, int]] = field(default_factory=dict)
    rows_written: int = 0


def day_to_roll_up(now: float) -> date:
    """The UTC day that ended most recently before ``now`` (a run at 00:05 covers yesterday)."""
    return (datetime.fromtimestamp(now, UTC) - timedelta(days=1)).date()


def day_bounds(day: date) -> tuple[int, int]:
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    return start, start + DAY_SECONDS


def is_active(member: MemberModel) -> bool:
    """An active member is a follow target (the same rule as the roster's)."""
    return (
        member.roster_status == "joined"
        and member.account_status == "active"
        and not member.paused
        and not member.reciprocity_blocked
    )


def _tier(member: MemberModel) -> str:
    return member.tier if member.tier in TIERS else "free"


def compute(day: date) -> RollupReport:
    """Reads the day's finished batches and every member; writes nothing."""
    start, end = day_bounds(day)
    per_member: dict[str, MemberDay] = {}

    def of(member_id: str) -> MemberDay:
        return per_member.setdefault(member_id, MemberDay())

    totals: Counter[str] = Counter()
    for job in stats.jobs_completed_between(start, end):
        follower = of(str(job.pk))
        for target in job.targets:
            status = str(target.status)
            totals[status] += 1
            if status == "done":
                follower.follows_done += 1
                of(str(target.member_id)).followers_received += 1
            elif status == "skipped":
                follower.follows_skipped += 1
            elif status == "failed":
                follower.follows_failed += 1

    members = 0
    new_members = 0
    by_tier: Counter[str] = Counter()
    active_by_tier: Counter[str] = Counter()
    for member in stats.members():
        # Members created after the day ended don't count in it (a late or re-run rollup).
        if int(member.created_at or 0) >= end:
            continue
        members += 1
        if int(member.created_at or 0) >= start:
            new_members += 1
        by_tier[_tier(member)] += 1
        if is_active(member):
            active_by_tier[_tier(member)] += 1

    platform: dict[str, Any] = {
        "members": members,
        "active_members": sum(active_by_tier.values()),
        "new_members": new_members,
        "follows_completed": totals["done"],
        "follows_failed": totals["failed"],
        "follows_skipped": totals["skipped"],
        "members_by_tier": {tier: by_tier[tier] for tier in TIERS},
        "active_by_tier": {tier: active_by_tier[tier] for tier in TIERS},
    }
    return RollupReport(
        day=day.isoformat(),
        platform=platform,
        members={m: d.as_values() for m, d in sorted(per_member.items())},
    )


def run(day: date, now: float) -> RollupReport:
    """Computes the day and writes its rows (members with activity, then the platform row)."""
    report = compute(day)
    rows = [(member_id, report.day, values) for member_id, values in report.members.items()]
    rows.append((stats.PLATFORM_PK, report.day, report.platform))
    report.rows_written = stats.save_daily(rows, at=int(now))
    return report
