"""The brief's error shape for every failure: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from followswarm.errors import SwarmError, TooManyRequests

logger = Logger(child=True)


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": error},
        headers=headers,
    )


def _method_allowed_elsewhere(app: APIGatewayHttpResolver) -> list[str]:
    """Methods registered for the current path (Powertools answers 404 for a wrong method)."""
    path = app.current_event.path
    # Powertools keeps its routes privately; reading them is the only way to tell 405 from 404.
    routes = app._static_routes + app._dynamic_routes
    return sorted({r.method for r in routes if r.rule.match(path)})


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    def _swarm_error(exc: SwarmError) -> Response[dict[str, Any]]:
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        )
        return error_response(exc.status, exc.code, exc.message, headers=headers)

    def _invalid_request(exc: RequestValidationError) -> Response[dict[str, Any]]:
        details = [
            {"loc": list(e.get("loc", ())), "type": e.get("type"), "msg": e.get("msg")}
            for e in exc.errors()
        ]
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation_error",
            "The request is not valid",
            details=details,
        )

    @app.not_found
    def _not_found(_: NotFoundError) -> Response[dict[str, Any]]:
        allowed = _method_allowed_elsewhere(app)
        if allowed:
            return error_response(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed",
                f"{app.current_event.http_method} is not allowed here",
                headers={"Allow": ", ".join(allowed)},
            )
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "No such resource")

    def _unexpected(exc: Exception) -> Response[dict[str, Any]]:
        # Logged with its trace for operators; the caller learns nothing of the internals.
        logger.exception("unhandled error")
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong"
        )

    # Registered by call: Powertools' exception_handler decorator is untyped.
    app.exception_handler(SwarmError)(_swarm_error)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.exception_handler(Exception)(_unexpected)
