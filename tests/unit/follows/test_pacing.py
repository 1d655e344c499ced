"""Pacing rules: rolling hour, conservative rolling day, tier month, batch spacing."""

from __future__ import annotations

import pytest

from followswarm.domain.follows import pacing
from followswarm.settings import Settings

T0 = 1_780_000_000.0  # 2026-05-28T20:26:40Z
LIMITS = pacing.PacingLimits(per_hour=30, per_day=500, per_month=100, batch_size=10)


def test_fresh_ledger_allows_one_batch() -> None:
    assert pacing.allowance(LIMITS, pacing.Ledger(), T0) == 10


def test_rolling_hour_caps_and_frees_exactly_an_hour_later() -> None:
    ledger = pacing.Ledger()
    for minute in (0, 20, 40):
        ledger = ledger.with_reservation(10, T0 + minute * 60)
    assert pacing.allowance(LIMITS, ledger, T0 + 59 * 60) == 0
    assert pacing.next_allowance_at(LIMITS, ledger, T0 + 59 * 60, 10) == T0 + 3600
    assert pacing.allowance(LIMITS, ledger, T0 + 3600 + 1) == 10


def test_rolling_day_is_counted_conservatively() -> None:
    limits = pacing.PacingLimits(per_hour=1000, per_day=50, per_month=None, batch_size=40)
    ledger = pacing.Ledger().with_reservation(40, T0)
    assert pacing.allowance(limits, ledger, T0 + 60) == 10
    # The bucket's whole hour must leave the day before its follows stop counting.
    assert pacing.allowance(limits, ledger, T0 + 86400 + 1) == 10
    assert pacing.allowance(limits, ledger, T0 // 3600 * 3600 + 3600 + 86400 + 1) == 40


def test_month_cap_by_tier_and_reset_next_month() -> None:
    ledger = pacing.Ledger(month_key=pacing.month_key(T0), month_used=95)
    assert pacing.allowance(LIMITS, ledger, T0) == 5
    assert pacing.next_allowance_at(LIMITS, ledger, T0, 10) == pacing.next_month_start(T0)
    unlimited = pacing.PacingLimits(per_hour=30, per_day=500, per_month=None, batch_size=10)
    assert pacing.allowance(unlimited, ledger, T0) == 10


def test_tier_caps_from_settings() -> None:
    settings = Settings.for_stage("dev")
    assert pacing.PacingLimits.for_tier(settings, "free").per_month == 100
    assert pacing.PacingLimits.for_tier(settings, "pro").per_month == 1000
    assert pacing.PacingLimits.for_tier(settings, "premium").per_month is None
    # A batch never exceeds what an hour allows.
    assert pacing.PacingLimits.for_tier(settings, "free").batch_size == 30


def test_window_use_reports_resets() -> None:
    ledger = pacing.Ledger().with_reservation(10, T0)
    uses = {w.name: w for w in pacing.window_use(LIMITS, ledger, T0 + 10)}
    assert uses["hour"].used == 10
    assert uses["hour"].resets_at == T0 + 3600
    assert uses["month"].used == 10


def test_spacing_eta_and_lower_bound() -> None:
    assert pacing.batch_spacing_seconds(LIMITS) == 1200
    assert pacing.eta_seconds(LIMITS, 0) == 0
    # 500 a day is slower than 30 an hour over a day, so the day rate binds.
    assert pacing.eta_seconds(LIMITS, 60) == pytest.approx(60 / (500 / 86400), abs=1)
    assert pacing.lower_bound_seconds(LIMITS, 30) == 0
    assert pacing.lower_bound_seconds(LIMITS, 31) == 3600


def test_settings_refuse_batch_over_spotify_limit() -> None:
    with pytest.raises(ValueError, match="exceeds Spotify"):
        Settings.for_stage("dev", follow_batch_size=45)
    assert Settings.for_stage("dev", follow_batch_size=45, spotify_write_path="legacy")
    with pytest.raises(ValueError, match="reserved"):
        Settings.for_stage("dev", worker_max_concurrency=10, worker_reserved_concurrency=5)
