"""Sign-in with Spotify and the session endpoints: /auth/*."""

from __future__ import annotations

import html
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from followswarm.domain.identity import audit, sessions
from followswarm.domain.identity.sessions import IssuedSession
from followswarm.errors import SwarmError, Unauthorized
from followswarm.settings import get_settings

from ..auth import (
    CSRF_HEADER,
    OAUTH_COOKIE,
    REFRESH_COOKIE,
    MemberPrincipal,
    bearer_token,
    clear_session_cookies,
    client_ip,
    oauth_cookie,
    read_cookie,
    session_cookies,
)

router = APIGatewayHttpRouter()
TAGS = ["auth"]


class TokenReply(BaseModel):
    """Session tokens for API clients (browsers get cookies instead)."""

    token_type: str = "Bearer"
    access_token: str | None = None
    refresh_token: str | None = None
    csrf_token: str
    expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: str | None = Field(default=None, description="Omit to use the refresh cookie")


def _wants_json() -> bool:
    accept = router.current_event.headers.get("accept") or ""
    return "application/json" in accept


def _is_browser_navigation() -> bool:
    """A person's browser following Spotify's redirect (it asks for HTML); API clients get
    the JSON error shape instead."""
    accept = router.current_event.headers.get("accept") or ""
    return "text/html" in accept and not _wants_json()


def _token_reply(issued: IssuedSession, *, with_tokens: bool) -> dict[str, Any]:
    reply = TokenReply(csrf_token=issued.csrf_token, expires_in=issued.expires_in)
    if with_tokens:
        reply.access_token = issued.access_token
        reply.refresh_token = issued.refresh_token
    return reply.model_dump(exclude_none=True)


@router.get(
    "/auth/spotify",
    summary="Start signing in with Spotify (302 to Spotify's authorize page)",
    tags=TAGS,
    responses={302: {"description": "To Spotify"}, 429: {"description": "Too many attempts"}},
)
def sign_in() -> Response[None]:
    from followswarm.domain.identity import oauth  # spotipy + KMS only for sign-in routes

    start = oauth.begin_sign_in(client_ip(router.current_event))
    return Response(
        status_code=302,
        headers={"Location": start.authorize_url, "Cache-Control": "no-store"},
        cookies=[oauth_cookie(start.browser_nonce, get_settings().oauth_state_ttl_seconds)],
    )


@router.get(
    "/auth/callback",
    summary="Spotify's redirect back: checks state, signs in, redirects to the dashboard",
    tags=TAGS,
    responses={
        302: {"description": "Signed in; to the dashboard"},
        400: {"description": "Missing, unknown, expired, reused or foreign state"},
    },
)
def callback(
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> Response[Any]:
    from followswarm.domain.identity import oauth  # spotipy + KMS only for sign-in routes

    nonce = read_cookie(router.current_event, OAUTH_COOKIE)
    if error:
        oauth.cancel_sign_in(state, nonce)
        return _cancelled_page(error)
    try:
        issued = oauth.complete_sign_in(code, state, nonce)
    except SwarmError as exc:
        if not _is_browser_navigation():
            raise
        return _sign_in_failed_page(exc)
    cookies = [*session_cookies(issued), oauth_cookie("", 0)]
    if _wants_json():
        return Response(
            200,
            content_types.APPLICATION_JSON,
            _token_reply(issued, with_tokens=True),
            cookies=cookies,
        )
    return Response(
        status_code=302,
        headers={"Location": get_settings().dashboard_url, "Cache-Control": "no-store"},
        cookies=cookies,
    )


#: What a person reads when the sign-in can't complete (the API's code stays in the page).
_SIGN_IN_FAILURES = {
    "account_suspended": "Your Follow-Swarm account is suspended.",
    "rate_limited": "Too many sign-in attempts from here. Wait a minute, then try again.",
}
_SIGN_IN_RETRY = "This sign-in took too long, was already used or was started elsewhere."


def _sign_in_failed_page(exc: SwarmError) -> Response[str]:
    reason = _SIGN_IN_FAILURES.get(exc.code) or (
        _SIGN_IN_RETRY if exc.code.startswith(("state_", "code_")) else exc.message
    )
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Sign-in failed · Follow-Swarm</title>"
        "<link rel='stylesheet' href='/assets/css/site.css'></head>"
        f"<body><main id='main' data-error-code='{html.escape(exc.code)}'>"
        f"<h1>Sign-in didn't complete</h1><p>{html.escape(reason)}</p>"
        "<p><a class='button' href='/auth/spotify'>Try again</a> <a href='/'>Home</a></p>"
        "</main></body></html>"
    )
    return Response(exc.status, content_types.TEXT_HTML, body, cookies=[oauth_cookie("", 0)])


def _cancelled_page(error: str) -> Response[str]:
    reason = (
        "You chose not to connect Spotify."
        if error == "access_denied"
        else (f"Spotify did not complete the sign-in ({html.escape(error)}).")
    )
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Sign-in cancelled</title></head>"
        f"<body><h1>Sign-in cancelled</h1><p>{reason}</p>"
        "<p>Follow-Swarm needs your permission to follow artists on your behalf. "
        "<a href='/auth/spotify'>Try again</a> whenever you like.</p></body></html>"
    )
    return Response(200, content_types.TEXT_HTML, body, cookies=[oauth_cookie("", 0)])


@router.get("/auth/status", summary="Whether the caller is signed in, and as whom", tags=TAGS)
def status() -> dict[str, Any]:
    from ..auth import ACCESS_COOKIE

    event = router.current_event
    try:
        token = bearer_token(event) or read_cookie(event, ACCESS_COOKIE)
        if not token:
            return {"authenticated": False}
        principal = sessions.verify_access_token(token)
    except SwarmError as exc:
        return {"authenticated": False, "reason": exc.code}
    return {"authenticated": True, "member_id": principal.member_id, "role": principal.role}


@router.post(
    "/auth/refresh",
    summary="Rotate the refresh token; reuse of an old one revokes the whole family",
    tags=TAGS,
    responses={401: {"description": "Invalid, expired, revoked or reused refresh token"}},
)
def refresh(body: Annotated[RefreshRequest | None, Body()] = None) -> Response[Any]:
    event = router.current_event
    presented = body.refresh_token if body else None
    from_cookie = presented is None
    if from_cookie:
        presented = read_cookie(event, REFRESH_COOKIE)
        if not presented:
            raise Unauthorized("No refresh token", code="unauthenticated")
        # A cookie rides along on cross-site requests; the CSRF header proves intent.
        sessions.check_csrf(sessions.family_of(presented), event.headers.get(CSRF_HEADER))
    assert presented is not None
    issued = sessions.refresh_session(presented)
    return Response(
        200,
        content_types.APPLICATION_JSON,
        _token_reply(issued, with_tokens=not from_cookie),
        cookies=session_cookies(issued) if from_cookie else None,
    )


@router.post("/auth/logout", summary="Sign out: revokes this session everywhere", tags=TAGS)
def logout(principal: MemberPrincipal) -> Response[Any]:
    sessions.revoke(principal.session_id)
    audit.record(
        audit.LOGOUT, principal.member_id, principal.member_id, {"session_id": principal.session_id}
    )
    return Response(
        200,
        content_types.APPLICATION_JSON,
        {"status": "signed_out"},
        cookies=clear_session_cookies(),
    )
