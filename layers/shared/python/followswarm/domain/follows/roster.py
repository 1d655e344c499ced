"""Joining and leaving the roster, pausing and resuming: O(1) writes whatever the roster size.

A member who becomes a target again (resume, reinstatement, a lifted reciprocity block, a
re-join) takes a fresh sequence number above every cursor, so everyone reaches them again.
Their own cursors stay where they were: what they already dispatched is not dispatched twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from followswarm.data.models import MemberModel
from followswarm.data.repositories import roster
from followswarm.domain.follows import dispatch
from followswarm.errors import Conflict, NotFound, SwarmError
from followswarm.metric_names import MEMBERS_JOINED
from followswarm.observability import MetricUnit, metrics
from followswarm.settings import Settings


@dataclass(frozen=True)
class RosterState:
    member_id: str
    roster_status: str
    join_seq: int | None
    paused: bool


def _state(member: MemberModel) -> RosterState:
    return RosterState(
        member.pk,
        member.roster_status,
        int(member.join_seq) if member.join_seq is not None else None,
        bool(member.paused),
    )


def _member(member_id: str) -> MemberModel:
    member = roster.load_member(member_id)
    if member is None:
        raise NotFound("No such member", code="member_not_found")
    return member


def is_target(member: MemberModel) -> bool:
    return (
        member.roster_status == "joined"
        and member.account_status == "active"
        and not member.paused
        and not member.reciprocity_blocked
    )


def _take_slot(member: MemberModel, now: float, *, first_time: bool) -> None:
    """Becomes a target again at a fresh sequence, or only resumes following if blocked."""
    if member.reciprocity_blocked and not first_time:
        roster.schedule(member, now)
        return
    seq = roster.take_next_sequence()
    roster.activate(member, seq, now, reset_cursors=first_time)


def join(settings: Settings, member_id: str, now: float) -> RosterState:
    """Joins the roster; the newcomer's first batch is dispatched at once."""
    from followswarm.domain.identity import vault

    member = _member(member_id)
    if member.roster_status == "joined":
        raise Conflict("Already on the roster", code="already_joined")
    if member.account_status != "active":
        raise SwarmError("This account is suspended", code="account_suspended", status=403)
    if not member.artist_id or member.artist_claim_status != "approved":
        raise SwarmError("Claim your artist profile first", code="artist_not_claimed", status=409)
    vault.access_token_for(member_id)  # raises ReauthRequired when the tokens don't work
    _take_slot(member, now, first_time=member.new_cursor is None)
    metrics.add_metric(name=MEMBERS_JOINED, unit=MetricUnit.Count, value=1)
    if not member.paused:
        dispatch.dispatch_member(settings, member_id, now)
    return _state(_member(member_id))


def leave(member_id: str, now: float) -> RosterState:
    """Leaving stops pending work at once (queued jobs are dropped) and ends being a target."""
    member = _member(member_id)
    if member.roster_status != "joined":
        raise Conflict("Not on the roster", code="not_joined")
    roster.deactivate(
        member, now, roster_status="left", keep_dispatch=False, was_target=is_target(member)
    )
    return _state(member)


def pause(member_id: str, now: float) -> RosterState:
    member = _member(member_id)
    if member.paused:
        return _state(member)
    was_target = is_target(member)
    member.update(actions=[MemberModel.paused.set(True)])
    if member.roster_status == "joined":
        roster.deactivate(
            member, now, roster_status="joined", keep_dispatch=False, was_target=was_target
        )
    return _state(member)


def resume(settings: Settings, member_id: str, now: float) -> RosterState:
    member = _member(member_id)
    if member.needs_reauth:
        raise SwarmError("Sign in with Spotify again first", code="needs_reauth", status=409)
    if not member.paused:
        return _state(member)
    member.update(actions=[MemberModel.paused.set(False)])
    if member.roster_status == "joined":
        _take_slot(member, now, first_time=False)
        dispatch.dispatch_member(settings, member_id, now)
    return _state(_member(member_id))


def set_target_blocked(member_id: str, blocked: bool, now: float) -> None:
    """Reciprocity guard: stop (or resume) receiving follows without touching their own."""
    member = _member(member_id)
    if bool(member.reciprocity_blocked) == blocked:
        return
    was_target = is_target(member)
    member.update(actions=[MemberModel.reciprocity_blocked.set(blocked)])
    if member.roster_status != "joined" or member.paused or member.account_status != "active":
        return
    if blocked:
        roster.deactivate(
            member, now, roster_status="joined", keep_dispatch=True, was_target=was_target
        )
    else:
        _take_slot(member, now, first_time=False)


def suspend(member_id: str, now: float) -> None:
    member = _member(member_id)
    was_target = is_target(member)
    member.update(actions=[MemberModel.account_status.set("suspended")])
    if member.roster_status == "joined":
        roster.deactivate(
            member, now, roster_status="joined", keep_dispatch=False, was_target=was_target
        )


def reinstate(settings: Settings, member_id: str, now: float) -> None:
    member = _member(member_id)
    if member.account_status == "active":
        return
    member.update(actions=[MemberModel.account_status.set("active")])
    if member.roster_status == "joined" and not member.paused:
        _take_slot(member, now, first_time=False)
        dispatch.dispatch_member(settings, member_id, now)
