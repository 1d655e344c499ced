"""Web API behaviour: endpoints, limits, scopes, token errors, cursor paging."""

from __future__ import annotations

from typing import Any

import pytest
from spotipy.exceptions import SpotifyException


def _error(response: Any) -> tuple[int, str]:
    body = response.json()
    assert body["error"]["status"] == response.status_code
    return response.status_code, body["error"]["message"]


@pytest.fixture
def user(fake: Any) -> dict[str, Any]:
    return dict(fake.user("Cleo"))


@pytest.fixture
def token(fake: Any, user: dict[str, Any]) -> str:
    return str(fake.token(user["id"])["access_token"])


def test_me_fields_follow_scopes(fake: Any, user: dict[str, Any]) -> None:
    full = fake.api("GET", "/me", fake.token(user["id"])["access_token"]).json()
    assert full["email"] == user["email"]
    assert full["product"] == "premium"
    bare = fake.api("GET", "/me", fake.token(user["id"], scopes="")["access_token"]).json()
    assert "email" not in bare
    assert "country" not in bare
    assert bare["id"] == user["id"]


def test_artist_lookup(fake: Any, token: str) -> None:
    [artist_id] = fake.artists(1)
    artist = fake.api("GET", f"/artists/{artist_id}", token).json()
    assert artist["name"] == "Artist 0"
    assert artist["type"] == "artist"
    assert _error(fake.api("GET", "/artists/0000000000000000000000", token)) == (
        404,
        "Resource not found",
    )
    assert _error(fake.api("GET", "/artists/not-an-id", token)) == (400, "invalid id")


def test_app_token_reads_artists_but_not_me(fake: Any) -> None:
    [artist_id] = fake.artists(1)
    app_token = fake.token(None)["access_token"]
    assert fake.api("GET", f"/artists/{artist_id}", app_token).status_code == 200
    assert _error(fake.api("GET", "/me", app_token)) == (
        401,
        "Valid user authentication required",
    )
    put = fake.api("PUT", "/me/library", app_token, params={"uris": f"spotify:artist:{artist_id}"})
    assert put.status_code == 401


def test_token_errors(fake: Any, token: str, clock: Any) -> None:
    assert _error(fake.api("GET", "/me", None)) == (401, "No token provided")
    assert _error(fake.api("GET", "/me", "nonsense")) == (401, "Invalid access token")
    basic = fake.api("GET", "/me", None, headers={"Authorization": "Basic abc"})
    assert basic.status_code == 400
    clock.advance(3599)
    assert fake.api("GET", "/me", token).status_code == 200
    clock.advance(2)
    assert _error(fake.api("GET", "/me", token)) == (401, "The access token expired")


def test_expired_token_reaches_spotipy_as_401(
    fake: Any, make_oauth: Any, make_spotify: Any, signin: Any, exchange: Any, clock: Any
) -> None:
    oauth = make_oauth()
    exchange(oauth, signin(fake, oauth))
    sp = make_spotify(auth_manager=oauth)
    assert sp.current_user()["id"]
    # spotipy judges expiry by the real clock, so it still sends the token; the stand-in
    # lives 3601 s later and refuses it, as Spotify would.
    clock.advance(3601)
    with pytest.raises(SpotifyException) as err:
        sp.current_user()
    assert err.value.http_status == 401
    assert "The access token expired" in err.value.msg


def test_library_save_remove_contains(fake: Any, user: dict[str, Any], token: str) -> None:
    a, b, c = fake.artists(3)
    uris = f"spotify:artist:{a},spotify:artist:{b}"
    saved = fake.api("PUT", "/me/library", token, params={"uris": uris})
    assert saved.status_code == 200
    assert saved.content == b""
    check = f"spotify:artist:{a},spotify:artist:{b},spotify:artist:{c}"
    contains = fake.api("GET", "/me/library/contains", token, params={"uris": check})
    assert contains.json() == [True, True, False]
    removed = fake.api("DELETE", "/me/library", token, params={"uris": f"spotify:artist:{a}"})
    assert removed.status_code == 200
    assert fake.get("/_fake/follows") == {user["id"]: [b]}
    # Other URI types are kept in the library, apart from the follow graph.
    track = "spotify:track:7a3LWj5xSFhFRYmztS8wgK"
    assert fake.api("PUT", "/me/library", token, params={"uris": track}).status_code == 200
    assert fake.api("GET", "/me/library/contains", token, params={"uris": track}).json() == [True]


def test_library_limits_and_validation(fake: Any, token: str) -> None:
    ids = fake.artists(41)
    too_many = ",".join(f"spotify:artist:{i}" for i in ids)
    for method, path in (
        ("PUT", "/me/library"),
        ("DELETE", "/me/library"),
        ("GET", "/me/library/contains"),
    ):
        answer = fake.api(method, path, token, params={"uris": too_many})
        assert _error(answer) == (400, "Too many ids requested")
    forty = ",".join(f"spotify:artist:{i}" for i in ids[:40])
    assert fake.api("PUT", "/me/library", token, params={"uris": forty}).status_code == 200
    assert fake.api("PUT", "/me/library", token).status_code == 400
    bad = fake.api("PUT", "/me/library", token, params={"uris": "spotify:artist:short"})
    assert bad.status_code == 400
    odd = fake.api("PUT", "/me/library", token, params={"uris": f"spotify:planet:{ids[0]}"})
    assert _error(odd) == (400, "Unsupported URI type: planet")


def test_unknown_artist_is_not_followed(fake: Any, user: dict[str, Any], token: str) -> None:
    [known] = fake.artists(1)
    unknown = "1" * 22
    uris = f"spotify:artist:{known},spotify:artist:{unknown}"
    answer = fake.api("PUT", "/me/library", token, params={"uris": uris})
    assert _error(answer) == (404, "Resource not found")
    # All or nothing: the known artist was not followed either.
    assert fake.get("/_fake/follows").get(user["id"], []) == []
    follow = fake.api("PUT", "/me/following", token, params={"type": "artist", "ids": unknown})
    assert follow.status_code == 404


def test_deprecated_follow_path(fake: Any, user: dict[str, Any], token: str) -> None:
    a, b, c = fake.artists(3)
    put = fake.api("PUT", "/me/following", token, params={"type": "artist", "ids": a})
    assert put.status_code == 204
    # The JSON body is used when the query has no ids.
    body = fake.api("PUT", "/me/following", token, params={"type": "artist"}, json={"ids": [b]})
    assert body.status_code == 204
    contains = fake.api(
        "GET", "/me/following/contains", token, params={"type": "artist", "ids": f"{a},{b},{c}"}
    )
    assert contains.json() == [True, True, False]
    delete = fake.api("DELETE", "/me/following", token, params={"type": "artist", "ids": a})
    assert delete.status_code == 204
    assert fake.get("/_fake/follows") == {user["id"]: [b]}
    # The library check sees the same graph.
    lib = fake.api("GET", "/me/library/contains", token, params={"uris": f"spotify:artist:{b}"})
    assert lib.json() == [True]


def test_follow_limits_and_type(fake: Any, token: str) -> None:
    ids = fake.artists(51)
    for method, path in (
        ("PUT", "/me/following"),
        ("DELETE", "/me/following"),
        ("GET", "/me/following/contains"),
    ):
        answer = fake.api(method, path, token, params={"type": "artist", "ids": ",".join(ids)})
        assert _error(answer) == (400, "Too many ids requested")
    fifty = ",".join(ids[:50])
    ok = fake.api("PUT", "/me/following", token, params={"type": "artist", "ids": fifty})
    assert ok.status_code == 204
    no_type = fake.api("PUT", "/me/following", token, params={"ids": ids[0]})
    assert no_type.status_code == 400
    listing = fake.api("GET", "/me/following", token, params={"type": "user"})
    assert listing.status_code == 400


@pytest.mark.parametrize(
    ("scopes", "method", "path", "params"),
    [
        ("user-follow-read", "PUT", "/me/library", {"uris": "spotify:artist:{a}"}),
        ("user-library-read", "PUT", "/me/following", {"type": "artist", "ids": "{a}"}),
        ("user-follow-modify", "GET", "/me/library/contains", {"uris": "spotify:artist:{a}"}),
        ("user-follow-modify", "GET", "/me/following", {"type": "artist"}),
        (
            "user-library-read",
            "GET",
            "/me/following/contains",
            {"type": "artist", "ids": "{a}"},
        ),
        ("user-follow-modify", "PUT", "/me/library", {"uris": "spotify:track:{a}"}),
    ],
)
def test_missing_scope_is_403(
    fake: Any, user: dict[str, Any], scopes: str, method: str, path: str, params: dict[str, str]
) -> None:
    [a] = fake.artists(1)
    limited = fake.token(user["id"], scopes=scopes)["access_token"]
    filled = {k: v.format(a=a) for k, v in params.items()}
    assert _error(fake.api(method, path, limited, params=filled)) == (
        403,
        "Insufficient client scope",
    )


@pytest.mark.parametrize("scope", ["user-library-modify", "user-follow-modify"])
def test_either_scope_allows_library_follow(fake: Any, user: dict[str, Any], scope: str) -> None:
    [a] = fake.artists(1)
    limited = fake.token(user["id"], scopes=scope)["access_token"]
    answer = fake.api("PUT", "/me/library", limited, params={"uris": f"spotify:artist:{a}"})
    assert answer.status_code == 200


def test_cursor_paging(fake: Any, token: str, make_spotify: Any) -> None:
    ids = sorted(fake.artists(5))
    fake.api(
        "PUT", "/me/library", token, params={"uris": ",".join(f"spotify:artist:{i}" for i in ids)}
    )
    sp = make_spotify(auth=token)
    page = sp.current_user_followed_artists(limit=2)["artists"]
    seen = [a["id"] for a in page["items"]]
    assert page["total"] == 5
    assert page["cursors"]["after"] == ids[1]
    while page["next"]:
        page = sp.next(page)["artists"]
        seen += [a["id"] for a in page["items"]]
    assert seen == ids
    assert page["next"] is None
    assert page["cursors"]["after"] is None
    assert len(page["items"]) == 1
    # Exactly full last page: still no next.
    full = fake.api("GET", "/me/following", token, params={"type": "artist", "limit": 5}).json()
    assert full["artists"]["next"] is None
    assert full["artists"]["cursors"]["after"] is None
    for bad in ("0", "51", "x"):
        answer = fake.api("GET", "/me/following", token, params={"type": "artist", "limit": bad})
        assert answer.status_code == 400


def test_followed_list_empty(fake: Any, token: str) -> None:
    answer = fake.api("GET", "/me/following", token, params={"type": "artist"}).json()
    assert answer == {
        "artists": {
            "href": answer["artists"]["href"],
            "limit": 20,
            "next": None,
            "cursors": {"after": None},
            "total": 0,
            "items": [],
        }
    }


def test_unknown_path_is_json_404(fake: Any, token: str) -> None:
    assert _error(fake.api("GET", "/nothing/here", token)) == (404, "Service not found")


def test_web_api_calls_are_logged(fake: Any, user: dict[str, Any], token: str, clock: Any) -> None:
    [a] = fake.artists(1)
    clock.advance(5)
    fake.api("GET", f"/artists/{a}", token)
    fake.api("GET", "/me", None)
    calls = fake.get("/_fake/calls", kind="api")["calls"]
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("GET", f"/v1/artists/{a}", 200),
        ("GET", "/v1/me", 401),
    ]
    assert calls[0]["token"] == token
    assert calls[0]["user_id"] == user["id"]
    assert calls[0]["operation"] == "artist"
    assert calls[0]["time"] == clock.now
    mine = fake.get("/_fake/calls", user_id=user["id"], since=clock.now)["calls"]
    assert len(mine) == 1
    by_token = fake.get("/_fake/calls", token=token)["calls"]
    assert len(by_token) == 1
