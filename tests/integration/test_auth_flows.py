"""Sign-in with Spotify, sessions and the token vault, end to end through the local runtime.

Every request goes through the API Gateway stand-in from its own loopback address (the
sign-in rate limit is per client IP). A handler on the root logger records all log output of
this module; the last test searches it for every token, code and JWT seen on the way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import jwt
import pytest
import requests
import spotipy
from spotipy.oauth2 import SpotifyOAuth

from followswarm.data.models import TokenVaultModel
from followswarm.domain.identity import vault
from local.runtime import LocalRuntime
from tests.integration.signin import (
    SECRETS,
    bearer,
    browser,
    consent_form,
    new_user,
    remember,
    sign_in_api_client,
    start,
)

pytestmark = pytest.mark.integration


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.getMessage()} {record.__dict__}")
        except Exception:
            self.lines.append(repr(record.__dict__))


RECORDS = _Records()


@pytest.fixture(scope="module", autouse=True)
def capture_logs() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.addHandler(RECORDS)
    root.setLevel(logging.DEBUG)
    # The test's own HTTP client logs the URLs it fetches (the callback carries the code);
    # that is this test talking, not the product.
    logging.getLogger("urllib3").setLevel(logging.INFO)
    yield
    root.removeHandler(RECORDS)
    root.setLevel(level)


def error_of(response: requests.Response) -> dict[str, str]:
    error: dict[str, str] = response.json()["error"]
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    return error


# ------------------------------------------------------------------------------ sign-in


def test_sign_in_with_a_plain_http_client_following_redirects(local_runtime: LocalRuntime) -> None:
    rt = local_runtime
    client = browser()
    user = new_user(rt, "Plain")
    callback, _ = start(rt, client, user)
    landing = client.get(callback, timeout=30)  # -> 302 to the dashboard, cookies set
    assert landing.history
    assert landing.history[0].status_code == 302
    assert landing.history[0].headers["Location"] == f"{rt.api_url}/dashboard"
    set_cookie = landing.history[0].headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "Secure" in set_cookie
    assert "SameSite=Lax" in set_cookie
    remember(client)
    names = {c.name for c in client.cookies if c.value}
    assert {"fs_access", "fs_refresh", "fs_csrf"} <= names
    me = client.get(f"{rt.api_url}/api/v1/me", timeout=30)
    assert me.status_code == 200, me.text
    assert me.json()["spotify_user_id"] == user
    status = client.get(f"{rt.api_url}/auth/status", timeout=30).json()
    assert status["authenticated"] is True
    # A state-changing cookie request needs the CSRF token.
    no_csrf = client.post(f"{rt.api_url}/auth/logout", timeout=30)
    assert no_csrf.status_code == 403
    assert error_of(no_csrf)["code"] == "csrf_failed"
    csrf = client.cookies.get("fs_csrf")
    out = client.post(f"{rt.api_url}/auth/logout", headers={"X-CSRF-Token": csrf}, timeout=30)
    assert out.status_code == 200


def test_sign_in_with_spotipy(local_runtime: LocalRuntime) -> None:
    rt = local_runtime
    client = browser()
    user = new_user(rt, "Spotipy")
    callback, _ = start(rt, client, user)
    # spotipy reads Spotify's redirect the way an app does.
    state, code = SpotifyOAuth.parse_auth_response_url(callback)
    reply = client.get(
        f"{rt.api_url}/auth/callback",
        params={"code": code, "state": state},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    SECRETS.update({body["access_token"], body["refresh_token"]})
    me = requests.get(f"{rt.api_url}/api/v1/me", headers=bearer(body), timeout=30).json()
    # The vault holds a working Spotify token for this very user.
    token = vault.access_token_for(me["id"])
    SECRETS.add(token)
    spotify = spotipy.Spotify(auth=token, requests_session=requests.Session(), retries=0)
    spotify.prefix = f"{rt.spotify_url}/v1/"
    assert spotify.me()["id"] == user


def test_cancelled_consent_lands_on_a_friendly_page(local_runtime: LocalRuntime) -> None:
    rt = local_runtime
    client = browser()
    page = client.get(f"{rt.api_url}/auth/spotify", timeout=30)
    form = consent_form(page.text)
    landing = client.post(
        f"{rt.spotify_url}/authorize", data={**form, "decision": "deny"}, timeout=30
    )
    assert landing.status_code == 200
    assert "Sign-in cancelled" in landing.text


# ------------------------------------------------------------------------- state failures


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("replayed", "state_reused"),
        ("expired", "state_expired"),
        ("wrong", "state_unknown"),
        ("foreign", "state_foreign"),
        ("missing", "state_missing"),
    ],
)
def test_bad_state_is_refused(local_runtime: LocalRuntime, case: str, code: str) -> None:
    rt = local_runtime
    client = browser()
    _, query = start(rt, client, new_user(rt))
    url = f"{rt.api_url}/auth/callback"
    if case == "replayed":
        assert client.get(url, params=query, allow_redirects=False, timeout=30).status_code == 302
        remember(client)
    elif case == "expired":
        rt.advance(601)
    elif case == "wrong":
        query["state"] = "made-up-state"
    elif case == "foreign":
        client = browser()  # another browser: no binding cookie for this state
    elif case == "missing":
        query.pop("state")
    reply = client.get(url, params=query, allow_redirects=False, timeout=30)
    assert reply.status_code == 400, reply.text
    assert error_of(reply)["code"] == code


def test_sign_in_rate_limit(local_runtime: LocalRuntime) -> None:
    client = browser()
    url = f"{local_runtime.api_url}/auth/spotify"
    for _ in range(3):
        assert client.get(url, allow_redirects=False, timeout=30).status_code == 302
    reply = client.get(url, allow_redirects=False, timeout=30)
    assert reply.status_code == 429
    assert int(reply.headers["Retry-After"]) >= 1
    assert error_of(reply)["code"] == "rate_limited"


# ------------------------------------------------------------------------------ sessions


def test_refresh_token_reuse_revokes_the_family(local_runtime: LocalRuntime) -> None:
    rt = local_runtime
    session = sign_in_api_client(rt)
    url = f"{rt.api_url}/auth/refresh"
    first = requests.post(url, json={"refresh_token": session["refresh_token"]}, timeout=30)
    assert first.status_code == 200
    rotated = first.json()
    SECRETS.update({rotated["access_token"], rotated["refresh_token"]})
    reuse = requests.post(url, json={"refresh_token": session["refresh_token"]}, timeout=30)
    assert reuse.status_code == 401
    assert error_of(reuse)["code"] == "refresh_reused"
    after = requests.post(url, json={"refresh_token": rotated["refresh_token"]}, timeout=30)
    assert after.status_code == 401
    assert error_of(after)["code"] == "session_revoked"


def test_expired_and_forged_jwt(local_runtime: LocalRuntime) -> None:
    rt = local_runtime
    session = sign_in_api_client(rt)
    me = f"{rt.api_url}/api/v1/me"
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    forged = jwt.encode(
        {**claims, "role": "admin"}, "guessed-" * 5, algorithm="HS256", headers={"kid": "k1"}
    )
    SECRETS.add(forged)
    reply = requests.get(me, headers={"Authorization": f"Bearer {forged}"}, timeout=30)
    assert reply.status_code == 401
    assert error_of(reply)["code"] == "token_invalid"
    rt.advance(901)
    expired = requests.get(me, headers=bearer(session), timeout=30)
    assert expired.status_code == 401
    assert error_of(expired)["code"] == "token_expired"


def test_unauthenticated_and_member_on_admin_routes(local_runtime: LocalRuntime) -> None:
    rt = local_runtime
    document = requests.get(f"{rt.api_url}/openapi.json", timeout=30).json()
    public = {
        "/health",
        "/ready",
        "/auth/spotify",
        "/auth/callback",
        "/auth/status",
        "/webhooks/stripe",
        "/unsubscribe",  # authorized by the signed token in the mail's link
        "/api/v1/plans",  # the plans on offer, shown on the landing page
    }
    session = sign_in_api_client(rt)
    for path, item in document["paths"].items():
        for method in item:
            if method not in {"get", "post", "put", "patch", "delete"} or path in public:
                continue
            url = rt.api_url + re.sub(r"\{[^}]+\}", "some-id", path)
            anonymous = requests.request(method, url, timeout=30)
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            error_of(anonymous)
            if path.startswith("/api/v1/admin"):
                member = requests.request(method, url, headers=bearer(session), timeout=30)
                assert member.status_code == 403, (method, path, member.text)
                error_of(member)


def test_ciphertext_moved_between_members_fails(local_runtime: LocalRuntime) -> None:
    rt = local_runtime
    alice, bob = sign_in_api_client(rt), sign_in_api_client(rt)
    stolen = TokenVaultModel.get(alice["member_id"])
    victim = TokenVaultModel.get(bob["member_id"])
    victim.ciphertext = stolen.ciphertext
    victim.encrypted_data_key = stolen.encrypted_data_key
    victim.save()
    artist = requests.post(f"{rt.spotify_url}/_fake/artists", json={"name": "Moved"}, timeout=10)
    reply = requests.put(
        f"{rt.api_url}/api/v1/me/artist",
        json={"artist": artist.json()["id"]},
        headers=bearer(bob),
        timeout=30,
    )
    assert reply.status_code == 403, reply.text
    assert error_of(reply)["code"] == "needs_reauth"
    me = requests.get(f"{rt.api_url}/api/v1/me", headers=bearer(bob), timeout=30).json()
    assert me["needs_reauth"] is True
    assert me["paused"] is True
    # Signing in again stores fresh tokens and lifts the flag.
    again = sign_in_api_client(rt, user=me["spotify_user_id"])
    assert again["member_id"] == bob["member_id"]
    me = requests.get(f"{rt.api_url}/api/v1/me", headers=bearer(again), timeout=30).json()
    assert me["needs_reauth"] is False
    assert me["paused"] is False


# ------------------------------------------------------------------------- the log check


def test_zz_no_token_code_or_jwt_in_any_log_line(local_runtime: LocalRuntime) -> None:
    calls = requests.get(f"{local_runtime.spotify_url}/_fake/calls", timeout=10).json()["calls"]
    issued = {str(c["token"]) for c in calls if c.get("token")}
    secrets = {s for s in SECRETS | issued if s and len(s) >= 16}
    assert len(secrets) > 10, "the flows above should have produced secrets to look for"
    assert RECORDS.lines, "nothing was logged at all: the capture is broken"
    leaks = [(s[:8], line[:200]) for line in RECORDS.lines for s in secrets if s in line]
    assert leaks == []
