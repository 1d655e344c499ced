"""The time source of all domain code, injectable so tests and the local runtime control time.

>>> set_clock(lambda: 1_700_000_000.0)
>>> now()
1700000000.0
>>> set_clock(None)  # back to the system clock
"""

from __future__ import annotations

import time
from collections.abc import Callable

_clock: Callable[[], float] = time.time


def set_clock(clock: Callable[[], float] | None) -> None:
    """Install a clock (``None`` restores the system clock)."""
    global _clock
    _clock = clock or time.time


def now() -> float:
    """Seconds since the epoch, from the installed clock."""
    return _clock()


def now_int() -> int:
    return int(_clock())
