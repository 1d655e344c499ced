"""The auth and me routes through the API function (API Gateway payload 2.0 events)."""

from __future__ import annotations

import re
from typing import Any

import jwt
import pytest

from followswarm.data.models import AuditEntryModel, MemberModel, SessionModel, TokenVaultModel

from .conftest import Api, Env

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/auth/spotify"),
    ("GET", "/auth/callback"),
    ("GET", "/auth/status"),
    ("POST", "/webhooks/stripe"),
    # Authorized by the signed token in the mail's link, from any mail client.
    ("GET", "/unsubscribe"),
    ("POST", "/unsubscribe"),
    # The plans on offer, shown on the landing page before anyone signs in.
    ("GET", "/api/v1/plans"),
}
#: Authenticated by the refresh token rather than the access JWT.
SESSION_ENDPOINTS = {("POST", "/auth/refresh")}


def _error(reply: Any) -> dict[str, str]:
    error: dict[str, str] = reply.json()["error"]
    assert set(error) >= {"code", "message"}
    return error


def _operations(api: Api) -> list[tuple[str, str]]:
    document = api("GET", "/openapi.json").json()
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "some-id", path)


def test_every_route_in_the_openapi_document_is_guarded(
    env: Env, api: Api, browser_sign_in: Any, signed_in: Any
) -> None:
    operations = _operations(api)
    assert ("GET", "/api/v1/me") in operations
    _, member = signed_in("Plain member")
    admin_only = [op for op in operations if op[1].startswith("/api/v1/admin")]
    assert admin_only, "no admin routes to check"
    for method, path in operations:
        if (method, path) in PUBLIC:
            continue
        reply = api(method, _concrete(path))
        assert reply.status == 401, (method, path, reply.status, reply.body)
        assert _error(reply)["code"] == "unauthenticated"
    for method, path in admin_only:
        reply = api(method, _concrete(path), token=member.access_token)
        assert reply.status == 403, (method, path, reply.status, reply.body)
        assert _error(reply)["code"] == "forbidden"


def test_every_protected_route_declares_the_auth_dependency(env: Env) -> None:
    from functions.api import auth
    from functions.api.handler import app

    routes = app._static_routes + app._dynamic_routes
    missing = [
        (r.method, r.openapi_path)
        for r in routes
        if (r.method, r.openapi_path) not in PUBLIC | SESSION_ENDPOINTS
        and r.openapi_path not in {"/docs", "/openapi.json"}
        and auth.auth_dependency_of(r.func) is None
    ]
    assert missing == []


def test_admin_route_works_for_an_admin(env: Env, api: Api, signed_in: Any) -> None:
    env.fake("POST", "/_fake/users", {"id": "admin-user", "display_name": "Op"})
    _, admin = signed_in(spotify_user_id="admin-user")
    member_id, _ = signed_in("Someone")
    reply = api(
        "PATCH",
        f"/api/v1/admin/members/{member_id}",
        token=admin.access_token,
        body={"role": "admin"},
    )
    assert reply.status == 200, reply.body
    assert reply.json()["role"] == "admin"
    audit = api("GET", "/api/v1/admin/audit", token=admin.access_token).json()["entries"]
    assert any(e["action"] == "role_change" and e["subject_id"] == member_id for e in audit)


def test_demoted_admin_is_refused_at_once(env: Env, api: Api, signed_in: Any) -> None:
    env.fake("POST", "/_fake/users", {"id": "admin-user", "display_name": "Op"})
    admin_id, admin = signed_in(spotify_user_id="admin-user")
    MemberModel.get(admin_id).update(actions=[MemberModel.role.set("member")])
    assert api("GET", "/api/v1/admin/audit", token=admin.access_token).status == 403


# ------------------------------------------------------------------------- sign-in, cookies


def test_browser_sign_in_sets_secure_cookies(env: Env, api: Api) -> None:
    start = api("GET", "/auth/spotify")
    assert start.status == 302
    assert start.headers["location"].startswith(f"{env.spotify.url}/authorize?")
    oauth_cookie = next(c for c in start.cookies if c.startswith("fs_oauth="))
    assert "HttpOnly" in oauth_cookie
    assert "Secure" in oauth_cookie
    assert "SameSite=Lax" in oauth_cookie
    back = env.authorize(start.headers["location"], env.new_spotify_user())
    done = api(
        "GET", "/auth/callback", query=back, cookies={"fs_oauth": start.cookie("fs_oauth") or ""}
    )
    assert done.status == 302
    assert done.headers["location"] == env.settings.dashboard_url
    by_name = {c.split("=", 1)[0]: c for c in done.cookies}
    for name in ("fs_access", "fs_refresh"):
        assert "HttpOnly" in by_name[name]
        assert "Secure" in by_name[name]
        assert "SameSite=Lax" in by_name[name]
    assert "HttpOnly" not in by_name["fs_csrf"]
    assert "Path=/auth" in by_name["fs_refresh"]


def test_callback_json_for_api_clients(env: Env, api: Api) -> None:
    start = api("GET", "/auth/spotify")
    back = env.authorize(start.headers["location"], env.new_spotify_user())
    done = api(
        "GET",
        "/auth/callback",
        query=back,
        cookies={"fs_oauth": start.cookie("fs_oauth") or ""},
        headers={"accept": "application/json"},
    )
    assert done.status == 200
    body = done.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    me = api("GET", "/api/v1/me", token=body["access_token"])
    assert me.status == 200


def test_access_denied_lands_on_a_friendly_page(env: Env, api: Api) -> None:
    start = api("GET", "/auth/spotify")
    back = env.authorize(start.headers["location"], env.new_spotify_user(), decision="deny")
    assert back["error"] == "access_denied"
    reply = api(
        "GET", "/auth/callback", query=back, cookies={"fs_oauth": start.cookie("fs_oauth") or ""}
    )
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert "Sign-in cancelled" in reply.body


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("missing", "state_missing"),
        ("unknown", "state_unknown"),
        ("foreign", "state_foreign"),
        ("expired", "state_expired"),
        ("replayed", "state_reused"),
    ],
)
def test_callback_state_failures(env: Env, api: Api, case: str, code: str) -> None:
    start = api("GET", "/auth/spotify")
    back = env.authorize(start.headers["location"], env.new_spotify_user())
    nonce = start.cookie("fs_oauth") or ""
    cookies = {"fs_oauth": nonce}
    if case == "missing":
        back.pop("state")
    elif case == "unknown":
        back["state"] = "forged-state"
    elif case == "foreign":
        cookies = {"fs_oauth": "another-browser"}
    elif case == "expired":
        env.clock.advance(601)
    elif case == "replayed":
        assert api("GET", "/auth/callback", query=back, cookies=cookies).status == 302
    reply = api("GET", "/auth/callback", query=back, cookies=cookies)
    assert reply.status == 400
    assert _error(reply)["code"] == code


def test_a_failed_callback_in_a_browser_is_a_page_with_the_reason(env: Env, api: Api) -> None:
    start = api("GET", "/auth/spotify")
    back = env.authorize(start.headers["location"], env.new_spotify_user())
    back["state"] = "forged-state"
    reply = api(
        "GET",
        "/auth/callback",
        query=back,
        cookies={"fs_oauth": start.cookie("fs_oauth") or ""},
        headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert reply.status == 400
    assert reply.headers["content-type"].startswith("text/html")
    assert "Sign-in didn't complete" in reply.body
    assert "data-error-code='state_unknown'" in reply.body


def test_sign_in_is_rate_limited_with_retry_after(env: Env, api: Api) -> None:
    for _ in range(3):
        assert api("GET", "/auth/spotify", ip="10.1.1.1").status == 302
    reply = api("GET", "/auth/spotify", ip="10.1.1.1")
    assert reply.status == 429
    assert int(reply.headers["retry-after"]) >= 1
    assert _error(reply)["code"] == "rate_limited"


# ------------------------------------------------------------------------------- sessions


def test_cookie_session_needs_csrf_for_changes(env: Env, api: Api, browser_sign_in: Any) -> None:
    cookies = browser_sign_in()
    assert api("GET", "/api/v1/me", cookies=cookies).status == 200
    body = {"email": "ada@example.com"}
    missing = api("PUT", "/api/v1/me/email", cookies=cookies, body=body)
    assert missing.status == 403
    assert _error(missing)["code"] == "csrf_failed"
    wrong = api(
        "PUT", "/api/v1/me/email", cookies=cookies, body=body, headers={"x-csrf-token": "nope"}
    )
    assert wrong.status == 403
    ok = api(
        "PUT",
        "/api/v1/me/email",
        cookies=cookies,
        body=body,
        headers={"x-csrf-token": cookies["fs_csrf"]},
    )
    assert ok.status == 202, ok.body


def test_bearer_needs_no_csrf(env: Env, api: Api, signed_in: Any) -> None:
    _, issued = signed_in()
    reply = api(
        "PUT", "/api/v1/me/email", token=issued.access_token, body={"email": "b@example.com"}
    )
    assert reply.status == 202


def test_unauthenticated_body_route_is_401_not_422(env: Env, api: Api) -> None:
    reply = api("PUT", "/api/v1/me/email", body={"nonsense": True})
    assert reply.status == 401


def test_expired_jwt(env: Env, api: Api, signed_in: Any) -> None:
    _, issued = signed_in()
    env.clock.advance(901)
    reply = api("GET", "/api/v1/me", token=issued.access_token)
    assert reply.status == 401
    assert _error(reply)["code"] == "token_expired"


@pytest.mark.parametrize("forgery", ["other_key", "alg_none", "tampered", "unknown_kid", "garbage"])
def test_forged_jwt(env: Env, api: Api, signed_in: Any, forgery: str) -> None:
    _member_id, issued = signed_in()
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})
    claims["role"] = "admin"
    if forgery == "other_key":
        token = jwt.encode(claims, "x" * 40, algorithm="HS256", headers={"kid": "k1"})
    elif forgery == "alg_none":
        token = jwt.encode(claims, None, algorithm="none", headers={"kid": "k1"})
    elif forgery == "tampered":
        header, _, signature = issued.access_token.split(".")
        payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
        token = f"{header}.{payload}.{signature}"
    elif forgery == "unknown_kid":
        token = jwt.encode(
            claims,
            "unit-secret-one-0123456789abcdef0123456789",
            algorithm="HS256",
            headers={"kid": "k9"},
        )
    else:
        token = "not.a.jwt"
    reply = api("GET", "/api/v1/admin/audit", token=token)
    assert reply.status == 401
    assert _error(reply)["code"] == "token_invalid"


def test_refresh_rotates_and_reuse_revokes_the_family(env: Env, api: Api, signed_in: Any) -> None:
    _member_id, issued = signed_in()
    first = api("POST", "/auth/refresh", body={"refresh_token": issued.refresh_token})
    assert first.status == 200, first.body
    rotated = first.json()["refresh_token"]
    assert rotated != issued.refresh_token
    second = api("POST", "/auth/refresh", body={"refresh_token": rotated})
    assert second.status == 200
    reuse = api("POST", "/auth/refresh", body={"refresh_token": issued.refresh_token})
    assert reuse.status == 401
    assert _error(reuse)["code"] == "refresh_reused"
    latest = api("POST", "/auth/refresh", body={"refresh_token": second.json()["refresh_token"]})
    assert latest.status == 401
    assert _error(latest)["code"] == "session_revoked"
    assert any(e.action == "refresh_reuse_detected" for e in AuditEntryModel.scan())
    # Only the hash is stored.
    stored = next(iter(SessionModel.scan()))
    assert issued.refresh_token not in str(stored.attribute_values)


def test_refresh_with_cookie_needs_csrf(env: Env, api: Api, browser_sign_in: Any) -> None:
    cookies = browser_sign_in()
    refresh_cookie = {"fs_refresh": cookies["fs_refresh"]}
    missing = api("POST", "/auth/refresh", cookies=refresh_cookie)
    assert missing.status == 403
    assert _error(missing)["code"] == "csrf_failed"
    ok = api(
        "POST",
        "/auth/refresh",
        cookies=refresh_cookie,
        headers={"x-csrf-token": cookies["fs_csrf"]},
    )
    assert ok.status == 200
    assert "access_token" not in ok.json()  # browsers get cookies, not tokens in the body
    assert ok.cookie("fs_refresh") not in (None, cookies["fs_refresh"])


def test_refresh_without_token_and_expired_session(env: Env, api: Api, signed_in: Any) -> None:
    assert _error(api("POST", "/auth/refresh"))["code"] == "unauthenticated"
    _, issued = signed_in()
    env.clock.advance(env.settings.refresh_token_ttl_seconds + 1)
    reply = api("POST", "/auth/refresh", body={"refresh_token": issued.refresh_token})
    assert reply.status == 401
    assert _error(reply)["code"] == "session_expired"


def test_logout_revokes_the_session(env: Env, api: Api, signed_in: Any) -> None:
    _, issued = signed_in()
    reply = api("POST", "/auth/logout", token=issued.access_token)
    assert reply.status == 200
    assert any(c.startswith("fs_access=;") for c in reply.cookies)
    again = api("POST", "/auth/refresh", body={"refresh_token": issued.refresh_token})
    assert again.status == 401
    assert _error(again)["code"] == "session_revoked"
    assert any(e.action == "logout" for e in AuditEntryModel.scan())


def test_status(env: Env, api: Api, signed_in: Any) -> None:
    assert api("GET", "/auth/status").json() == {"authenticated": False}
    member_id, issued = signed_in()
    body = api("GET", "/auth/status", token=issued.access_token).json()
    assert body == {"authenticated": True, "member_id": member_id, "role": "member"}


def test_deleted_records_leave_no_tokens(env: Env, api: Api, signed_in: Any) -> None:
    member_id, _issued = signed_in()
    assert TokenVaultModel.get(member_id)
