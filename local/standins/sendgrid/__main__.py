"""``python -m local.standins.sendgrid [port]``: the sink in the foreground."""

from __future__ import annotations

import sys

from .app import create_app

if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 3004
    create_app().run(host="127.0.0.1", port=port)
