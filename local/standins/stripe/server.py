"""Run the Stripe stand-in on a real socket, in a daemon thread (tests, the local runtime)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..serving import ThreadedServer
from .app import create_app, stripe_state
from .state import StripeState, WebhookEndpoint


class StripeStandIn(ThreadedServer):
    """A threaded werkzeug server around :func:`create_app`; port 0 picks a free port."""

    def __init__(
        self,
        api_key: str = "sk_test_local_standin",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        webhook_url: str | None = None,
        webhook_secret: str = "whsec_local_standin",  # noqa: S107 (a local test secret)
    ) -> None:
        self.app = create_app(
            api_key, clock=clock, webhook_url=webhook_url, webhook_secret=webhook_secret
        )
        super().__init__(self.app, host=host, port=port, name="stripe-standin")
        self.state.base_url = self.url

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
