"""Run the stand-in on a real socket, in a daemon thread or in the foreground."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from ..serving import ThreadedServer
from .app import create_app, standin_of
from .config import SpotifyStandInConfig
from .context import StandIn


class SpotifyStandIn(ThreadedServer):
    """A threaded werkzeug server around `create_app`; port 0 picks a free port."""

    def __init__(
        self,
        config: SpotifyStandInConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        quiet: bool = True,
    ) -> None:
        self.app: Flask = create_app(config, clock=clock, sleep=sleep)
        super().__init__(self.app, host=host, port=port, name="spotify-standin", quiet=quiet)

    @property
    def standin(self) -> StandIn:
        return standin_of(self.app)
