"""The app-wide Spotify call budget (rolling window, as Spotify counts) and the global pause."""

from __future__ import annotations

from dataclasses import dataclass

from followswarm.data.repositories import ledger as store
from followswarm.settings import Settings

MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class PauseState:
    paused: bool
    until: float | None
    admin_paused: bool
    reason: str | None


def pause_state(now: float) -> PauseState:
    item = store.load_pause()
    until = float(item.paused_until) if item.paused_until else None
    timed = until is not None and until > now
    return PauseState(
        paused=bool(item.admin_paused) or timed,
        until=until if timed else None,
        admin_paused=bool(item.admin_paused),
        reason=item.reason,
    )


def pause_for_rate_limit(now: float, retry_after: float) -> None:
    """A 429 pauses every worker until Retry-After has passed (authoritative, however long)."""
    store.save_pause(paused_until=now + retry_after, reason="spotify_rate_limited")


def set_admin_pause(paused: bool, reason: str | None) -> PauseState:
    item = store.save_pause(admin_paused=paused, reason=reason)
    until = float(item.paused_until) if item.paused_until else None
    return PauseState(bool(item.admin_paused) or False, until, bool(item.admin_paused), reason)


def reserve_call(settings: Settings, now: float) -> float:
    """Takes one call from the rolling window; returns 0, or seconds until one is free."""
    window = settings.spotify_budget_window_seconds
    per_window = settings.spotify_budget_per_window
    for _ in range(MAX_ATTEMPTS):
        item = store.load_budget()
        entries = [[float(t), int(n)] for t, n in item.entries if float(t) > now - window]
        used = sum(n for _, n in entries)
        if used + 1 > per_window:
            oldest = min(t for t, _ in entries)
            return max(0.001, oldest + window - now)
        try:
            store.save_budget(item, [*entries, [round(now, 3), 1]])
            return 0.0
        except store.StaleWrite:
            continue
    return 1.0


def budget_use(settings: Settings, now: float) -> dict[str, float]:
    item = store.load_budget()
    window = settings.spotify_budget_window_seconds
    used = sum(int(n) for t, n in item.entries if float(t) > now - window)
    return {
        "window_seconds": window,
        "used": used,
        "limit": settings.spotify_budget_per_window,
        "share": used / settings.spotify_budget_per_window,
    }
