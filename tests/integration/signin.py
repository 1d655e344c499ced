"""Signing members in through the local runtime and the Spotify stand-in, as a browser would."""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from requests.adapters import HTTPAdapter

from local.runtime import LocalRuntime

#: Every code and token that crossed the wire (the log test searches the logs for them).
SECRETS: set[str] = set()
_ips = (f"127.0.{a}.{b}" for a, b in itertools.product(range(10, 250), range(2, 250)))


class _SourceAddress(HTTPAdapter):
    def __init__(self, ip: str) -> None:
        self._ip = ip
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._ip, 0)
        super().init_poolmanager(*args, **kwargs)


class LoopbackBrowser(requests.Session):
    """Sends Secure cookies over loopback HTTP, as browsers do for 127.0.0.1 (requests won't)."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        for cookie in self.cookies:
            cookie.secure = False
        return super().request(*args, **kwargs)


def browser() -> requests.Session:
    """A client with its own loopback source address (the sign-in limit is per client IP)."""
    session = LoopbackBrowser()
    adapter = _SourceAddress(next(_ips))
    session.mount("http://", adapter)
    return session


def new_user(rt: LocalRuntime, name: str = "Tester") -> str:
    response = requests.post(
        f"{rt.spotify_url}/_fake/users", json={"display_name": name}, timeout=10
    )
    response.raise_for_status()
    return str(response.json()["id"])


def consent_form(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


def start(rt: LocalRuntime, client: requests.Session, user: str) -> tuple[str, dict[str, str]]:
    """Starts sign-in and consents at Spotify; returns the callback URL (not yet followed)."""
    page = client.get(f"{rt.api_url}/auth/spotify", timeout=30)  # follows the 302 to Spotify
    assert page.status_code == 200, page.text
    assert page.history[0].status_code == 302
    form = consent_form(page.text)
    decision = client.post(
        f"{rt.spotify_url}/authorize",
        data={**form, "user_id": user, "decision": "allow"},
        allow_redirects=False,
        timeout=30,
    )
    assert decision.status_code == 302
    callback = decision.headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlparse(callback).query).items()}
    SECRETS.add(query["code"])
    return callback, query


def remember(client: requests.Session) -> None:
    for cookie in client.cookies:
        if cookie.name in {"fs_access", "fs_refresh"} and cookie.value:
            SECRETS.add(cookie.value)


def sign_in_api_client(rt: LocalRuntime, user: str | None = None) -> dict[str, Any]:
    client = browser()
    callback, _ = start(rt, client, user or new_user(rt))
    reply = client.get(callback, headers={"Accept": "application/json"}, timeout=30)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    SECRETS.update({body["access_token"], body["refresh_token"]})
    me = requests.get(f"{rt.api_url}/api/v1/me", headers=bearer(body), timeout=30).json()
    body["member_id"] = me["id"]
    return body


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}
