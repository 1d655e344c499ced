"""Spotify through spotipy, pointed at Spotify or the local stand-in by configuration.

spotipy's default session retries 429s in-process and then drops ``Retry-After``; every client
here gets its own plain ``requests.Session`` and no retries so the caller owns backoff.

    >>> oauth = spotify_oauth(scope=SWARM_SCOPES)
    >>> oauth.get_authorize_url(state="...")
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOAuth

from followswarm.clients.secrets import spotify_app_credentials
from followswarm.settings import get_settings

# spotipy logs request headers (bearer tokens, client secret) at DEBUG: never let that through.
logging.getLogger("spotipy").setLevel(logging.INFO)

#: Scopes the swarm needs: follow on both write paths, check and list follows.
SWARM_SCOPES = "user-follow-modify user-follow-read user-library-modify user-library-read"


def _accounts_url(path: str) -> str:
    return get_settings().spotify_accounts_url.rstrip("/") + path


def spotify_oauth(scope: str = SWARM_SCOPES) -> SpotifyOAuth:
    """An authorization-code flow helper for this app (no token cache on disk)."""
    client_id, client_secret = spotify_app_credentials()
    oauth = SpotifyOAuth(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=get_settings().spotify_redirect_uri,
        scope=scope,
        cache_handler=MemoryCacheHandler(),
        requests_session=requests.Session(),
        requests_timeout=get_settings().spotify_timeout_seconds,
        open_browser=False,
    )
    oauth.OAUTH_AUTHORIZE_URL = _accounts_url("/authorize")
    oauth.OAUTH_TOKEN_URL = _accounts_url("/api/token")
    return oauth


def app_credentials_manager() -> SpotifyClientCredentials:
    client_id, client_secret = spotify_app_credentials()
    manager = SpotifyClientCredentials(
        client_id=client_id,
        client_secret=client_secret,
        cache_handler=MemoryCacheHandler(),
        requests_session=requests.Session(),
        requests_timeout=get_settings().spotify_timeout_seconds,
    )
    manager.OAUTH_TOKEN_URL = _accounts_url("/api/token")
    return manager


def spotify_api(access_token: str | None = None) -> spotipy.Spotify:
    """A Web API client for a member's token, or for the app (client credentials)."""
    settings = get_settings()
    client = spotipy.Spotify(
        auth=access_token,
        client_credentials_manager=None if access_token else app_credentials_manager(),
        requests_session=requests.Session(),
        requests_timeout=settings.spotify_timeout_seconds,
        retries=0,
        status_retries=0,
    )
    client.prefix = settings.spotify_api_url
    return client


def follow_artists(
    access_token: str, artist_ids: Sequence[str], write_path: Literal["library", "legacy"]
) -> None:
    """Follows artists for a member; library endpoint first, the legacy one by config."""
    client = spotify_api(access_token)
    if write_path == "library":
        client._put("me/library", uris=",".join(f"spotify:artist:{a}" for a in artist_ids))
    else:
        client._put("me/following", type="artist", ids=",".join(artist_ids))


def follows_artists(
    access_token: str, artist_ids: Sequence[str], write_path: Literal["library", "legacy"]
) -> list[bool]:
    """Whether the member follows each artist (the contains check of the same path)."""
    client = spotify_api(access_token)
    if write_path == "library":
        uris = ",".join(f"spotify:artist:{a}" for a in artist_ids)
        result = client._get("me/library/contains", uris=uris)
    else:
        result = client._get("me/following/contains", type="artist", ids=",".join(artist_ids))
    return [bool(x) for x in result]


def get_artist(artist_id: str) -> dict[str, object]:
    """An artist by id, read with the app's own token."""
    result: dict[str, object] = spotify_api().artist(artist_id)
    return result
