"""The signed-in member's own account: /api/v1/me*."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from followswarm.domain.identity import members

from ..auth import CurrentMemberId, clear_session_cookies

router = APIGatewayHttpRouter()
TAGS = ["me"]


class ArtistClaimRequest(BaseModel):
    artist: str = Field(
        min_length=1,
        max_length=300,
        description="A Spotify artist ID, spotify:artist: URI or open.spotify.com/artist/ URL",
        examples=["https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF"],
    )


class EmailRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254, examples=["artist@example.com"])


class EmailVerifyRequest(BaseModel):
    token: str = Field(min_length=1, max_length=2000, description="From the verification link")


@router.get("/api/v1/me", summary="Your account", tags=TAGS)
def get_me(member_id: CurrentMemberId) -> dict[str, Any]:
    return members.profile(members.get_member(member_id))


@router.get(
    "/api/v1/me/artist/preview",
    summary="Look an artist up on Spotify before claiming it (nothing is stored)",
    tags=TAGS,
    responses={404: {"description": "No such artist"}},
)
def preview_artist(
    member_id: CurrentMemberId,
    artist: Annotated[
        str,
        Query(
            min_length=1,
            max_length=300,
            description="A Spotify artist ID, spotify:artist: URI or open.spotify.com/artist/ URL",
        ),
    ],
) -> dict[str, Any]:
    return members.preview_artist(member_id, artist)


@router.put(
    "/api/v1/me/artist",
    summary="Claim your Spotify artist profile (one member per artist)",
    tags=TAGS,
    responses={404: {"description": "No such artist"}, 409: {"description": "Already claimed"}},
)
def put_artist(member_id: CurrentMemberId, body: ArtistClaimRequest) -> dict[str, Any]:
    return members.profile(members.claim_artist(member_id, body.artist))


@router.put(
    "/api/v1/me/email",
    summary="Set your email address; a verification link is mailed to it",
    tags=TAGS,
)
def put_email(member_id: CurrentMemberId, body: EmailRequest) -> Response[dict[str, Any]]:
    member = members.set_email(member_id, body.email)
    return Response(202, content_types.APPLICATION_JSON, members.profile(member))


@router.post("/api/v1/me/email/verify", summary="Confirm your email address", tags=TAGS)
def verify_email(member_id: CurrentMemberId, body: EmailVerifyRequest) -> dict[str, Any]:
    return members.profile(members.verify_email(member_id, body.token))


@router.get("/api/v1/me/export", summary="Everything held about you, except tokens", tags=TAGS)
def export(member_id: CurrentMemberId) -> Response[dict[str, Any]]:
    return Response(
        200,
        content_types.APPLICATION_JSON,
        members.export(member_id),
        headers={"Content-Disposition": 'attachment; filename="followswarm-export.json"'},
    )


@router.delete(
    "/api/v1/me",
    summary="Delete your account: tokens, follows, usage, analytics and sessions",
    tags=TAGS,
)
def delete_me(member_id: CurrentMemberId) -> Response[None]:
    members.delete_account(member_id)
    return Response(204, cookies=clear_session_cookies())
