"""Operator views and controls: stats, members, the queue, pausing the whole swarm."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from followswarm import clock
from followswarm.domain import admin
from followswarm.domain.identity import audit
from followswarm.settings import get_settings

from ..auth import AdminPrincipal

router = APIGatewayHttpRouter()
TAGS = ["admin"]


class PauseRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=200)


@router.get("/api/v1/admin/stats", summary="Platform statistics", tags=TAGS)
def stats(_: AdminPrincipal) -> dict[str, Any]:
    return admin.platform_stats(clock.now())


@router.get("/api/v1/admin/members", summary="Search and filter members", tags=TAGS)
def members(
    _: AdminPrincipal,
    search: Annotated[str | None, Query(max_length=100)] = None,
    tier: Annotated[Literal["free", "pro", "premium"] | None, Query()] = None,
    status: Annotated[Literal["active", "suspended"] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    return admin.list_members(search=search, tier=tier, status=status, cursor=cursor, limit=limit)


@router.get("/api/v1/admin/queue", summary="Queue depths, dead letters, budget use", tags=TAGS)
def queue(_: AdminPrincipal) -> dict[str, Any]:
    return admin.queue_view(get_settings(), clock.now())


@router.post("/api/v1/admin/queue/pause", summary="Pause every follow, app-wide", tags=TAGS)
def pause(
    principal: AdminPrincipal, body: Annotated[PauseRequest | None, Body()] = None
) -> dict[str, Any]:
    reason = body.reason if body else None
    result = admin.set_swarm_paused(True, reason or "paused by an operator")
    audit.record("swarm_paused", principal.member_id, None, {"reason": reason})
    return result


@router.post("/api/v1/admin/queue/resume", summary="Resume follows app-wide", tags=TAGS)
def resume(principal: AdminPrincipal) -> dict[str, Any]:
    result = admin.set_swarm_paused(False, None)
    audit.record("swarm_resumed", principal.member_id, None, {})
    return result
