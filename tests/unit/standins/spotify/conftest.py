"""Fixtures for the Spotify stand-in tests: a started server on a fake clock, and helpers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import spotipy
import yaml
from spotipy.cache_handler import MemoryCacheHandler

from local.standins.spotify import SpotifyStandIn, SpotifyStandInConfig

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"
REDIRECT_URI = "http://127.0.0.1:8765/callback"
ALL_SCOPES = " ".join(
    [
        "user-read-private",
        "user-read-email",
        "user-follow-read",
        "user-follow-modify",
        "user-library-read",
        "user-library-modify",
    ]
)
REPO_ROOT = Path(__file__).resolve().parents[4]
# Spotify's description, vendored in docs/ (MIT, by sonallux; its licence beside it); a copy
# beside the repo or SPOTIFY_OPENAPI_YML may stand in for it.
OPENAPI_CANDIDATES = [
    os.environ.get("SPOTIFY_OPENAPI_YML", ""),
    str(REPO_ROOT / "spotify-openapi.yml"),
    str(REPO_ROOT / "docs" / "spotify-openapi.yml"),
    # CI clones the repo with the shared folder beside it.
    str(REPO_ROOT.parent / "shared" / "spotify-openapi.yml"),
]


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Fake:
    """Thin client for the /_fake endpoints and for raw Web API calls."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def post(self, path: str, body: Any = None) -> Any:
        response = self.http.post(self.url + path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(self.url + path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def user(self, display_name: str = "Test User", **extra: Any) -> dict[str, Any]:
        return dict(self.post("/_fake/users", {"display_name": display_name, **extra}))

    def artists(self, count: int) -> list[str]:
        created = self.post("/_fake/artists", [{"name": f"Artist {i}"} for i in range(count)])
        return [a["id"] for a in created]

    def token(self, user_id: str | None, scopes: str = ALL_SCOPES) -> dict[str, Any]:
        body: dict[str, Any] = {"scopes": scopes}
        if user_id is not None:
            body["user_id"] = user_id
        return dict(self.post("/_fake/tokens", body))

    def api(self, method: str, path: str, token: str | None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url + "/v1" + path, headers=headers, **kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> list[float]:
    """Durations the stand-in asked to sleep (latency/timeout faults); nothing really sleeps."""
    return []


@pytest.fixture
def config() -> SpotifyStandInConfig:
    return SpotifyStandInConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, seed=7)


@pytest.fixture
def standin(
    config: SpotifyStandInConfig, clock: FakeClock, sleeps: list[float]
) -> Iterator[SpotifyStandIn]:
    server = SpotifyStandIn(config, clock=clock, sleep=sleeps.append).start()
    yield server
    server.stop()


@pytest.fixture
def fake(standin: SpotifyStandIn) -> Fake:
    return Fake(standin.url)


@pytest.fixture
def make_oauth(standin: SpotifyStandIn) -> Callable[..., spotipy.SpotifyOAuth]:
    """An unmodified SpotifyOAuth pointed at the stand-in.

    spotipy reads the accounts URLs from the class attributes OAUTH_AUTHORIZE_URL and
    OAUTH_TOKEN_URL through `self`, so a subclass that overrides them is enough.
    """

    class StandInOAuth(spotipy.SpotifyOAuth):  # type: ignore[misc]  # spotipy is untyped
        OAUTH_AUTHORIZE_URL = f"{standin.url}/authorize"
        OAUTH_TOKEN_URL = f"{standin.url}/api/token"

    def build(scope: str = ALL_SCOPES, **kwargs: Any) -> spotipy.SpotifyOAuth:
        options: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": "state-123",
            "cache_handler": MemoryCacheHandler(),
            "open_browser": False,
            "requests_session": requests.Session(),
        }
        options.update(kwargs)
        return StandInOAuth(**options)

    return build


@pytest.fixture
def make_spotify(standin: SpotifyStandIn) -> Callable[..., spotipy.Spotify]:
    """A spotipy client whose API base (`prefix`) is the stand-in, without retries.

    Our own requests.Session means spotipy mounts no urllib3 Retry adapter, so a 429 reaches
    the caller at once with Retry-After in SpotifyException.headers.
    """

    def build(**kwargs: Any) -> spotipy.Spotify:
        sp = spotipy.Spotify(
            requests_session=requests.Session(), retries=0, status_retries=0, **kwargs
        )
        sp.prefix = f"{standin.url}/v1/"
        return sp

    return build


def sign_in(
    fake: Fake,
    oauth: spotipy.SpotifyOAuth,
    user_id: str | None = None,
    display_name: str = "Signed In User",
) -> str:
    """Do the browser part of the authorization-code flow with plain HTTP; returns the code."""
    page = fake.http.get(oauth.get_authorize_url())
    assert page.status_code == 200, page.text
    form = {
        "client_id": oauth.client_id,
        "response_type": "code",
        "redirect_uri": oauth.redirect_uri,
        "state": oauth.state,
        "scope": oauth.scope,
        "decision": "allow",
        "user_id": user_id or "",
        "new_display_name": "" if user_id else display_name,
    }
    answer = fake.http.post(fake.url + "/authorize", data=form, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    state, code = oauth.parse_auth_response_url(location)
    assert state == oauth.state
    assert code
    return str(code)


@pytest.fixture
def signin() -> Callable[..., str]:
    return sign_in


def exchange_code(oauth: spotipy.SpotifyOAuth, code: str) -> dict[str, Any]:
    """Trade a code for tokens the non-deprecated way; returns spotipy's token_info."""
    oauth.get_access_token(code, as_dict=False, check_cache=False)
    info = oauth.cache_handler.get_cached_token()
    assert isinstance(info, dict)
    return info


@pytest.fixture
def exchange() -> Callable[[spotipy.SpotifyOAuth, str], dict[str, Any]]:
    return exchange_code


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    """The Spotify OpenAPI description, loaded once (it is large)."""
    found = [Path(c) for c in OPENAPI_CANDIDATES if c and Path(c).is_file()]
    if not found:
        pytest.fail(f"spotify-openapi.yml not found in {OPENAPI_CANDIDATES}")
    with found[0].open() as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded
