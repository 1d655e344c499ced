"""The virtual clock, the schedule (EventBridge stand-in) and the driver that moves time.

``ClockDriver.advance(seconds)`` walks from now to now + seconds in steps that stop at every
schedule boundary, every virtual visibility-timeout expiry and at most ``max_step`` seconds
apart. At each step it fires every schedule that fell due (invoking its function in-process
with an EventBridge "Scheduled Event") and drains the queues, so when ``advance`` returns,
everything that was due has run: deterministic and complete.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from followswarm.catalog import ScheduleSpec

log = logging.getLogger(__name__)

#: Never step further than this in one go (long advances still tick every minute).
DEFAULT_MAX_STEP_SECONDS = 60.0


def iso(epoch: float) -> str:
    """ISO 8601 UTC with a ``Z``, second precision, as EventBridge writes ``time``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class VirtualClock:
    """Thread-safe virtual time in epoch seconds.

    Frozen (tests): time moves only through :meth:`advance`. Flowing (``make run``): real time
    plus an offset, so tokens still expire while a person clicks around.
    """

    def __init__(
        self,
        start: float | None = None,
        *,
        flowing: bool = False,
        real: Callable[[], float] = time.time,
    ) -> None:
        self._real = real
        self._flowing = flowing
        self._real_base = real()
        self._virtual_base = self._real_base if start is None else float(start)
        self._lock = threading.Lock()

    @property
    def flowing(self) -> bool:
        return self._flowing

    def now(self) -> float:
        with self._lock:
            return self._now_locked()

    __call__ = now

    def _now_locked(self) -> float:
        if self._flowing:
            return self._virtual_base + (self._real() - self._real_base)
        return self._virtual_base

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (never backward) and return the new time."""
        if seconds < 0 or math.isnan(seconds):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._virtual_base += seconds
            return self._now_locked()

    def advance_to(self, epoch: float) -> float:
        """Move forward to ``epoch`` (a no-op if it is already past)."""
        with self._lock:
            current = self._now_locked()
            if epoch > current:
                self._virtual_base += epoch - current
            return self._now_locked()


@dataclass(frozen=True)
class FiredSchedule:
    schedule: str
    function: str
    time: float
    ok: bool
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "iso": iso(self.time)}


Invoke = Callable[[str, dict[str, Any]], Any]


class Scheduler:
    """Fires ``SCHEDULES`` on virtual time, aligned to multiples of ``every_seconds``."""

    def __init__(
        self,
        schedules: Sequence[ScheduleSpec],
        invoke: Invoke,
        *,
        now: float,
        region: str,
        account: str,
        rule_arns: dict[str, str] | None = None,
    ) -> None:
        self._schedules = tuple(schedules)
        self._invoke = invoke
        self._region = region
        self._account = account
        self._rule_arns = rule_arns or {}
        self._next_due = {s.name: _next_boundary(now, s.every_seconds) for s in self._schedules}
        self._lock = threading.Lock()

    def next_due(self) -> float | None:
        with self._lock:
            return min(self._next_due.values(), default=None)

    def rule_arn(self, schedule: ScheduleSpec) -> str:
        return self._rule_arns.get(
            schedule.name,
            f"arn:aws:events:{self._region}:{self._account}:rule/{schedule.name}",
        )

    def event(self, schedule: ScheduleSpec, at: float) -> dict[str, Any]:
        """The EventBridge "Scheduled Event" a rule delivers to its target."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": schedule.detail_type,
            "source": "aws.events",
            "account": self._account,
            "time": iso(at),
            "region": self._region,
            "resources": [self.rule_arn(schedule)],
            "detail": {},
        }

    def fire_due(self, now: float) -> list[FiredSchedule]:
        """Fire every schedule whose boundary is at or before ``now`` (each boundary once)."""
        fired: list[FiredSchedule] = []
        while True:
            with self._lock:
                due = [(at, s) for s in self._schedules if (at := self._next_due[s.name]) <= now]
                if not due:
                    return fired
                at, schedule = min(due, key=lambda pair: (pair[0], pair[1].name))
                self._next_due[schedule.name] = at + schedule.every_seconds
            try:
                self._invoke(schedule.function, self.event(schedule, at))
            except Exception as error:  # EventBridge would retry; we report and go on.
                log.exception("schedule %s: %s failed", schedule.name, schedule.function)
                fired.append(
                    FiredSchedule(schedule.name, schedule.function, at, False, repr(error))
                )
            else:
                fired.append(FiredSchedule(schedule.name, schedule.function, at, True))


def _next_boundary(now: float, every: int) -> float:
    return float((math.floor(now / every) + 1) * every)


class Drainer(Protocol):
    """A queue consumer that the driver runs to completion at each step."""

    def drain(self) -> DrainResult: ...

    def next_visible_at(self) -> float | None: ...


@dataclass
class DrainResult:
    batches: int = 0
    received: int = 0
    deleted: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DrainResult) -> None:
        self.batches += other.batches
        self.received += other.received
        self.deleted += other.deleted
        self.failed += other.failed
        self.errors.extend(other.errors)


@dataclass
class AdvanceResult:
    started: float
    now: float
    fired: list[FiredSchedule] = field(default_factory=list)
    queues: DrainResult = field(default_factory=DrainResult)
    ttl_deleted: int = 0

    @property
    def errors(self) -> list[str]:
        return [f"{f.schedule}: {f.error}" for f in self.fired if not f.ok] + self.queues.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "previous": self.started,
            "now": self.now,
            "iso": iso(self.now),
            "advanced": self.now - self.started,
            "fired": [f.to_json() for f in self.fired],
            "queues": asdict(self.queues),
            "ttl_deleted": self.ttl_deleted,
            "errors": self.errors,
        }


class ClockDriver:
    """Moves the virtual clock and runs what falls due; one step at a time, serially."""

    def __init__(
        self,
        clock: VirtualClock,
        scheduler: Scheduler,
        drainers: Sequence[Drainer] = (),
        sweep: Callable[[float], int] | None = None,
        *,
        max_step: float = DEFAULT_MAX_STEP_SECONDS,
    ) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.drainers = list(drainers)
        self._sweep = sweep
        self._max_step = max_step
        self._lock = threading.RLock()

    def advance(self, seconds: float) -> AdvanceResult:
        if seconds < 0 or math.isnan(seconds):
            raise ValueError("the clock only moves forward")
        with self._lock:
            start = self.clock.now()
            target = start + seconds
            result = AdvanceResult(started=start, now=start)
            # Whatever is already due runs first (e.g. after a real-time pause).
            self._step(result)
            while self.clock.now() < target:
                now = self.clock.now()
                stops = [target, now + self._max_step]
                stops += [t for t in (self.scheduler.next_due(),) if t is not None and t > now]
                stops += [t for d in self.drainers if (t := d.next_visible_at()) and t > now]
                self.clock.advance_to(min(stops))
                self._step(result)
            if self._sweep is not None:
                result.ttl_deleted += self._sweep(self.clock.now())
            result.now = self.clock.now()
            return result

    def tick(self, *, sweep: bool = False) -> AdvanceResult:
        """Run what is due at the current time (the real-time loop of ``make run``)."""
        with self._lock:
            now = self.clock.now()
            result = AdvanceResult(started=now, now=now)
            self._step(result)
            if sweep and self._sweep is not None:
                result.ttl_deleted += self._sweep(self.clock.now())
            result.now = self.clock.now()
            return result

    def drain(self) -> DrainResult:
        with self._lock:
            total = DrainResult()
            for drainer in self.drainers:
                total.add(drainer.drain())
            return total

    def _step(self, result: AdvanceResult) -> None:
        result.fired.extend(self.scheduler.fire_due(self.clock.now()))
        result.queues.add(self.drain())
