"""The plans on offer: GET /api/v1/plans (public; the landing and billing pages show it)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from followswarm.domain.follows import plans as plan_catalog
from followswarm.settings import get_settings

router = APIGatewayHttpRouter()


@router.get("/api/v1/plans", summary="The plans and their pacing", tags=["billing"])
def plans() -> dict[str, Any]:
    return {"plans": plan_catalog.plans(get_settings())}
