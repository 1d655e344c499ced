"""Accounts service: the authorize page, the token endpoint, spotipy's sign-in end to end."""

from __future__ import annotations

import re
from typing import Any

import pytest
import spotipy
from spotipy.exceptions import SpotifyException, SpotifyOauthError

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


def test_spotipy_sign_in_and_use_the_web_api(
    fake: Any, make_oauth: Any, make_spotify: Any, signin: Any, exchange: Any
) -> None:
    artist_ids = fake.artists(3)
    oauth = make_oauth()
    code = signin(fake, oauth, display_name="Ann")
    token_info = exchange(oauth, code)
    assert token_info["token_type"] == "Bearer"
    assert token_info["expires_in"] == 3600
    assert token_info["refresh_token"]
    sp = make_spotify(auth_manager=oauth)

    me = sp.current_user()
    assert me["display_name"] == "Ann"
    assert me["type"] == "user"
    assert me["uri"] == f"spotify:user:{me['id']}"

    artist = sp.artist(artist_ids[0])
    assert artist["id"] == artist_ids[0]
    assert artist["uri"] == f"spotify:artist:{artist_ids[0]}"

    # spotipy 2.26 follows through PUT /me/library and checks through /me/library/contains.
    sp.user_follow_artists(artist_ids[:2])
    assert sp.current_user_following_artists(artist_ids) == [True, True, False]
    followed = sp.current_user_followed_artists(limit=50)["artists"]
    assert [a["id"] for a in followed["items"]] == sorted(artist_ids[:2])
    assert followed["next"] is None
    assert followed["cursors"]["after"] is None

    sp.user_unfollow_artists([artist_ids[0]])
    assert sp.current_user_following_artists(artist_ids) == [False, True, False]

    # The deprecated write path, through spotipy's raw helpers.
    sp._put("me/following", args={"type": "artist", "ids": artist_ids[2]})
    assert sp._get("me/following/contains", type="artist", ids=artist_ids[2]) == [True]
    assert fake.get("/_fake/follows")[me["id"]] == sorted(artist_ids[1:])


def test_authorize_page_lists_users_and_carries_the_request(fake: Any, make_oauth: Any) -> None:
    user = fake.user("Existing Person")
    oauth = make_oauth()
    page = fake.http.get(oauth.get_authorize_url())
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert user["id"] in page.text
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    assert hidden["client_id"] == CLIENT_ID
    assert hidden["redirect_uri"] == REDIRECT_URI
    assert hidden["state"] == "state-123"
    assert 'value="allow"' in page.text
    assert 'value="deny"' in page.text


def test_sign_in_as_existing_user(fake: Any, make_oauth: Any, signin: Any, exchange: Any) -> None:
    user = fake.user("Bo")
    oauth = make_oauth()
    token = exchange(oauth, signin(fake, oauth, user_id=user["id"]))["access_token"]
    me = fake.api("GET", "/me", token).json()
    assert me["id"] == user["id"]


def test_cancel_redirects_with_access_denied(fake: Any) -> None:
    form = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "s1",
        "scope": "user-follow-read",
        "decision": "deny",
    }
    answer = fake.http.post(fake.url + "/authorize/decision", data=form, allow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{REDIRECT_URI}?error=access_denied&state=s1"
    with pytest.raises(SpotifyOauthError) as err:
        spotipy.SpotifyOAuth.parse_auth_response_url(answer.headers["Location"])
    assert err.value.error == "access_denied"


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"client_id": "nobody"}, "INVALID_CLIENT: Invalid client"),
        ({"redirect_uri": ""}, "Invalid redirect URI"),
        ({"scope": "user-follow-read not-a-scope"}, "INVALID_SCOPE"),
    ],
)
def test_authorize_rejects_bad_requests(fake: Any, params: dict[str, str], needle: str) -> None:
    query = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "user-follow-read",
        **params,
    }
    page = fake.http.get(fake.url + "/authorize", params=query)
    assert page.status_code == 400
    assert needle in page.text


def test_authorize_enforces_registered_redirect_uris(
    config: Any, fake: Any, make_oauth: Any
) -> None:
    config.redirect_uris = ("http://127.0.0.1:1/other",)
    page = fake.http.get(make_oauth().get_authorize_url())
    assert page.status_code == 400


def _token(fake: Any, data: dict[str, str], auth: tuple[str, str] | None = None) -> Any:
    return fake.http.post(
        fake.url + "/api/token", data=data, auth=auth or (CLIENT_ID, CLIENT_SECRET)
    )


def test_code_is_single_use(fake: Any, make_oauth: Any, signin: Any) -> None:
    oauth = make_oauth()
    code = signin(fake, oauth)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert _token(fake, data).status_code == 200
    again = _token(fake, data)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid authorization code",
    }


def test_code_is_bound_to_redirect_uri_and_expires(
    fake: Any, make_oauth: Any, signin: Any, clock: Any
) -> None:
    oauth = make_oauth()
    wrong = {
        "grant_type": "authorization_code",
        "code": signin(fake, oauth),
        "redirect_uri": "http://127.0.0.1:8765/elsewhere",
    }
    assert _token(fake, wrong).json()["error_description"] == "Invalid redirect URI"

    late = {
        "grant_type": "authorization_code",
        "code": signin(fake, oauth),
        "redirect_uri": REDIRECT_URI,
    }
    clock.advance(601)
    answer = _token(fake, late)
    assert answer.status_code == 400
    assert answer.json()["error_description"] == "Authorization code expired"


def test_client_authentication(fake: Any, make_oauth: Any, signin: Any) -> None:
    data = {"grant_type": "client_credentials"}
    bad_secret = _token(fake, data, auth=(CLIENT_ID, "wrong"))
    assert bad_secret.status_code == 400
    assert bad_secret.json()["error"] == "invalid_client"
    unknown = _token(fake, data, auth=("someone", CLIENT_SECRET))
    assert unknown.json()["error"] == "invalid_client"
    # Form-field client authentication works as well as HTTP Basic.
    form = fake.http.post(
        fake.url + "/api/token",
        data={**data, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert form.status_code == 200
    body = form.json()
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    missing = _token(fake, {})
    assert missing.json()["error"] == "unsupported_grant_type"


def test_refresh_token_rotation(fake: Any, make_oauth: Any, signin: Any, exchange: Any) -> None:
    oauth = make_oauth()
    first = exchange(oauth, signin(fake, oauth))
    second = oauth.refresh_access_token(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    # The old refresh token is dead once rotated; the new one works.
    with pytest.raises(SpotifyOauthError) as err:
        oauth.refresh_access_token(first["refresh_token"])
    assert err.value.error == "invalid_grant"
    assert err.value.error_description == "Invalid refresh token"
    third = oauth.refresh_access_token(second["refresh_token"])
    assert fake.api("GET", "/me", third["access_token"]).status_code == 200
    # An access token stays valid until it expires, even after a refresh.
    assert fake.api("GET", "/me", first["access_token"]).status_code == 200


def test_refresh_without_rotation_keeps_the_refresh_token(
    config: Any, fake: Any, make_oauth: Any, signin: Any, exchange: Any
) -> None:
    config.rotate_refresh_tokens = False
    oauth = make_oauth()
    first = exchange(oauth, signin(fake, oauth))
    raw = _token(fake, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert raw.status_code == 200
    assert "refresh_token" not in raw.json()
    again = _token(fake, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert again.status_code == 200


def test_revoked_user_needs_reauthorization(
    fake: Any, make_oauth: Any, make_spotify: Any, signin: Any, exchange: Any
) -> None:
    oauth = make_oauth()
    tokens = exchange(oauth, signin(fake, oauth))
    me = fake.api("GET", "/me", tokens["access_token"]).json()
    revoked = fake.post(f"/_fake/users/{me['id']}/revoke", {})
    assert revoked["revoked"] == 2
    with pytest.raises(SpotifyOauthError) as err:
        oauth.refresh_access_token(tokens["refresh_token"])
    assert err.value.error == "invalid_grant"
    sp = make_spotify(auth=tokens["access_token"])
    with pytest.raises(SpotifyException) as api_err:
        sp.current_user()
    assert api_err.value.http_status == 401
    assert "Invalid access token" in api_err.value.msg


def test_refresh_tokens_expire(fake: Any, clock: Any) -> None:
    user = fake.user()
    tokens = fake.token(user["id"])
    clock.advance(184 * 24 * 3600)
    answer = _token(fake, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_token_calls_are_logged(
    fake: Any, make_oauth: Any, signin: Any, exchange: Any, clock: Any
) -> None:
    oauth = make_oauth()
    tokens = exchange(oauth, signin(fake, oauth))
    calls = fake.get("/_fake/calls", kind="token")["calls"]
    assert len(calls) == 1
    assert calls[0]["path"] == "/api/token"
    assert calls[0]["status"] == 200
    assert calls[0]["token"] == tokens["access_token"]
    assert calls[0]["time"] == clock.now
    assert calls[0]["user_id"]
