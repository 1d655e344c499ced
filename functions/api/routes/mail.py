"""Mail preferences: /api/v1/me/email/preferences, and the one-click /unsubscribe links.

An unsubscribe link's token is its own authorization (signed, member- and kind-bound), so the
link works from any mail client without a session. ``GET`` only shows a confirmation page (link
scanners prefetch URLs); ``POST`` unsubscribes, as RFC 8058's ``List-Unsubscribe-Post`` does.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from followswarm.domain.identity import members
from followswarm.domain.mail import preferences
from followswarm.errors import SwarmError

from ..auth import CurrentMemberId

router = APIGatewayHttpRouter()
TAGS = ["me"]

Token = Annotated[str, Query(min_length=10, max_length=2000, description="From the mail's link")]


class PreferencesRequest(BaseModel):
    preferences: dict[str, bool] = Field(
        description="Mail kind -> wanted", examples=[{"weekly_digest": False}]
    )


@router.get("/api/v1/me/email/preferences", summary="Which mails you get", tags=TAGS)
def get_preferences(member_id: CurrentMemberId) -> dict[str, Any]:
    return {"preferences": preferences.preferences(members.get_member(member_id))}


@router.put("/api/v1/me/email/preferences", summary="Choose which mails you get", tags=TAGS)
def put_preferences(member_id: CurrentMemberId, body: PreferencesRequest) -> dict[str, Any]:
    return {"preferences": preferences.update(member_id, body.preferences)}


@router.get("/unsubscribe", summary="Unsubscribe page (confirms with a POST)", tags=TAGS)
def unsubscribe_page(token: Token) -> Response[str]:
    try:
        _, kind = preferences.read_unsubscribe_token(token)
    except SwarmError:
        return _page(400, "This unsubscribe link is not valid.", None)
    return _page(200, f"Stop receiving {kind.replace('_', ' ')} mails?", token)


@router.post("/unsubscribe", summary="One-click unsubscribe (RFC 8058)", tags=TAGS)
def unsubscribe(token: Token) -> Response[str]:
    result = preferences.unsubscribe(token)
    return _page(200, f"Done: no more {result['kind'].replace('_', ' ')} mails.", None)


def _page(status: int, message: str, token: str | None) -> Response[str]:
    form = (
        f'<form method="post" action="/unsubscribe?token={html.escape(token)}">'
        '<button type="submit">Unsubscribe</button></form>'
        if token
        else ""
    )
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Follow-Swarm mail</title>"
        f"</head><body><p>{html.escape(message)}</p>{form}</body></html>"
    )
    return Response(status, content_types.TEXT_HTML, body)
