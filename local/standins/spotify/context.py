"""What the route modules share: config, state, clock, sleep, and error helpers."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Response, jsonify

from .clock import VirtualClock
from .config import SpotifyStandInConfig
from .state import State

# Scopes Spotify knows; /authorize refuses anything else, as Spotify does.
KNOWN_SCOPES = frozenset(
    {
        "ugc-image-upload",
        "user-read-playback-state",
        "user-modify-playback-state",
        "user-read-currently-playing",
        "app-remote-control",
        "streaming",
        "playlist-read-private",
        "playlist-read-collaborative",
        "playlist-modify-private",
        "playlist-modify-public",
        "user-follow-modify",
        "user-follow-read",
        "user-read-playback-position",
        "user-top-read",
        "user-read-recently-played",
        "user-library-modify",
        "user-library-read",
        "user-read-email",
        "user-read-private",
        "user-personalized",
        "user-soa-link",
        "user-soa-unlink",
        "soa-manage-entitlements",
        "soa-manage-partner",
        "soa-create-partner",
    }
)


@dataclass
class StandIn:
    config: SpotifyStandInConfig
    state: State
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    # Set only when the stand-in owns its clock (then /_fake/clock may move it).
    virtual_clock: VirtualClock | None


class ApiError(Exception):
    """A Web API error, rendered as Spotify does: {"error": {"status", "message"}}."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def api_error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def retry_after_seconds(wait: float) -> str:
    """Retry-After is whole seconds; round up so a caller that obeys it is never early."""
    return str(max(1, math.ceil(wait - 1e-9)))


def parse_scopes(raw: str | None) -> frozenset[str]:
    if not raw:
        return frozenset()
    return frozenset(s for s in raw.replace(",", " ").split() if s)
