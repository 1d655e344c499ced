"""Fault injection: error rates, forced 429s, latency, timeouts, "next N calls fail".

A rule (JSON, as posted to `/_fake/faults`)::

    {
      "endpoint": "*",          # "*" = every Web API call, or an operation name (OPERATIONS)
      "status": 503,            # or a list, e.g. [500, 502, 503]: one is picked at random
      "rate": 1.0,              # probability per matching call (seeded RNG; 1.0 = always)
      "count": 3,               # apply to the next N matching calls only (null = forever)
      "retry_after": 7,         # Retry-After header (for 429s; also sent with 503s if set)
      "latency": 0.0,           # seconds to sleep before answering
      "timeout": null,          # seconds to sleep, then answer 504 (a client timeout fires first)
      "message": "..."          # error message (optional)
    }

Rules are checked in order; every matching rule adds its latency, the first one with a
status (or timeout) decides the response.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

# Operation names usable as `endpoint`.
OPERATIONS = (
    "token",
    "me",
    "artist",
    "library_save",
    "library_remove",
    "library_contains",
    "follow",
    "unfollow",
    "following_contains",
    "following_list",
)

_MESSAGES = {
    429: "API rate limit exceeded",
    500: "Server error.",
    502: "Bad gateway.",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class FaultSpecError(ValueError):
    """A rule that does not make sense."""


@dataclass
class FaultRule:
    id: int
    endpoint: str = "*"
    statuses: list[int] = field(default_factory=list)
    rate: float = 1.0
    count: int | None = None
    retry_after: int | None = None
    latency: float = 0.0
    timeout: float | None = None
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, operation: str) -> bool:
        # "*" means the Web API; the token endpoint only fails when named explicitly, so a
        # blanket error rate does not also break every sign-in.
        if self.endpoint == "*":
            return operation != "token"
        return self.endpoint == operation


@dataclass
class FaultDecision:
    latency: float = 0.0
    status: int | None = None
    retry_after: int | None = None
    message: str | None = None
    timeout: float | None = None
    rule_id: int | None = None


def parse_rule(rule_id: int, spec: dict[str, Any]) -> FaultRule:
    endpoint = str(spec.get("endpoint", "*"))
    if endpoint != "*" and endpoint not in OPERATIONS:
        raise FaultSpecError(f"unknown endpoint {endpoint!r}; use '*' or one of {OPERATIONS}")
    raw_status = spec.get("status", spec.get("statuses"))
    if raw_status is None:
        statuses: list[int] = []
    elif isinstance(raw_status, list):
        statuses = [int(s) for s in raw_status]
    else:
        statuses = [int(raw_status)]
    if any(s < 400 or s > 599 for s in statuses):
        raise FaultSpecError("status must be 400..599")
    rate = float(spec.get("rate", 1.0))
    if not 0.0 <= rate <= 1.0:
        raise FaultSpecError("rate must be between 0 and 1")
    count = spec.get("count")
    timeout = spec.get("timeout")
    retry_after = spec.get("retry_after")
    rule = FaultRule(
        id=rule_id,
        endpoint=endpoint,
        statuses=statuses,
        rate=rate,
        count=None if count is None else int(count),
        retry_after=None if retry_after is None else int(retry_after),
        latency=float(spec.get("latency", 0.0)),
        timeout=None if timeout is None else float(timeout),
        message=spec.get("message"),
    )
    if not rule.statuses and rule.timeout is None and rule.latency <= 0:
        raise FaultSpecError("a rule needs a status, a timeout or a latency")
    return rule


class FaultInjector:
    """The active rules and a seeded RNG; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._rng = random.Random(seed)

    def reset(self) -> None:
        with self._lock:
            self._rules.clear()
            self._rng = random.Random(self._seed)

    def add(self, spec: dict[str, Any]) -> FaultRule:
        with self._lock:
            rule = parse_rule(self._next_id, spec)
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def decide(self, operation: str) -> FaultDecision:
        decision = FaultDecision()
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(operation):
                    continue
                decides = bool(rule.statuses) or rule.timeout is not None
                if decides and decision.status is not None and rule.latency <= 0:
                    continue  # already decided: leave this rule's count for later calls
                # Only roll for probabilistic rules, so deterministic rules do not shift the
                # random sequence of the others.
                if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                decision.latency += rule.latency
                if decision.status is None and decides:
                    decision.rule_id = rule.id
                    decision.timeout = rule.timeout
                    if rule.timeout is not None:
                        decision.status = 504
                    else:
                        decision.status = (
                            rule.statuses[0]
                            if len(rule.statuses) == 1
                            else self._rng.choice(rule.statuses)
                        )
                    decision.retry_after = rule.retry_after
                    if decision.status == 429 and decision.retry_after is None:
                        decision.retry_after = 1  # Spotify always sends Retry-After with 429
                    decision.message = rule.message or _MESSAGES.get(decision.status, "Error")
        return decision
