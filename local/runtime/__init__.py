"""The local runtime: moto, the stand-ins, in-process handlers and a virtual clock.

``python -m local.runtime`` (``make run``) starts it; tests use :class:`LocalRuntime`.
Exports are resolved lazily, so a moto child process can import ``local.runtime.aws`` alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.runtime.config import RuntimeConfig
    from local.runtime.runtime import LocalRuntime

__all__ = ["LocalRuntime", "RuntimeConfig"]


def __getattr__(name: str) -> Any:
    if name == "LocalRuntime":
        from local.runtime.runtime import LocalRuntime

        return LocalRuntime
    if name == "RuntimeConfig":
        from local.runtime.config import RuntimeConfig

        return RuntimeConfig
    raise AttributeError(name)
