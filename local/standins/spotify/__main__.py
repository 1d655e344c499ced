"""`python -m local.standins.spotify --port 3002`: serve the stand-in in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import os

from .config import SpotifyStandInConfig
from .server import SpotifyStandIn


def main(argv: list[str] | None = None) -> None:
    defaults = SpotifyStandInConfig()
    parser = argparse.ArgumentParser(description="Local stand-in for Spotify")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3002)
    parser.add_argument(
        "--client-id", default=os.environ.get("SPOTIFY_CLIENT_ID", defaults.client_id)
    )
    parser.add_argument(
        "--client-secret",
        default=os.environ.get("SPOTIFY_CLIENT_SECRET", defaults.client_secret),
    )
    parser.add_argument("--rate-limit-calls", type=int, default=defaults.rate_limit_calls)
    parser.add_argument(
        "--rate-limit-window", type=float, default=defaults.rate_limit_window_seconds
    )
    parser.add_argument("--access-token-ttl", type=int, default=defaults.access_token_ttl)
    parser.add_argument("--no-rotate-refresh-tokens", action="store_true")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args(argv)
    config = SpotifyStandInConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        rate_limit_calls=args.rate_limit_calls,
        rate_limit_window_seconds=args.rate_limit_window,
        access_token_ttl=args.access_token_ttl,
        rotate_refresh_tokens=not args.no_rotate_refresh_tokens,
        seed=args.seed,
    )
    server = SpotifyStandIn(config, host=args.host, port=args.port, quiet=False)
    print(f"Spotify stand-in on {server.url} (client_id={config.client_id})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
