"""An artist's whole journey in the browser, against the local runtime and its stand-ins.

Connect through the Spotify stand-in, claim an artist after previewing it, verify an email
from the SendGrid sink's mail, join, watch followers arrive as the virtual clock advances,
upgrade through the Stripe stand-in's Checkout, pause and resume, export and delete.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from local.runtime import LocalRuntime
from tests.e2e.browser import accessibility_violations, wait_ready
from tests.e2e.members import join_roster, new_artist
from tests.integration.signin import new_user, sign_in_api_client

ARTIST_NAME = "Journey Band"
EMAIL = "journey@example.com"


def _advance(rt: LocalRuntime, seconds: int) -> None:
    """What an operator of ``make run`` does: POST /_local/clock."""
    requests.post(f"{rt.clock_url}", json={"advance": seconds}, timeout=300).raise_for_status()


def _verification_link(rt: LocalRuntime) -> str:
    rt.drain()  # the notifier sends queued mails
    mails = requests.get(f"{rt.sendgrid_url}/_sink/mails", params={"to": EMAIL}, timeout=10)
    bodies = " ".join((m["text"] or "") + (m["html"] or "") for m in mails.json()["mails"])
    match = re.search(r"https?://[^\s\"'<>]+/dashboard/verify-email\?token=[^\s\"'<>&]+", bodies)
    assert match, "no verification link was mailed"
    return match.group(0)


def test_artist_journey_from_connect_to_delete(page: Page, rt: LocalRuntime) -> None:
    for n in range(1, 4):
        name = f"Roster Artist {n}"
        join_roster(rt, sign_in_api_client(rt, new_user(rt, name)), name)

    # --- connect with Spotify (the stand-in's consent page), land on onboarding ---------------
    page.goto("/")
    wait_ready(page)
    page.get_by_role("link", name="Connect with Spotify").click()
    expect(page).to_have_title(re.compile("authorize"))
    page.get_by_label("New user's display name").fill("Journey Person")
    page.get_by_role("button", name="Agree").click()
    page.wait_for_url("**/onboarding")
    wait_ready(page)
    expect(page.get_by_role("button", name="Join the roster")).to_be_disabled()

    # --- claim the artist profile after a preview; a bad link is explained in words -----------
    link = page.get_by_label("Your Spotify artist link")
    link.fill("not a link")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#notice")).to_contain_text("doesn't look like a Spotify artist")
    artist_id = new_artist(rt, ARTIST_NAME)
    link.fill(f"https://open.spotify.com/artist/{artist_id}?si=share")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#artist-name")).to_have_text(ARTIST_NAME)
    page.get_by_role("button", name="This is me: claim it").click()
    expect(page.locator("#notice")).to_contain_text(f"Claimed: {ARTIST_NAME}")

    # --- add the email and open the mailed verification link -----------------------------------
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Send verification link").click()
    expect(page.locator("#notice")).to_contain_text(f"We sent a verification link to {EMAIL}")
    page.goto(_verification_link(rt))
    expect(page.locator("#verify-state")).to_have_text(f"Thank you! {EMAIL} is verified.")

    # --- join the roster ---------------------------------------------------------------------
    page.goto("/onboarding")
    wait_ready(page)
    page.get_by_role("button", name="Join the roster").click()
    page.wait_for_url("**/dashboard?joined=1")
    wait_ready(page)
    expect(page.locator("#notice")).to_contain_text("Welcome to the swarm")
    expect(page.locator("#followers-figure")).to_contain_text("0 of 3 members")

    # --- followers arrive as virtual time passes -------------------------------------------------
    _advance(rt, 2 * 3600)
    page.get_by_role("button", name="Refresh").click()
    expect(page.locator("#followers-figure")).to_contain_text("3 of 3 members")
    expect(page.locator("#following-figure")).to_contain_text("3 of 3 members")
    expect(page.locator("#eta-figure")).to_have_text("All done")
    # Seven days back and today, quiet days included; the follows all landed today.
    expect(page.locator("#chart svg rect.bar")).to_have_count(8)
    expect(page.locator("#chart svg[role='img']")).to_have_attribute(
        "aria-label", "Follows per day: 3 follows in 8 days, at most 3 in a day"
    )
    expect(page.locator("[data-window='day']")).to_contain_text("3 of 500")
    assert accessibility_violations(page) == []
    follows = requests.get(f"{rt.spotify_url}/_fake/follows", timeout=10).json()
    assert follows, "the Spotify stand-in recorded no follows"

    # --- history shows the follows --------------------------------------------------------------
    page.get_by_role("link", name="History").click()
    wait_ready(page)
    expect(page.locator("#history-rows tr")).to_have_count(3)
    page.get_by_label("Show").select_option("failed")
    expect(page.locator("#history-empty")).to_be_visible()
    expect(page.locator("#history-rows tr")).to_have_count(0)

    # --- upgrade through Stripe Checkout (the stand-in's hosted page) --------------------------
    page.get_by_role("link", name="Plan & billing").click()
    wait_ready(page)
    expect(page.locator("#current-tier")).to_have_text("Free")
    page.get_by_role("button", name="Upgrade to Premium").click()
    expect(page).to_have_title(re.compile("Checkout"))
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/dashboard/billing?checkout=success*")
    wait_ready(page)
    expect(page.locator("#notice")).to_contain_text("You're now on the Premium plan")
    expect(page.locator("#current-tier")).to_have_text("Premium")
    expect(page.get_by_role("button", name="Manage subscription")).to_be_visible()

    # --- pause and resume ---------------------------------------------------------------------
    page.get_by_role("link", name="Dashboard").click()
    wait_ready(page)
    page.get_by_role("button", name="Pause follows").click()
    expect(page.locator("#notice")).to_have_text("Follows paused.")
    expect(page.locator("#status-line")).to_contain_text("Your follows are paused")
    assert page.request.get("/api/v1/follows/progress").json()["paused"] is True
    page.get_by_role("button", name="Resume follows").click()
    expect(page.locator("#notice")).to_have_text("Follows resumed.")
    expect(page.get_by_role("button", name="Pause follows")).to_be_visible()

    # --- export (JSON and, on premium, CSV) -----------------------------------------------------
    page.get_by_role("link", name="Settings").click()
    wait_ready(page)
    with page.expect_download() as exported:
        page.get_by_role("button", name="Export my data").click()
    data = json.loads(Path(exported.value.path()).read_text())
    assert data["member"]["artist_id"] == artist_id
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download follows as CSV").click()
    rows = Path(csv_download.value.path()).read_text().strip().splitlines()
    assert rows[0].startswith("at,status,artist_id")
    assert len(rows) == 4

    # --- delete the account, with confirmation --------------------------------------------------
    page.get_by_role("button", name="Delete my account").click()
    dialog = page.get_by_role("dialog", name="Delete your account?")
    confirm = dialog.get_by_role("button", name="Delete my account")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Type DELETE to confirm").fill("DELETE")
    confirm.click()
    page.wait_for_url("**/?deleted=1")
    wait_ready(page)
    expect(page.locator("#notice")).to_contain_text("Your account and its data have been deleted")
    expect(page.get_by_role("link", name="Connect with Spotify")).to_be_visible()
    assert page.request.get("/api/v1/me").status == 401
