"""/api/v1/me: artist claim, email verification, export and deletion."""

from __future__ import annotations

import re
from typing import Any

import pytest

from followswarm.data.models import (
    ArtistClaimModel,
    AuditEntryModel,
    MemberModel,
    SessionModel,
    SpotifyUserLinkModel,
    TokenVaultModel,
)

from .conftest import Api, Env


def _error(reply: Any) -> dict[str, str]:
    error: dict[str, str] = reply.json()["error"]
    return error


@pytest.mark.parametrize(
    "form",
    [
        "{id}",
        "spotify:artist:{id}",
        "https://open.spotify.com/artist/{id}?si=abc",
        "open.spotify.com/intl-de/artist/{id}",
    ],
)
def test_claim_artist_by_id_uri_or_url(env: Env, api: Api, signed_in: Any, form: str) -> None:
    artist = env.new_artist("Night Swarm")
    _, issued = signed_in()
    reply = api(
        "PUT",
        "/api/v1/me/artist",
        token=issued.access_token,
        body={"artist": form.format(id=artist)},
    )
    assert reply.status == 200, reply.body
    assert reply.json()["artist"] == {
        "id": artist,
        "name": "Night Swarm",
        "claim_status": "approved",
    }
    assert any(e.action == "artist_claim" for e in AuditEntryModel.scan())


def test_one_member_per_artist(env: Env, api: Api, signed_in: Any) -> None:
    artist = env.new_artist()
    _, first = signed_in("One")
    _, second = signed_in("Two")
    assert (
        api("PUT", "/api/v1/me/artist", token=first.access_token, body={"artist": artist}).status
        == 200
    )
    reply = api("PUT", "/api/v1/me/artist", token=second.access_token, body={"artist": artist})
    assert reply.status == 409
    assert _error(reply)["code"] == "artist_claimed"


def test_changing_artist_releases_the_old_claim(env: Env, api: Api, signed_in: Any) -> None:
    old, new = env.new_artist("Old"), env.new_artist("New")
    _, issued = signed_in()
    api("PUT", "/api/v1/me/artist", token=issued.access_token, body={"artist": old})
    api("PUT", "/api/v1/me/artist", token=issued.access_token, body={"artist": new})
    claims = {c.pk for c in ArtistClaimModel.scan() if c.pk.startswith("ARTIST#")}
    assert claims == {f"ARTIST#{new}"}


def test_unknown_and_malformed_artist(env: Env, api: Api, signed_in: Any) -> None:
    _, issued = signed_in()
    unknown = api("PUT", "/api/v1/me/artist", token=issued.access_token, body={"artist": "0" * 22})
    assert unknown.status == 404
    assert _error(unknown)["code"] == "artist_not_found"
    bad = api(
        "PUT",
        "/api/v1/me/artist",
        token=issued.access_token,
        body={"artist": "https://example.com/x"},
    )
    assert bad.status == 400
    assert _error(bad)["code"] == "artist_ref_invalid"


def test_claim_can_require_approval(
    env: Env, api: Api, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from followswarm.settings import get_settings

    monkeypatch.setenv("SWARM_REQUIRE_ARTIST_APPROVAL", "true")
    get_settings.cache_clear()
    artist = env.new_artist()
    member_id, issued = signed_in()
    reply = api("PUT", "/api/v1/me/artist", token=issued.access_token, body={"artist": artist})
    assert reply.json()["artist"]["claim_status"] == "pending"
    env.fake("POST", "/_fake/users", {"id": "admin-user", "display_name": "Op"})
    _, admin = signed_in(spotify_user_id="admin-user")
    approved = api(
        "PATCH",
        f"/api/v1/admin/members/{member_id}",
        token=admin.access_token,
        body={"approve_artist_claim": True},
    )
    assert approved.json()["artist"]["claim_status"] == "approved"


def test_email_verification_round_trip(env: Env, api: Api, signed_in: Any) -> None:
    _, issued = signed_in()
    reply = api(
        "PUT", "/api/v1/me/email", token=issued.access_token, body={"email": "ada@example.com"}
    )
    assert reply.status == 202
    assert reply.json()["email_verified"] is False
    mails = env.mails(to="ada@example.com")
    assert len(mails) == 1
    assert mails[0]["categories"] == ["verify_email"]
    token = re.search(r"token=([\w.-]+)", mails[0]["html"]).group(1)  # type: ignore[union-attr]
    wrong = api(
        "POST",
        "/api/v1/me/email/verify",
        token=issued.access_token,
        body={"token": token[:-3] + "abc"},
    )
    assert wrong.status == 400
    assert _error(wrong)["code"] == "email_token_invalid"
    ok = api("POST", "/api/v1/me/email/verify", token=issued.access_token, body={"token": token})
    assert ok.status == 200
    assert ok.json()["email_verified"] is True


def test_email_token_expires_and_is_bound_to_member_and_address(
    env: Env, api: Api, signed_in: Any
) -> None:
    _, one = signed_in("One")
    _, two = signed_in("Two")
    api("PUT", "/api/v1/me/email", token=one.access_token, body={"email": "one@example.com"})
    token = re.search(r"token=([\w.-]+)", env.mails(to="one@example.com")[0]["html"]).group(1)  # type: ignore[union-attr]
    other = api("POST", "/api/v1/me/email/verify", token=two.access_token, body={"token": token})
    assert other.status == 400
    env.clock.advance(24 * 3600 + 1)
    # (a fresh access token, the old one expired with the clock)
    fresh = api("POST", "/auth/refresh", body={"refresh_token": one.refresh_token}).json()
    late = api(
        "POST", "/api/v1/me/email/verify", token=fresh["access_token"], body={"token": token}
    )
    assert late.status == 400
    assert _error(late)["code"] == "email_token_expired"


def test_unverified_address_gets_only_the_verification_mail(env: Env, signed_in: Any) -> None:
    from followswarm.domain.identity import notifier

    member_id, _ = signed_in()
    MemberModel.get(member_id).update(actions=[MemberModel.email.set("u@example.com")])
    notifier.notify(member_id, notifier.NEEDS_REAUTH, {})
    assert env.mails(to="u@example.com") == []


def test_export_has_everything_but_tokens(env: Env, api: Api, signed_in: Any) -> None:
    member_id, issued = signed_in()
    reply = api("GET", "/api/v1/me/export", token=issued.access_token)
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["member"]["pk"] == member_id
    assert body["spotify_authorization"]["scopes"]
    assert body["sessions"]
    assert "current_hash" not in str(body)
    from followswarm.domain.identity import vault

    tokens = vault.current_tokens(member_id)
    for secret in (tokens.access_token, tokens.refresh_token, issued.refresh_token):
        assert secret not in reply.body


def test_delete_account(env: Env, api: Api, signed_in: Any) -> None:
    artist = env.new_artist()
    member_id, issued = signed_in()
    api("PUT", "/api/v1/me/artist", token=issued.access_token, body={"artist": artist})
    reply = api("DELETE", "/api/v1/me", token=issued.access_token)
    assert reply.status == 204, reply.body
    assert list(MemberModel.scan()) == []
    assert list(SpotifyUserLinkModel.scan()) == []
    assert list(ArtistClaimModel.scan()) == []
    assert list(TokenVaultModel.scan()) == []
    assert [s for s in SessionModel.scan() if s.member_id == member_id] == []
    deleted = [e for e in AuditEntryModel.scan() if e.action == "account_deleted"]
    assert len(deleted) == 1
    assert deleted[0].details == {}
    assert api("POST", "/auth/refresh", body={"refresh_token": issued.refresh_token}).status == 401
    assert api("GET", "/api/v1/me", token=issued.access_token).status == 404


def test_artist_preview_shows_the_artist_and_stores_nothing(
    env: Env, api: Api, signed_in: Any
) -> None:
    artist = env.new_artist("Preview Swarm")
    _, first = signed_in("First")
    _, second = signed_in("Second")
    preview = "/api/v1/me/artist/preview"
    reply = api(
        "GET", preview, token=second.access_token, query={"artist": f"spotify:artist:{artist}"}
    )
    assert reply.status == 200, reply.body
    assert reply.json() == {
        "id": artist,
        "name": "Preview Swarm",
        "image_url": None,
        "spotify_url": f"https://open.spotify.com/artist/{artist}",
        "claimed_by_you": False,
        "claimed_by_another": False,
    }
    assert api("GET", "/api/v1/me", token=second.access_token).json()["artist"]["id"] is None

    api("PUT", "/api/v1/me/artist", token=first.access_token, body={"artist": artist})
    taken = api("GET", preview, token=second.access_token, query={"artist": artist})
    assert taken.json()["claimed_by_another"] is True
    mine = api("GET", preview, token=first.access_token, query={"artist": artist})
    assert mine.json()["claimed_by_you"] is True


@pytest.mark.parametrize(
    ("ref", "status", "code"),
    [("not a link", 400, "artist_ref_invalid"), ("0" * 22, 404, "artist_not_found")],
)
def test_artist_preview_explains_a_bad_reference(
    env: Env, api: Api, signed_in: Any, ref: str, status: int, code: str
) -> None:
    _, issued = signed_in()
    reply = api(
        "GET", "/api/v1/me/artist/preview", token=issued.access_token, query={"artist": ref}
    )
    assert reply.status == status, reply.body
    assert _error(reply)["code"] == code


def test_delete_account_with_a_usage_ledger(env: Env, api: Api, signed_in: Any) -> None:
    from followswarm.data.models import UsageWindowModel
    from followswarm.data.repositories.ledger import LEDGER_SK

    member_id, issued = signed_in()
    ledger = UsageWindowModel(member_id, LEDGER_SK)
    ledger.save()  # a versioned ledger, as the first follow batch leaves it
    ledger.save()
    assert api("DELETE", "/api/v1/me", token=issued.access_token).status == 204
    assert list(UsageWindowModel.query(member_id)) == []


def test_plans_are_public_and_priced_by_configuration(env: Env, api: Api) -> None:
    reply = api("GET", "/api/v1/plans")
    assert reply.status == 200, reply.body
    plans = {p["tier"]: p for p in reply.json()["plans"]}
    assert list(plans) == ["free", "pro", "premium"]
    assert plans["free"]["follows_per_month"] == env.settings.monthly_free
    assert plans["premium"]["follows_per_month"] is None
    assert plans["free"]["follows_per_hour"] == env.settings.follows_per_hour
    assert plans["free"]["purchasable"] is True


def test_follows_csv_export_is_for_premium_members(env: Env, api: Api, signed_in: Any) -> None:
    member_id, issued = signed_in()
    refused = api("GET", "/api/v1/follows/export.csv", token=issued.access_token)
    assert refused.status == 403
    assert _error(refused)["code"] == "premium_required"

    member = MemberModel.get(member_id)
    member.update(actions=[MemberModel.tier.set("premium")])
    reply = api("GET", "/api/v1/follows/export.csv", token=issued.access_token)
    assert reply.status == 200, reply.body
    assert reply.body.strip() == "at,status,artist_id,target_member_id,reason,job_id"
