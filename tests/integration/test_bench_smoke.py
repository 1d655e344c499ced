"""`make bench` in miniature: a few members, with and without faults, counters consistent."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from bench import metrics
from bench.counters import AwsCounter
from bench.sim import HOUR, FaultPlan, Scenario, Simulation

pytestmark = pytest.mark.integration


@pytest.fixture
def counter() -> Iterator[AwsCounter]:
    counter = AwsCounter().install()
    yield counter
    counter.uninstall()


def _run(scenario: Scenario, counter: AwsCounter) -> metrics.Metrics:
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        result = Simulation(scenario, counter).run()
    assert not result.errors
    return metrics.compute(result)


def test_a_small_roster_completes_with_consistent_counters(counter: AwsCounter) -> None:
    m = _run(Scenario("growth-4", members=4, join_seconds=300, max_seconds=6 * HOUR), counter)
    assert m.completed
    assert m.follows_completed == m.standin_pairs == m.expected_pairs == 12
    assert m.lost_follows == m.double_counts == m.unrecorded_follows == 0
    assert sum(m.cap_violations.values()) == 0
    assert 0 < m.write_calls == m.calls_by_kind["library_save"]
    # Joins cost O(1) writes: the same for the first and the last member.
    assert 0 < m.join_units_max <= 10
    assert m.ddb_write_units >= m.ddb_items_written > m.follows_completed
    assert m.sqs_by_op["SendMessage"] >= m.write_calls
    assert m.rate_limited == 0


def test_faults_lose_and_double_count_nothing(counter: AwsCounter) -> None:
    plan = FaultPlan(
        rate_429=0.0,
        rate_5xx=0.2,
        rate_timeout=0.0,
        expire_every_seconds=300,
        crash_before_edges_every=3,
        crash_before_count_every=4,
    )
    scenario = Scenario("faults-4", members=4, join_seconds=300, max_seconds=12 * HOUR, faults=plan)
    m = _run(scenario, counter)
    assert m.completed
    assert m.crashes > 0
    assert m.lost_follows == m.double_counts == m.unrecorded_follows == 0
    assert sum(m.cap_violations.values()) == 0
    assert m.follows_completed == m.expected_pairs == 12
