"""Browser tests: the dashboard in Debian's Chromium against the local runtime (``make run``).

One local runtime and one browser per test module; each test gets a fresh browser context
(its own cookies), and fails on any console error, uncaught exception or CSP violation.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from local.runtime import LocalRuntime, RuntimeConfig
from tests.e2e.browser import VIEWPORTS, PageProblems, launch

#: A fixed virtual start (2026-05-28T20:26:40Z), so that every run sees the same days.
START_EPOCH = 1_780_000_000.0
ADMIN_USER = "swarm-operator"
#: How long an action or an expectation waits for the page (CI runs two test workers on two
#: cores, each with its own local runtime; Playwright's 5 s default is too tight there).
UI_TIMEOUT_MS = 20_000
expect.set_options(timeout=UI_TIMEOUT_MS)


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    config = RuntimeConfig(
        data_dir=tmp_path_factory.mktemp("e2e"),
        start_epoch=START_EPOCH,
        moto_mode="process",
        seed=2026,
        seed_demo_data=False,
        # No random delay before a newcomer's first batch: the journey advances exact hours.
        settings_overrides={"admin_spotify_user_ids": (ADMIN_USER,), "dispatch_jitter_seconds": 0},
    ).with_free_ports()
    with LocalRuntime(config) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = launch(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def problems(rt: LocalRuntime) -> PageProblems:
    return PageProblems(origin=rt.api_url)


@pytest.fixture
def context(browser: Browser, rt: LocalRuntime) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=rt.api_url, viewport=VIEWPORTS["desktop"], accept_downloads=True
    )
    ctx.set_default_timeout(UI_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, problems: PageProblems) -> Iterator[Page]:
    tab = context.new_page()
    problems.watch(tab)
    yield tab
    assert problems.take() == [], "the page logged errors"
