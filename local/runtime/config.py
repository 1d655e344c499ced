"""Configuration of the local runtime: ports, data directory, stage and the virtual clock.

Every field has a default suited to ``make run``; ``RuntimeConfig.from_env()`` lets the
``SWARM_LOCAL_*`` environment variables override them, and tests pass port ``0`` (a free port).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

ENV_PREFIX = "SWARM_LOCAL_"

MotoMode = Literal["thread", "process"]


@dataclass(frozen=True)
class RuntimeConfig:
    """Where the local runtime listens and how its clock behaves."""

    host: str = "127.0.0.1"
    #: The API (API Gateway stand-in) and ``/_local/*``; ``0`` picks a free port.
    api_port: int = 3001
    spotify_port: int = 3002
    sendgrid_port: int = 3005
    stripe_port: int = 3006
    moto_port: int = 3003
    #: ``thread``: moto's ``ThreadedMotoServer`` in this process. ``process``: a child process,
    #: immune to ``mock_aws`` resets of moto's (process-global) backends in the same process.
    moto_mode: MotoMode = "thread"
    data_dir: Path = Path(".local")
    stage: str = "dev"
    seed: int = 0
    #: Virtual clock start (epoch seconds); ``None`` starts at the real time.
    start_epoch: float | None = None
    #: ``True`` (``make run``): virtual time flows with real time and a background thread fires
    #: schedules and polls the queues. ``False`` (tests): time moves only on ``advance``.
    realtime: bool = False
    #: Seed demo users and artists in the Spotify stand-in.
    seed_demo_data: bool = True
    #: Extra ``Settings`` fields for the handlers (e.g. ``{"follows_per_hour": 5}``).
    settings_overrides: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> RuntimeConfig:
        """Defaults, then ``SWARM_LOCAL_<FIELD>`` variables, then keyword overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"{ENV_PREFIX}{f.name.upper()}")
            if raw is None or f.name == "settings_overrides":
                continue
            values[f.name] = _parse(f.name, raw)
        values.update(overrides)
        return cls(**values)

    def with_free_ports(self) -> RuntimeConfig:
        return replace(
            self, api_port=0, spotify_port=0, moto_port=0, sendgrid_port=0, stripe_port=0
        )


def _parse(name: str, raw: str) -> Any:
    if name.endswith("_port") or name == "seed":
        return int(raw)
    if name == "start_epoch":
        return float(raw) if raw else None
    if name in {"realtime", "seed_demo_data"}:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if name == "data_dir":
        return Path(raw)
    return raw
