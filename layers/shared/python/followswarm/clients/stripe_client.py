"""Stripe through the official library, pointed at Stripe or the local stand-in by configuration.

Imported only by the billing function: ``stripe`` is a large package, and no other function
should pay for it at cold start.
"""

from __future__ import annotations

from functools import lru_cache

import stripe

from followswarm.clients.secrets import get_json_secret
from followswarm.settings import get_settings

#: Network retries of the library itself (it sends idempotency keys, so a retry is safe).
MAX_NETWORK_RETRIES = 2
TIMEOUT_SECONDS = 10


def _secret() -> dict[str, object]:
    return get_json_secret(get_settings().stripe_secret_name)


def stripe_client() -> stripe.StripeClient:
    """The app's Stripe client; a rotated key (the secret is re-read every 5 minutes) gets a
    new client."""
    return _client(str(_secret()["api_key"]), get_settings().stripe_api_base.rstrip("/"))


@lru_cache(maxsize=2)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def webhook_secret() -> str:
    return str(_secret()["webhook_secret"])


def reset_client() -> None:
    _client.cache_clear()
