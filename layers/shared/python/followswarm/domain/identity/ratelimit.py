"""Per-client-IP limits on sign-in attempts: fixed windows counted atomically in DynamoDB."""

from __future__ import annotations

import hashlib

from followswarm import clock
from followswarm.data.repositories import auth as auth_repo
from followswarm.errors import TooManyRequests
from followswarm.settings import get_settings


def check_sign_in(client_ip: str) -> None:
    """Counts one sign-in attempt; raises 429 (with Retry-After) once a window is full."""
    settings = get_settings()
    # The IP is hashed: the counters need to tell clients apart, not to know who they are.
    key = hashlib.sha256(client_ip.encode()).hexdigest()[:24]
    now = clock.now_int()
    for window, limit in (
        (60, settings.login_rate_per_minute),
        (3600, settings.login_rate_per_hour),
    ):
        start = now - now % window
        if not auth_repo.take_rate_slot("signin", key, start, limit, start + window):
            raise TooManyRequests(
                "Too many sign-in attempts; try again later",
                retry_after=max(1, start + window - now),
            )
