"""The follows-per-day series lists every day of the period, quiet days included."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from followswarm.domain.follows.views import _days

NOW = datetime(2026, 5, 28, 20, 0, tzinfo=UTC).timestamp()
DAY = 86400


def test_a_bounded_period_runs_from_its_first_day_to_today() -> None:
    days = _days(NOW - 7 * DAY, Counter({"2026-05-25": 3}), NOW)
    assert days[0] == "2026-05-21"
    assert days[-1] == "2026-05-28"
    assert len(days) == 8


def test_all_time_starts_at_the_first_day_with_follows() -> None:
    assert _days(None, Counter({"2026-05-27": 1, "2026-05-26": 2}), NOW) == [
        "2026-05-26",
        "2026-05-27",
        "2026-05-28",
    ]
    assert _days(None, Counter(), NOW) == []
