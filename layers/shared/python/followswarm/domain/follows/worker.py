"""Performing one follow job: reserve, call Spotify, record — exactly once per job id.

The order makes replays harmless. Usage is reserved under the job id before any call, so a
redelivered job is never charged twice; edges are idempotent puts; the member's counters move
only when the job id first enters the ledger's completed list. A crash between the Spotify call
and the writes is replayed: targets already followed are found on the edges and not called
again, and their follows still count once, for this job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import requests
from spotipy.exceptions import SpotifyException

from followswarm.clients import spotify
from followswarm.data.models import FollowEdgeModel, JobTarget, MemberModel
from followswarm.data.repositories import edges, jobs, roster
from followswarm.data.repositories import ledger as ledgers
from followswarm.domain.follows import budget, pacing
from followswarm.domain.follows.messages import FollowJobMessage, JobTargetMessage
from followswarm.domain.mail import milestones
from followswarm.metric_names import (
    FOLLOWS_COMPLETED,
    FOLLOWS_FAILED,
    FOLLOWS_SKIPPED,
    SPOTIFY_CALLS,
    SPOTIFY_LATENCY_MS,
    SPOTIFY_RATE_LIMITED,
)
from followswarm.observability import MetricUnit, metrics
from followswarm.settings import Settings

#: Application-level retries of 5xx and timeouts before the job is dead-lettered.
MAX_TRANSIENT_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 15
SQS_MAX_DELAY_SECONDS = 900

OutcomeKind = Literal["completed", "requeued", "dropped", "dead_lettered"]


class TransientSpotifyError(Exception):
    """5xx or a timeout: worth retrying later."""


class RateLimited(Exception):
    def __init__(self, retry_after: float):
        super().__init__(f"rate limited for {retry_after}s")
        self.retry_after = retry_after


@dataclass
class JobOutcome:
    kind: OutcomeKind
    reason: str = ""
    #: For ``requeued`` / ``dead_lettered``: the message to send and its delay.
    message: FollowJobMessage | None = None
    delay_seconds: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    calls: int = 0


@dataclass
class _Results:
    status: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # target -> status


def _requeue(
    msg: FollowJobMessage, delay: float, reason: str, *, attempt: bool = False
) -> JobOutcome:
    nxt = msg.model_copy(update={"continuation": msg.continuation + (1 if attempt else 0)})
    seconds = int(min(SQS_MAX_DELAY_SECONDS, max(1, round(delay + 0.5))))
    return JobOutcome("requeued", reason, message=nxt, delay_seconds=seconds)


def _member_can_follow(member: MemberModel | None) -> str | None:
    if member is None:
        return "member_deleted"
    if member.roster_status != "joined":
        return "member_left"
    if member.account_status != "active":
        return "member_suspended"
    if member.paused:
        return "member_paused"
    if member.needs_reauth:
        return "needs_reauth"
    return None


def _reserve_usage(
    settings: Settings, member: MemberModel, msg: FollowJobMessage, now: float
) -> tuple[float, bool]:
    """Reserves the job's follows once; returns (0 or seconds until allowed, is a replay)."""
    limits = pacing.PacingLimits.for_member_tier(settings, member.tier)
    wanted = len(msg.targets)
    for _ in range(budget.MAX_ATTEMPTS):
        record = ledgers.load_ledger(msg.member_id)
        if msg.job_id in record.item.reserved_jobs:
            return 0.0, True  # a replay: already charged
        current = pacing.Ledger(
            record.hour_entries, record.day_buckets, record.item.month_key, record.item.month_used
        )
        room = pacing.allowance(
            pacing.PacingLimits(limits.per_hour, limits.per_day, limits.per_month, wanted),
            current,
            now,
        )
        if room < wanted:
            return max(1.0, pacing.next_allowance_at(limits, current, now, wanted) - now), False
        reserved = current.with_reservation(wanted, now)
        try:
            ledgers.save_reservation(
                record,
                job_id=msg.job_id,
                hour_entries=reserved.hour_entries,
                day_buckets=reserved.day_buckets,
                month_key=reserved.month_key,
                month_used=int(reserved.month_used),
            )
            return 0.0, False
        except ledgers.StaleWrite:
            continue
    return 1.0, False


def _call_spotify(
    settings: Settings,
    now: float,
    call: Callable[[], object],
) -> None:
    """One budgeted Spotify call; maps failures to the worker's error kinds."""
    wait = budget.reserve_call(settings, now)
    if wait:
        raise RateLimited(wait)
    started = time.perf_counter()
    metrics.add_metric(name=SPOTIFY_CALLS, unit=MetricUnit.Count, value=1)
    try:
        call()
    except SpotifyException as exc:
        if exc.http_status == 429:
            metrics.add_metric(name=SPOTIFY_RATE_LIMITED, unit=MetricUnit.Count, value=1)
            retry_after = float((exc.headers or {}).get("Retry-After", 1))
            budget.pause_for_rate_limit(now, retry_after)
            raise RateLimited(retry_after) from exc
        if exc.http_status >= 500:
            raise TransientSpotifyError(f"spotify {exc.http_status}") from exc
        raise
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientSpotifyError(type(exc).__name__) from exc
    finally:
        elapsed = (time.perf_counter() - started) * 1000
        metrics.add_metric(name=SPOTIFY_LATENCY_MS, unit=MetricUnit.Milliseconds, value=elapsed)


def _follow_call(token: str, ids: list[str], settings: Settings) -> Callable[[], object]:
    def call() -> None:
        spotify.follow_artists(token, ids, settings.spotify_write_path)

    return call


def _follow(
    settings: Settings,
    member_id: str,
    targets: list[JobTargetMessage],
    results: _Results,
    now: float,
) -> int:
    """Follows the targets; a 401 refreshes once; a 4xx batch is split to find bad targets."""
    from followswarm.domain.identity import members, vault  # KMS only when needed

    calls = 0
    token = vault.access_token_for(member_id)
    pending = [targets] if targets else []
    refreshed = False
    while pending:
        group = pending.pop()
        ids = [t.artist_id for t in group]
        try:
            calls += 1
            _call_spotify(settings, now, _follow_call(token, ids, settings))
        except SpotifyException as exc:
            if exc.http_status == 401 and not refreshed:
                token, refreshed = vault.force_refresh(member_id), True
                pending.append(group)
                continue
            if exc.http_status == 401:
                members.mark_needs_reauth(member_id, reason="spotify_rejected_token")
                raise vault.ReauthRequired("Spotify rejected the member's token") from exc
            if exc.http_status in (400, 403, 404) and len(group) > 1:
                half = len(group) // 2
                pending += [group[:half], group[half:]]
                continue
            reason = f"spotify_{exc.http_status}"
            for target in group:
                results.status[target.member_id] = ("skipped", reason)
            continue
        for target in group:
            results.status[target.member_id] = ("done", None)
    return calls


def process_job(
    settings: Settings, msg: FollowJobMessage, now: float, *, receive_count: int = 1
) -> JobOutcome:
    """Runs one job; the caller sends any requeued or dead-lettered message it returns."""
    member = roster.load_member(msg.member_id)
    refusal = _member_can_follow(member)
    if refusal or member is None:
        return JobOutcome("dropped", refusal or "member_deleted")
    record = ledgers.load_ledger(msg.member_id)
    if msg.job_id in record.item.completed_jobs:
        return JobOutcome("dropped", "already_completed")

    pause = budget.pause_state(now)
    if pause.paused:
        return _requeue(msg, (pause.until or now + 60) - now, "global_pause")
    wait, replay = _reserve_usage(settings, member, msg, now)
    if wait:
        return _requeue(msg, wait, "member_caps")

    # Targets that left since dispatch are no longer targets; settled ones are not called again.
    active = roster.active_seqs([t.seq for t in msg.targets])
    prior = _prior_edges(msg)
    results = _Results()
    to_call: list[JobTargetMessage] = []
    for target in msg.targets:
        edge = prior.get(target.member_id)
        if edge is not None and edge.status in edges.SETTLED:
            if edge.job_id == msg.job_id:  # written by an earlier attempt of this very job
                results.status[target.member_id] = (edge.status, edge.reason)
            else:
                results.status[target.member_id] = ("skipped", "already_followed")
        elif target.seq not in active:
            results.status[target.member_id] = ("skipped", "target_inactive")
        else:
            to_call.append(target)

    calls = 0
    if to_call:
        try:
            # Only an attempt that reached Spotify may have followed: a redelivery (the worker
            # died) or a retry after a 5xx/timeout. A requeue for the budget or a pause did not.
            if replay and (receive_count > 1 or msg.continuation > 0):
                # An earlier attempt may have followed before dying: ask, don't follow twice.
                to_call = _not_yet_followed(settings, msg.member_id, to_call, results, now)
                calls += 1
            calls += _follow(settings, msg.member_id, to_call, results, now)
        except RateLimited as exc:
            return _requeue(msg, exc.retry_after, "rate_limited")
        except TransientSpotifyError as exc:
            if receive_count + msg.continuation >= MAX_TRANSIENT_ATTEMPTS:
                return JobOutcome("dead_lettered", str(exc), message=msg)
            delay = BACKOFF_BASE_SECONDS * 2 ** (msg.continuation)
            return _requeue(msg, delay, str(exc), attempt=True)

    return _complete(msg, results, now, calls)


def _not_yet_followed(
    settings: Settings,
    member_id: str,
    targets: list[JobTargetMessage],
    results: _Results,
    now: float,
) -> list[JobTargetMessage]:
    from followswarm.domain.identity import vault

    token = vault.access_token_for(member_id)
    ids = [t.artist_id for t in targets]
    found: list[bool] = []

    def call() -> None:
        found.extend(spotify.follows_artists(token, ids, settings.spotify_write_path))

    try:
        _call_spotify(settings, now, call)
    except SpotifyException:
        return targets  # can't tell: following again is harmless to Spotify's graph
    remaining = []
    for target, followed in zip(targets, found, strict=True):
        if followed:
            results.status[target.member_id] = ("done", None)
        else:
            remaining.append(target)
    return remaining


def _prior_edges(msg: FollowJobMessage) -> dict[str, FollowEdgeModel]:
    keys = [(t.member_id, msg.member_id) for t in msg.targets]
    return {e.pk: e for e in FollowEdgeModel.batch_get(keys)}


def _complete(msg: FollowJobMessage, results: _Results, now: float, calls: int) -> JobOutcome:
    edge_results = [
        edges.EdgeResult(t.member_id, t.artist_id, *results.status[t.member_id])
        for t in msg.targets
        if results.status[t.member_id][1] != "already_followed"
    ]
    edges.record(msg.member_id, edge_results, job_id=msg.job_id, at=now)
    counted = [r for r in edge_results if r.reason != "target_inactive"]
    done = sum(1 for r in counted if r.status == "done")
    skipped = sum(1 for r in counted if r.status == "skipped")
    previous = jobs.get_history(msg.member_id, msg.job_id)
    # A redriven job that had been dead-lettered no longer counts as failed.
    failed_delta = -len(previous.targets) if previous and previous.status == "failed" else 0
    jobs.put_history(
        msg.member_id,
        msg.job_id,
        status="done",
        targets=[
            JobTarget(
                member_id=t.member_id,
                artist_id=t.artist_id,
                seq=t.seq,
                status=results.status[t.member_id][0],
                reason=results.status[t.member_id][1],
            )
            for t in msg.targets
        ],
        created_at=msg.dispatched_at,
        completed_at=now,
    )
    for _ in range(budget.MAX_ATTEMPTS):
        record = ledgers.load_ledger(msg.member_id)
        if msg.job_id in record.item.completed_jobs:
            break  # counted by an earlier attempt
        try:
            ledgers.save_completion(
                record, job_id=msg.job_id, done=done, skipped=skipped, failed=failed_delta
            )
            metrics.add_metric(name=FOLLOWS_COMPLETED, unit=MetricUnit.Count, value=done)
            metrics.add_metric(name=FOLLOWS_SKIPPED, unit=MetricUnit.Count, value=skipped)
            break
        except ledgers.StaleWrite:
            continue
    milestones.after_job(msg.member_id, [r.target_id for r in counted if r.status == "done"])
    return JobOutcome("completed", done=done, skipped=skipped, calls=calls)


def record_dead_letter(msg: FollowJobMessage, reason: str, now: float) -> None:
    """A job given up on: its targets show as failed in history until an admin redrives it."""
    previous = jobs.get_history(msg.member_id, msg.job_id)
    if previous and previous.status == "failed":
        return  # dead-lettered before and redriven: already counted
    for _ in range(budget.MAX_ATTEMPTS):
        record = ledgers.load_ledger(msg.member_id)
        try:
            ledgers.save_failure(record, failed=len(msg.targets))
            break
        except ledgers.StaleWrite:
            continue
    jobs.put_history(
        msg.member_id,
        msg.job_id,
        status="failed",
        targets=[
            JobTarget(
                member_id=t.member_id,
                artist_id=t.artist_id,
                seq=t.seq,
                status="failed",
                reason=reason,
            )
            for t in msg.targets
        ],
        created_at=msg.dispatched_at,
        completed_at=now,
        error=reason,
    )
    metrics.add_metric(name=FOLLOWS_FAILED, unit=MetricUnit.Count, value=len(msg.targets))
