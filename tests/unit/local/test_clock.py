"""The virtual clock, the scheduler and the driver, without AWS."""

from __future__ import annotations

from typing import Any

import pytest

from followswarm.catalog import ScheduleSpec
from local.runtime.clock import ClockDriver, DrainResult, Scheduler, VirtualClock
from local.runtime.config import RuntimeConfig

START = 1_779_999_970.0  # 10 s past a minute boundary
TICK = ScheduleSpec("tick", "rate(1 minute)", 60, "dispatcher", "DispatchTick", "test")
HOURLY = ScheduleSpec("hourly", "rate(1 hour)", 3600, "rollup", "Rollup", "test")


def test_frozen_clock_moves_only_when_advanced() -> None:
    clock = VirtualClock(START)
    assert clock.now() == START
    assert clock.advance(5) == START + 5
    assert clock.advance_to(START) == START + 5  # never backwards
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_flowing_clock_follows_real_time_plus_offset() -> None:
    real = [100.0]
    clock = VirtualClock(START, flowing=True, real=lambda: real[0])
    real[0] += 2
    assert clock.now() == START + 2
    clock.advance(60)
    assert clock.now() == START + 62


class FakeDrainer:
    def __init__(self) -> None:
        self.drains = 0

    def drain(self) -> DrainResult:
        self.drains += 1
        return DrainResult()

    def next_visible_at(self) -> float | None:
        return None


def make_driver(
    schedules: tuple[ScheduleSpec, ...], fail: bool = False
) -> tuple[ClockDriver, list[tuple[str, dict[str, Any], float]], FakeDrainer]:
    clock = VirtualClock(START)
    calls: list[tuple[str, dict[str, Any], float]] = []

    def invoke(function: str, event: dict[str, Any]) -> None:
        calls.append((function, event, clock.now()))
        if fail:
            raise RuntimeError("boom")

    scheduler = Scheduler(
        schedules, invoke, now=clock.now(), region="us-east-1", account="123456789012"
    )
    drainer = FakeDrainer()
    return ClockDriver(clock, scheduler, [drainer]), calls, drainer


def test_advance_fires_each_boundary_at_its_own_time() -> None:
    driver, calls, drainer = make_driver((TICK,))
    result = driver.advance(180)
    assert [f.time for f in result.fired] == [START + 50, START + 110, START + 170]
    assert [at for _, _, at in calls] == [START + 50, START + 110, START + 170]
    assert result.now == START + 180
    assert drainer.drains >= 4  # once before and once after every step
    function, event, _ = calls[0]
    assert function == "dispatcher"
    assert event["detail-type"] == "DispatchTick"
    assert event["source"] == "aws.events"
    assert event["version"] == "0"
    assert event["detail"] == {}
    assert event["time"] == "2026-05-28T20:27:00Z"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/tick"]


def test_long_advance_fires_every_schedule_in_order() -> None:
    driver, calls, _ = make_driver((TICK, HOURLY))
    result = driver.advance(7200)
    assert sum(1 for f in result.fired if f.schedule == "tick") == 120
    assert sum(1 for f in result.fired if f.schedule == "hourly") == 2
    times = [at for _, _, at in calls]
    assert times == sorted(times)


def test_failed_schedules_are_reported_not_raised() -> None:
    driver, _, _ = make_driver((TICK,), fail=True)
    result = driver.advance(60)
    assert len(result.fired) == 1
    assert not result.fired[0].ok
    assert result.errors == ["tick: RuntimeError('boom')"]


def test_runtime_config_reads_the_environment() -> None:
    config = RuntimeConfig.from_env(
        {"SWARM_LOCAL_API_PORT": "4001", "SWARM_LOCAL_REALTIME": "true", "SWARM_LOCAL_SEED": "7"},
        stage="test",
    )
    assert (config.api_port, config.realtime, config.seed, config.stage) == (4001, True, 7, "test")
    assert config.spotify_port == 3002
    assert config.with_free_ports().moto_port == 0
