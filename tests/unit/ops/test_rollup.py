"""The daily rollup against a known dataset (moto in-process, a fixed day)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime

import boto3
import pytest
from moto import mock_aws

from followswarm.catalog import SCHEDULES
from followswarm.data.models import DailyStatModel, FollowJobModel, JobTarget, MemberModel
from followswarm.data.tables import bind_models, table_specs
from followswarm.domain.analytics import publish, rollup
from followswarm.settings import Settings
from local.runtime.clock import Scheduler

DAY = date(2026, 5, 28)
START = int(datetime(2026, 5, 28, tzinfo=UTC).timestamp())
END = START + 86400


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    # A local runtime may be live in this process (same pytest worker): leave its environment
    # and model bindings as they were afterwards.
    before = Settings()
    for name in list(os.environ):
        if name.startswith("SWARM_") or name == "AWS_ENDPOINT_URL":
            monkeypatch.delenv(name)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings.for_stage("unit", aws_endpoint_url=None)
    try:
        with mock_aws():
            ddb = boto3.client("dynamodb", region_name="us-east-1")
            for spec in table_specs(settings).values():
                ddb.create_table(**spec.create_table_kwargs())
            bind_models(settings)
            yield settings
    finally:
        bind_models(before)


def member(pk: str, tier: str, created: int, **fields: object) -> None:
    MemberModel(pk, spotify_user_id=f"u-{pk}", tier=tier, created_at=created, **fields).save()


def job(follower: str, job_id: str, completed: int, targets: list[tuple[str, str]]) -> None:
    FollowJobModel(
        follower,
        job_id,
        status="done",
        created_at=completed - 60,
        completed_at=completed,
        targets=[
            JobTarget(member_id=t, artist_id=f"a-{t}", seq=i + 1, status=s)
            for i, (t, s) in enumerate(targets)
        ],
    ).save()


@pytest.fixture
def dataset(tables: Settings) -> Settings:
    joined = {"roster_status": "joined"}
    member("m1", "free", START - 86400, **joined)
    member("m2", "pro", START - 86400, paused=True, **joined)
    member("m3", "premium", START + 3600, **joined)  # new that day
    member("m4", "free", START - 86400)  # signed in, never joined
    member("m5", "pro", END + 10, **joined)  # created after the day: not counted
    member("m6", "free", START - 86400, account_status="suspended", **joined)
    member("m7", "gold", START - 86400, **joined)  # unknown tier counts as free
    member("m8", "pro", START - 86400, reciprocity_blocked=True, **joined)
    # Lookup rows share the members table and are not members.
    from followswarm.data.models import ArtistClaimModel

    ArtistClaimModel("ARTIST#a-m1", member_id="m1").save()

    job("m1", "j1", START + 100, [("m2", "done"), ("m3", "done"), ("m4", "skipped")])
    job("m3", "j2", END - 1, [("m1", "done"), ("m2", "failed")])
    job("m2", "j0", START - 1, [("m1", "done")])  # the day before
    job("m1", "j3", END, [("m7", "done")])  # the day after
    return tables


def test_rollup_of_a_known_day(dataset: Settings) -> None:
    report = rollup.run(DAY, now=END + 300)

    assert report.day == "2026-05-28"
    assert report.members == {
        "m1": {
            "follows_done": 2,
            "follows_skipped": 1,
            "follows_failed": 0,
            "followers_received": 1,
        },
        "m2": {
            "follows_done": 0,
            "follows_skipped": 0,
            "follows_failed": 0,
            "followers_received": 1,
        },
        "m3": {
            "follows_done": 1,
            "follows_skipped": 0,
            "follows_failed": 1,
            "followers_received": 1,
        },
    }
    assert report.platform == {
        "members": 7,
        "active_members": 3,  # m1, m3, m7 (m2 paused, m6 suspended, m8 blocked, m4 not joined)
        "new_members": 1,
        "follows_completed": 3,
        "follows_failed": 1,
        "follows_skipped": 1,
        "members_by_tier": {"free": 4, "pro": 2, "premium": 1},
        "active_by_tier": {"free": 2, "pro": 0, "premium": 1},
    }
    assert report.rows_written == 4
    stored = DailyStatModel.get("PLATFORM", "2026-05-28")
    assert stored.values == report.platform
    assert stored.at == END + 300
    assert DailyStatModel.get("m1", "2026-05-28").values["follows_done"] == 2


def test_rollup_is_idempotent(dataset: Settings) -> None:
    first = rollup.run(DAY, now=END + 300)
    second = rollup.run(DAY, now=END + 900)
    assert first.platform == second.platform
    assert first.members == second.members
    assert sum(1 for _ in DailyStatModel.scan()) == 4


def test_day_to_roll_up_is_the_previous_utc_day() -> None:
    assert rollup.day_to_roll_up(END) == DAY  # the virtual clock fires at 00:00
    assert rollup.day_to_roll_up(END + 300) == DAY  # AWS fires at 00:05
    assert rollup.day_bounds(DAY) == (START, END)


def test_publish_emits_tier_gauges_with_the_service_dimension(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = rollup.RollupReport(
        day="2026-05-28",
        platform={
            "members": 7,
            "active_members": 3,
            "active_by_tier": {"free": 2, "pro": 0, "premium": 1},
        },
    )
    publish.publish(report, namespace="FollowSwarm/unit", service="followswarm")
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    tiers = {d["tier"]: d["MembersByTier"] for d in documents if "tier" in d}
    assert tiers == {"free": 2.0, "pro": 0.0, "premium": 1.0} or tiers == {
        "free": [2.0],
        "pro": [0.0],
        "premium": [1.0],
    }
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "FollowSwarm/unit"
        assert directive["Dimensions"] == [["service", "tier"]]
        assert document["service"] == "followswarm"


def test_daily_schedules_fire_from_the_virtual_clock() -> None:
    fired: list[tuple[str, str]] = []
    scheduler = Scheduler(
        [s for s in SCHEDULES if s.name in ("daily-rollup", "daily-backup")],
        lambda function, event: fired.append((function, event["detail-type"])),
        now=START + 3600,
        region="us-east-1",
        account="123456789012",
    )
    assert scheduler.next_due() == END
    scheduler.fire_due(END)
    assert sorted(fired) == [("analytics-rollup", "DailyRollup"), ("backup", "DailyBackup")]
