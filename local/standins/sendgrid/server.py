"""Run the SendGrid sink on a real socket, in a daemon thread (tests, the local runtime)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..serving import ThreadedServer
from .app import SinkState, create_app, sink_state


class SendGridSink(ThreadedServer):
    """A threaded werkzeug server around :func:`create_app`; port 0 picks a free port."""

    def __init__(
        self,
        api_key: str = "SG.local-sink-key",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = create_app(api_key, clock)
        super().__init__(self.app, host=host, port=port, name="sendgrid-sink")

    @property
    def state(self) -> SinkState:
        return sink_state(self.app)

    def mails(self, to: str | None = None) -> list[dict[str, Any]]:
        from dataclasses import asdict

        return [asdict(m) for m in self.state.list(to)]
