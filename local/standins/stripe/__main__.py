"""``python -m local.standins.stripe [port] [webhook url]``: the stand-in in the foreground."""

from __future__ import annotations

import sys

from .app import create_app, stripe_state

if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 3006
    webhook = sys.argv[2] if len(sys.argv) > 2 else None
    app = create_app(webhook_url=webhook)
    stripe_state(app).base_url = f"http://127.0.0.1:{port}"
    app.run(host="127.0.0.1", port=port)
