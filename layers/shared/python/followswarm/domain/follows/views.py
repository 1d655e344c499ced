"""What a member sees of their follows: progress, history, stats and rate-limit use.

Each view reads at most two DynamoDB round trips: the member, ledger and roster counter come
in one transactional read; the second is the follower count or the history query.
"""

from __future__ import annotations

import binascii
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from followswarm.data.models import MemberModel, UsageWindowModel
from followswarm.data.repositories import edges, jobs, roster
from followswarm.data.repositories import members as member_repo
from followswarm.data.repositories.ledger import LedgerRecord
from followswarm.domain.follows import pacing
from followswarm.domain.follows.roster import is_target
from followswarm.errors import Forbidden, NotFound, SwarmError
from followswarm.settings import Settings

Period = Literal["24h", "7d", "30d", "all"]
PERIOD_SECONDS: dict[str, int | None] = {
    "24h": 86400,
    "7d": 7 * 86400,
    "30d": 30 * 86400,
    "all": None,
}
HISTORY_STATUSES = ("done", "skipped", "failed", "pending")


@dataclass(frozen=True)
class _Snapshot:
    member: MemberModel
    ledger: UsageWindowModel
    active_count: int


def _snapshot(member_id: str) -> _Snapshot:
    member, ledger, counter = roster.member_ledger_and_counter(member_id)
    if member is None:
        raise NotFound("No such member", code="member_not_found")
    return _Snapshot(
        member,
        ledger or UsageWindowModel(member_id, "LEDGER"),
        int(counter.active_count or 0) if counter else 0,
    )


def _blocked_reason(member: MemberModel) -> str | None:
    if member.needs_reauth:
        return "needs_reauth"
    if member.account_status != "active":
        return "suspended"
    if member.paused:
        return "paused"
    if member.reciprocity_blocked:
        return "reciprocity"
    if member.roster_status != "joined":
        return "not_on_roster"
    return None


def progress(settings: Settings, member_id: str, now: float) -> dict[str, Any]:
    snap = _snapshot(member_id)
    member, ledger = snap.member, snap.ledger
    others = max(0, snap.active_count - (1 if is_target(member) else 0))
    done, skipped, failed = int(ledger.done or 0), int(ledger.skipped or 0), int(ledger.failed or 0)
    pending = max(0, others - done - skipped) if member.roster_status == "joined" else 0
    limits = pacing.PacingLimits.for_member_tier(settings, member.tier)
    eta = pacing.eta_seconds(limits, pending)
    followers = edges.count_followers(member_id)
    return {
        "following": {"done": done, "pending": pending, "failed": failed, "skipped": skipped},
        "followers": {"received": followers, "possible": others},
        "roster": {"status": member.roster_status, "active_members": snap.active_count},
        "paused": bool(member.paused),
        "blocked_reason": _blocked_reason(member),
        "reciprocity_blocked": bool(member.reciprocity_blocked),
        "eta": None if eta is None else _iso(now + eta),
        "eta_seconds": eta,
    }


def rate_limits(settings: Settings, member_id: str, now: float) -> dict[str, Any]:
    snap = _snapshot(member_id)
    limits = pacing.PacingLimits.for_member_tier(settings, snap.member.tier)
    record = LedgerRecord(snap.ledger)
    ledger = pacing.Ledger(
        record.hour_entries, record.day_buckets, snap.ledger.month_key, snap.ledger.month_used
    )
    windows = [
        {
            "window": w.name,
            "used": w.used,
            "limit": w.limit,
            "resets_at": _iso(w.resets_at) if w.resets_at else None,
        }
        for w in pacing.window_use(limits, ledger, now)
    ]
    return {"tier": snap.member.tier or "free", "batch_size": limits.batch_size, "windows": windows}


def history(
    member_id: str, *, cursor: str | None, status: str | None, limit: int, now: float
) -> dict[str, Any]:
    if status is not None and status not in HISTORY_STATUSES:
        raise SwarmError(
            f"status must be one of {', '.join(HISTORY_STATUSES)}", code="invalid_status"
        )
    try:
        page = jobs.history_page(member_id, cursor=cursor, limit=limit, now=now)
    except (ValueError, binascii.Error, json.JSONDecodeError) as exc:
        raise SwarmError("The cursor is not valid", code="invalid_cursor") from exc
    items = []
    for job in page.items:
        for target in job.targets:
            if status and target.status != status:
                continue
            items.append(
                {
                    "job_id": job.sk,
                    "target_member_id": target.member_id,
                    "artist_id": target.artist_id,
                    "status": target.status,
                    "reason": target.reason,
                    "at": _iso(float(job.completed_at or job.created_at)),
                }
            )
    return {"items": items, "next_cursor": page.cursor}


def _days(since: float | None, counted: Counter[str], now: float) -> list[str]:
    """Every UTC day of the period, quiet ones included (a chart's bars then line up with the
    calendar); ``all`` starts at the first day that has follows."""
    last = datetime.fromtimestamp(now, UTC).date()
    if since is not None:
        first = datetime.fromtimestamp(since, UTC).date()
    elif counted:
        first = date.fromisoformat(min(counted))
    else:
        return []
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def stats(member_id: str, *, period: str, now: float) -> dict[str, Any]:
    if period not in PERIOD_SECONDS:
        raise SwarmError("period must be one of 24h, 7d, 30d, all", code="invalid_period")
    span = PERIOD_SECONDS[period]
    since = 0.0 if span is None else now - span
    daily: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for job in jobs.history_since(member_id, since=since, now=now):
        day = (
            datetime.fromtimestamp(float(job.completed_at or job.created_at), UTC)
            .date()
            .isoformat()
        )
        for target in job.targets:
            totals[target.status] += 1
            if target.status == "done":
                daily[day] += 1
    series = [{"date": d, "follows": daily[d]} for d in _days(since if span else None, daily, now)]
    return {
        "period": period,
        "done": totals["done"],
        "skipped": totals["skipped"],
        "failed": totals["failed"],
        "daily": series,
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


CSV_COLUMNS = ("at", "status", "artist_id", "target_member_id", "reason", "job_id")


def export_csv(member_id: str, *, now: float) -> str:
    """Every follow of the member as CSV, oldest first; a premium feature."""
    member = member_repo.get(member_id)
    if member is None:
        raise NotFound("No such member", code="member_not_found")
    if (member.tier or "free") != "premium":
        raise Forbidden("The CSV export comes with the premium plan", code="premium_required")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for job in jobs.history_since(member_id, since=0.0, now=now):
        at = _iso(float(job.completed_at or job.created_at))
        for target in job.targets:
            writer.writerow(
                (at, target.status, target.artist_id, target.member_id, target.reason or "", job.sk)
            )
    return out.getvalue()
