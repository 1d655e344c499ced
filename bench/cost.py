"""`make cost MEMBERS=10000`: the monthly AWS bill of one stage, per service and per member.

    python -m bench.cost --members 10000
    python -m bench.cost --members 10000 --tier-mix free=0.8,pro=0.15,premium=0.05 --json

The variable part comes from what `make bench` measured per completed follow (Spotify calls,
follow jobs, DynamoDB write units and reads, SQS requests), read from the machine-readable file
the bench writes (``python -m bench.run --json docs/bench-results.json``: a list of scenario
metrics, see ``bench.metrics.as_dict``). Pacing and tier caps come from ``Settings``; memory
sizes and schedules from the catalog; prices from :data:`PRICES` (us-east-1, as listed on the
AWS pricing pages on :data:`PRICES_AS_OF`). Everything else is an assumption, printed with the
result and overridable by flag. The model is for a *busy* month: every member follows at their
tier's pacing limit, capped by the roster and the app-wide Spotify budget.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from followswarm.catalog import FUNCTIONS, SCHEDULES, function_by_name
from followswarm.settings import Settings

DEFAULT_RESULTS = Path("docs/bench-results.json")
HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
GB = 1024**3

#: Date the prices below were read from the AWS pricing pages (us-east-1, on-demand, no free
#: tier, no savings plans). Check them again before quoting a bill.
PRICES_AS_OF = "2025-06-01"
PRICES: dict[str, float] = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,  # x86_64
    "dynamodb_wru": 0.625 / 1e6,  # on-demand, after the 2024-11-01 price cut
    "dynamodb_rru": 0.125 / 1e6,
    "dynamodb_storage_gb_month": 0.25,
    "dynamodb_pitr_gb_month": 0.20,
    "dynamodb_export_gb": 0.10,
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB chunk
    "apigw_http_request": 1.00 / 1e6,  # HTTP API, first 300 M
    "cloudfront_https_request": 0.0100 / 1e4,  # United States
    "cloudfront_transfer_gb": 0.085,  # first 10 TB to the internet
    "waf_web_acl_month": 5.00,
    "waf_rule_month": 1.00,
    "waf_request": 0.60 / 1e6,
    "cloudwatch_metric_month": 0.30,  # first 10,000 custom metrics
    "cloudwatch_alarm_metric_month": 0.10,  # standard resolution, per metric in the alarm
    "cloudwatch_dashboard_month": 3.00,
    "cloudwatch_logs_ingest_gb": 0.50,
    "cloudwatch_logs_store_gb_month": 0.03,
    "s3_storage_gb_month": 0.023,
    "s3_put_request": 0.005 / 1e3,
    "kms_key_month": 1.00,
    "kms_request": 0.03 / 1e4,
    "secrets_secret_month": 0.40,
    "secrets_api_call": 0.05 / 1e4,
    "xray_trace": 5.00 / 1e6,
}


@dataclass(frozen=True)
class Measured:
    """Per completed follow, from the bench (the busiest growth scenario)."""

    scenario: str
    follows: int
    spotify_calls: float
    jobs: float
    ddb_write_units: float
    ddb_reads: float
    sqs_requests: float
    kms_requests: float | None = None


@dataclass(frozen=True)
class Assumptions:
    """What the bench doesn't measure; each is a flag."""

    tier_mix: dict[str, float] = field(
        default_factory=lambda: {"free": 0.80, "pro": 0.15, "premium": 0.05}
    )
    api_requests_per_member: float = 300.0  # dashboard visits and polling, per month
    api_reads_per_request: float = 2.0  # the read routes' budget (<= 2 round trips)
    api_writes_per_request: float = 0.2
    response_kb: float = 4.0
    worker_ms: float = 800.0  # one Spotify call + DynamoDB per job
    api_ms: float = 80.0
    dispatcher_ms: float = 400.0
    daily_job_ms_per_member: float = 5.0  # rollup, backup, token rotation (scans)
    reciprocity_ms_per_member: float = 300.0  # one contains call per member per day
    messages_per_worker_invocation: float = 1.0  # batches of up to 5; 1 is the worst case
    idle_sqs_pollers: int = 5  # Lambda's event-source pollers (long polling, 20 s)
    log_kb_per_invocation: float = 1.5
    log_retention_months: float = 1.0
    months_running: float = 3.0  # how much history (edges, jobs, stats) is stored
    edge_bytes: int = 150
    job_bytes: int = 600
    member_bytes: int = 1500
    kms_requests_per_job: float = 2.0  # decrypt the token's data key; re-seal on refresh
    secret_fetches_per_invocation: float = 0.02  # cached for five minutes per container
    xray_sampled_per_second: float = 1.0
    xray_sampled_share: float = 0.05


@dataclass
class Line:
    service: str
    monthly_usd: float
    detail: str


@dataclass
class CostReport:
    members: int
    follows_per_month: float
    limited_by: str
    lines: list[Line]
    measured: Measured
    assumptions: Assumptions
    prices_as_of: str = PRICES_AS_OF

    @property
    def total(self) -> float:
        return sum(line.monthly_usd for line in self.lines)

    @property
    def per_member(self) -> float:
        return self.total / max(1, self.members)

    def as_json(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "follows_per_month": round(self.follows_per_month),
            "limited_by": self.limited_by,
            "total_usd": round(self.total, 2),
            "per_member_usd": round(self.per_member, 4),
            "services": {
                line.service: {
                    "monthly_usd": round(line.monthly_usd, 2),
                    "per_member_usd": round(line.monthly_usd / max(1, self.members), 5),
                    "detail": line.detail,
                }
                for line in self.lines
            },
            "measured_per_follow": asdict(self.measured),
            "assumptions": asdict(self.assumptions),
            "prices_as_of": self.prices_as_of,
            "prices": PRICES,
        }


# ------------------------------------------------------------------------------- inputs


def load_measured(path: Path) -> Measured:
    """The per-follow counts of the growth scenario with the most completed follows."""
    data = json.loads(path.read_text())
    scenarios = data if isinstance(data, list) else data.get("scenarios", [])
    growth = [s for s in scenarios if str(s.get("scenario", "")).startswith("growth")]
    candidates = [s for s in (growth or scenarios) if int(s.get("follows_completed") or 0) > 0]
    if not candidates:
        raise ValueError(f"{path}: no scenario with completed follows")
    best = max(candidates, key=lambda s: int(s["follows_completed"]))
    return measured_from(best)


def measured_from(scenario: Mapping[str, Any]) -> Measured:
    follows = int(scenario["follows_completed"])
    calls = sum(int(n) for n in (scenario.get("calls_by_kind") or {}).values())
    sqs_by_op = scenario.get("sqs_by_op") or {}
    jobs = int(sqs_by_op.get("SendMessage", 0)) + int(sqs_by_op.get("SendMessageBatch", 0))
    requests = scenario.get("aws_requests") or {}
    kms = sum(int(n) for k, n in requests.items() if str(k).startswith("kms:"))
    return Measured(
        scenario=str(scenario.get("scenario", "?")),
        follows=follows,
        spotify_calls=(calls or int(scenario.get("write_calls") or 0)) / follows,
        jobs=(jobs or int(scenario.get("write_calls") or 0)) / follows,
        ddb_write_units=int(scenario["ddb_write_units"]) / follows,
        ddb_reads=int(scenario["ddb_reads"]) / follows,
        sqs_requests=int(scenario.get("sqs_requests") or sum(map(int, sqs_by_op.values())))
        / follows,
        kms_requests=(kms / follows) if requests else None,
    )


def follows_per_month(
    settings: Settings, members: int, mix: Mapping[str, float], measured: Measured
) -> tuple[float, str]:
    """A busy month: each member at their tier's cap, within pacing, roster and budget."""
    pacing = min(
        settings.follows_per_day * DAYS_PER_MONTH, settings.follows_per_hour * HOURS_PER_MONTH
    )
    roster = max(0, members - 1)
    demand = 0.0
    limits: dict[str, float] = {}
    for tier, share in mix.items():
        cap = settings.monthly_cap(tier)  # type: ignore[arg-type]
        per_member = min(pacing, roster, cap if cap is not None else math.inf)
        limits[tier] = per_member
        demand += members * share * per_member
    budget = settings.spotify_calls_per_hour * HOURS_PER_MONTH / max(measured.spotify_calls, 1e-9)
    if budget < demand:
        return budget, f"app-wide Spotify budget ({settings.spotify_calls_per_hour}/h)"
    detail = ", ".join(f"{t} {v:,.0f}" for t, v in limits.items())
    return demand, f"tier caps and pacing (per member/month: {detail})"


# -------------------------------------------------------------------------------- model


def estimate(
    members: int,
    measured: Measured,
    settings: Settings | None = None,
    assumptions: Assumptions | None = None,
) -> CostReport:
    settings = settings or Settings()
    a = assumptions or Assumptions()
    p = PRICES
    follows, limited_by = follows_per_month(settings, members, a.tier_mix, measured)
    jobs = follows * measured.jobs
    spotify_calls = follows * measured.spotify_calls
    api_requests = members * a.api_requests_per_member
    lines: list[Line] = []

    # --- Lambda ---------------------------------------------------------------------------
    def gb(name: str) -> float:
        return function_by_name(name).memory_mb / 1024

    minute_ticks = sum(
        HOURS_PER_MONTH * 3600 / s.every_seconds for s in SCHEDULES if s.every_seconds < 3600
    )
    daily_runs = sum(
        HOURS_PER_MONTH * 3600 / s.every_seconds for s in SCHEDULES if s.every_seconds >= 3600
    )
    worker_invocations = jobs / a.messages_per_worker_invocation
    invocations = {
        "follow-worker": worker_invocations,
        "api": api_requests,
        "dispatcher": minute_ticks,
        "daily jobs": daily_runs,
    }
    gb_seconds = (
        worker_invocations * a.worker_ms / 1000 * gb("follow-worker")
        + api_requests * a.api_ms / 1000 * gb("api")
        + minute_ticks * a.dispatcher_ms / 1000 * gb("dispatcher")
        + DAYS_PER_MONTH * members * a.daily_job_ms_per_member / 1000 * 0.5 * 3
        + DAYS_PER_MONTH * members * a.reciprocity_ms_per_member / 1000 * gb("reciprocity")
    )
    total_invocations = sum(invocations.values())
    lines.append(
        Line(
            "Lambda",
            total_invocations * p["lambda_request"] + gb_seconds * p["lambda_gb_second"],
            f"{total_invocations:,.0f} invocations, {gb_seconds:,.0f} GB-s",
        )
    )

    # --- DynamoDB ---------------------------------------------------------------------------
    rollup_writes = DAYS_PER_MONTH * (members * 0.5 + 1)  # sparse: active members only
    wru = (
        follows * measured.ddb_write_units + api_requests * a.api_writes_per_request + rollup_writes
    )
    scan_rru = DAYS_PER_MONTH * members * math.ceil(a.member_bytes / 4096 * 2) / 2
    rru = (
        follows * measured.ddb_reads
        + api_requests * a.api_reads_per_request
        + scan_rru
        + DAYS_PER_MONTH * members * 3  # reciprocity: member, tokens, history per member
    )
    edges = min(members * max(0, members - 1), follows * a.months_running)
    storage_gb = (
        edges * a.edge_bytes
        + jobs * a.months_running * a.job_bytes
        + members * a.member_bytes
        + members * DAYS_PER_MONTH * a.months_running * 0.5 * 200
    ) / GB
    lines.append(
        Line(
            "DynamoDB",
            wru * p["dynamodb_wru"]
            + rru * p["dynamodb_rru"]
            + storage_gb * (p["dynamodb_storage_gb_month"] + p["dynamodb_pitr_gb_month"])
            + storage_gb * DAYS_PER_MONTH * p["dynamodb_export_gb"],
            f"{wru:,.0f} WRU, {rru:,.0f} RRU, {storage_gb:,.2f} GB stored with PITR, "
            f"{DAYS_PER_MONTH:.0f} daily exports",
        )
    )

    # --- SQS --------------------------------------------------------------------------------
    idle_polls = a.idle_sqs_pollers * 3 * 60 * HOURS_PER_MONTH  # one long poll per 20 s
    sqs = follows * measured.sqs_requests + idle_polls
    lines.append(
        Line(
            "SQS",
            sqs * p["sqs_request"],
            f"{sqs:,.0f} requests ({idle_polls:,.0f} of them event-source long polls)",
        )
    )

    # --- API Gateway, CloudFront, WAF -------------------------------------------------------
    lines.append(
        Line(
            "API Gateway (HTTP API)",
            api_requests * p["apigw_http_request"],
            f"{api_requests:,.0f} requests",
        )
    )
    transfer_gb = api_requests * a.response_kb * 1024 / GB
    lines.append(
        Line(
            "CloudFront",
            api_requests * p["cloudfront_https_request"]
            + transfer_gb * p["cloudfront_transfer_gb"],
            f"{api_requests:,.0f} HTTPS requests, {transfer_gb:,.1f} GB out",
        )
    )
    waf_rules = 4
    lines.append(
        Line(
            "WAF",
            p["waf_web_acl_month"]
            + waf_rules * p["waf_rule_month"]
            + api_requests * p["waf_request"],
            f"1 web ACL, {waf_rules} rules",
        )
    )

    # --- CloudWatch -------------------------------------------------------------------------
    functions = len(FUNCTIONS)
    alarm_metrics = 2 * functions + 7  # errors + throttles per function; 5xx rate has two
    custom_metrics = 14 + 3  # metric_names (service dimension) + one MembersByTier per tier
    log_gb = (total_invocations * a.log_kb_per_invocation * 1024) / GB
    lines.append(
        Line(
            "CloudWatch",
            alarm_metrics * p["cloudwatch_alarm_metric_month"]
            + 2 * p["cloudwatch_dashboard_month"]
            + custom_metrics * p["cloudwatch_metric_month"]
            + log_gb * p["cloudwatch_logs_ingest_gb"]
            + log_gb * a.log_retention_months * p["cloudwatch_logs_store_gb_month"],
            f"{alarm_metrics} alarm metrics, 2 dashboards, {custom_metrics} custom metrics, "
            f"{log_gb:,.1f} GB logs",
        )
    )

    # --- S3 (30 days of daily exports) ------------------------------------------------------
    export_gb = storage_gb * 30
    lines.append(
        Line(
            "S3",
            export_gb * p["s3_storage_gb_month"] + DAYS_PER_MONTH * 10 * 4 * p["s3_put_request"],
            f"{export_gb:,.2f} GB of exports kept 30 days",
        )
    )

    # --- KMS, Secrets Manager, X-Ray --------------------------------------------------------
    per_job = measured.kms_requests if measured.kms_requests is not None else None
    kms_requests = (
        follows * per_job if per_job is not None else jobs * a.kms_requests_per_job
    ) + 10 * 12 * HOURS_PER_MONTH  # DynamoDB's table-key data keys, ~ every 5 min per table
    lines.append(
        Line(
            "KMS",
            3 * p["kms_key_month"] + kms_requests * p["kms_request"],
            f"3 keys, {kms_requests:,.0f} requests",
        )
    )
    fetches = total_invocations * a.secret_fetches_per_invocation
    lines.append(
        Line(
            "Secrets Manager",
            4 * p["secrets_secret_month"] + fetches * p["secrets_api_call"],
            f"4 secrets, {fetches:,.0f} API calls",
        )
    )
    reservoir = a.xray_sampled_per_second * HOURS_PER_MONTH * 3600
    traces = min(
        total_invocations,
        reservoir + a.xray_sampled_share * max(0.0, total_invocations - reservoir),
    )
    lines.append(Line("X-Ray", traces * p["xray_trace"], f"{traces:,.0f} traces"))

    del spotify_calls  # counted in the budget check; Spotify itself charges nothing
    return CostReport(members, follows, limited_by, lines, measured, a)


# ---------------------------------------------------------------------------------- CLI


def render(report: CostReport) -> str:
    out = [
        f"Follow-Swarm monthly AWS cost for {report.members:,} members "
        f"(us-east-1 prices as of {report.prices_as_of})",
        f"follows this month: {report.follows_per_month:,.0f} (limited by {report.limited_by})",
        f"measured per follow ({report.measured.scenario}, {report.measured.follows:,} follows): "
        f"{report.measured.spotify_calls:.3f} Spotify calls, {report.measured.jobs:.3f} jobs, "
        f"{report.measured.ddb_write_units:.2f} WRU, {report.measured.ddb_reads:.2f} reads, "
        f"{report.measured.sqs_requests:.2f} SQS requests",
        "",
        f"{'service':<24}{'USD/month':>12}{'USD/member':>12}  detail",
    ]
    for line in sorted(report.lines, key=lambda item: -item.monthly_usd):
        out.append(
            f"{line.service:<24}{line.monthly_usd:>12,.2f}"
            f"{line.monthly_usd / max(1, report.members):>12,.4f}  {line.detail}"
        )
    out.append(f"{'total':<24}{report.total:>12,.2f}{report.per_member:>12,.4f}")
    return "\n".join(out)


def _mix(text: str) -> dict[str, float]:
    mix = {k.strip(): float(v) for k, v in (part.split("=") for part in text.split(","))}
    if abs(sum(mix.values()) - 1) > 1e-6 or set(mix) - {"free", "pro", "premium"}:
        raise argparse.ArgumentTypeError("tiers free/pro/premium with shares summing to 1")
    return mix


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument(
        "--tier-mix", type=_mix, default=None, help="free=0.8,pro=0.15,premium=0.05"
    )
    parser.add_argument("--api-requests-per-member", type=float, default=None)
    parser.add_argument("--follows-per-hour", type=int, default=None)
    parser.add_argument("--follows-per-day", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if not args.results.exists():
        print(
            f"{args.results} not found: run `python -m bench.run --json {args.results}` "
            "(make bench) first",
            file=sys.stderr,
        )
        return 2
    overrides = {
        k: v
        for k, v in {
            "follows_per_hour": args.follows_per_hour,
            "follows_per_day": args.follows_per_day,
        }.items()
        if v is not None
    }
    settings = Settings(**overrides)
    assumptions = Assumptions()
    if args.tier_mix:
        assumptions = replace(assumptions, tier_mix=args.tier_mix)
    if args.api_requests_per_member is not None:
        assumptions = replace(assumptions, api_requests_per_member=args.api_requests_per_member)
    report = estimate(args.members, load_measured(args.results), settings, assumptions)
    print(json.dumps(report.as_json(), indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
