"""Rolling-window rate limit, fault injection and their visibility to spotipy."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from spotipy.exceptions import SpotifyException

from local.standins.spotify import SpotifyStandInConfig, create_app


@pytest.fixture
def token(fake: Any) -> str:
    return str(fake.token(fake.user()["id"])["access_token"])


def test_rate_limit_429_with_retry_after_reaches_spotipy(
    config: Any, fake: Any, token: str, clock: Any, make_spotify: Any
) -> None:
    config.rate_limit_calls = 3
    config.rate_limit_window_seconds = 30
    sp = make_spotify(auth=token)
    for _ in range(3):
        sp.current_user()
        clock.advance(1)
    with pytest.raises(SpotifyException) as err:
        sp.current_user()
    assert err.value.http_status == 429
    # The first call (t=0) leaves the window at t=30; it is now t=3.
    assert err.value.headers["Retry-After"] == "27"
    assert "API rate limit exceeded" in err.value.msg
    clock.advance(26)
    with pytest.raises(SpotifyException):
        sp.current_user()
    clock.advance(1)
    assert sp.current_user()["id"]
    # Refused calls do not count: one slot freed, one call admitted, full again.
    with pytest.raises(SpotifyException) as again:
        sp.current_user()
    assert again.value.headers["Retry-After"] == "1"


def test_rate_limit_is_per_app(config: Any, fake: Any, clock: Any) -> None:
    config.rate_limit_calls = 1
    config.extra_clients["other-app"] = "other-secret"
    user = fake.user()
    mine = fake.token(user["id"])["access_token"]
    theirs = fake.post("/_fake/tokens", {"user_id": user["id"], "client_id": "other-app"})
    assert fake.api("GET", "/me", mine).status_code == 200
    assert fake.api("GET", "/me", mine).status_code == 429
    assert fake.api("GET", "/me", theirs["access_token"]).status_code == 200


def test_next_n_calls_fail(fake: Any, token: str) -> None:
    [artist] = fake.artists(1)
    rule = fake.post("/_fake/faults", {"endpoint": "artist", "status": 503, "count": 2})
    assert rule["rules"][0]["count"] == 2
    statuses = [fake.api("GET", f"/artists/{artist}", token).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    # Other operations were never affected, and the spent rule is gone.
    assert fake.api("GET", "/me", token).status_code == 200
    assert fake.get("/_fake/faults") == {"rules": []}
    calls = fake.get("/_fake/calls", kind="api")["calls"]
    assert [c["fault"] is not None for c in calls] == [True, True, False, False]


def test_forced_429_fault_reaches_spotipy(fake: Any, token: str, make_spotify: Any) -> None:
    fake.post("/_fake/faults", {"status": 429, "retry_after": 17, "count": 1})
    sp = make_spotify(auth=token)
    with pytest.raises(SpotifyException) as err:
        sp.current_user()
    assert err.value.http_status == 429
    assert err.value.headers["Retry-After"] == "17"
    assert sp.current_user()["id"]


def test_latency_and_timeout_use_the_injected_sleep(
    fake: Any, token: str, sleeps: list[float]
) -> None:
    fake.post("/_fake/faults", {"latency": 0.25, "count": 1})
    assert fake.api("GET", "/me", token).status_code == 200
    assert sleeps == [0.25]
    fake.post("/_fake/faults", {"timeout": 30, "count": 1})
    answer = fake.api("GET", "/me", token)
    assert answer.status_code == 504
    assert sleeps == [0.25, 30.0]


def test_token_endpoint_faults_only_when_named(fake: Any) -> None:
    fake.post("/_fake/faults", [{"status": 500}, {"endpoint": "token", "status": 502, "count": 1}])
    data = {"grant_type": "client_credentials"}
    auth = ("test-client", "test-secret")
    first = fake.http.post(fake.url + "/api/token", data=data, auth=auth)
    assert first.status_code == 502
    second = fake.http.post(fake.url + "/api/token", data=data, auth=auth)
    assert second.status_code == 200
    # The blanket rule hits the Web API.
    assert fake.api("GET", "/me", second.json()["access_token"]).status_code == 500
    fake.http.delete(fake.url + "/_fake/faults")
    assert fake.get("/_fake/faults") == {"rules": []}


def _statuses(seed: int) -> list[int]:
    """Forty calls under a 30 % error rate on a fresh in-process stand-in."""
    app = create_app(SpotifyStandInConfig(seed=seed), clock=lambda: 1_800_000_000.0)
    client = app.test_client()
    user = client.post("/_fake/users", json={"display_name": "R"}).get_json()
    token = client.post("/_fake/tokens", json={"user_id": user["id"], "scopes": ""}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    rule = {"status": [500, 502, 503], "rate": 0.3}
    assert client.post("/_fake/faults", json=rule).status_code == 201
    return [client.get("/v1/me", headers=headers).status_code for _ in range(40)]


def test_error_rate_is_seeded() -> None:
    first = _statuses(seed=3)
    assert first == _statuses(seed=3)
    assert first != _statuses(seed=4)
    assert set(first) <= {200, 500, 502, 503}
    assert 0 < sum(s != 200 for s in first) < 40


@pytest.mark.parametrize(
    "rule",
    [{"endpoint": "nope", "status": 500}, {"status": 200}, {"rate": 2, "status": 500}, {}],
)
def test_bad_fault_rules_are_refused(fake: Any, rule: dict[str, Any]) -> None:
    answer = requests.post(fake.url + "/_fake/faults", json=rule, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == 400
