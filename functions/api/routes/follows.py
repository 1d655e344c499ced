"""A member's follows: progress, history, stats, rate limits, pause and resume."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from followswarm import clock
from followswarm.domain.follows import roster, views
from followswarm.settings import get_settings

from ..auth import CurrentMemberId

router = APIGatewayHttpRouter()

HistoryStatus = Literal["done", "skipped", "failed", "pending"]


@router.get(
    "/api/v1/follows/progress", summary="Following and followers progress", tags=["follows"]
)
def progress(member_id: CurrentMemberId) -> dict[str, Any]:
    return views.progress(get_settings(), member_id, clock.now())


@router.get("/api/v1/follows/history", summary="Follow history, newest first", tags=["follows"])
def history(
    member_id: CurrentMemberId,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    status: Annotated[HistoryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    return views.history(member_id, cursor=cursor, status=status, limit=limit, now=clock.now())


@router.get("/api/v1/follows/stats", summary="Follows over a period, by day", tags=["follows"])
def stats(
    member_id: CurrentMemberId,
    period: Annotated[Literal["24h", "7d", "30d", "all"], Query()] = "7d",
) -> dict[str, Any]:
    return views.stats(member_id, period=period, now=clock.now())


@router.get("/api/v1/follows/rate-limits", summary="Pacing use per window", tags=["follows"])
def rate_limits(member_id: CurrentMemberId) -> dict[str, Any]:
    return views.rate_limits(get_settings(), member_id, clock.now())


@router.post("/api/v1/follows/pause", summary="Pause your follows", tags=["follows"])
def pause(member_id: CurrentMemberId) -> dict[str, Any]:
    return asdict(roster.pause(member_id, clock.now()))


@router.post("/api/v1/follows/resume", summary="Resume your follows", tags=["follows"])
def resume(member_id: CurrentMemberId) -> dict[str, Any]:
    return asdict(roster.resume(get_settings(), member_id, clock.now()))


@router.get(
    "/api/v1/follows/export.csv",
    summary="Every follow as CSV (premium plan)",
    tags=["follows"],
    responses={403: {"description": "Not on the premium plan"}},
)
def export_csv(member_id: CurrentMemberId) -> Response[str]:
    return Response(
        200,
        "text/csv; charset=utf-8",
        views.export_csv(member_id, now=clock.now()),
        headers={"Content-Disposition": 'attachment; filename="followswarm-follows.csv"'},
    )
