"""Sign-in with Spotify: the authorization-code flow, from ``state`` to a new session.

``state`` is random, single use, valid for 10 minutes and bound to the browser that started
the flow: the browser gets a random nonce in a cookie and the state record keeps its hash, so
a state replayed from another browser (login CSRF) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import requests
from aws_lambda_powertools import Logger
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from followswarm import clock
from followswarm.data.repositories import auth as auth_repo
from followswarm.domain.identity import audit, members, ratelimit, sessions, vault
from followswarm.errors import DependencyFailed, Forbidden, SwarmError
from followswarm.settings import get_settings

logger = Logger(child=True)


@dataclass(frozen=True)
class SignInStart:
    authorize_url: str
    browser_nonce: str

    def __repr__(self) -> str:
        return "SignInStart(...)"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def begin_sign_in(client_ip: str) -> SignInStart:
    """Rate-limits the client, stores a fresh ``state`` and builds Spotify's authorize URL."""
    from followswarm.clients.spotify import spotify_oauth

    ratelimit.check_sign_in(client_ip)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    auth_repo.put_state(
        state, _hash(nonce), clock.now_int() + get_settings().oauth_state_ttl_seconds
    )
    return SignInStart(spotify_oauth().get_authorize_url(state=state), nonce)


def check_state(state: str | None, browser_nonce: str | None) -> None:
    """Validates and spends the state: missing, unknown, expired, reused or foreign -> 400."""
    if not state:
        raise SwarmError("The sign-in state is missing", code="state_missing")
    record = auth_repo.get_state(state)
    if record is None:
        raise SwarmError("The sign-in state is unknown", code="state_unknown")
    if record.used:
        raise SwarmError("The sign-in state was already used", code="state_reused")
    # TTL deletes late (or, locally, early): validity is checked here, not left to TTL.
    valid_until = record.valid_until if record.valid_until is not None else record.expires_at
    if clock.now() >= float(valid_until):
        raise SwarmError("The sign-in state has expired; start again", code="state_expired")
    if not browser_nonce or not hmac.compare_digest(
        _hash(browser_nonce), str(record.browser_binding)
    ):
        raise SwarmError("The sign-in was started in another browser", code="state_foreign")
    if not auth_repo.consume_state(record):
        raise SwarmError("The sign-in state was already used", code="state_reused")


def complete_sign_in(
    code: str | None, state: str | None, browser_nonce: str | None
) -> sessions.IssuedSession:
    """Exchanges the code, reads ``/v1/me``, upserts the member, stores tokens, starts a session."""
    from followswarm.clients.spotify import spotify_api, spotify_oauth

    check_state(state, browser_nonce)
    if not code:
        raise SwarmError("The authorization code is missing", code="code_missing")
    try:
        client = spotify_oauth()
        client.get_access_token(code, as_dict=False, check_cache=False)
        # The whole token response (refresh token, expiry) is in the client's memory cache.
        info = client.cache_handler.get_cached_token()
        profile = spotify_api(str(info["access_token"])).me()
    except SpotifyOauthError as exc:
        if exc.error == "invalid_grant":
            raise SwarmError(
                "Spotify did not accept the authorization code", code="code_invalid"
            ) from exc
        raise DependencyFailed("Spotify sign-in failed", code="spotify_unavailable") from exc
    except (SpotifyException, requests.RequestException) as exc:
        raise DependencyFailed("Spotify could not be reached", code="spotify_unavailable") from exc
    member, created = members.upsert_from_spotify(
        str(profile["id"]), str(profile.get("display_name") or "")
    )
    if member.account_status != "active":
        raise Forbidden("This account is suspended", code="account_suspended")
    vault.store_tokens(
        str(member.pk),
        vault.SpotifyTokens(
            access_token=str(info["access_token"]),
            refresh_token=str(info["refresh_token"]),
            expires_at=clock.now_int() + int(info["expires_in"]),
            scopes=frozenset(str(info.get("scope") or "").split()),
        ),
    )
    issued = sessions.start_session(str(member.pk), str(member.role))
    audit.record(audit.SIGN_IN, str(member.pk), str(member.pk), {"new_member": created})
    return issued


def cancel_sign_in(state: str | None, browser_nonce: str | None) -> None:
    """Spends the state of a sign-in the person cancelled at Spotify (if it is theirs)."""
    try:
        check_state(state, browser_nonce)
    except SwarmError:
        logger.info("cancelled sign-in with an invalid state")
