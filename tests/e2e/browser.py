"""Debian's Chromium driven by Playwright, and what every browser test checks on every page.

Playwright's own browser download does not work offline, so the tests launch the system
Chromium (``apt-get install chromium``; the Makefile installs it) with the flags below.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright

CHROMIUM = os.environ.get("SWARM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Desktop and phone-width viewports (the phone is a 390 px wide handset).
VIEWPORTS: dict[str, dict[str, int]] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}
#: ``make screenshots`` sets this; the page tests then save each page at each width there.
SCREENSHOTS_ENV = "SWARM_SCREENSHOTS_DIR"
#: axe-core rule tags checked: WCAG 2.1 A and AA (labels, keyboard names, contrast, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Chromium logs every 4xx answer to a fetch as an error; the pages handle those when the API
#: gives them (a 401 when checking for a session, a 400 the test provokes). A 4xx for a page's
#: own file, any 5xx and any script error still fail the test.
_HANDLED_API_ERROR = re.compile(r"^Failed to load resource: .*status of 4\d\d")
_API_PATHS = re.compile(r"^https?://[^/]+/(api|auth)/")


def launch(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: run `make install` (it installs Debian's chromium package)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen on the site's own pages
    (``origin``); the stand-ins' pages (Spotify's consent, Stripe's checkout) aren't ours."""

    origin: str
    errors: list[str] = field(default_factory=list)
    #: URLs whose 4xx the test expects (the 404 page's own document).
    expected_failures: set[str] = field(default_factory=set)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = str((message.location or {}).get("url") or "")
        if url and not url.startswith(self.origin):
            return
        if _HANDLED_API_ERROR.search(message.text) and (
            _API_PATHS.match(url) or url in self.expected_failures
        ):
            return
        self.errors.append(f"console: {message.text} ({url})")

    def take(self) -> list[str]:
        taken, self.errors = self.errors, []
        return taken


_axe = Axe()


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG A/AA violations on the page as it is now (rule id, impact, targets)."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations: list[dict[str, Any]] = results.response["violations"]
    return [
        {
            "rule": v["id"],
            "impact": v.get("impact"),
            "help": v.get("help"),
            "targets": [n["target"] for n in v.get("nodes", [])][:5],
        }
        for v in violations
    ]


def horizontal_overflow(page: Page) -> int:
    """Pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    overflow: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return overflow


def wait_ready(page: Page) -> None:
    """Waits until the page's script has run (``page()`` in layout.js sets ``data-ready``)."""
    page.wait_for_selector("body[data-ready='true']", state="attached")


def screenshot(page: Page, name: str, viewport: str) -> Path | None:
    folder = os.environ.get(SCREENSHOTS_ENV)
    if not folder:
        return None
    path = Path(folder) / f"{name}-{viewport}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
