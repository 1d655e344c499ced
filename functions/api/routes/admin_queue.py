"""Operator controls of the follow queue (admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from followswarm.domain.identity import audit
from followswarm.settings import get_settings

from ..auth import AdminPrincipal

router = APIGatewayHttpRouter()


@router.post(
    "/api/v1/admin/dlq/redrive",
    summary="Move dead-lettered follow jobs back onto the queue",
    tags=["admin"],
)
def redrive(
    admin: AdminPrincipal, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    # The worker's modules (spotipy among them) stay out of the API's cold start.
    from followswarm.domain.follows import jobs_service

    moved = jobs_service.redrive_dead_letters(get_settings(), limit=limit)
    audit.record("dlq_redrive", admin.member_id, None, {"moved": moved})
    return {"moved": moved}
