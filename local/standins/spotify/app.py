"""The Flask app of the Spotify stand-in: accounts service, Web API and /_fake controls."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from . import accounts, fake_api, webapi
from .clock import VirtualClock
from .config import SpotifyStandInConfig
from .context import ApiError, StandIn, api_error_response
from .state import State

EXTENSION_KEY = "spotify_standin"


def create_app(
    config: SpotifyStandInConfig | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Flask:
    """Build the stand-in. `clock` drives token expiry, rate windows and the call log
    (default: an internal virtual clock that /_fake/clock can move); `sleep` serves
    latency and timeout faults (default: time.sleep; tests pass a recorder)."""
    config = config or SpotifyStandInConfig()
    virtual = None
    if clock is None:
        virtual = VirtualClock()
        clock = virtual
    ctx = StandIn(
        config=config,
        state=State(seed=config.seed),
        clock=clock,
        sleep=sleep or time.sleep,
        virtual_clock=virtual,
    )
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = ctx
    accounts.register(app, ctx)
    webapi.register(app, ctx)
    fake_api.register(app, ctx)

    @app.errorhandler(ApiError)
    def api_error(err: ApiError) -> Response:
        return api_error_response(err.status, err.message, err.headers)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> WerkzeugResponse:
        if request.path.startswith(("/v1", "/_fake")):
            status = err.code or 500
            message = "Service not found" if status == 404 else (err.description or err.name)
            return api_error_response(status, message)
        return err.get_response()

    @app.after_request
    def log_call(response: Response) -> Response:
        kind = g.get("call_kind")
        if kind is not None:
            ctx.state.record_call(
                time=ctx.clock(),
                kind=kind,
                method=request.method,
                path=request.path,
                query=request.args.to_dict(),
                status=response.status_code,
                operation=g.get("operation"),
                token=g.get("token"),
                client_id=g.get("client_id"),
                user_id=g.get("user_id"),
                fault=g.get("fault"),
            )
        return response

    return app


def standin_of(app: Flask) -> StandIn:
    """The stand-in behind an app made by create_app (state, clock, config)."""
    ctx = app.extensions[EXTENSION_KEY]
    assert isinstance(ctx, StandIn)
    return ctx
