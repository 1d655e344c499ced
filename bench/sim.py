"""One deterministic simulation: the local runtime, N members joining over virtual time.

Everything runs in this process on the runtime's virtual clock: the dispatch schedule fires
every 60 virtual seconds and the follow queue is drained by invoking the worker handler in
process, against moto and the Spotify stand-in (which enforces its app-wide rate limit).

Two gaps of the local runtime are bridged here, for the duration of a run only:

- SQS ``DelaySeconds`` (the worker's requeue after a rate limit or a 5xx) would run on moto's
  *real* clock. :class:`VirtualDelays` holds delayed sends and releases them when the virtual
  clock reaches their due time (a ``Drainer`` of the clock driver, so it stops there).
- Members are created without OAuth: a stand-in user, artist and token grant, then the
  identity domain (``upsert_from_spotify``, ``vault.store_tokens``) and an approved claim.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.counters import AwsCounter, Snapshot
from local.runtime import LocalRuntime, RuntimeConfig
from local.runtime.clock import DrainResult

#: 2026-05-28T20:26:40Z, as the integration tests use.
START_EPOCH = 1_780_000_000.0
WRITE_OPERATIONS = ("library_save", "follow")
HOUR = 3600


class SimulatedCrash(RuntimeError):
    """A worker killed mid-job (after its Spotify call, before its database writes)."""


@dataclass(frozen=True)
class FaultPlan:
    """What goes wrong in a fault run (all seeded, all on virtual time)."""

    rate_429: float = 0.02
    retry_after: int = 5
    rate_5xx: float = 0.03
    rate_timeout: float = 0.01
    timeout_seconds: float = 0.4
    client_timeout_seconds: float = 0.15
    #: Every this many virtual seconds one member's access token dies early (-> 401, refresh).
    expire_every_seconds: int = 600
    #: Every Nth ``edges.record`` raises (the worker dies after its Spotify call) ...
    crash_before_edges_every: int = 9
    #: ... and every Nth ledger completion raises (dies after the edges, before counting).
    crash_before_count_every: int = 13
    #: The admin redrives the dead-letter queue this often.
    redrive_every_seconds: int = 1800

    def rules(self) -> list[dict[str, Any]]:
        return [
            {
                "endpoint": "*",
                "status": 429,
                "rate": self.rate_429,
                "retry_after": self.retry_after,
            },
            {"endpoint": "*", "status": [500, 502, 503], "rate": self.rate_5xx},
            {"endpoint": "*", "timeout": self.timeout_seconds, "rate": self.rate_timeout},
        ]


@dataclass(frozen=True)
class Scenario:
    name: str
    members: int
    #: Members join evenly (with seeded jitter) over this many virtual seconds.
    join_seconds: int
    #: Stop at completion, or after this many virtual seconds from the first join.
    max_seconds: int
    settings: dict[str, Any] = field(default_factory=dict)
    #: The stand-in's app-wide rate limit (calls per window); ``None`` keeps its default.
    standin_rate_limit: int | None = None
    faults: FaultPlan | None = None
    tier: str = "premium"
    seed: int = 7
    #: After the run, drain what is in flight (dispatch stopped) so counters can be compared.
    quiesce: bool = True


@dataclass
class Member:
    index: int
    member_id: str
    user_id: str
    artist_id: str
    join_at: float
    joined: bool = False
    join_cost: Snapshot | None = None
    roster_size_at_join: int = 0


@dataclass
class SimResult:
    scenario: Scenario
    settings: dict[str, Any]
    #: Every setting the handlers ran with.
    settings_full: dict[str, Any]
    members: list[Member]
    calls: list[dict[str, Any]]
    #: AWS requests after member setup (joins, dispatch, worker, queue polling).
    aws: Snapshot
    #: Of which: during the joins only (``roster.join`` calls).
    joins: Snapshot
    #: Of which: inside each function's invocations (dispatcher, follow-worker, ...).
    by_function: dict[str, Snapshot]
    started_at: float
    #: When driving stopped (quiescing comes after, without new dispatches).
    ended_measure: float
    ended_at: float
    completed_at: float | None
    graph: dict[str, list[str]]
    ledger_done: dict[str, int]
    ledger_failed: dict[str, int]
    edges_done_by_follower: dict[str, int]
    #: (follower's Spotify user id, target artist id) of every ``done`` edge.
    edge_pairs: set[tuple[str, str]]
    edges_status: dict[str, int]
    history_done_by_member: dict[str, int]
    crashes: int
    tokens_expired: int
    redriven: int
    dead_lettered: int
    largest_item_bytes: dict[str, int]
    wall_seconds: float
    progress: list[tuple[float, int]]
    errors: list[str]


class VirtualDelays:
    """SQS ``DelaySeconds`` on the virtual clock (see the module docstring)."""

    def __init__(self, now: Callable[[], float], send: Callable[..., str]) -> None:
        self._now = now
        self._send = send
        self._held: list[tuple[float, int, str, dict[str, Any]]] = []
        self._seq = 0

    def send_json(self, queue_name: str, payload: dict[str, Any], *, delay_seconds: int = 0) -> str:
        if delay_seconds <= 0:
            return self._send(queue_name, payload)
        self._seq += 1
        self._held.append((self._now() + delay_seconds, self._seq, queue_name, payload))
        return f"held-{self._seq}"

    def held(self) -> int:
        return len(self._held)

    def next_visible_at(self) -> float | None:
        return min((h[0] for h in self._held), default=None)

    def drain(self) -> DrainResult:
        now = self._now()
        due = sorted(h for h in self._held if h[0] <= now)
        self._held = [h for h in self._held if h[0] > now]
        for _, _, queue_name, payload in due:
            self._send(queue_name, payload)
        return DrainResult()


class Simulation:
    def __init__(
        self,
        scenario: Scenario,
        counter: AwsCounter,
        *,
        on_progress: Callable[[str, float, int, int], None] | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.scenario = scenario
        self.counter = counter
        self.on_progress = on_progress or (lambda *_: None)
        self.data_dir = data_dir
        self.rng = random.Random(scenario.seed)
        self.members: list[Member] = []
        self.errors: list[str] = []
        self.crashes = 0
        self.tokens_expired = 0
        self.redriven = 0
        self._follows: dict[str, set[str]] = {}
        self._pairs_done = 0
        self._last_seq = 0
        self._calls: list[dict[str, Any]] = []
        self._progress: list[tuple[float, int]] = []
        self.by_function: dict[str, Snapshot] = {}

    # ------------------------------------------------------------------------------ run

    def run(self) -> SimResult:
        wall = time.perf_counter()
        with ExitStack() as stack:
            tmp = self.data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
            config = RuntimeConfig(
                data_dir=tmp,
                start_epoch=START_EPOCH,
                moto_mode="process",
                seed=self.scenario.seed,
                stage="bench",
                seed_demo_data=False,
                settings_overrides=self._settings_overrides(),
            ).with_free_ports()
            runtime = stack.enter_context(LocalRuntime(config))
            self.runtime = runtime
            stack.enter_context(self._virtual_delays())
            stack.enter_context(self._uncounted_ttl_sweeps())
            stack.enter_context(self._per_function_counts())
            self._configure_standin()
            self._create_members()
            if self.scenario.faults:
                stack.enter_context(self._crashes(self.scenario.faults))
            setup_done = self.counter.snapshot()
            joins = Snapshot()
            started = runtime.clock.now()
            completed_at = self._drive(started, joins)
            ended_measure = runtime.clock.now()
            if self.scenario.quiesce:
                self._quiesce()
            aws = self.counter.snapshot().minus(setup_done)
            self._read_calls()
            return SimResult(
                scenario=self.scenario,
                settings=self._settings_overrides(),
                settings_full=runtime.settings.model_dump(),
                members=self.members,
                calls=self._calls,
                aws=aws,
                joins=joins,
                by_function=self.by_function,
                started_at=started,
                ended_measure=ended_measure,
                ended_at=runtime.clock.now(),
                completed_at=completed_at,
                graph=self._get("/_fake/follows"),
                **self._tables(),
                crashes=self.crashes,
                tokens_expired=self.tokens_expired,
                redriven=self.redriven,
                dead_lettered=self._dead_lettered(),
                largest_item_bytes=self._largest_items(),
                wall_seconds=time.perf_counter() - wall,
                progress=self._progress,
                errors=self.errors,
            )

    def _settings_overrides(self) -> dict[str, Any]:
        overrides: dict[str, Any] = dict(self.scenario.settings)
        if self.scenario.faults:
            overrides.setdefault(
                "spotify_timeout_seconds", self.scenario.faults.client_timeout_seconds
            )
        return overrides

    @property
    def settings(self) -> Any:
        return self.runtime.settings

    # --------------------------------------------------------------------------- set-up

    def _get(self, path: str, **params: Any) -> Any:
        response = requests.get(f"{self.runtime.spotify_url}{path}", params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: Any) -> Any:
        response = requests.post(f"{self.runtime.spotify_url}{path}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def _configure_standin(self) -> None:
        config: dict[str, Any] = {"rate_limit_window_seconds": 30}
        if self.scenario.standin_rate_limit is not None:
            config["rate_limit_calls"] = self.scenario.standin_rate_limit
        self._post("/_fake/config", config)

    def _create_members(self) -> None:
        from followswarm.clients.spotify import SWARM_SCOPES
        from followswarm.data.models import MemberModel
        from followswarm.data.repositories import members as member_repo
        from followswarm.domain.identity import members, vault

        now = self.runtime.clock.now()
        scenario = self.scenario
        first_join = now + 60
        spacing = scenario.join_seconds / max(1, scenario.members)
        with _seeded_uuids(members, self.rng), _shared_connection(member_repo):
            for i in range(scenario.members):
                user = self._post("/_fake/users", {"display_name": f"Bench User {i}"})
                artist = self._post("/_fake/artists", {"name": f"Bench Artist {i}"})
                grant = self._post(
                    "/_fake/tokens", {"user_id": user["id"], "scopes": SWARM_SCOPES.split()}
                )
                member, _ = members.upsert_from_spotify(user["id"], f"Bench User {i}")
                vault.store_tokens(
                    member.pk,
                    vault.SpotifyTokens(
                        access_token=grant["access_token"],
                        refresh_token=grant["refresh_token"],
                        expires_at=int(now) + int(grant["expires_in"]),
                        scopes=frozenset(grant["scope"].split()),
                    ),
                )
                # An approved claim straight away (the artist lookup is the API's business).
                member_repo.claim_artist(member, artist["id"], artist["name"], "approved", int(now))
                member.update(actions=[MemberModel.tier.set(scenario.tier)])
                jitter = self.rng.uniform(0, spacing * 0.5) if i else 0.0
                self.members.append(
                    Member(
                        i,
                        member.pk,
                        user["id"],
                        artist["id"],
                        join_at=round(first_join + i * spacing + jitter),
                    )
                )
        self._by_user = {m.user_id: m for m in self.members}
        self._artists = {m.artist_id: m for m in self.members}

    # ---------------------------------------------------------------------------- drive

    def _drive(self, started: float, joins: Snapshot) -> float | None:
        from followswarm.domain.follows import roster

        runtime, scenario = self.runtime, self.scenario
        pending = sorted(self.members, key=lambda m: m.join_at)
        faults = scenario.faults
        next_expiry = started + (faults.expire_every_seconds if faults else 0)
        next_redrive = started + (faults.redrive_every_seconds if faults else 0)
        if faults:
            self._post("/_fake/faults", {"rules": faults.rules()})
        deadline = started + scenario.max_seconds
        needed = scenario.members * (scenario.members - 1)
        completed_at: float | None = None
        chunk = 300.0
        while True:
            now = runtime.clock.now()
            stops = [now + chunk, deadline]
            if pending:
                stops.append(pending[0].join_at)
            if faults:
                stops += [next_expiry, next_redrive]
            step = max(0.0, min(stops) - now)
            result = runtime.advance(step)
            self.errors += result.errors[:5]
            now = runtime.clock.now()
            while pending and pending[0].join_at <= now:
                member = pending.pop(0)
                member.roster_size_at_join = sum(1 for m in self.members if m.joined)
                with self.counter.measure() as cost:
                    roster.join(self.settings, member.member_id, now)
                member.join_cost = cost[0]
                member.joined = True
                _accumulate(joins, cost[0])
            if faults and now >= next_expiry:
                self._expire_a_token()
                next_expiry += faults.expire_every_seconds
            if faults and now >= next_redrive:
                self._redrive()
                next_redrive += faults.redrive_every_seconds
            self._read_calls()
            self._progress.append((now - started, self._pairs_done))
            self.on_progress(scenario.name, now - started, self._pairs_done, needed)
            if not pending and self._pairs_done >= needed and completed_at is None:
                completed_at = self._completion_time()
                break
            if now >= deadline:
                break
        if faults:
            requests.delete(f"{runtime.spotify_url}/_fake/faults", timeout=30)
        return completed_at

    def _completion_time(self) -> float:
        return max(c["time"] for c in self._calls if _is_write(c) and c["status"] < 300)

    def _expire_a_token(self) -> None:
        joined = [m for m in self.members if m.joined]
        if not joined:
            return
        victim = self.rng.choice(joined)
        # Access tokens only: the refresh token still works, as after a real expiry.
        self._post(f"/_fake/users/{victim.user_id}/revoke", {"access": True, "refresh": False})
        self.tokens_expired += 1

    def _redrive(self) -> None:
        from followswarm.domain.follows import jobs_service

        self.redriven += jobs_service.redrive_dead_letters(self.settings, limit=10_000)

    def _quiesce(self) -> None:
        """Stop dispatching, redrive the DLQ, and run until nothing is queued or held."""
        runtime = self.runtime
        with runtime.invoker.override("dispatcher", lambda event, context: {"stopped": True}):
            for _ in range(240):
                if self.scenario.faults:
                    self._redrive()
                runtime.advance(60)
                if self._quiet():
                    break
            else:
                self.errors.append("queue did not go quiet within 4 virtual hours")

    def _quiet(self) -> bool:
        if self._delays.held():
            return False
        with self.counter.suspended():
            status = self.runtime.queue_status()
        for name, depth in status.items():
            if name != self.settings.follow_queue_name:
                continue
            busy = depth["visible"] + depth["in_flight"] + depth["delayed"]
            if busy or depth.get("waiting_for_visibility"):
                return False
        return True

    # --------------------------------------------------------------------- observation

    def _read_calls(self) -> None:
        calls = self._get("/_fake/calls", after=self._last_seq)["calls"]
        for call in calls:
            self._last_seq = max(self._last_seq, call["seq"])
            self._calls.append(call)
            if not (_is_write(call) and call["status"] < 300):
                continue
            followed = self._follows.setdefault(call["user_id"], set())
            follower = self._by_user.get(call["user_id"])
            for artist_id in written_ids(call):
                target = self._artists.get(artist_id)
                if target is None or target is follower or artist_id in followed:
                    continue
                followed.add(artist_id)
                self._pairs_done += 1

    def _tables(self) -> dict[str, Any]:
        from followswarm.data.models import FollowEdgeModel, FollowJobModel, UsageWindowModel

        ids = [m.member_id for m in self.members]
        ledgers = {i.pk: i for i in UsageWindowModel.batch_get([(m, "LEDGER") for m in ids])}
        edges_done: dict[str, int] = dict.fromkeys(ids, 0)
        statuses: dict[str, int] = {}
        by_id = {m.member_id: m for m in self.members}
        pairs: set[tuple[str, str]] = set()
        for edge in FollowEdgeModel.scan():
            statuses[edge.status] = statuses.get(edge.status, 0) + 1
            if edge.status == "done":
                edges_done[edge.sk] = edges_done.get(edge.sk, 0) + 1
                pairs.add((by_id[edge.sk].user_id, str(edge.artist_id)))
        history: dict[str, int] = dict.fromkeys(ids, 0)
        for job in FollowJobModel.scan():
            history[job.pk] = history.get(job.pk, 0) + sum(
                1 for t in job.targets if t.status == "done"
            )
        return {
            "ledger_done": {m: int(ledgers[m].done or 0) if m in ledgers else 0 for m in ids},
            "ledger_failed": {m: int(ledgers[m].failed or 0) if m in ledgers else 0 for m in ids},
            "edges_done_by_follower": edges_done,
            "edges_status": statuses,
            "edge_pairs": pairs,
            "history_done_by_member": history,
        }

    def _dead_lettered(self) -> int:
        with self.counter.suspended():
            status = self.runtime.queue_status()
        depth = status.get(self.settings.follow_dlq_name, {})
        return int(depth.get("visible", 0) + depth.get("in_flight", 0))

    def _largest_items(self) -> dict[str, int]:
        """Largest stored item per table whose updates we count as one unit each."""
        from bench.counters import item_size

        client = self.runtime.aws.dynamodb
        largest: dict[str, int] = {}
        for logical in ("members", "roster", "usage"):
            table = getattr(self.settings, f"{logical}_table")
            size = 0
            for page in client.get_paginator("scan").paginate(TableName=table):
                for item in page["Items"]:
                    size = max(size, item_size(item))
            largest[logical] = size
        return largest

    # ------------------------------------------------------------------------ patching

    @contextmanager
    def _virtual_delays(self) -> Iterator[None]:
        from followswarm.clients import queues

        original = queues.send_json
        self._delays = VirtualDelays(self.runtime.clock.now, original)
        queues.send_json = self._delays.send_json  # type: ignore[assignment]
        drainers = self.runtime.driver.drainers
        drainers.insert(0, self._delays)
        try:
            yield
        finally:
            queues.send_json = original
            drainers.remove(self._delays)

    @contextmanager
    def _per_function_counts(self) -> Iterator[None]:
        """Attributes AWS requests to the function whose invocation made them."""
        invoker: Any = self.runtime.invoker
        original = invoker.handler

        def handler(function: str) -> Callable[[dict[str, Any], Any], Any]:
            inner = original(function)

            def counted(event: dict[str, Any], context: Any) -> Any:
                box: list[Snapshot] = []
                try:
                    with self.counter.measure() as box:
                        return inner(event, context)
                finally:
                    if box:
                        _accumulate(self.by_function.setdefault(function, Snapshot()), box[0])

            return counted

        invoker.handler = handler
        try:
            yield
        finally:
            del invoker.handler

    @contextmanager
    def _uncounted_ttl_sweeps(self) -> Iterator[None]:
        """The runtime's TTL sweeper stands in for DynamoDB TTL, which AWS does for free."""
        driver: Any = self.runtime.driver
        original = driver._sweep

        def sweep(now: float) -> int:
            with self.counter.suspended():
                return int(original(now))

        driver._sweep = sweep if original else None
        try:
            yield
        finally:
            driver._sweep = original

    @contextmanager
    def _crashes(self, plan: FaultPlan) -> Iterator[None]:
        from followswarm.data.repositories import edges, ledger

        original_record, original_completion = edges.record, ledger.save_completion
        calls = {"edges": 0, "count": 0}

        def record(*args: Any, **kwargs: Any) -> int:
            calls["edges"] += 1
            if calls["edges"] % plan.crash_before_edges_every == 0:
                self.crashes += 1
                raise SimulatedCrash("worker killed after the Spotify call")
            return original_record(*args, **kwargs)

        def save_completion(*args: Any, **kwargs: Any) -> None:
            calls["count"] += 1
            if calls["count"] % plan.crash_before_count_every == 0:
                self.crashes += 1
                raise SimulatedCrash("worker killed after writing edges, before counting")
            original_completion(*args, **kwargs)

        edges.record = record  # type: ignore[assignment]
        ledger.save_completion = save_completion  # type: ignore[assignment]
        try:
            yield
        finally:
            edges.record = original_record  # type: ignore[assignment]
            ledger.save_completion = original_completion  # type: ignore[assignment]


def _is_write(call: dict[str, Any]) -> bool:
    return call.get("operation") in WRITE_OPERATIONS


def written_ids(call: dict[str, Any]) -> list[str]:
    """Artist ids of a write call, from either write path's query string."""
    query = call.get("query") or {}
    if call.get("operation") == "library_save":
        raw = query.get("uris", "")
        return [u.rsplit(":", 1)[-1] for u in raw.split(",") if u]
    raw = query.get("ids", "")
    return [i for i in raw.split(",") if i]


def _accumulate(total: Snapshot, part: Snapshot) -> None:
    total.requests.update(part.requests)
    total.ddb_write_requests += part.ddb_write_requests
    total.ddb_items_written += part.ddb_items_written
    total.ddb_write_units += part.ddb_write_units
    total.ddb_write_units_by_table.update(part.ddb_write_units_by_table)
    total.ddb_reads += part.ddb_reads
    total.sqs_sends.update(part.sqs_sends)


@contextmanager
def _shared_connection(module: Any) -> Iterator[None]:
    """One pynamodb connection for the member repository's transactions during set-up.

    ``members._connection()`` builds a new Connection (so a new botocore client, ~0.1 s of
    model loading) per transaction; over hundreds of members that is minutes of set-up.
    """
    original = module._connection
    shared = original()
    module._connection = lambda: shared
    try:
        yield
    finally:
        module._connection = original


@contextmanager
def _seeded_uuids(module: Any, rng: random.Random) -> Iterator[None]:
    """Member ids from the seed, so runs (and the jitter seeded by member id) repeat."""

    class _Uuid:
        @staticmethod
        def uuid4() -> uuid.UUID:
            return uuid.UUID(int=rng.getrandbits(128), version=4)

    original = module.uuid
    module.uuid = _Uuid
    try:
        yield
    finally:
        module.uuid = original
