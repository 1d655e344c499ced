"""The cost model (bench/cost.py) on a fixture of measured counts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench import cost
from followswarm.settings import Settings

FIXTURE = Path(__file__).parent / "fixtures" / "bench-results.json"
SERVICES = {
    "Lambda",
    "DynamoDB",
    "SQS",
    "API Gateway (HTTP API)",
    "CloudFront",
    "WAF",
    "CloudWatch",
    "S3",
    "KMS",
    "Secrets Manager",
    "X-Ray",
}


def test_measured_counts_come_from_the_busiest_growth_scenario() -> None:
    measured = cost.load_measured(FIXTURE)
    assert measured.scenario == "growth-50"  # not the budget scenario, though it has more
    assert measured.follows == 2450
    assert measured.spotify_calls == pytest.approx(80 / 2450)
    assert measured.jobs == pytest.approx(64 / 2450)
    assert measured.ddb_write_units == pytest.approx(1.3)
    assert measured.ddb_reads == pytest.approx(2.0)
    assert measured.sqs_requests == pytest.approx(192 / 2450)
    assert measured.kms_requests is None


def test_busy_month_follows_follow_tier_caps_and_the_roster() -> None:
    settings = Settings.for_stage("dev")
    measured = cost.load_measured(FIXTURE)
    mix = {"free": 0.8, "pro": 0.15, "premium": 0.05}
    follows, limited_by = cost.follows_per_month(settings, 10_000, mix, measured)
    # free 100, pro 1,000; premium is unlimited by tier, so the roster (9,999) caps it
    # (pacing allows min(500 x 30.4, 30 x 730) = 15,208 a month).
    assert follows == pytest.approx(10_000 * (0.8 * 100 + 0.15 * 1000 + 0.05 * 9999))
    assert "tier caps" in limited_by
    tight = Settings.for_stage("dev", spotify_calls_per_hour=10)
    follows, limited_by = cost.follows_per_month(tight, 10_000, mix, measured)
    assert follows == pytest.approx(10 * cost.HOURS_PER_MONTH / measured.spotify_calls)
    assert "budget" in limited_by


def test_estimate_per_service_and_per_member() -> None:
    measured = cost.load_measured(FIXTURE)
    report = cost.estimate(10_000, measured, Settings.for_stage("dev"))
    by_service = {line.service: line.monthly_usd for line in report.lines}
    assert set(by_service) == SERVICES
    assert all(value > 0 for value in by_service.values())
    assert report.total == pytest.approx(sum(by_service.values()))
    assert report.per_member == pytest.approx(report.total / 10_000)
    # Deterministic, and plausible for a serverless stage of this size.
    assert report.as_json() == cost.estimate(10_000, measured, Settings.for_stage("dev")).as_json()
    assert 50 < report.total < 5_000
    # DynamoDB writes follow the measured units per follow exactly.
    wru = report.follows_per_month * measured.ddb_write_units
    assert by_service["DynamoDB"] > wru * cost.PRICES["dynamodb_wru"]


def test_api_traffic_scales_the_edge_services_linearly() -> None:
    measured = cost.load_measured(FIXTURE)
    settings = Settings.for_stage("dev")
    base = cost.Assumptions()
    one = cost.estimate(1000, measured, settings, base)
    two = cost.estimate(
        1000,
        measured,
        settings,
        replace(base, api_requests_per_member=2 * base.api_requests_per_member),
    )

    def line(report: cost.CostReport, name: str) -> float:
        return next(item.monthly_usd for item in report.lines if item.service == name)

    assert line(two, "API Gateway (HTTP API)") == pytest.approx(
        2 * line(one, "API Gateway (HTTP API)")
    )
    assert line(two, "CloudFront") == pytest.approx(2 * line(one, "CloudFront"))


def test_cli_prints_services_prices_date_and_total(capsys: pytest.CaptureFixture[str]) -> None:
    assert cost.main(["--members", "10000", "--results", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert cost.PRICES_AS_OF in out
    assert "10,000 members" in out
    for service in SERVICES:
        assert service in out
    assert "total" in out
    assert cost.main(["--members", "10", "--results", str(FIXTURE), "--json"]) == 0
    assert '"per_member_usd"' in capsys.readouterr().out
    assert cost.main(["--members", "10", "--results", "/no/such/file.json"]) == 2
