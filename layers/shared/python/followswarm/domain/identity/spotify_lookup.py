"""Spotify Web API reads on a member's behalf (with the vault's token, one retry on 401)."""

from __future__ import annotations

from typing import Any

import requests
from spotipy.exceptions import SpotifyException

from followswarm.clients.spotify import spotify_api
from followswarm.domain.identity import vault
from followswarm.errors import DependencyFailed, NotFound, SwarmError, TooManyRequests


def artist_name(member_id: str, artist_id: str) -> str:
    """The artist's name, confirming it exists (``GET /v1/artists/{id}``)."""
    return str(artist(member_id, artist_id).get("name") or "")


def artist(member_id: str, artist_id: str) -> dict[str, Any]:
    """Spotify's artist object (``GET /v1/artists/{id}``), read with the member's token."""
    token = vault.access_token_for(member_id)
    for attempt in range(2):
        try:
            found: dict[str, Any] = spotify_api(token).artist(artist_id)
            return found
        except SpotifyException as exc:
            if exc.http_status == 401 and attempt == 0:
                token = vault.force_refresh(member_id)
                continue
            if exc.http_status in (400, 404):
                raise NotFound(
                    "Spotify has no artist with that ID", code="artist_not_found"
                ) from exc
            if exc.http_status == 429:
                retry = int((exc.headers or {}).get("Retry-After", "1"))
                raise TooManyRequests("Spotify is busy; try again", retry_after=retry) from exc
            raise DependencyFailed(
                "Spotify could not be reached", code="spotify_unavailable"
            ) from exc
        except requests.RequestException as exc:
            raise DependencyFailed(
                "Spotify could not be reached", code="spotify_unavailable"
            ) from exc
    raise SwarmError("Spotify refused the token", code="needs_reauth")
