"""Process start-up shared by every function: bind the data layer to this stage."""

from __future__ import annotations

from followswarm.data.tables import bind_models
from followswarm.settings import Settings, get_settings


def configure(settings: Settings | None = None) -> Settings:
    """Bind models to the stage's tables; call once at import time of a handler module."""
    settings = settings or get_settings()
    bind_models(settings)
    return settings
