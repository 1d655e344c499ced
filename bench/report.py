"""docs/PERFORMANCE.md and the roster-completion PNG from the measured metrics."""

from __future__ import annotations

import math
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.metrics import Metrics, Target, completion_curve
from bench.sim import SimResult


def _num(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _verdict(passed: bool | None) -> str:
    return {True: "**PASS**", False: "**MISS**", None: "not measured"}[passed]


def targets(metrics: Sequence[Metrics], fault_follow_goal: int) -> list[Target]:
    growth = [m for m in metrics if m.scenario.startswith("growth")]
    budget = next((m for m in metrics if m.scenario.startswith("budget")), None)
    faults = [m for m in metrics if m.scenario.startswith("faults")]
    out: list[Target] = []

    per_1000 = [(m.scenario, m.write_calls_per_1000, m.write_calls_target) for m in growth]
    floors = [
        f"{m.scenario} {_num(m.write_calls_floor, 1)}"
        for m in growth
        if m.completed and m.write_calls_floor is not None
    ]
    out.append(
        Target(
            "Spotify write calls per 1,000 completed follows",
            ", ".join(f"{s}: {_num(v, 1)}" for s, v, _ in per_1000) or "n/a",
            "<= 1.02 x (1,000 / batch) = "
            + ", ".join(sorted({_num(t, 1) for _, _, t in per_1000})),
            all(v is not None and v <= t for _, v, t in per_1000) if per_1000 else None,
            "a complete roster of N needs at least ceil((N-1)/batch) calls per member: "
            + (", ".join(floors) if floors else "n/a")
            + " per 1,000 at best",
        )
    )
    units = [(m.scenario, m.ddb_units_per_follow, m.ddb_units_per_follow_engine) for m in growth]
    out.append(
        Target(
            "DynamoDB write units per completed follow",
            ", ".join(f"{s}: {_num(e)} (with joins {_num(a)})" for s, a, e in units) or "n/a",
            "<= 1.5",
            all(e is not None and e <= 1.5 for _, _, e in units) if units else None,
            "verdict on the follow engine's writes (dispatcher and follow-worker invocations, "
            "token refreshes and requeues included); in brackets everything after set-up, "
            "joins (own target) and the notifier's e-mails included",
        )
    )
    joins = [m for m in metrics if m.join_roster_max]
    worst = max(joins, key=lambda m: m.join_units_max, default=None)
    out.append(
        Target(
            "Roster join writes, at any roster size",
            "n/a"
            if worst is None
            else f"{worst.join_units_max} write units ({worst.join_items_max} items, "
            f"{worst.join_requests_max} requests); largest roster "
            f"{max(m.join_roster_max for m in joins):,}",
            "<= 10",
            None if worst is None else worst.join_units_max <= 10,
            "units count a transactional item twice, as DynamoDB bills it; "
            "includes the newcomer's first dispatch",
        )
    )
    timed = [m for m in growth if m.roster_ratio_max is not None]
    out.append(
        Target(
            "New member's time to full roster / pacing lower bound",
            ", ".join(
                f"{m.scenario}: max {_num(m.roster_ratio_max, 3)}, median "
                f"{_num(m.roster_ratio_median, 3)} over {m.roster_measured_members} members"
                for m in timed
            )
            or "n/a",
            "<= 1.05",
            all((m.roster_ratio_max or 0) <= 1.05 for m in timed) if timed else None,
            "own follows of members who joined a roster larger than one hour's allowance "
            "(lower bound > 0); being followed back is reported per scenario",
        )
    )
    if budget is not None:
        use_ok = budget.budget_use is not None and budget.budget_use >= 0.95
        out.append(
            Target(
                "App-wide Spotify budget use with a backlog",
                f"{_num(100 * (budget.budget_use or 0), 1)} % over {budget.budget_windows} "
                f"windows; windows with >1 429: {budget.windows_with_extra_429} "
                f"({budget.rate_limited} 429s in all)",
                ">= 95 %, no 429 beyond the first per window",
                use_ok and budget.windows_with_extra_429 == 0,
            )
        )
    else:
        out.append(Target("App-wide Spotify budget use with a backlog", "n/a", ">= 95 %", None))
    for m in faults:
        caps = sum(m.cap_violations.values())
        out.append(
            Target(
                f"Faults ({m.scenario}): lost / double-counted follows / cap violations",
                f"{m.lost_follows} / {m.double_counts} / {caps} over "
                f"{m.follows_completed:,} follows",
                f"0 / 0 / 0 over {fault_follow_goal:,} follows",
                m.lost_follows == 0 and m.double_counts == 0 and caps == 0,
                ""
                if m.follows_completed >= fault_follow_goal
                else f"this run simulated {m.follows_completed:,} follows; "
                f"`--fault-follows {fault_follow_goal}` runs the full size",
            )
        )
    if not faults:
        out.append(Target("Faults: lost / double / caps", "n/a", "0 / 0 / 0", None))
    return out


def _scenario_rows(metrics: Sequence[Metrics]) -> list[tuple[str, list[str]]]:
    def row(label: str, fn: Any) -> tuple[str, list[str]]:
        return label, [fn(m) for m in metrics]

    def kinds(m: Metrics) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in m.calls_by_kind.items()) or "none"

    def caps(c: dict[str, int]) -> str:
        return f"{c['hour']} / {c['day']} / {c['month']}"

    def rosters(m: Metrics) -> str:
        if m.roster_ratio_max is None:
            return "n/a (no member joined a roster above one hour's allowance)"
        return f"max {_num(m.roster_ratio_max, 3)}, median {_num(m.roster_ratio_median, 3)}"

    return [
        row("Members", lambda m: f"{m.members:,}"),
        row(
            "Virtual time driven",
            lambda m: (
                f"{_num(m.virtual_hours)} h"
                + (f" (complete at {_num(m.completion_hours)} h)" if m.completed else " (bounded)")
            ),
        ),
        row("Follows completed (edges `done`)", lambda m: f"{m.follows_completed:,}"),
        row(
            "Follow pairs on the stand-in / whole roster",
            lambda m: f"{m.standin_pairs:,} / {m.expected_pairs:,}",
        ),
        row("Spotify calls by kind", kinds),
        row("Spotify write calls", lambda m: f"{m.write_calls:,}"),
        row(
            "Write calls per 1,000 follows (target)",
            lambda m: f"{_num(m.write_calls_per_1000, 1)} ({_num(m.write_calls_target, 1)})",
        ),
        row("DynamoDB write units (all after set-up)", lambda m: f"{m.ddb_write_units:,}"),
        row(
            "... per completed follow (follow engine only)",
            lambda m: f"{_num(m.ddb_units_per_follow)} ({_num(m.ddb_units_per_follow_engine)})",
        ),
        row(
            "... by table",
            lambda m: ", ".join(f"{k} {v:,}" for k, v in sorted(m.ddb_units_by_table.items())),
        ),
        row(
            "... by source",
            lambda m: ", ".join(f"{k} {v:,}" for k, v in m.ddb_units_by_source.items()),
        ),
        row(
            "DynamoDB items written / read requests",
            lambda m: f"{m.ddb_items_written:,} / {m.ddb_reads:,}",
        ),
        row(
            "Join: write units / items / requests (max)",
            lambda m: f"{m.join_units_max} / {m.join_items_max} / {m.join_requests_max}",
        ),
        row("SQS requests", lambda m: f"{m.sqs_requests:,}"),
        row("... by operation", lambda m: ", ".join(f"{k} {v:,}" for k, v in m.sqs_by_op.items())),
        row(
            "SendMessage by source -> queue (delayed requeues are released by the bench: the rest of the total)",
            lambda m: ", ".join(f"{k} {v:,}" for k, v in m.sends_by_source.items()),
        ),
        row(
            "429s (injected) / windows with >1",
            lambda m: f"{m.rate_limited} ({m.rate_limited_injected}) / {m.windows_with_extra_429}",
        ),
        row(
            "Injected faults by status",
            lambda m: ", ".join(f"{k}: {v}" for k, v in sorted(m.faults.items())) or "none",
        ),
        row("Cap violations hour / day / month", lambda m: caps(m.cap_violations)),
        row("... counting replayed ids too", lambda m: caps(m.cap_violations_raw)),
        row("Time to own full roster / lower bound", rosters),
        row(
            "Time to be followed by the roster / same bound (max)",
            lambda m: _num(m.incoming_ratio_max, 3),
        ),
        row(
            "Budget use (full windows)",
            lambda m: (
                "n/a"
                if m.budget_use is None
                else f"{_num(100 * m.budget_use, 1)} % of {m.budget_windows} windows"
            ),
        ),
        row(
            "Lost / double-counted / unrecorded follows",
            lambda m: f"{m.lost_follows} / {m.double_counts} / {m.unrecorded_follows}",
        ),
        row(
            "Worker crashes / tokens expired / DLQ redriven / left in DLQ",
            lambda m: f"{m.crashes} / {m.tokens_expired} / {m.redriven} / {m.dead_lettered_left}",
        ),
        row(
            "Largest item: members / roster / usage (bytes)",
            lambda m: " / ".join(
                str(m.largest_item_bytes.get(k, 0)) for k in ("members", "roster", "usage")
            ),
        ),
        row("Wall time", lambda m: f"{_num(m.wall_seconds, 0)} s"),
    ]


def markdown(
    metrics: Sequence[Metrics],
    results: Sequence[SimResult],
    *,
    command: str,
    wall_seconds: float,
    seed: int,
    fault_follow_goal: int,
    png_name: str,
) -> str:
    lines = [
        "# Performance",
        "",
        f"Measured by `make bench` (`{command}`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {platform.machine()}; "
        f"total wall time **{wall_seconds:,.0f} s**; seed {seed}.",
        "",
        "Every scenario is a deterministic simulation on the local runtime's virtual clock: "
        "moto for DynamoDB/SQS/KMS, the Spotify stand-in enforcing its app-wide rate limit, "
        "the dispatch schedule firing every 60 virtual seconds and the follow queue drained by "
        "the real worker handler, in process.",
        "",
        "## Targets",
        "",
        "| Target | Measured | Target | Result | Notes |",
        "|---|---|---|---|---|",
    ]
    for t in targets(metrics, fault_follow_goal):
        lines.append(f"| {t.name} | {t.measured} | {t.target} | {_verdict(t.passed)} | {t.note} |")
    lines += ["", "## Scenarios", ""]
    lines.append("| | " + " | ".join(f"`{m.scenario}`" for m in metrics) + " |")
    lines.append("|---|" + "---|" * len(metrics))
    for label, cells in _scenario_rows(metrics):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "### Configuration", ""]
    for result in results:
        s = result.scenario
        settings = result.settings_full
        lines.append(
            f"- `{s.name}`: {s.members} members ({s.tier} tier) joining over "
            f"{s.join_seconds / 60:.0f} virtual min, run "
            + (
                "to completion"
                if s.max_seconds >= 24 * 3600
                else f"for at most {s.max_seconds / 3600:.2f} virtual h"
            )
            + f"; pacing {settings['follows_per_hour']}/h, {settings['follows_per_day']}/day, "
            f"batch {settings['follow_batch_size']}; app budget "
            f"{settings['spotify_calls_per_hour']} calls/h in "
            f"{settings['spotify_budget_window_seconds']} s windows; stand-in limit "
            f"{s.standin_rate_limit or 180} calls / 30 s"
            + (f"; overrides {s.settings}" if s.settings else "")
            + (f"; faults {s.faults}" if s.faults else "")
        )
    lines += [
        "",
        "## How it is measured",
        "",
        "- **Spotify calls** come from the stand-in's call log (`/_fake/calls`), by operation; "
        "`token` is the accounts service (refreshes). Write calls are `PUT /me/library` and "
        "`PUT /me/following`, whatever their status.",
        "- **DynamoDB write units** are computed at botocore's `_make_api_call` (every request "
        "of pynamodb, boto3, the handlers and the local SQS poller passes there): a put costs "
        "`ceil(item bytes / 1 KB)` by DynamoDB's sizing rules, a transactional item twice "
        "that, an update or delete 1 unit (it is billed on the stored item, which the request "
        "does not carry; the largest stored member, roster and usage items are listed above "
        "to show they stay under 1 KB). moto's `ReturnConsumedCapacity` is a flat 1.0 per "
        "request, so it is not used. Member set-up (sign-up, token vault, artist claim) is "
        "excluded; TTL sweeps of the local runtime are excluded (DynamoDB TTL is free).",
        "- **SQS requests**: every SQS request of the process: the dispatcher's and worker's "
        "`SendMessage` plus the event-source polling (`ReceiveMessage`, `DeleteMessageBatch`, "
        "`ChangeMessageVisibility`) as the local runtime performs it; requeues with a delay "
        "are held on the virtual clock by the bench (moto would delay them in real time).",
        "- **Cap violations** are checked on Spotify's side of the wire: per user, every "
        "successful write's new follows in the rolling hour `(t - 3600, t]`, day and month "
        "(the tier's cap) must stay within the pacing caps. The second line also counts ids "
        "re-sent by replays (a no-op at Spotify).",
        "- **Time to full roster**: for each member, the roster is everyone who joined before "
        "them; the time from their join until the stand-in shows them following all of those "
        "artists, against `pacing.lower_bound_seconds(limits, roster size)`; only members "
        "whose bound is above zero are rated (below one hour's allowance the bound is 0 and "
        "the 60-s dispatch tick alone exceeds 1.05 x 0).",
        "- **Budget use**: admitted Spotify API calls per full 30-s window from the first "
        "call, over `spotify_calls_per_hour / 120`; the stand-in's limit is set to the same "
        "number, so any overshoot shows as a 429.",
        "- **Lost / double / unrecorded**: after quiescing (dispatch stopped, dead letters "
        "redriven, queue empty): lost = `done` edges the stand-in does not have, plus (for a "
        "completed run) roster pairs missing on the stand-in; double = per member, |ledger "
        "`done` - `done` edges| + |`done` targets in job history - `done` edges|; unrecorded = "
        "follows on the stand-in with no `done` edge.",
        "",
        f"![Roster completion over virtual time]({png_name})",
        "",
    ]
    return "\n".join(lines)


def plot(results: Sequence[SimResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for result in results:
        curve = completion_curve(result)
        if not curve:
            continue
        xs, ys = zip(*curve, strict=True)
        ax.plot(xs, ys, label=f"{result.scenario.name} ({result.scenario.members} members)")
    ax.set_xlabel("virtual hours since the first join")
    ax.set_ylabel("roster pairs followed (% of N x (N - 1))")
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("Roster completion over time")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
