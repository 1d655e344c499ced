"""Run the SendGrid sink on a real socket, in a daemon thread (tests, the local runtime)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SinkState, create_app, sink_state


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class SendGridSink:
    """A threaded werkzeug server around :func:`create_app`; port 0 picks a free port."""

    def __init__(
        self,
        api_key: str = "SG.local-placeholder",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = create_app(api_key, clock)
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self) -> SinkState:
        return sink_state(self.app)

    def mails(self, to: str | None = None) -> list[dict[str, Any]]:
        from dataclasses import asdict

        return [asdict(m) for m in self.state.list(to)]

    def start(self) -> SendGridSink:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="sendgrid-sink", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SendGridSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
