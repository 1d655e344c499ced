"""Pacing rules as pure functions over a member's ledger: no I/O, the clock passed in.

A ledger keeps the last hour's follows exactly (``hour_entries``) and the last day's in
per-hour buckets. A bucket counts toward the rolling day while any part of its hour is inside
the window, so the day is counted conservatively: the cap is never passed.

    >>> limits = PacingLimits(per_hour=30, per_day=500, per_month=100, batch_size=10)
    >>> ledger = Ledger().with_reservation(10, now=1_000_000)
    >>> allowance(limits, ledger, now=1_000_060)
    10
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from followswarm.settings import Settings, Tier

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class PacingLimits:
    per_hour: int
    per_day: int
    #: ``None`` is unlimited.
    per_month: int | None
    batch_size: int

    @classmethod
    def for_member_tier(cls, settings: Settings, tier: str | None) -> PacingLimits:
        """Limits for a stored tier; anything unknown paces as the free tier."""
        known: Tier = tier if tier in ("pro", "premium") else "free"  # type: ignore[assignment]
        return cls.for_tier(settings, known)

    @classmethod
    def for_tier(cls, settings: Settings, tier: Tier) -> PacingLimits:
        return cls(
            per_hour=settings.follows_per_hour,
            per_day=settings.follows_per_day,
            per_month=settings.monthly_cap(tier),
            batch_size=min(settings.follow_batch_size, settings.follows_per_hour),
        )


@dataclass(frozen=True)
class Ledger:
    hour_entries: tuple[tuple[float, int], ...] = ()
    day_buckets: dict[int, int] = field(default_factory=dict)
    month_key: str = ""
    month_used: float = 0

    def pruned(self, now: float) -> Ledger:
        """Drops what has left every window (keeps the stored item small)."""
        return replace(
            self,
            hour_entries=tuple((t, n) for t, n in self.hour_entries if t > now - HOUR),
            day_buckets={h: n for h, n in self.day_buckets.items() if h + HOUR > now - DAY},
            month_key=month_key(now),
            month_used=self.month_used if self.month_key == month_key(now) else 0,
        )

    def with_reservation(self, count: int, now: float) -> Ledger:
        ledger = self.pruned(now)
        bucket = int(now // HOUR * HOUR)
        buckets = dict(ledger.day_buckets)
        buckets[bucket] = buckets.get(bucket, 0) + count
        return replace(
            ledger,
            hour_entries=(*ledger.hour_entries, (now, count)),
            day_buckets=buckets,
            month_used=ledger.month_used + count,
        )


@dataclass(frozen=True)
class WindowUse:
    name: str
    used: int
    limit: int | None
    resets_at: float | None


def month_key(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y%m")


def next_month_start(now: float) -> float:
    moment = datetime.fromtimestamp(now, UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC).timestamp()


def window_use(limits: PacingLimits, ledger: Ledger, now: float) -> list[WindowUse]:
    """Used, limit and when the oldest counted follow leaves each window."""
    current = ledger.pruned(now)
    hour_used = sum(n for _, n in current.hour_entries)
    day_used = sum(current.day_buckets.values())
    hour_reset = min((t + HOUR for t, _ in current.hour_entries), default=None)
    day_reset = min((h + HOUR + DAY for h in current.day_buckets), default=None)
    return [
        WindowUse("hour", hour_used, limits.per_hour, hour_reset),
        WindowUse("day", day_used, limits.per_day, day_reset),
        WindowUse("month", int(current.month_used), limits.per_month, next_month_start(now)),
    ]


def allowance(limits: PacingLimits, ledger: Ledger, now: float) -> int:
    """How many follows may be reserved right now, at most one batch."""
    room = limits.batch_size
    for use in window_use(limits, ledger, now):
        if use.limit is not None:
            room = min(room, use.limit - use.used)
    return max(0, room)


def next_allowance_at(limits: PacingLimits, ledger: Ledger, now: float, wanted: int) -> float:
    """The earliest time at which ``wanted`` follows (>= 1) fit every window again."""
    wanted = max(1, min(wanted, limits.batch_size))
    current = ledger.pruned(now)
    candidates = [now]
    hour_used = sum(n for _, n in current.hour_entries)
    if hour_used + wanted > limits.per_hour:
        freed, need = 0, hour_used + wanted - limits.per_hour
        for stamp, count in sorted(current.hour_entries):
            freed += count
            if freed >= need:
                candidates.append(stamp + HOUR)
                break
    day_used = sum(current.day_buckets.values())
    if day_used + wanted > limits.per_day:
        freed, need = 0, day_used + wanted - limits.per_day
        for hour, count in sorted(current.day_buckets.items()):
            freed += count
            if freed >= need:
                candidates.append(hour + HOUR + DAY)
                break
    if limits.per_month is not None and current.month_used + wanted > limits.per_month:
        candidates.append(next_month_start(now))
    return max(candidates)


def batch_spacing_seconds(limits: PacingLimits) -> float:
    """Seconds between full batches that spend the hourly allowance evenly."""
    return HOUR * limits.batch_size / limits.per_hour


def lower_bound_seconds(limits: PacingLimits, follows: int) -> float:
    """The least time pacing allows for ``follows`` follows (ignoring the month cap)."""
    if follows <= 0:
        return 0.0
    by_hour = (follows - 1) // limits.per_hour * HOUR
    by_day = (follows - 1) // limits.per_day * DAY
    return float(max(by_hour, by_day))


def eta_seconds(limits: PacingLimits, pending: int) -> float | None:
    """Estimated seconds to finish ``pending`` follows at the paced rate; None if never."""
    if pending <= 0:
        return 0.0
    if limits.per_month == 0:
        return None
    rate_per_second = min(limits.per_hour / HOUR, limits.per_day / DAY)
    seconds = pending / rate_per_second
    return float(math.ceil(seconds))
