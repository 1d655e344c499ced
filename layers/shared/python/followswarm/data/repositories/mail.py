"""What the mailer reads and writes on members: preferences, one-time milestones, recipients."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import UpdateError

from followswarm.data.models import MemberModel


def set_preferences(member_id: str, changes: dict[str, bool], now: int) -> MemberModel | None:
    """Sets ``email_preferences[kind]`` for each change (a missing kind means subscribed)."""
    for _ in range(3):
        try:
            member = MemberModel.get(member_id, consistent_read=True)
        except MemberModel.DoesNotExist:
            return None
        preferences = dict(member.email_preferences or {})
        preferences.update(changes)
        try:
            member.update(
                actions=[
                    MemberModel.email_preferences.set(preferences),
                    MemberModel.updated_at.set(now),
                ]
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        return member
    return None


def mark_milestone(member_id: str, milestone: str) -> bool:
    """Records a one-time milestone; ``True`` only for the caller that recorded it first."""
    try:
        member = MemberModel.get(member_id, consistent_read=True)
    except MemberModel.DoesNotExist:
        return False
    if milestone in (member.milestones or set()):
        return False
    try:
        # The condition, not the version, decides: other writers of the member don't matter.
        member.update(
            actions=[MemberModel.milestones.add({milestone})],
            condition=~MemberModel.milestones.contains(milestone),
            add_version_condition=False,
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def milestones_of(member_ids: list[str]) -> dict[str, set[str]]:
    """Member id -> milestones reached, for existing members with a verified address (the only
    ones a milestone mail can reach; one batched read)."""
    found: dict[str, set[str]] = {}
    for member in MemberModel.batch_get(
        sorted(set(member_ids)), attributes_to_get=["pk", "milestones", "email_verified"]
    ):
        if member.email_verified:
            found[str(member.pk)] = set(member.milestones or set())
    return found


def verified_member_ids() -> Iterator[str]:
    """Members with a verified address (a scan: for the weekly digest only, never a request)."""
    for member in MemberModel.scan(
        MemberModel.email_verified == True,  # noqa: E712 (a pynamodb condition)
        attributes_to_get=["pk"],
    ):
        yield str(member.pk)
