"""`make bench`: simulate the swarm on the virtual clock and write docs/PERFORMANCE.md.

python -m bench.run                      # 50 members to completion, 500 bounded, budget, faults
python -m bench.run --members 50 --no-faults
python -m bench.run --fault-follows 100000   # the brief's full fault run (hours of wall time)
"""

from __future__ import annotations

import os

# Before any followswarm import: the handlers' loggers and metrics read these at import.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

import argparse
import contextlib
import json
import logging
import math
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bench import metrics as bench_metrics
from bench import report
from bench.counters import AwsCounter
from bench.sim import HOUR, FaultPlan, Scenario, SimResult, Simulation

#: Runs meant to finish are still stopped here (virtual time), whatever happens.
COMPLETION_CAP_SECONDS = 48 * HOUR


def members_for_follows(follows: int) -> int:
    """The smallest roster whose full swarm is at least ``follows`` follows: N (N - 1)."""
    return math.ceil((1 + math.sqrt(1 + 4 * follows)) / 2)


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    out: list[Scenario] = []
    join = int(args.join_minutes * 60)
    for n in args.members:
        full = n <= args.full_max
        out.append(
            Scenario(
                name=f"growth-{n}",
                members=n,
                join_seconds=join,
                max_seconds=COMPLETION_CAP_SECONDS if full else int(args.bounded_hours * HOUR),
                seed=args.seed,
                quiesce=True,
            )
        )
    if args.budget:
        # A backlog: demand (members x 15 calls/h at batch 2) above a small app budget, and
        # the stand-in limited to exactly that budget so any overshoot is a 429.
        per_window = args.budget_per_window
        out.append(
            Scenario(
                name="budget-backlog",
                members=args.budget_members,
                join_seconds=0,
                max_seconds=int(args.budget_minutes * 60),
                settings={
                    "follow_batch_size": 2,
                    "spotify_calls_per_hour": per_window * 120,
                    "spotify_budget_window_seconds": 30,
                },
                standin_rate_limit=per_window,
                seed=args.seed,
            )
        )
    if args.faults:
        n = members_for_follows(args.fault_follows) if args.fault_follows else args.fault_members
        out.append(
            Scenario(
                name=f"faults-{n}",
                members=n,
                join_seconds=join,
                max_seconds=COMPLETION_CAP_SECONDS,
                faults=FaultPlan(),
                seed=args.seed,
            )
        )
    return out


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[50, 500])
    parser.add_argument(
        "--full-max",
        type=int,
        default=100,
        help="rosters up to this size run to completion; larger ones for --bounded-hours",
    )
    parser.add_argument("--bounded-hours", type=float, default=0.75)
    parser.add_argument("--join-minutes", type=float, default=30)
    parser.add_argument("--faults", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--fault-members", type=int, default=50)
    parser.add_argument(
        "--fault-follows",
        type=int,
        default=0,
        help="size the fault run by follows instead (100000 -> 318 members; takes hours)",
    )
    parser.add_argument("--budget", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--budget-members", type=int, default=20)
    parser.add_argument("--budget-minutes", type=float, default=15)
    parser.add_argument("--budget-per-window", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("docs/PERFORMANCE.md"))
    parser.add_argument("--png", type=Path, default=None, help="default: next to --out")
    parser.add_argument("--json", type=Path, default=None, help="also dump the metrics here")
    return parser.parse_args(argv)


def run_all(
    args: argparse.Namespace, console: Console
) -> tuple[list[SimResult], list[bench_metrics.Metrics]]:
    counter = AwsCounter().install()
    results: list[SimResult] = []
    computed: list[bench_metrics.Metrics] = []
    planned = scenarios(args)
    columns = (
        TextColumn("[bold]{task.description:<18}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}% of pairs"),
        TextColumn("{task.fields[virtual]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, TaskID] = {
            s.name: progress.add_task(s.name, total=s.members * (s.members - 1), virtual="")
            for s in planned
        }

        def on_progress(name: str, elapsed: float, done: int, needed: int) -> None:
            progress.update(tasks[name], completed=done, virtual=f"virtual {elapsed / HOUR:5.2f} h")

        for scenario in planned:
            progress.update(tasks[scenario.name], virtual="setting up")
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                result = Simulation(scenario, counter, on_progress=on_progress).run()
            results.append(result)
            computed.append(bench_metrics.compute(result))
    counter.uninstall()
    return results, computed


def summary_table(metrics: Sequence[bench_metrics.Metrics], fault_goal: int) -> Table:
    table = Table(title="Targets")
    for column in ("Target", "Measured", "Target", "Result"):
        table.add_column(column, overflow="fold")
    for t in report.targets(metrics, fault_goal):
        verdict = {True: "[green]PASS", False: "[red]MISS", None: "[yellow]n/a"}[t.passed]
        table.add_row(t.name, t.measured, t.target, verdict)
    return table


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    console = Console(file=sys.__stdout__)
    started = time.perf_counter()
    results, computed = run_all(args, console)
    wall = time.perf_counter() - started
    fault_goal = 100_000
    png = args.png or args.out.parent / "roster-completion.png"
    report.plot(results, png)
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        report.markdown(
            computed,
            results,
            command=command.strip(),
            wall_seconds=wall,
            seed=args.seed,
            fault_follow_goal=fault_goal,
            png_name=os.path.relpath(png, args.out.parent),
        )
    )
    if args.json:
        args.json.write_text(
            json.dumps([bench_metrics.as_dict(m) for m in computed], indent=2, default=str)
        )
    console.print(summary_table(computed, fault_goal))
    console.print(f"wrote {args.out} and {png} in {wall:,.0f} s")
    for m in computed:
        for error in m.errors[:3]:
            console.print(f"[yellow]{m.scenario}: {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
