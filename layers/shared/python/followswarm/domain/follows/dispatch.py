"""The dispatcher: for each member that is due, pick the next targets and enqueue one batch.

Targets come in two runs over the roster's join sequence: newcomers (above ``new_cursor``,
oldest first) before backlog (at or below ``backlog_cursor``, newest first). A dispatch reads
one page of the roster per run, so it costs O(batch), never O(roster).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from followswarm.clients import queues
from followswarm.data.models import MemberModel
from followswarm.data.repositories import ledger as ledgers
from followswarm.data.repositories import roster
from followswarm.domain.follows import budget, pacing
from followswarm.domain.follows.messages import FollowJobMessage, JobTargetMessage
from followswarm.metric_names import JOBS_DISPATCHED
from followswarm.observability import MetricUnit, metrics
from followswarm.settings import Settings

#: A member with nothing to follow looks again this often (newcomers are found then).
IDLE_RECHECK_SECONDS = 300
#: Newcomers are held this long to fill a batch before a partial one goes out.
PARTIAL_BATCH_HOLD_SECONDS = 600
#: Jitter never stretches pacing by more than this share of the batch spacing.
MAX_JITTER_SHARE = 0.02
DISPATCH_PAGE = 200


@dataclass
class DispatchSummary:
    members_seen: int = 0
    jobs: list[FollowJobMessage] = field(default_factory=list)
    paused: bool = False


def _jitter(settings: Settings, member_id: str, now: float, spacing: float) -> float:
    # Seeded by member and time: runs are irregular yet every replay of a tick is the same.
    upper = min(float(settings.dispatch_jitter_seconds), spacing * MAX_JITTER_SHARE)
    return random.Random(f"{member_id}:{int(now)}").uniform(0, upper)


def _can_follow(member: MemberModel) -> bool:
    return (
        member.roster_status == "joined"
        and member.account_status == "active"
        and not member.paused
        and not member.needs_reauth
    )


def dispatch_due(settings: Settings, now: float) -> DispatchSummary:
    """One dispatch tick over every member that is due."""
    summary = DispatchSummary()
    if budget.pause_state(now).paused:
        summary.paused = True
        metrics.add_metric(name=JOBS_DISPATCHED, unit=MetricUnit.Count, value=0)
        return summary
    for member_id in roster.due_member_ids(now, DISPATCH_PAGE):
        summary.members_seen += 1
        job = dispatch_member(settings, member_id, now)
        if job:
            summary.jobs.append(job)
    # Every tick reports, idle ones too: a flat zero on the dashboard beats a gap.
    metrics.add_metric(name=JOBS_DISPATCHED, unit=MetricUnit.Count, value=len(summary.jobs))
    return summary


def dispatch_member(settings: Settings, member_id: str, now: float) -> FollowJobMessage | None:
    """Enqueues the member's next batch if pacing allows; reschedules them either way."""
    member = roster.load_member(member_id)
    if member is None:
        return None
    if not _can_follow(member):
        roster.unschedule(member)
        return None
    limits = pacing.PacingLimits.for_member_tier(settings, member.tier)
    record = ledgers.load_ledger(member_id)
    ledger = pacing.Ledger(
        record.hour_entries, record.day_buckets, record.item.month_key, record.item.month_used
    )
    room = pacing.allowance(limits, ledger, now)
    spacing = pacing.batch_spacing_seconds(limits)
    if room <= 0:
        free_at = pacing.next_allowance_at(limits, ledger, now, limits.batch_size)
        roster.set_dispatch(
            member, next_at=free_at + _jitter(settings, member_id, now, spacing), actions=[]
        )
        return None

    new_cursor = int(member.new_cursor or 0)
    backlog_cursor = int(member.backlog_cursor or 0)
    newcomers = roster.active_after(new_cursor, exclude=member_id, limit=room)
    backlog = (
        roster.active_at_or_below(backlog_cursor, exclude=member_id, limit=room - len(newcomers))
        if len(newcomers) < room
        else []
    )
    slots = newcomers + backlog
    backlog_done = len(newcomers) < room and len(backlog) < room - len(newcomers)
    if not slots:
        cursor_actions = [MemberModel.backlog_cursor.set(0)] if backlog_cursor else []
        roster.set_dispatch(member, next_at=now + IDLE_RECHECK_SECONDS, actions=cursor_actions)
        return None
    if len(slots) < limits.batch_size and backlog_done and not backlog:
        # Only newcomers, too few for a batch: hold briefly so they share one call.
        oldest = min(s.joined_at for s in newcomers)
        if oldest + PARTIAL_BATCH_HOLD_SECONDS > now:
            roster.set_dispatch(member, next_at=oldest + PARTIAL_BATCH_HOLD_SECONDS, actions=[])
            return None

    job = FollowJobMessage(
        job_id=f"{int(now):010d}-{slots[0].seq}",
        member_id=member_id,
        targets=[
            JobTargetMessage(member_id=s.member_id, artist_id=s.artist_id, seq=s.seq) for s in slots
        ],
        dispatched_at=now,
    )
    actions: list[Any] = []
    if newcomers:
        actions.append(MemberModel.new_cursor.set(max(s.seq for s in newcomers)))
    if backlog:
        actions.append(
            MemberModel.backlog_cursor.set(0 if backlog_done else min(s.seq for s in backlog) - 1)
        )
    elif backlog_done and backlog_cursor:
        actions.append(MemberModel.backlog_cursor.set(0))
    share = len(slots) / limits.batch_size
    next_at = now + spacing * share + _jitter(settings, member_id, now, spacing)
    # The cursor write is conditional on the member's version: two dispatchers can't both win.
    roster.set_dispatch(member, next_at=next_at, actions=actions)
    queues.send_json(settings.follow_queue_name, job.model_dump(mode="json"))
    return job
