"""Configuration of the Spotify stand-in."""

from __future__ import annotations

from dataclasses import dataclass, field

# Six months, roughly when Spotify refresh tokens stop working.
DEFAULT_REFRESH_TOKEN_TTL = 183 * 24 * 3600.0


@dataclass
class SpotifyStandInConfig:
    """One registered Spotify app plus the limits the stand-in enforces."""

    client_id: str = "followswarm-local"
    client_secret: str = "followswarm-local-secret"
    rate_limit_calls: int = 180
    rate_limit_window_seconds: float = 30.0
    access_token_ttl: int = 3600
    rotate_refresh_tokens: bool = True
    seed: int = 0
    # Empty means any redirect URI is accepted; otherwise exact matches only, like Spotify's
    # dashboard allow-list.
    redirect_uris: tuple[str, ...] = ()
    refresh_token_ttl: float | None = DEFAULT_REFRESH_TOKEN_TTL
    authorization_code_ttl: float = 600.0
    extra_clients: dict[str, str] = field(default_factory=dict)

    def clients(self) -> dict[str, str]:
        """All known client_id -> client_secret pairs."""
        return {**self.extra_clients, self.client_id: self.client_secret}
