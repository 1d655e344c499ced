"""Local stand-in for Spotify's accounts service and Web API (a test double).

Use `create_app(config)` for an in-process Flask app, `SpotifyStandIn` for a real server,
or `python -m local.standins.spotify --port 3002`.
"""

from .app import create_app, standin_of
from .config import SpotifyStandInConfig
from .server import SpotifyStandIn

__all__ = ["SpotifyStandIn", "SpotifyStandInConfig", "create_app", "standin_of"]
