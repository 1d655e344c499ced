"""Accounts service: `/authorize` (a consent page) and `/api/token`.

`GET /authorize` takes Spotify's query parameters (client_id, response_type=code,
redirect_uri, state, scope, show_dialog) and shows a page to pick or create a test user.
The page posts a form to `POST /authorize` (also accepted at `/authorize/decision`), which a
plain HTTP client can post directly. Form fields:

- client_id, response_type, redirect_uri, state, scope: the original query parameters
- user_id: an existing test user's ID, or empty to create one from `new_display_name`
- new_display_name: display name of a new test user (used only when user_id is empty)
- decision: "allow" (Agree) or "deny" (Cancel)

Allow answers 302 to `redirect_uri?code=...&state=...`; deny answers 302 to
`redirect_uri?error=access_denied&state=...`. An unknown client or redirect URI is a 400
page, as at Spotify (there is nowhere safe to redirect to).

`POST /api/token` authenticates the client by HTTP Basic or client_id/client_secret form
fields and supports the authorization_code, refresh_token and client_credentials grants.
Errors are RFC 6749 JSON: {"error": "invalid_grant", "error_description": "..."}.
"""

from __future__ import annotations

import base64
import binascii
import html
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, jsonify, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

from .context import KNOWN_SCOPES, StandIn, api_error_response, parse_scopes, retry_after_seconds
from .state import GrantError, IssuedTokens

AUTH_PARAMS = ("client_id", "response_type", "redirect_uri", "state", "scope", "show_dialog")


def register(app: Flask, ctx: StandIn) -> None:
    """Add the accounts-service routes to `app`."""

    @app.get("/authorize")
    def authorize_page() -> WerkzeugResponse | tuple[str, int]:
        params = {k: request.args.get(k, "") for k in AUTH_PARAMS}
        problem = _check_authorize(ctx, params)
        if problem is not None:
            return problem
        return Response(_consent_page(ctx, params), mimetype="text/html")

    @app.post("/authorize")
    @app.post("/authorize/decision")
    def authorize_decision() -> WerkzeugResponse | tuple[str, int]:
        params = {k: request.form.get(k, "") for k in AUTH_PARAMS}
        problem = _check_authorize(ctx, params)
        if problem is not None:
            return problem
        if request.form.get("decision", "").lower() not in ("allow", "agree", "accept"):
            return _redirect_back(params, {"error": "access_denied"})
        user_id = request.form.get("user_id", "").strip()
        if user_id:
            if ctx.state.get_user(user_id) is None:
                return _error_page(f"Unknown test user {user_id}", 400)
        else:
            name = request.form.get("new_display_name", "").strip()
            if not name:
                return _error_page("Pick a test user or give a display name for a new one", 400)
            user_id = ctx.state.add_user(display_name=name).id
        code = ctx.state.issue_code(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            user_id=user_id,
            scopes=parse_scopes(params["scope"]),
            expires_at=ctx.clock() + ctx.config.authorization_code_ttl,
        )
        return _redirect_back(params, {"code": code.code})

    @app.post("/api/token")
    def token() -> Response:
        g.call_kind = "token"
        g.operation = "token"
        fault = ctx.state.faults.decide("token")
        if fault.latency > 0:
            ctx.sleep(fault.latency)
        if fault.status is not None:
            g.fault = f"rule {fault.rule_id}"
            if fault.timeout is not None:
                ctx.sleep(fault.timeout)
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = retry_after_seconds(fault.retry_after)
            return api_error_response(fault.status, fault.message or "Error", headers)
        try:
            client_id = _authenticate_client(ctx)
            g.client_id = client_id
            issued = _grant(ctx, client_id)
        except GrantError as err:
            # Spotify answers 400 for every token error, invalid_client included.
            return _oauth_error(err.error, err.description, 400)
        g.token = issued.access.token
        g.user_id = issued.access.user_id
        body: dict[str, Any] = {
            "access_token": issued.access.token,
            "token_type": "Bearer",
            "expires_in": ctx.config.access_token_ttl,
            "scope": " ".join(sorted(issued.access.scopes)),
        }
        if issued.refresh is not None:
            body["refresh_token"] = issued.refresh.token
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response


def _check_authorize(
    ctx: StandIn, params: dict[str, str]
) -> WerkzeugResponse | tuple[str, int] | None:
    if params["client_id"] not in ctx.config.clients():
        return _error_page("INVALID_CLIENT: Invalid client", 400)
    redirect_uri = params["redirect_uri"]
    allowed = ctx.config.redirect_uris
    if not redirect_uri or (allowed and redirect_uri not in allowed):
        return _error_page("INVALID_CLIENT: Invalid redirect URI", 400)
    if params["response_type"] != "code":
        return _redirect_back(params, {"error": "unsupported_response_type"})
    unknown = parse_scopes(params["scope"]) - KNOWN_SCOPES
    if unknown:
        return _error_page("INVALID_SCOPE: Invalid scope", 400)
    return None


def _redirect_back(params: dict[str, str], extra: dict[str, str]) -> WerkzeugResponse:
    query = dict(extra)
    if params.get("state"):
        query["state"] = params["state"]
    separator = "&" if "?" in params["redirect_uri"] else "?"
    return redirect(params["redirect_uri"] + separator + urlencode(query), code=302)


def _error_page(message: str, status: int) -> tuple[str, int]:
    body = f"<!doctype html><title>Error</title><h1>Error</h1><p>{html.escape(message)}</p>"
    return body, status


def _consent_page(ctx: StandIn, params: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v, quote=True)}">'
        for k, v in params.items()
    )
    options = "".join(
        f'<option value="{html.escape(u.id, quote=True)}">'
        f"{html.escape(u.display_name)} ({html.escape(u.id)})</option>"
        for u in ctx.state.list_users()
    )
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in sorted(parse_scopes(params["scope"])))
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Spotify stand-in: authorize</title></head>
<body>
<h1>Authorize {html.escape(params["client_id"])}</h1>
<p>The app asks for these scopes:</p><ul>{scopes or "<li>(none)</li>"}</ul>
<form method="post" action="/authorize">
{hidden}
<p><label>Existing test user:
<select name="user_id"><option value="">(create a new user)</option>{options}</select>
</label></p>
<p><label>New user's display name: <input name="new_display_name"></label></p>
<p><button type="submit" name="decision" value="allow">Agree</button>
<button type="submit" name="decision" value="deny">Cancel</button></p>
</form>
</body></html>
"""


def _oauth_error(error: str, description: str, status: int) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


def _authenticate_client(ctx: StandIn) -> str:
    client_id = request.form.get("client_id")
    secret = request.form.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise GrantError("invalid_client", "Invalid client") from exc
        client_id, _, secret = decoded.partition(":")
    clients = ctx.config.clients()
    if not client_id or client_id not in clients:
        raise GrantError("invalid_client", "Invalid client")
    if secret != clients[client_id]:
        raise GrantError("invalid_client", "Invalid client secret")
    return client_id


def _grant(ctx: StandIn, client_id: str) -> IssuedTokens:
    grant_type = request.form.get("grant_type")
    now = ctx.clock()
    cfg = ctx.config
    if not grant_type:
        raise GrantError("unsupported_grant_type", "grant_type parameter is missing")
    if grant_type == "authorization_code":
        code = ctx.state.redeem_code(
            request.form.get("code", ""), client_id, request.form.get("redirect_uri", ""), now
        )
        if ctx.state.get_user(code.user_id) is None:
            raise GrantError("invalid_grant", "Invalid authorization code")
        return ctx.state.issue_tokens(
            client_id, code.user_id, code.scopes, now, cfg.access_token_ttl, cfg.refresh_token_ttl
        )
    if grant_type == "refresh_token":
        refresh_token = request.form.get("refresh_token")
        if not refresh_token:
            raise GrantError("invalid_request", "refresh_token must be supplied")
        return ctx.state.refresh(
            refresh_token, client_id, now, cfg.access_token_ttl, cfg.rotate_refresh_tokens
        )
    if grant_type == "client_credentials":
        return ctx.state.issue_tokens(
            client_id, None, frozenset(), now, cfg.access_token_ttl, None, with_refresh=False
        )
    raise GrantError(
        "unsupported_grant_type",
        "grant_type must be client_credentials, authorization_code or refresh_token",
    )
