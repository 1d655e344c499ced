"""A wall clock that tests and the local runtime can move forward."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class VirtualClock:
    """Real time plus an adjustable offset, so expiry still happens in a live run."""

    def __init__(self, real: Callable[[], float] = time.time) -> None:
        self._real = real
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._real() + self._offset

    def advance(self, seconds: float) -> float:
        """Move forward; never backward, since issued tokens and windows assume monotony."""
        if seconds < 0:
            raise ValueError("cannot move the clock backwards")
        with self._lock:
            self._offset += seconds
            return self._real() + self._offset

    def set(self, now: float) -> float:
        with self._lock:
            current = self._real() + self._offset
            if now < current:
                raise ValueError("cannot move the clock backwards")
            self._offset += now - current
            return now
