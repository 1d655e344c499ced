"""The follow engine end to end on the local runtime: members join, time passes, the swarm fills.

Members are created straight through the identity domain (sign-in itself is covered by the
auth tests); everything after that — join, dispatch ticks, SQS batches, the worker, Spotify —
runs as deployed. Checked against the stand-in's own follow graph and call log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from followswarm.clients.spotify import SWARM_SCOPES
from followswarm.data.repositories import edges as edge_repo
from followswarm.data.repositories import ledger as ledger_repo
from followswarm.domain.follows import roster, views
from followswarm.domain.identity import members, vault
from local.runtime import LocalRuntime, RuntimeConfig
from tests.integration.signin import bearer, new_user, sign_in_api_client

START_EPOCH = 1_780_000_000.0
PER_HOUR = 6
BATCH = 3


def _runtime(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    *,
    per_hour: int = PER_HOUR,
    batch: int = BATCH,
    **overrides: Any,
) -> LocalRuntime:
    config = RuntimeConfig(
        data_dir=tmp_path_factory.mktemp(name),
        start_epoch=START_EPOCH,
        moto_mode="process",
        seed=7,
        seed_demo_data=False,
        settings_overrides={
            "follows_per_hour": per_hour,
            "follows_per_day": 500,
            "follow_batch_size": batch,
            "dispatch_jitter_seconds": 0,
            **overrides,
        },
    ).with_free_ports()
    return LocalRuntime(config)


class Swarm:
    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.spotify = runtime.spotify_url
        self.members: dict[str, tuple[str, str]] = {}  # member id -> (spotify user, artist)

    def fake(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.spotify}/_fake/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def add_member(self, index: int) -> str:
        user = self.fake("POST", "users", json={"id": f"artist-user-{index}"})
        artist = self.fake("POST", "artists", json={"name": f"Band {index}"})
        minted = self.fake("POST", "tokens", json={"user_id": user["id"], "scopes": SWARM_SCOPES})
        member, _ = members.upsert_from_spotify(user["id"], f"Artist {index}")
        vault.store_tokens(
            member.pk,
            vault.SpotifyTokens(
                access_token=minted["access_token"],
                refresh_token=minted["refresh_token"],
                expires_at=int(self.runtime.clock.now()) + int(minted["expires_in"]),
                scopes=frozenset(SWARM_SCOPES.split()),
            ),
        )
        members.claim_artist(member.pk, artist["id"])
        roster.join(self.runtime.settings, member.pk, self.runtime.clock.now())
        self.members[member.pk] = (user["id"], artist["id"])
        return str(member.pk)

    def graph(self) -> dict[str, set[str]]:
        return {u: set(a) for u, a in self.fake("GET", "follows").items()}

    def missing_edges(self) -> list[tuple[str, str]]:
        graph = self.graph()
        missing = []
        for follower, (user, _) in self.members.items():
            for target, (_, artist) in self.members.items():
                if follower != target and artist not in graph.get(user, set()):
                    missing.append((follower, target))
        return missing

    def follows_per_user(self) -> dict[str, list[tuple[float, int]]]:
        """(time, number of artists) of every successful follow write, per Spotify user."""
        writes: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for call in self.fake("GET", "calls", params={"kind": "api"})["calls"]:
            if call["method"] == "PUT" and call["status"] < 300 and call.get("user_id"):
                query = call.get("query") or {}
                raw = query.get("uris") or query.get("ids") or ""
                if isinstance(raw, list):
                    raw = ",".join(raw)
                writes[call["user_id"]].append((float(call["time"]), len(raw.split(","))))
        return writes


def _max_in_window(writes: list[tuple[float, int]], window: float) -> int:
    best = 0
    for start, _ in writes:
        best = max(best, sum(n for t, n in writes if start <= t < start + window))
    return best


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Swarm]:
    with _runtime(tmp_path_factory, "engine") as runtime:
        yield Swarm(runtime)


def test_swarm_completes_within_caps_and_progress_agrees(swarm: Swarm) -> None:
    ids = [swarm.add_member(i) for i in range(6)]
    result = swarm.runtime.advance(3 * 3600)
    assert not result.errors
    assert swarm.missing_edges() == []

    for user, writes in swarm.follows_per_user().items():
        assert _max_in_window(writes, 3600) <= PER_HOUR, user
        assert all(n <= BATCH for _, n in writes), user

    now = swarm.runtime.clock.now()
    for member_id in ids:
        progress = views.progress(swarm.runtime.settings, member_id, now)
        assert progress["following"]["done"] == len(ids) - 1
        assert progress["following"]["pending"] == 0
        assert progress["followers"]["received"] == len(ids) - 1


def test_newcomer_is_followed_first_and_leaver_is_dropped(swarm: Swarm) -> None:
    newcomer = swarm.add_member(100)
    swarm.runtime.advance(3600)
    followers = edge_repo.count_followers(newcomer)
    assert followers == len(swarm.members) - 1

    leaver = next(iter(swarm.members))
    roster.leave(leaver, swarm.runtime.clock.now())
    late = swarm.add_member(101)
    swarm.runtime.advance(3 * 3600)
    user, _ = swarm.members[leaver]
    _, late_artist = swarm.members[late]
    assert late_artist not in swarm.graph().get(user, set())
    progress = views.progress(swarm.runtime.settings, leaver, swarm.runtime.clock.now())
    assert progress["following"]["pending"] == 0
    assert progress["roster"]["status"] == "left"


@pytest.fixture(scope="module")
def faulty_swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Swarm]:
    with _runtime(tmp_path_factory, "engine-faults") as runtime:
        yield Swarm(runtime)


def test_faults_lose_nothing_count_nothing_twice_and_break_no_cap(
    faulty_swarm: Swarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    swarm = faulty_swarm
    ids = [swarm.add_member(i) for i in range(5)]
    swarm.fake("POST", "faults", json={"endpoint": "*", "status": 503, "count": 3})
    swarm.fake(
        "POST", "faults", json={"endpoint": "*", "status": 429, "retry_after": 30, "count": 1}
    )

    # A worker that dies after the Spotify call, before writing anything: every 3rd job once.
    real_record = edge_repo.record
    crashed: set[str] = set()

    def crash_once(follower_id: str, results: Any, *, job_id: str, at: float) -> int:
        if job_id not in crashed and len(crashed) < 3:
            crashed.add(job_id)
            raise RuntimeError("worker killed after the Spotify call")
        return real_record(follower_id, results, job_id=job_id, at=at)

    monkeypatch.setattr(edge_repo, "record", crash_once)
    swarm.runtime.advance(6 * 3600)
    monkeypatch.undo()
    swarm.runtime.advance(3600)

    assert crashed, "the crash was never exercised"
    assert swarm.missing_edges() == []
    graph = swarm.graph()
    for member_id in ids:
        user, _ = swarm.members[member_id]
        ledger = ledger_repo.load_ledger(member_id).item
        assert ledger.done == len(ids) - 1 == len(graph[user] - {swarm.members[member_id][1]})
        assert edge_repo.count_followers(member_id) == len(ids) - 1
    for user, writes in swarm.follows_per_user().items():
        assert _max_in_window(writes, 3600) <= PER_HOUR, user


# ------------------------------------------------------------- 30 members, through the API

ROSTER_SIZE = 30


def _api_member(swarm: Swarm, index: int) -> tuple[str, dict[str, Any]]:
    """Signs a stand-in user in over HTTP, claims their artist and joins the roster."""
    rt = swarm.runtime
    user = new_user(rt, f"Artist {index}")
    artist = swarm.fake("POST", "artists", json={"name": f"Act {index}"})
    session = sign_in_api_client(rt, user)
    claim = requests.put(
        f"{rt.api_url}/api/v1/me/artist",
        json={"artist": f"https://open.spotify.com/artist/{artist['id']}"},
        headers=bearer(session),
        timeout=30,
    )
    assert claim.status_code == 200, claim.text
    joined = requests.post(f"{rt.api_url}/api/v1/roster/join", headers=bearer(session), timeout=30)
    assert joined.status_code == 200, joined.text
    swarm.members[session["member_id"]] = (user, artist["id"])
    return str(session["member_id"]), session


def _fresh(rt: LocalRuntime, session: dict[str, Any]) -> dict[str, str]:
    """Access JWTs last 15 minutes; hours of virtual time later, refresh first."""
    reply = requests.post(
        f"{rt.api_url}/auth/refresh", json={"refresh_token": session["refresh_token"]}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    session.update(reply.json())
    return bearer(session)


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "faults"])
def test_thirty_members_signed_in_through_the_api_complete_the_swarm(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, faults: bool
) -> None:
    runtime = _runtime(
        tmp_path_factory,
        f"roster30-{faults}",
        per_hour=30,
        batch=10,
        spotify_timeout_seconds=1.0,
    )
    with runtime:
        swarm = Swarm(runtime)
        sessions = {}
        for index in range(ROSTER_SIZE):
            member_id, session = _api_member(swarm, index)
            sessions[member_id] = session
            runtime.advance(120)  # members join over time
        if faults:
            swarm.fake("POST", "faults", json={"endpoint": "*", "status": 500, "count": 4})
            swarm.fake("POST", "faults", json={"endpoint": "*", "status": 429, "count": 1})
            # The stand-in holds these past the client's 1-second timeout.
            swarm.fake("POST", "faults", json={"endpoint": "*", "timeout": 1.5, "count": 2})
            swarm.fake("POST", "config", json={"access_token_ttl": 1800})  # tokens expire
            crashed = _crash_after_spotify_call(monkeypatch, times=3)
        runtime.advance(4 * 3600)
        monkeypatch.undo()
        runtime.advance(2 * 3600)
        if faults:
            assert len(crashed) == 3
            calls = swarm.fake("GET", "calls", params={"kind": "api"})["calls"]
            assert {c["status"] for c in calls} >= {429, 500, 504}

        assert swarm.missing_edges() == []
        graph = swarm.graph()
        for user, writes in swarm.follows_per_user().items():
            assert _max_in_window(writes, 3600) <= 30, user
        for member_id, session in sessions.items():
            user, artist = swarm.members[member_id]
            progress = requests.get(
                f"{runtime.api_url}/api/v1/follows/progress",
                headers=_fresh(runtime, session),
                timeout=30,
            ).json()
            followed = len(graph[user] - {artist})
            assert progress["following"]["done"] == followed == ROSTER_SIZE - 1
            assert progress["following"]["pending"] == 0
            assert progress["followers"]["received"] == ROSTER_SIZE - 1


def _crash_after_spotify_call(monkeypatch: pytest.MonkeyPatch, *, times: int) -> set[str]:
    real_record = edge_repo.record
    crashed: set[str] = set()

    def crash(follower_id: str, results: Any, *, job_id: str, at: float) -> int:
        if job_id not in crashed and len(crashed) < times:
            crashed.add(job_id)
            raise RuntimeError("worker killed after the Spotify call")
        return real_record(follower_id, results, job_id=job_id, at=at)

    monkeypatch.setattr(edge_repo, "record", crash)
    return crashed
