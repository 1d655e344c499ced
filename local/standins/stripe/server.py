"""Run the Stripe stand-in on a real socket, in a daemon thread (tests, the local runtime)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app, stripe_state
from .state import StripeState, WebhookEndpoint


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class StripeStandIn:
    """A threaded werkzeug server around :func:`create_app`; port 0 picks a free port."""

    def __init__(
        self,
        api_key: str = "sk_test_local_placeholder",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        webhook_url: str | None = None,
        webhook_secret: str = "whsec_local_placeholder",  # noqa: S107 (a local test secret)  # noqa: S107 (a local test secret)
    ) -> None:
        self.app = create_app(
            api_key, clock=clock, webhook_url=webhook_url, webhook_secret=webhook_secret
        )
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.host = host
        self.port = self._server.server_port
        self.state.base_url = self.url
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self) -> StripeState:
        return stripe_state(self.app)

    def set_webhook_endpoint(self, url: str, secret: str) -> None:
        with self.state.lock:
            self.state.endpoint = WebhookEndpoint(url, secret)

    def add_price(
        self, price_id: str, *, product: str, unit_amount: int, nickname: str
    ) -> dict[str, Any]:
        """A monthly recurring price with a fixed id (the local runtime's configured tiers)."""
        with self.state.lock:
            if price_id in self.state.objects:
                return self.state.public(self.state.objects[price_id])
            product_obj = self.state.create_product({"name": product})
            return self.state.create_price(
                {
                    "id": price_id,
                    "currency": "usd",
                    "unit_amount": unit_amount,
                    "product": product_obj["id"],
                    "nickname": nickname,
                    "recurring": {"interval": "month"},
                }
            )

    def start(self) -> StripeStandIn:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="stripe-standin",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> StripeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
