"""Run the stand-in on a real socket, in a daemon thread or in the foreground."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app, standin_of
from .config import SpotifyStandInConfig
from .context import StandIn


class _QuietHandler(WSGIRequestHandler):
    """No access log: tests and the local runtime read the call log instead."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class SpotifyStandIn:
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
        handler = _QuietHandler if quiet else WSGIRequestHandler
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=handler
        )
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def standin(self) -> StandIn:
        return standin_of(self.app)

    def start(self) -> SpotifyStandIn:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="spotify-standin",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SpotifyStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
