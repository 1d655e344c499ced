"""Other artists of a browser test, set up through the API (not the browser)."""

from __future__ import annotations

from typing import Any

import requests

from local.runtime import LocalRuntime
from tests.integration.signin import bearer


def new_artist(rt: LocalRuntime, name: str) -> str:
    """A Spotify artist on the stand-in; its id."""
    response = requests.post(f"{rt.spotify_url}/_fake/artists", json={"name": name}, timeout=10)
    response.raise_for_status()
    return str(response.json()["id"])


def join_roster(
    rt: LocalRuntime, session: dict[str, Any], artist_name: str, *, email: str | None = None
) -> None:
    """Claims a new artist called ``artist_name`` for the signed-in member, then joins."""
    steps: list[tuple[str, str, Any]] = [
        ("PUT", "/api/v1/me/artist", {"artist": new_artist(rt, artist_name)})
    ]
    if email:
        steps.append(("PUT", "/api/v1/me/email", {"email": email}))
    steps.append(("POST", "/api/v1/roster/join", None))
    for method, path, body in steps:
        requests.request(
            method, f"{rt.api_url}{path}", json=body, headers=bearer(session), timeout=30
        ).raise_for_status()
