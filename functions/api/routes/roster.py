"""Joining and leaving the roster."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from followswarm import clock
from followswarm.domain.follows import roster
from followswarm.settings import get_settings

from ..auth import CurrentMemberId

router = APIGatewayHttpRouter()


@router.post("/api/v1/roster/join", summary="Join the roster", tags=["roster"])
def join(member_id: CurrentMemberId) -> dict[str, Any]:
    return asdict(roster.join(get_settings(), member_id, clock.now()))


@router.post("/api/v1/roster/leave", summary="Leave the roster", tags=["roster"])
def leave(member_id: CurrentMemberId) -> dict[str, Any]:
    return asdict(roster.leave(member_id, clock.now()))
