"""The follow-job message the dispatcher enqueues and the worker consumes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from followswarm.settings import SPOTIFY_MAX_IDS


class JobTargetMessage(BaseModel):
    member_id: str
    artist_id: str = Field(pattern=r"^[0-9A-Za-z]{22}$")
    seq: int = Field(ge=1)


class FollowJobMessage(BaseModel):
    """One batch of follows for one member; ``job_id`` is unique per member."""

    job_id: str = Field(min_length=1, max_length=64)
    member_id: str = Field(min_length=1)
    targets: list[JobTargetMessage] = Field(min_length=1, max_length=max(SPOTIFY_MAX_IDS.values()))
    dispatched_at: float
    #: Continuations of a job (after a pause or a partial reservation) keep the job id.
    continuation: int = 0
