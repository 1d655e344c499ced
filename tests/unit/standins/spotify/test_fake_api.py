"""The /_fake control endpoints and the internal virtual clock."""

from __future__ import annotations

from typing import Any

from local.standins.spotify import SpotifyStandInConfig, create_app, standin_of


def test_internal_clock_can_be_moved() -> None:
    client = create_app(SpotifyStandInConfig()).test_client()
    start = client.get("/_fake/clock").get_json()
    assert start["virtual"] is True
    moved = client.post("/_fake/clock", json={"advance": 3600}).get_json()
    assert moved["now"] >= start["now"] + 3600
    target = moved["now"] + 86400
    assert client.post("/_fake/clock", json={"now": target}).get_json()["now"] == target
    assert client.post("/_fake/clock", json={"now": 0}).status_code == 400
    assert client.post("/_fake/clock", json={"advance": -1}).status_code == 400


def test_internal_clock_expires_tokens() -> None:
    client = create_app(SpotifyStandInConfig()).test_client()
    user = client.post("/_fake/users", json={}).get_json()
    token = client.post("/_fake/tokens", json={"user_id": user["id"]}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/v1/me", headers=headers).status_code == 200
    client.post("/_fake/clock", json={"advance": 3600})
    assert client.get("/v1/me", headers=headers).status_code == 401


def test_external_clock_cannot_be_moved_here(fake: Any, clock: Any) -> None:
    assert fake.get("/_fake/clock") == {"now": clock.now, "virtual": False}
    answer = fake.http.post(fake.url + "/_fake/clock", json={"advance": 1})
    assert answer.status_code == 409


def test_users_and_artists(fake: Any) -> None:
    user = fake.user("Dee", id="dee.test")
    assert user["id"] == "dee.test"
    assert fake.http.post(fake.url + "/_fake/users", json={"id": "dee.test"}).status_code == 409
    assert fake.get("/_fake/users/dee.test")["display_name"] == "Dee"
    assert [u["id"] for u in fake.get("/_fake/users")["users"]] == ["dee.test"]
    artist = fake.post("/_fake/artists", {"id": "4Z8W4fKeB5YxbusRsdQVPb", "name": "Radiohead"})
    assert artist["id"] == "4Z8W4fKeB5YxbusRsdQVPb"
    bad = fake.http.post(fake.url + "/_fake/artists", json={"id": "short"})
    assert bad.status_code == 400
    generated = fake.artists(2)
    assert all(len(a) == 22 and a.isalnum() for a in generated)
    assert len(fake.get("/_fake/artists")["artists"]) == 3


def test_generated_ids_are_deterministic() -> None:
    def ids(seed: int) -> list[str]:
        client = create_app(SpotifyStandInConfig(seed=seed)).test_client()
        users = [client.post("/_fake/users", json={}).get_json()["id"] for _ in range(2)]
        artists = client.post("/_fake/artists", json=[{}, {}]).get_json()
        return users + [a["id"] for a in artists]

    assert ids(1) == ids(1)
    assert ids(1) != ids(2)


def test_seed_follows_and_reset(fake: Any) -> None:
    user = fake.user()
    artists = sorted(fake.artists(3))
    assert fake.post("/_fake/follows", {"user_id": user["id"], "artist_ids": artists}) == {
        user["id"]: artists
    }
    assert fake.get("/_fake/follows", user_id=user["id"]) == {user["id"]: artists}
    fake.post("/_fake/faults", {"status": 500})
    assert fake.post("/_fake/reset") == {"reset": True}
    assert fake.get("/_fake/follows") == {}
    assert fake.get("/_fake/users") == {"users": []}
    assert fake.get("/_fake/faults") == {"rules": []}
    assert fake.get("/_fake/calls") == {"calls": []}


def test_config_endpoint(fake: Any) -> None:
    changed = fake.post("/_fake/config", {"rate_limit_calls": 5, "rotate_refresh_tokens": False})
    assert changed["rate_limit_calls"] == 5
    assert changed["rotate_refresh_tokens"] is False
    assert fake.get("/_fake/config")["rate_limit_window_seconds"] == 30.0


def test_revoke_access_only(fake: Any) -> None:
    user = fake.user()
    tokens = fake.token(user["id"])
    fake.post(f"/_fake/users/{user['id']}/revoke", {"refresh": False})
    assert fake.api("GET", "/me", tokens["access_token"]).status_code == 401
    refreshed = fake.http.post(
        fake.url + "/api/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("test-client", "test-secret"),
    )
    assert refreshed.status_code == 200


def test_mint_token_for_unknown_user_is_404(fake: Any) -> None:
    answer = fake.http.post(fake.url + "/_fake/tokens", json={"user_id": "ghost"})
    assert answer.status_code == 404


def test_standin_of_exposes_state() -> None:
    app = create_app(SpotifyStandInConfig())
    ctx = standin_of(app)
    ctx.state.add_user(display_name="Direct", user_id="direct")
    assert app.test_client().get("/_fake/users/direct").get_json()["display_name"] == "Direct"
