"""Every page of the dashboard, at desktop and phone width: it renders without errors, passes
axe-core's WCAG 2.1 A/AA rules, doesn't scroll sideways on a phone, and works by keyboard.

``make screenshots`` runs ``test_every_page_at_desktop_and_phone_width`` with
``SWARM_SCREENSHOTS_DIR=docs/screenshots``, which saves each page at each width there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from followswarm.edge_routes import SITE_PAGES
from local.runtime import LocalRuntime
from tests.e2e.browser import (
    VIEWPORTS,
    PageProblems,
    accessibility_violations,
    horizontal_overflow,
    screenshot,
    wait_ready,
)
from tests.e2e.conftest import ADMIN_USER, UI_TIMEOUT_MS
from tests.e2e.members import join_roster
from tests.integration.signin import bearer, new_user, sign_in_api_client

#: Who looks at each page: the anonymous visitor, a newcomer, a member with history, an admin.
VIEWER_OF: dict[str, str] = {
    "/": "visitor",
    "/onboarding": "newcomer",
    "/admin": "admin",
    "/admin/members": "admin",
    "/admin/queue": "admin",
    "/admin/audit": "admin",
}
NOT_FOUND_PATH = "/no-such-page"


@dataclass(frozen=True)
class Cast:
    sessions: dict[str, dict[str, Any] | None]


@pytest.fixture(scope="module")
def cast(rt: LocalRuntime) -> Cast:
    """A roster with a few hours of follows behind it, and one of each kind of viewer."""
    member = sign_in_api_client(rt, new_user(rt, "Screenshot Artist"))
    join_roster(rt, member, "Harbour Lights", email="harbour@example.com")
    for name in ("Velvet Static", "Moss Choir", "Paper Comets", "Lo Tide"):
        join_roster(rt, sign_in_api_client(rt, new_user(rt, name)), name)
    requests.post(
        f"{rt.spotify_url}/_fake/users", json={"id": ADMIN_USER, "display_name": "Ops"}, timeout=10
    ).raise_for_status()
    rt.advance(3 * 3600)
    # Signed in after the clock moved, so the access tokens are fresh for the whole module.
    sessions: dict[str, dict[str, Any] | None] = {
        "visitor": None,
        "member": _fresh(rt, member),
        "newcomer": sign_in_api_client(rt, new_user(rt, "New Face")),
        # Signs out in its test: nobody else's session is revoked.
        "leaver": sign_in_api_client(rt, new_user(rt, "Short Stay")),
        "admin": sign_in_api_client(rt, ADMIN_USER),
    }
    return Cast(sessions)


def _fresh(rt: LocalRuntime, session: dict[str, Any]) -> dict[str, Any]:
    """Rotates an API client's session (its access token expired while the clock advanced)."""
    reply = requests.post(
        f"{rt.api_url}/auth/refresh", json={"refresh_token": session["refresh_token"]}, timeout=30
    )
    reply.raise_for_status()
    return {**session, **reply.json()}


def _cookies(rt: LocalRuntime, session: dict[str, Any]) -> list[dict[str, Any]]:
    """The cookies /auth/callback would have set in the browser for this session."""
    host = rt.api_url.split("//", 1)[1].split(":", 1)[0]
    common = {"domain": host, "secure": True, "sameSite": "Lax"}
    return [
        {"name": "fs_access", "value": session["access_token"], "path": "/", "httpOnly": True}
        | common,
        {"name": "fs_refresh", "value": session["refresh_token"], "path": "/auth", "httpOnly": True}
        | common,
        {"name": "fs_csrf", "value": session["csrf_token"], "path": "/", "httpOnly": False}
        | common,
    ]


@pytest.fixture
def open_as(
    browser: Browser, rt: LocalRuntime, cast: Cast, problems: PageProblems
) -> Iterator[Any]:
    contexts: list[BrowserContext] = []

    def open_page(viewer: str, path: str, viewport: str = "desktop") -> Page:
        context = browser.new_context(base_url=rt.api_url, viewport=VIEWPORTS[viewport])
        context.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(context)
        session = cast.sessions[viewer]
        if session is not None:
            context.add_cookies(_cookies(rt, session))  # type: ignore[arg-type]
        tab = context.new_page()
        problems.watch(tab)
        if path == NOT_FOUND_PATH:
            problems.expected_failures.add(f"{rt.api_url}{path}")
        tab.goto(path)
        wait_ready(tab)
        return tab

    yield open_page
    for context in contexts:
        context.close()
    assert problems.take() == [], "a page logged errors"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("path", [*SITE_PAGES, NOT_FOUND_PATH])
def test_every_page_at_desktop_and_phone_width(open_as: Any, path: str, viewport: str) -> None:
    tab: Page = open_as(VIEWER_OF.get(path, "member"), path, viewport)
    expect(tab.locator("h1").first).to_be_visible()
    # Every API call of the page succeeded (a failure would show as an error notice).
    expect(tab.locator("#notice.error")).to_have_count(0)
    assert tab.title().endswith("Follow-Swarm")
    assert accessibility_violations(tab) == []
    if viewport == "phone":
        assert horizontal_overflow(tab) == 0
    name = SITE_PAGES.get(path, "404.html").removesuffix(".html")
    screenshot(tab, name, viewport)


def test_an_unknown_path_is_the_404_page_with_status_404(rt: LocalRuntime) -> None:
    response = requests.get(f"{rt.api_url}{NOT_FOUND_PATH}", timeout=10)
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_deleting_can_be_called_off_and_signing_out_ends_the_session(open_as: Any) -> None:
    tab: Page = open_as("leaver", "/dashboard/settings")
    tab.get_by_role("button", name="Delete my account").click()
    dialog = tab.get_by_role("dialog", name="Delete your account?")
    dialog.get_by_role("button", name="Keep my account").click()
    expect(dialog).to_be_hidden()
    assert tab.request.get("/api/v1/me").status == 200

    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url("**/?signedout=1")
    wait_ready(tab)
    expect(tab.locator("#notice")).to_have_text("You're signed out. See you soon!")
    assert tab.request.get("/api/v1/me").status == 401


def test_dashboard_shows_progress_chart_and_limits(open_as: Any) -> None:
    tab: Page = open_as("member", "/dashboard")
    expect(tab.locator("#followers-figure")).to_contain_text("4 of 4 members")
    expect(tab.locator("#chart svg[role='img']")).to_have_attribute(
        "aria-label", "Follows per day: 4 follows in 8 days, at most 4 in a day"
    )
    expect(tab.locator("[data-window]")).to_have_count(3)
    tab.get_by_label("Period").select_option("all")
    expect(tab.locator("#chart-totals")).to_contain_text("4 followed")


def test_a_member_on_an_admin_page_is_told_it_is_for_operators(open_as: Any) -> None:
    tab: Page = open_as("member", "/admin/members")
    expect(tab.get_by_role("heading", name="Admin only")).to_be_visible()
    expect(tab.get_by_role("link", name="Admin")).to_have_count(0)


def test_a_visitor_sent_to_the_dashboard_is_asked_to_sign_in(open_as: Any) -> None:
    tab: Page = open_as("visitor", "/dashboard/history")
    tab.wait_for_url("**/?signin=required")
    wait_ready(tab)
    expect(tab.locator("#notice")).to_have_text("Please sign in with Spotify to continue.")


def test_pause_and_the_leave_dialog_work_from_the_keyboard(open_as: Any) -> None:
    tab: Page = open_as("member", "/dashboard")
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("link", name="Skip to content")).to_be_focused()
    pause = tab.get_by_role("button", name="Pause follows")
    for _ in range(40):
        if pause.evaluate("node => node === document.activeElement"):
            break
        tab.keyboard.press("Tab")
    expect(pause).to_be_focused()
    tab.keyboard.press("Enter")
    expect(tab.locator("#notice")).to_have_text("Follows paused.")
    resume = tab.get_by_role("button", name="Resume follows")
    expect(pause).to_be_hidden()
    expect(resume).to_be_focused()
    tab.keyboard.press("Enter")
    expect(tab.locator("#notice")).to_have_text("Follows resumed.")
    expect(resume).to_be_hidden()
    expect(tab.get_by_role("link", name="Join the roster")).to_be_hidden()

    tab.get_by_role("button", name="Leave the roster").focus()
    tab.keyboard.press("Enter")
    dialog = tab.get_by_role("dialog", name="Leave the roster?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Stay")).to_be_focused()
    tab.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert tab.request.get("/api/v1/follows/progress").json()["roster"]["status"] == "joined"


def test_admin_pauses_and_resumes_the_swarm(open_as: Any, rt: LocalRuntime, cast: Cast) -> None:
    tab: Page = open_as("admin", "/admin/queue")
    tab.get_by_label("Reason for pausing").fill("Spotify incident")
    try:
        tab.get_by_role("button", name="Pause every follow").click()
        expect(tab.locator("#swarm-state")).to_have_text(
            "Swarm: Paused by an operator: Spotify incident."
        )
        tab.get_by_role("button", name="Resume follows").click()
        expect(tab.locator("#swarm-state")).to_have_text("Swarm: Running.")
    finally:  # the other tests of this module need a running swarm
        admin = cast.sessions["admin"]
        assert admin is not None
        requests.post(
            f"{rt.api_url}/api/v1/admin/queue/resume", headers=bearer(admin), timeout=30
        ).raise_for_status()
    tab.get_by_role("link", name="Audit log").click()
    wait_ready(tab)
    expect(tab.locator("#audit-rows")).to_contain_text("swarm paused")


def test_admin_finds_and_suspends_a_member(open_as: Any) -> None:
    tab: Page = open_as("admin", "/admin/members")
    tab.get_by_label("Name, Spotify user or artist").fill("Lo Tide")
    tab.get_by_role("button", name="Search").click()
    row = tab.locator("[data-member-row]")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Suspend: Lo Tide").click()
    expect(row.get_by_role("button", name="Reinstate: Lo Tide")).to_be_focused()
    expect(row).to_contain_text("suspended")
    row.get_by_role("button", name="Reinstate: Lo Tide").click()
    expect(row.get_by_role("button", name="Suspend: Lo Tide")).to_be_visible()
