"""Test-only control endpoints under /_fake/ (JSON in, JSON out).

- POST /_fake/users {id?, display_name?, email?, country?, product?} -> user (201);
  GET /_fake/users; GET /_fake/users/<id>
- POST /_fake/users/<id>/revoke {access?: true, refresh?: true} -> refresh tokens answer
  invalid_grant, access tokens 401 "Invalid access token"
- POST /_fake/artists {id?, name?, popularity?, genres?} or a list of those -> artist(s) (201);
  GET /_fake/artists
- POST /_fake/tokens {user_id?, scopes (list or space-separated), client_id?} -> token
  response as /api/token would give it (no user_id: an app token)
- GET /_fake/follows[?user_id=] -> {user_id: [artist ids]};
  POST /_fake/follows {user_id, artist_ids} seeds follows directly
- GET /_fake/calls[?user_id=&since=&token=&after=&kind=] -> {"calls": [...]};
  DELETE /_fake/calls
- GET /_fake/faults; POST /_fake/faults (a rule, a list, or {"rules": [...]}; see faults.py);
  DELETE /_fake/faults
- GET /_fake/clock -> {"now"}; POST /_fake/clock {"advance": s} or {"now": epoch}
  (only when the stand-in owns its clock; 409 when it was given one)
- GET/POST /_fake/config {rate_limit_calls?, rate_limit_window_seconds?, access_token_ttl?,
  rotate_refresh_tokens?}
- POST /_fake/reset: forget users, artists, follows, tokens, calls, faults, rate windows
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from typing import Any, TypeVar

from flask import Flask, Response, jsonify, request

from .context import ApiError, StandIn, parse_scopes
from .faults import FaultSpecError
from .state import Artist, StateError

T = TypeVar("T")

_CONFIG_FIELDS: dict[str, Callable[[Any], Any]] = {
    "rate_limit_calls": int,
    "rate_limit_window_seconds": float,
    "access_token_ttl": int,
    "rotate_refresh_tokens": bool,
}


def register(app: Flask, ctx: StandIn) -> None:
    """Add the /_fake routes to `app`."""
    state = ctx.state

    @app.get("/_fake/users")
    def list_users() -> Response:
        return jsonify({"users": [asdict(u) for u in state.list_users()]})

    @app.post("/_fake/users")
    def create_user() -> tuple[Response, int]:
        body = _body()
        extra = {k: body[k] for k in ("email", "country", "product", "images") if k in body}
        user = _call(
            lambda: state.add_user(
                display_name=body.get("display_name"), user_id=body.get("id"), **extra
            )
        )
        return jsonify(asdict(user)), 201

    @app.get("/_fake/users/<user_id>")
    def get_user(user_id: str) -> Response:
        user = state.get_user(user_id)
        if user is None:
            raise ApiError(404, f"no user {user_id}")
        return jsonify(asdict(user))

    @app.post("/_fake/users/<user_id>/revoke")
    def revoke(user_id: str) -> Response:
        if state.get_user(user_id) is None:
            raise ApiError(404, f"no user {user_id}")
        body = _body()
        count = state.revoke_user(
            user_id, access=bool(body.get("access", True)), refresh=bool(body.get("refresh", True))
        )
        return jsonify({"revoked": count})

    @app.get("/_fake/artists")
    def list_artists() -> Response:
        return jsonify({"artists": [asdict(a) for a in state.list_artists()]})

    @app.post("/_fake/artists")
    def create_artists() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        specs = body if isinstance(body, list) else [body if isinstance(body, dict) else {}]
        created = []
        for spec in specs:
            if not isinstance(spec, dict):
                raise ApiError(400, "an artist is a JSON object")
            created.append(asdict(_call(partial(_add_artist, ctx, spec))))
        return jsonify(created if isinstance(body, list) else created[0]), 201

    @app.post("/_fake/tokens")
    def mint_token() -> tuple[Response, int]:
        body = _body()
        raw_scopes = body.get("scopes", [])
        scopes = parse_scopes(raw_scopes if isinstance(raw_scopes, str) else " ".join(raw_scopes))
        client_id = str(body.get("client_id", ctx.config.client_id))
        if client_id not in ctx.config.clients():
            raise ApiError(400, f"unknown client {client_id}")
        user_id = body.get("user_id")
        if user_id is not None and state.get_user(user_id) is None:
            raise ApiError(404, f"no user {user_id}")
        cfg = ctx.config
        issued = state.issue_tokens(
            client_id,
            user_id,
            scopes,
            ctx.clock(),
            float(body.get("expires_in", cfg.access_token_ttl)),
            cfg.refresh_token_ttl,
        )
        result: dict[str, Any] = {
            "access_token": issued.access.token,
            "token_type": "Bearer",
            "expires_in": int(issued.access.expires_at - issued.access.issued_at),
            "scope": " ".join(sorted(scopes)),
        }
        if issued.refresh is not None:
            result["refresh_token"] = issued.refresh.token
        return jsonify(result), 201

    @app.get("/_fake/follows")
    def follows() -> Response:
        graph = state.follow_graph()
        user_id = request.args.get("user_id")
        if user_id is not None:
            graph = {user_id: graph.get(user_id, [])}
        return jsonify(graph)

    @app.post("/_fake/follows")
    def seed_follows() -> Response:
        body = _body()
        user_id = str(body.get("user_id", ""))
        if state.get_user(user_id) is None:
            raise ApiError(404, f"no user {user_id}")
        items = [("artist", str(a)) for a in body.get("artist_ids", [])]
        _call(lambda: state.save_uris(user_id, items, bool(body.get("follow", True))))
        return jsonify({user_id: state.follow_graph().get(user_id, [])})

    @app.get("/_fake/calls")
    def calls() -> Response:
        args = request.args
        since = args.get("since")
        after = args.get("after")
        try:
            found = state.list_calls(
                user_id=args.get("user_id"),
                since=None if since is None else float(since),
                token=args.get("token"),
                after_seq=None if after is None else int(after),
                kind=args.get("kind"),
            )
        except ValueError as err:
            raise ApiError(400, f"bad filter: {err}") from err
        return jsonify({"calls": [c.to_json() for c in found]})

    @app.delete("/_fake/calls")
    def clear_calls() -> Response:
        state.clear_calls()
        return jsonify({"calls": []})

    @app.get("/_fake/faults")
    def list_faults() -> Response:
        return jsonify({"rules": [r.to_json() for r in state.faults.rules()]})

    @app.post("/_fake/faults")
    def add_faults() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and "rules" in body:
            body = body["rules"]
        specs = body if isinstance(body, list) else [body]
        added = []
        for spec in specs:
            if not isinstance(spec, dict):
                raise ApiError(400, "a fault rule is a JSON object")
            try:
                added.append(state.faults.add(spec).to_json())
            except (FaultSpecError, TypeError, ValueError) as err:
                raise ApiError(400, str(err)) from err
        return jsonify({"rules": added}), 201

    @app.delete("/_fake/faults")
    def clear_faults() -> Response:
        state.faults.reset()
        return jsonify({"rules": []})

    @app.get("/_fake/clock")
    def get_clock() -> Response:
        return jsonify({"now": ctx.clock(), "virtual": ctx.virtual_clock is not None})

    @app.post("/_fake/clock")
    def set_clock() -> Response:
        if ctx.virtual_clock is None:
            raise ApiError(409, "the clock is driven by the runtime; move that one instead")
        body = _body()
        try:
            if "now" in body:
                now = ctx.virtual_clock.set(float(body["now"]))
            else:
                now = ctx.virtual_clock.advance(float(body.get("advance", 0)))
        except ValueError as err:
            raise ApiError(400, str(err)) from err
        return jsonify({"now": now, "virtual": True})

    @app.get("/_fake/config")
    def get_config() -> Response:
        return jsonify(_config_json(ctx))

    @app.post("/_fake/config")
    def set_config() -> Response:
        body = _body()
        for name, kind in _CONFIG_FIELDS.items():
            if name in body:
                setattr(ctx.config, name, kind(body[name]))
        return jsonify(_config_json(ctx))

    @app.post("/_fake/reset")
    def reset() -> Response:
        state.reset()
        return jsonify({"reset": True})


def _add_artist(ctx: StandIn, spec: dict[str, Any]) -> Artist:
    extra = {k: spec[k] for k in ("popularity", "genres", "images") if k in spec}
    return ctx.state.add_artist(name=spec.get("name"), artist_id=spec.get("id"), **extra)


def _config_json(ctx: StandIn) -> dict[str, Any]:
    return {name: getattr(ctx.config, name) for name in _CONFIG_FIELDS}


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _call(action: Callable[[], T]) -> T:
    try:
        return action()
    except StateError as err:
        raise ApiError(err.status, err.message) from err
    except TypeError as err:  # unexpected fields in a spec
        raise ApiError(400, str(err)) from err
