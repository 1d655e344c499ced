"""The authorization-code flow: state handling and the sign-in itself."""

from __future__ import annotations

from typing import Any

import pytest

from followswarm.data.models import AuditEntryModel, MemberModel
from followswarm.domain.identity import oauth, vault
from followswarm.errors import SwarmError, TooManyRequests

from .conftest import Env


def _start(env: Env, ip: str = "10.0.0.1") -> tuple[oauth.SignInStart, dict[str, str]]:
    start = oauth.begin_sign_in(ip)
    back = env.authorize(start.authorize_url, env.new_spotify_user())
    return start, back


def _code(exc: pytest.ExceptionInfo[SwarmError]) -> str:
    return exc.value.code


def test_sign_in_creates_member_tokens_and_session(env: Env, signed_in: Any) -> None:
    member_id, issued = signed_in("Ada")
    member = MemberModel.get(member_id)
    assert member.display_name == "Ada"
    assert member.role == "member"
    assert vault.access_token_for(member_id)
    assert issued.access_token
    assert issued.refresh_token
    assert issued.csrf_token
    actions = [e.action for e in AuditEntryModel.scan()]
    assert "sign_in" in actions


def test_authorize_url_asks_for_the_swarm_scopes(env: Env) -> None:
    start = oauth.begin_sign_in("10.0.0.1")
    assert "user-follow-modify" in start.authorize_url
    assert "user-library-modify" in start.authorize_url
    assert "state=" in start.authorize_url


def test_second_sign_in_reuses_member_and_lifts_reauth(env: Env, signed_in: Any) -> None:
    user = env.new_spotify_user("Bo")
    first, _ = signed_in(spotify_user_id=user)
    member = MemberModel.get(first)
    member.update(
        actions=[
            MemberModel.needs_reauth.set(True),
            MemberModel.paused.set(True),
            MemberModel.pause_reason.set("needs_reauth"),
        ]
    )
    second, _ = signed_in(spotify_user_id=user)
    assert second == first
    member.refresh()
    assert not member.needs_reauth
    assert not member.paused


def test_admin_user_gets_admin_role(env: Env, signed_in: Any) -> None:
    env.fake("POST", "/_fake/users", {"id": "admin-user", "display_name": "Op"})
    member_id, _ = signed_in(spotify_user_id="admin-user")
    assert MemberModel.get(member_id).role == "admin"


def test_missing_state(env: Env) -> None:
    with pytest.raises(SwarmError) as exc:
        oauth.complete_sign_in("code", None, "nonce")
    assert (exc.value.status, _code(exc)) == (400, "state_missing")


def test_unknown_state(env: Env) -> None:
    start, back = _start(env)
    with pytest.raises(SwarmError) as exc:
        oauth.complete_sign_in(back["code"], "not-a-state", start.browser_nonce)
    assert (exc.value.status, _code(exc)) == (400, "state_unknown")


def test_replayed_state(env: Env) -> None:
    start, back = _start(env)
    oauth.complete_sign_in(back["code"], back["state"], start.browser_nonce)
    with pytest.raises(SwarmError) as exc:
        oauth.complete_sign_in(back["code"], back["state"], start.browser_nonce)
    assert (exc.value.status, _code(exc)) == (400, "state_reused")


def test_expired_state(env: Env) -> None:
    start, back = _start(env)
    env.clock.advance(601)
    with pytest.raises(SwarmError) as exc:
        oauth.complete_sign_in(back["code"], back["state"], start.browser_nonce)
    assert (exc.value.status, _code(exc)) == (400, "state_expired")


@pytest.mark.parametrize("nonce", [None, "someone-elses-browser"])
def test_foreign_state(env: Env, nonce: str | None) -> None:
    start, back = _start(env)
    with pytest.raises(SwarmError) as exc:
        oauth.complete_sign_in(back["code"], back["state"], nonce)
    assert (exc.value.status, _code(exc)) == (400, "state_foreign")
    # The rightful browser can still finish (a foreign attempt does not spend the state).
    assert oauth.complete_sign_in(back["code"], back["state"], start.browser_nonce).member_id


def test_wrong_code(env: Env) -> None:
    start, back = _start(env)
    with pytest.raises(SwarmError) as exc:
        oauth.complete_sign_in("wrong-code", back["state"], start.browser_nonce)
    assert (exc.value.status, _code(exc)) == (400, "code_invalid")


def test_sign_in_rate_limit_per_ip(env: Env) -> None:
    for _ in range(3):
        oauth.begin_sign_in("10.9.9.9")
    with pytest.raises(TooManyRequests) as exc:
        oauth.begin_sign_in("10.9.9.9")
    assert exc.value.status == 429
    assert 1 <= exc.value.retry_after <= 60
    oauth.begin_sign_in("10.9.9.10")  # another client is not affected
    # The hourly window: 10 per hour, whatever the minutes.
    for minute in range(3):
        env.clock.advance(61)
        for _ in range(3 if minute < 2 else 1):
            oauth.begin_sign_in("10.9.9.9")
    env.clock.advance(61)
    with pytest.raises(TooManyRequests) as exc:
        oauth.begin_sign_in("10.9.9.9")
    assert exc.value.retry_after > 60
