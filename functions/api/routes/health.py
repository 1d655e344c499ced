"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from followswarm.domain.readiness import check_readiness

router = APIGatewayHttpRouter()


@router.get("/health", summary="Liveness: answers without touching any dependency", tags=["health"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: checks every table, queue and the Spotify app token",
    tags=["health"],
    responses={200: {"description": "Ready"}, 503: {"description": "Lists what failed"}},
)
def ready() -> Response[dict[str, Any]]:
    report = check_readiness()
    if report.ready:
        return Response(200, content_types.APPLICATION_JSON, {"status": "ready", "failed": []})
    return Response(
        503,
        content_types.APPLICATION_JSON,
        {
            "status": "not_ready",
            "failed": report.failed,
            "error": {"code": "dependencies_unavailable", "message": ", ".join(report.failed)},
        },
    )
