"""``python -m local.runtime``: the whole system locally, until Ctrl-C."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from dataclasses import replace
from types import FrameType

from local.runtime.config import RuntimeConfig
from local.runtime.runtime import LocalRuntime


def banner(runtime: LocalRuntime) -> str:
    users = ", ".join(u.get("display_name", u.get("id", "?")) for u in runtime.demo_users)
    artists = ", ".join(f"{a.get('name')} ({a.get('id')})" for a in runtime.demo_artists)
    return f"""
Follow-Swarm local runtime (stage {runtime.config.stage})
  Dashboard        {runtime.api_url}/   (the artist site; admins: {runtime.api_url}/admin)
  API              {runtime.api_url}
  API docs         {runtime.docs_url}   (OpenAPI: {runtime.api_url}/openapi.json)
  Spotify stand-in {runtime.spotify_url}   (test controls under /_fake/)
  Mail (SendGrid)  {runtime.sendgrid_url}   (received mails; JSON at /_sink/mails)
  Stripe stand-in  {runtime.stripe_url}   (Checkout/Portal pages; events at /_fake/events)
  Virtual clock    {runtime.clock_url}
                   advance: curl -X POST -H 'content-type: application/json' \\
                            -d '{{"advance": 3600}}' {runtime.clock_url}
  Queues           {runtime.api_url}/_local/queues
  AWS (moto)       {runtime.aws_endpoint_url}

Sign in: open {runtime.api_url}/ and press "Connect with Spotify", then pick a test user on
  the stand-in's page (demo users: {users or "none"}) or create one.
Demo artists to claim: {artists or "none"}
Ctrl-C stops everything.
"""


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    config = replace(RuntimeConfig.from_env(), realtime=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with LocalRuntime(config) as runtime:
        print(banner(runtime), flush=True)
        while not stop.wait(1.0):
            pass
        print("stopping ...", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
