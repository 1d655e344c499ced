"""Web API routes under /v1, with Spotify's checks in Spotify's order.

Every call goes: fault injection -> bearer token -> per-app rolling rate limit -> user
and scope checks -> parameters -> handler. Errors are {"error": {"status", "message"}}.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, jsonify, request

from . import ids
from .context import ApiError, StandIn, retry_after_seconds
from .state import AccessToken, Artist, StateError, User

MAX_URIS = 40
MAX_IDS = 50
MAX_LIMIT = 50

# Scopes that allow reading / writing each library URI type (any one suffices).
_MODIFY_SCOPES = {
    "artist": {"user-follow-modify", "user-library-modify"},
    "user": {"user-follow-modify", "user-library-modify"},
    "playlist": {"playlist-modify-public", "playlist-modify-private", "user-library-modify"},
}
_READ_SCOPES = {
    "artist": {"user-follow-read", "user-library-read"},
    "user": {"user-follow-read", "user-library-read"},
    "playlist": {"playlist-read-private", "user-library-read"},
}


def register(app: Flask, ctx: StandIn) -> None:
    """Add the /v1 routes to `app`."""

    def guard(operation: str, user: bool) -> AccessToken:
        g.call_kind = "api"
        g.operation = operation
        _inject_faults(ctx, operation)
        token = _authenticate(ctx)
        limited = ctx.state.admit(
            token.client_id,
            ctx.clock(),
            ctx.config.rate_limit_calls,
            ctx.config.rate_limit_window_seconds,
        )
        if limited is not None:
            raise ApiError(
                429, "API rate limit exceeded", {"Retry-After": retry_after_seconds(limited)}
            )
        if user and token.user_id is None:
            # An app (client credentials) token has no user behind it.
            raise ApiError(401, "Valid user authentication required")
        return token

    @app.get("/v1/me")
    @app.get("/v1/me/")
    def me() -> Response:
        token = guard("me", user=True)
        user = _user(ctx, token)
        return jsonify(_user_json(user, token.scopes, _base()))

    @app.get("/v1/artists/<artist_id>")
    def artist(artist_id: str) -> Response:
        guard("artist", user=False)
        if not ids.is_base62_id(artist_id):
            raise ApiError(400, "invalid id")
        found = ctx.state.get_artist(artist_id)
        if found is None:
            raise ApiError(404, "Resource not found")
        return jsonify(_artist_json(found, ctx.state.follower_count(found.id), _base()))

    @app.put("/v1/me/library")
    def library_save() -> Response:
        return _library_write(ctx, guard("library_save", user=True), save=True)

    @app.delete("/v1/me/library")
    def library_remove() -> Response:
        return _library_write(ctx, guard("library_remove", user=True), save=False)

    @app.get("/v1/me/library/contains")
    def library_contains() -> Response:
        token = guard("library_contains", user=True)
        items = _parse_uris(request.args.get("uris"))
        _require_scopes(token, (_READ_SCOPES.get(k, {"user-library-read"}) for k, _ in items))
        return jsonify(ctx.state.contains_uris(_user(ctx, token).id, items))

    @app.put("/v1/me/following")
    def follow() -> Response:
        return _follow_write(ctx, guard("follow", user=True), follow=True)

    @app.delete("/v1/me/following")
    def unfollow() -> Response:
        return _follow_write(ctx, guard("unfollow", user=True), follow=False)

    @app.get("/v1/me/following/contains")
    def following_contains() -> Response:
        token = guard("following_contains", user=True)
        _require_scopes(token, [{"user-follow-read"}])
        kind = _parse_type(request.args.get("type"), ("artist", "user"))
        items = [(kind, i) for i in _parse_ids(request.args.get("ids"), kind)]
        return jsonify(ctx.state.contains_uris(_user(ctx, token).id, items))

    @app.get("/v1/me/following")
    def following_list() -> Response:
        token = guard("following_list", user=True)
        _require_scopes(token, [{"user-follow-read"}])
        _parse_type(request.args.get("type"), ("artist",))
        limit = _parse_limit(request.args.get("limit"))
        after = request.args.get("after") or None
        if after is not None and not ids.is_base62_id(after):
            raise ApiError(400, "Invalid after")
        followed = ctx.state.followed_artists(_user(ctx, token).id)
        remaining = [a for a in followed if after is None or a.id > after]
        page = remaining[:limit]
        more = len(remaining) > limit
        base = _base()
        last = page[-1].id if page and more else None
        next_url = None
        if last is not None:
            next_url = f"{base}/me/following?" + urlencode(
                {"type": "artist", "after": last, "limit": limit}
            )
        counts = {a.id: ctx.state.follower_count(a.id) for a in page}
        return jsonify(
            {
                "artists": {
                    "href": f"{base}/me/following?" + urlencode(_href_query(limit, after)),
                    "limit": limit,
                    "next": next_url,
                    "cursors": {"after": last},
                    "total": len(followed),
                    "items": [_artist_json(a, counts[a.id], base) for a in page],
                }
            }
        )


def _inject_faults(ctx: StandIn, operation: str) -> None:
    fault = ctx.state.faults.decide(operation)
    if fault.latency > 0:
        ctx.sleep(fault.latency)
    if fault.status is None:
        return
    g.fault = f"rule {fault.rule_id}"
    if fault.timeout is not None:
        ctx.sleep(fault.timeout)
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = retry_after_seconds(fault.retry_after)
    raise ApiError(fault.status, fault.message or "Error", headers)


def _authenticate(ctx: StandIn) -> AccessToken:
    header = request.headers.get("Authorization")
    if not header:
        raise ApiError(401, "No token provided")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(400, "Only valid bearer authentication supported")
    token = ctx.state.access_token(value.strip())
    if token is None or token.revoked:
        raise ApiError(401, "Invalid access token")
    g.token = token.token
    g.client_id = token.client_id
    g.user_id = token.user_id
    if ctx.clock() >= token.expires_at:
        raise ApiError(401, "The access token expired")
    return token


def _user(ctx: StandIn, token: AccessToken) -> User:
    user = ctx.state.get_user(token.user_id or "")
    if user is None:
        raise ApiError(401, "Invalid access token")
    return user


def _require_scopes(token: AccessToken, needed: Iterable[set[str]]) -> None:
    """Each set in `needed` must share at least one scope with the token."""
    for any_of in needed:
        if not token.scopes & any_of:
            raise ApiError(403, "Insufficient client scope")


def _library_write(ctx: StandIn, token: AccessToken, save: bool) -> Response:
    items = _parse_uris(request.args.get("uris"))
    _require_scopes(token, (_MODIFY_SCOPES.get(k, {"user-library-modify"}) for k, _ in items))
    _apply(lambda: ctx.state.save_uris(_user(ctx, token).id, items, save))
    # Spotify answers 200 with an empty body here (the description says so too).
    return Response(status=200)


def _follow_write(ctx: StandIn, token: AccessToken, follow: bool) -> Response:
    _require_scopes(token, [{"user-follow-modify"}])
    kind = _parse_type(request.args.get("type"), ("artist", "user"))
    raw = request.args.get("ids")
    if raw is None:
        # The query wins; the JSON body is the documented fallback.
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("ids"), list):
            raw = ",".join(str(i) for i in body["ids"])
    items = [(kind, i) for i in _parse_ids(raw, kind)]
    _apply(lambda: ctx.state.save_uris(_user(ctx, token).id, items, follow))
    return Response(status=204)


def _apply(action: Callable[[], None]) -> None:
    try:
        action()
    except StateError as err:
        raise ApiError(err.status, err.message) from err


def _parse_uris(raw: str | None) -> list[tuple[str, str]]:
    if raw is None or not raw.strip():
        raise ApiError(400, "Missing required parameter: uris")
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) > MAX_URIS:
        raise ApiError(400, "Too many ids requested")
    items = []
    for part in parts:
        parsed = ids.parse_uri(part)
        if parsed is None:
            raise ApiError(400, f"Invalid URI: {part}")
        if parsed[0] not in ids.LIBRARY_TYPES:
            raise ApiError(400, f"Unsupported URI type: {parsed[0]}")
        items.append(parsed)
    return items


def _parse_ids(raw: str | None, kind: str) -> list[str]:
    if raw is None or not raw.strip():
        raise ApiError(400, "Missing required parameter: ids")
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) > MAX_IDS:
        raise ApiError(400, "Too many ids requested")
    valid = ids.is_user_id if kind == "user" else ids.is_base62_id
    for part in parts:
        if not valid(part):
            raise ApiError(400, "Invalid id")
    return parts


def _parse_type(raw: str | None, allowed: tuple[str, ...]) -> str:
    if not raw:
        raise ApiError(400, "Missing required parameter: type")
    if raw not in allowed:
        raise ApiError(400, f"type must be {' or '.join(allowed)}")
    return raw


def _parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return 20
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(400, "Invalid limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "Invalid limit")
    return limit


def _href_query(limit: int, after: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {"type": "artist", "limit": limit}
    if after is not None:
        query["after"] = after
    return query


def _base() -> str:
    """Absolute /v1 base of this server, so `next` and `href` links lead back here."""
    return request.host_url.rstrip("/") + "/v1"


def _artist_json(artist: Artist, followers: int, base: str) -> dict[str, Any]:
    return {
        "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist.id}"},
        "followers": {"href": None, "total": followers},
        "genres": list(artist.genres),
        "href": f"{base}/artists/{artist.id}",
        "id": artist.id,
        "images": list(artist.images),
        "name": artist.name,
        "popularity": artist.popularity,
        "type": "artist",
        "uri": f"spotify:artist:{artist.id}",
    }


def _user_json(user: User, scopes: frozenset[str], base: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_id": user.account_id,
        "display_name": user.display_name,
        "external_urls": {"spotify": f"https://open.spotify.com/user/{user.id}"},
        "followers": {"href": None, "total": 0},
        "href": f"{base}/users/{user.id}",
        "id": user.id,
        "images": list(user.images),
        "type": "user",
        "uri": f"spotify:user:{user.id}",
    }
    # As at Spotify, these fields appear only with the matching scope.
    if "user-read-email" in scopes:
        body["email"] = user.email
    if "user-read-private" in scopes:
        body["country"] = user.country
        body["product"] = user.product
        body["explicit_content"] = {"filter_enabled": False, "filter_locked": False}
    return body
