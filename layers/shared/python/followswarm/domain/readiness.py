"""Readiness: can this deployment reach every dependency it serves requests with?"""

from __future__ import annotations

from dataclasses import dataclass, field

from followswarm.clients.queues import queue_reachable
from followswarm.data.health import unreachable_tables
from followswarm.settings import get_settings


@dataclass(frozen=True)
class ReadinessReport:
    failed: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.failed


def check_readiness() -> ReadinessReport:
    """Checks each table, each queue and that Spotify grants the app a token."""
    settings = get_settings()
    failed = [f"table:{name}" for name in unreachable_tables()]
    for queue in (settings.follow_queue_name, settings.follow_dlq_name):
        if not queue_reachable(queue):
            failed.append(f"queue:{queue}")
    if not _spotify_app_token_ok():
        failed.append("spotify:app-token")
    return ReadinessReport(failed=failed)


def _spotify_app_token_ok() -> bool:
    # Imported here: spotipy is only needed by the readiness probe among the health routes.
    from followswarm.clients.spotify import app_credentials_manager

    try:
        return bool(app_credentials_manager().get_access_token(as_dict=False))
    except Exception:
        return False
