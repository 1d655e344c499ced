"""Admin moderation of accounts and the audit log: /api/v1/admin/members/{id}, /admin/audit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from followswarm.domain.identity import audit, members
from followswarm.errors import SwarmError

from ..auth import AdminPrincipal

router = APIGatewayHttpRouter()
TAGS = ["admin"]


class MemberPatch(BaseModel):
    role: Literal["member", "admin"] | None = None
    account_status: Literal["active", "suspended"] | None = None
    approve_artist_claim: bool | None = None


@router.patch(
    "/api/v1/admin/members/<member_id>",
    summary="Suspend or reinstate a member, change their role, approve their artist claim",
    tags=TAGS,
)
def patch_member(member_id: str, admin: AdminPrincipal, body: MemberPatch) -> dict[str, Any]:
    if body.role is not None:
        members.set_role(admin.member_id, member_id, body.role)
    if body.account_status is not None:
        members.set_account_status(admin.member_id, member_id, body.account_status)
    if body.approve_artist_claim:
        members.approve_artist_claim(admin.member_id, member_id)
    return members.profile(members.get_member(member_id))


@router.get("/api/v1/admin/audit", summary="The audit log of one UTC day, newest first", tags=TAGS)
def audit_log(
    admin: AdminPrincipal,
    day: Annotated[str | None, Query(description="YYYY-MM-DD, default today")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    epoch = None
    if day:
        try:
            epoch = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
        except ValueError as exc:
            raise SwarmError("day must be YYYY-MM-DD", code="day_invalid") from exc
    return {"entries": audit.recent(limit=limit, day_epoch=epoch)}
