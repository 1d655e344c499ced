"""A Stripe stand-in for the subset Follow-Swarm uses (localstripe has no Prices and no Checkout
Sessions): the official ``stripe`` library talks to it unchanged, and it posts webhook events
signed exactly as Stripe signs them."""

from .app import create_app, decode_form, stripe_state
from .server import StripeStandIn
from .state import API_VERSION, StripeState

__all__ = [
    "API_VERSION",
    "StripeStandIn",
    "StripeState",
    "create_app",
    "decode_form",
    "stripe_state",
]
