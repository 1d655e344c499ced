"""Numbers from a finished simulation: the stand-in's call log, the counters and the tables."""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.sim import HOUR, Member, SimResult, written_ids

DAY = 24 * HOUR
SQS_BENCH_OPS = {"GetQueueAttributes", "GetQueueUrl"}


@dataclass
class Target:
    name: str
    measured: str
    target: str
    passed: bool | None  # None: not measured in this run
    note: str = ""


@dataclass
class Metrics:
    scenario: str
    members: int
    virtual_hours: float
    completed: bool
    completion_hours: float | None
    wall_seconds: float
    batch_size: int
    calls_by_kind: dict[str, int]
    write_calls: int
    follows_completed: int
    standin_pairs: int
    expected_pairs: int
    write_calls_per_1000: float | None
    write_calls_target: float
    #: The least calls per 1,000 follows a complete roster of this size allows (full batches).
    write_calls_floor: float | None
    ddb_write_units: int
    ddb_write_units_engine: int
    ddb_items_written: int
    ddb_units_per_follow: float | None
    ddb_units_per_follow_engine: float | None
    ddb_units_by_table: dict[str, int]
    #: Write units by source: ``join`` (roster.join, incl. its first dispatch) and each function.
    ddb_units_by_source: dict[str, int]
    #: SendMessage by source and queue, e.g. ``follow-worker -> follow-jobs`` (requeues).
    sends_by_source: dict[str, int]
    ddb_reads: int
    join_units_max: int
    join_items_max: int
    join_requests_max: int
    join_roster_max: int
    sqs_requests: int
    sqs_by_op: dict[str, int]
    rate_limited: int
    rate_limited_injected: int
    windows_with_extra_429: int
    cap_violations: dict[str, int]
    cap_violations_raw: dict[str, int]
    roster_ratio_max: float | None
    roster_ratio_median: float | None
    roster_measured_members: int
    incoming_ratio_max: float | None
    roster_times: list[tuple[int, float, float | None, float | None]]
    budget_use: float | None
    budget_windows: int
    lost_follows: int
    double_counts: int
    unrecorded_follows: int
    crashes: int
    tokens_expired: int
    redriven: int
    dead_lettered_left: int
    faults: dict[str, int]
    largest_item_bytes: dict[str, int]
    errors: list[str] = field(default_factory=list)


def first_follow_times(result: SimResult) -> dict[tuple[str, str], float]:
    """(user id, artist id) -> when the stand-in first saw that follow succeed."""
    first: dict[tuple[str, str], float] = {}
    for call in result.calls:
        if call.get("operation") not in ("library_save", "follow") or call["status"] >= 300:
            continue
        for artist_id in written_ids(call):
            first.setdefault((call["user_id"], artist_id), call["time"])
    return first


def _window_violations(events: list[tuple[float, int]], window: float, cap: int | None) -> int:
    """How many follow events leave more than ``cap`` follows in the window (t - window, t]."""
    if cap is None:
        return 0
    events = sorted(events)
    times = [t for t, _ in events]
    prefix = [0]
    for _, n in events:
        prefix.append(prefix[-1] + n)
    violations = 0
    for i, (t, _) in enumerate(events):
        start = bisect_right(times, t - window)  # strictly after t - window, as pacing counts
        end = i + 1
        while end < len(times) and times[end] == t:
            end += 1
        if prefix[end] - prefix[start] > cap:
            violations += 1
    return violations


def cap_violations(result: SimResult, *, raw: bool) -> dict[str, int]:
    """Per-member caps checked on Spotify's side of the wire (the stand-in's log).

    ``raw=False`` counts follows that changed the graph (a replay re-sending ids that were
    already followed is a no-op at Spotify); ``raw=True`` counts every id sent in a 2xx write.
    """
    settings = result.settings_full
    per_hour, per_day = settings["follows_per_hour"], settings["follows_per_day"]
    monthly = {
        "free": settings["monthly_free"],
        "pro": settings["monthly_pro"],
        "premium": settings["monthly_premium"],
    }[result.scenario.tier] or None
    events: dict[str, list[tuple[float, int]]] = defaultdict(list)
    seen: dict[str, set[str]] = defaultdict(set)
    for call in result.calls:
        if call.get("operation") not in ("library_save", "follow") or call["status"] >= 300:
            continue
        ids = written_ids(call)
        if not raw:
            ids = [a for a in ids if a not in seen[call["user_id"]]]
            seen[call["user_id"]].update(ids)
        if ids:
            events[call["user_id"]].append((call["time"], len(ids)))
    out = {"hour": 0, "day": 0, "month": 0}
    for user_events in events.values():
        out["hour"] += _window_violations(user_events, HOUR, per_hour)
        out["day"] += _window_violations(user_events, DAY, per_day)
        out["month"] += _window_violations(user_events, 31 * DAY, monthly)
    return out


def roster_times(
    result: SimResult, first: dict[tuple[str, str], float]
) -> list[tuple[int, float, float | None, float | None]]:
    """Per member: (roster size at join, lower bound, own follows done after, followed by all after).

    The roster a member must complete is everyone who had joined before them; members
    joining later are their newcomers and count toward those members' times instead.
    """
    from followswarm.domain.follows import pacing
    from followswarm.settings import Settings

    settings = Settings(**result.settings_full)
    limits = pacing.PacingLimits.for_tier(settings, result.scenario.tier)  # type: ignore[arg-type]
    order = sorted((m for m in result.members if m.joined), key=lambda m: (m.join_at, m.index))
    rows: list[tuple[int, float, float | None, float | None]] = []
    for i, member in enumerate(order):
        before: list[Member] = order[:i]
        lower = pacing.lower_bound_seconds(limits, len(before))
        out = [first.get((member.user_id, n.artist_id)) for n in before]
        inc = [first.get((n.user_id, member.artist_id)) for n in before]
        out_t = None if None in out else max((t for t in out if t), default=member.join_at)
        in_t = None if None in inc else max((t for t in inc if t), default=member.join_at)
        rows.append(
            (
                len(before),
                lower,
                None if out_t is None else out_t - member.join_at,
                None if in_t is None else in_t - member.join_at,
            )
        )
    return rows


def budget_use(result: SimResult) -> tuple[float | None, int, int]:
    """Share of the app-wide budget used in full 30-s windows from the first call on, and the
    windows with more than one (not injected) 429."""
    settings = result.settings_full
    window = settings["spotify_budget_window_seconds"]
    per_hour = settings["spotify_calls_per_hour"]
    per_window = max(1, int(per_hour / (3600 / window)))
    api = [c for c in result.calls if c["kind"] == "api"]
    if not api:
        return None, 0, 0
    start = min(c["time"] for c in api)
    bins: Counter[int] = Counter()
    limited: Counter[int] = Counter()
    for call in api:
        index = int((call["time"] - start) // window)
        if call["status"] == 429 and not call.get("fault"):
            limited[index] += 1
        elif call["status"] != 429:
            bins[index] += 1
    full = int((result.ended_measure - start) // window)
    if full <= 0:
        return None, 0, sum(1 for n in limited.values() if n > 1)
    used = sum(bins[i] for i in range(full))
    return used / (per_window * full), full, sum(1 for n in limited.values() if n > 1)


def compute(result: SimResult) -> Metrics:
    settings = result.settings_full
    batch = min(settings["follow_batch_size"], settings["follows_per_hour"])
    calls = result.calls
    kinds: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    for call in calls:
        kinds["token" if call["kind"] == "token" else str(call.get("operation"))] += 1
        if call.get("fault"):
            faults[str(call["status"])] += 1
    write_calls = sum(1 for c in calls if c.get("operation") in ("library_save", "follow"))
    follows = sum(result.edges_done_by_follower.values())
    members = {m.member_id for m in result.members}
    artists = {m.artist_id for m in result.members}
    by_user = {m.user_id: m for m in result.members}
    pairs = 0
    for user_id, followed in result.graph.items():
        own = by_user[user_id].artist_id if user_id in by_user else None
        pairs += sum(1 for a in followed if a in artists and a != own)
    joined = [m for m in result.members if m.joined]
    expected = len(joined) * (len(joined) - 1)
    # Lost: a follow the system counts as done that Spotify does not have; unrecorded: the
    # other way round (after quiescing, both must be zero).
    edge_pairs = result.edge_pairs
    graph_pairs = {(u, a) for u, followed in result.graph.items() for a in followed if a in artists}
    lost = len(edge_pairs - graph_pairs)
    unrecorded = len({p for p in graph_pairs if p[0] in by_user} - edge_pairs)
    if result.completed_at is not None:
        lost += expected - pairs  # a complete run must end with the whole graph
    double = sum(
        abs(result.ledger_done[m] - result.edges_done_by_follower.get(m, 0))
        + abs(result.history_done_by_member.get(m, 0) - result.edges_done_by_follower.get(m, 0))
        for m in members
    )
    join_costs = [m.join_cost for m in joined if m.join_cost is not None]
    sqs_by_op = {
        k.split(":", 1)[1]: n
        for k, n in sorted(result.aws.requests.items())
        if k.startswith("sqs:") and k.split(":", 1)[1] not in SQS_BENCH_OPS
    }
    first = first_follow_times(result)
    rows = roster_times(result, first)
    ratios = [out / lower for _, lower, out, _ in rows if lower > 0 and out is not None]
    incoming = [inc / lower for _, lower, _, inc in rows if lower > 0 and inc is not None]
    measured = sum(1 for _, lower, _, _ in rows if lower > 0)
    use, windows, extra_429 = budget_use(result)
    limited = sum(1 for c in calls if c["status"] == 429)
    limited_injected = sum(1 for c in calls if c["status"] == 429 and c.get("fault"))
    units_by_table = {
        name.rsplit("-", 1)[-1]: n for name, n in result.aws.ddb_write_units_by_table.items()
    }
    by_source = {"join": result.joins.ddb_write_units} | {
        name: snap.ddb_write_units for name, snap in sorted(result.by_function.items())
    }
    by_source["other"] = result.aws.ddb_write_units - sum(by_source.values())
    app = f"{settings['app_name']}-{settings['stage']}-"
    sources = {"join": result.joins, **dict(sorted(result.by_function.items()))}
    sends = {
        f"{name} -> {queue.removeprefix(app)}": n
        for name, snap in sources.items()
        for queue, n in sorted(snap.sqs_sends.items())
    }
    engine = sum(
        snap.ddb_write_units
        for name, snap in result.by_function.items()
        if name in ("dispatcher", "follow-worker")
    )
    return Metrics(
        scenario=result.scenario.name,
        members=result.scenario.members,
        virtual_hours=(result.ended_measure - result.started_at) / HOUR,
        completed=result.completed_at is not None,
        completion_hours=None
        if result.completed_at is None
        else (result.completed_at - result.started_at) / HOUR,
        wall_seconds=result.wall_seconds,
        batch_size=batch,
        calls_by_kind=dict(kinds.most_common()),
        write_calls=write_calls,
        follows_completed=follows,
        standin_pairs=pairs,
        expected_pairs=expected,
        write_calls_per_1000=1000 * write_calls / follows if follows else None,
        write_calls_target=1.02 * 1000 / batch,
        write_calls_floor=1000 * math.ceil((len(joined) - 1) / batch) / (len(joined) - 1)
        if len(joined) > 1
        else None,
        ddb_write_units=result.aws.ddb_write_units,
        ddb_write_units_engine=engine,
        ddb_items_written=result.aws.ddb_items_written,
        ddb_units_per_follow=result.aws.ddb_write_units / follows if follows else None,
        ddb_units_per_follow_engine=engine / follows if follows else None,
        ddb_units_by_table=units_by_table,
        ddb_units_by_source={k: v for k, v in by_source.items() if v},
        sends_by_source={k: v for k, v in sends.items() if v},
        ddb_reads=result.aws.ddb_reads,
        join_units_max=max((c.ddb_write_units for c in join_costs), default=0),
        join_items_max=max((c.ddb_items_written for c in join_costs), default=0),
        join_requests_max=max((c.ddb_write_requests for c in join_costs), default=0),
        join_roster_max=max((m.roster_size_at_join for m in joined), default=0),
        sqs_requests=sum(sqs_by_op.values()),
        sqs_by_op=sqs_by_op,
        rate_limited=limited,
        rate_limited_injected=limited_injected,
        windows_with_extra_429=extra_429,
        cap_violations=cap_violations(result, raw=False),
        cap_violations_raw=cap_violations(result, raw=True),
        roster_ratio_max=max(ratios) if ratios else None,
        roster_ratio_median=statistics.median(ratios) if ratios else None,
        roster_measured_members=measured,
        incoming_ratio_max=max(incoming) if incoming else None,
        roster_times=rows,
        budget_use=use if result.scenario.name.startswith("budget") else None,
        budget_windows=windows,
        lost_follows=lost,
        double_counts=double,
        unrecorded_follows=unrecorded,
        crashes=result.crashes,
        tokens_expired=result.tokens_expired,
        redriven=result.redriven,
        dead_lettered_left=result.dead_lettered,
        faults=dict(faults),
        largest_item_bytes=result.largest_item_bytes,
        errors=result.errors,
    )


def completion_curve(result: SimResult) -> list[tuple[float, float]]:
    """(virtual hours since the first join, share of the final roster's pairs followed)."""
    needed = max(1, result.scenario.members * (result.scenario.members - 1))
    return [(t / HOUR, 100.0 * done / needed) for t, done in result.progress]


def as_dict(metrics: Metrics) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(metrics)
    data.pop("roster_times")
    return data
