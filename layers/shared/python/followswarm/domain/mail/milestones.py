"""One-time mails the follow engine triggers: a target's first followers, a roster complete.

The follow worker calls :func:`after_job` once per completed job. It costs one batched read of
the job's followed targets and one transactional read of the follower; a milestone is written
(conditionally, so exactly one caller wins) once per member, ever, and only for members with a
verified address (nothing else could be told). It never fails the job.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_lambda_powertools import Logger

from followswarm.data.repositories import mail as mail_repo
from followswarm.data.repositories import roster
from followswarm.domain.identity import notifier

logger = Logger(child=True)


def after_job(follower_id: str, followed: Sequence[str]) -> None:
    """``followed``: the members whose artist this job followed (status ``done``)."""
    try:
        if followed:
            first_followers(followed)
        roster_complete(follower_id)
    except Exception:  # mail is never a reason to fail or replay a follow job
        logger.exception("milestone check failed", extra={"member_id": follower_id})


def first_followers(target_ids: Sequence[str]) -> list[str]:
    """Mails each target that just received its first follower; returns who was told."""
    reached = mail_repo.milestones_of(list(target_ids))
    told = []
    for target, milestones in reached.items():
        if notifier.FIRST_FOLLOWERS in milestones:
            continue
        if mail_repo.mark_milestone(target, notifier.FIRST_FOLLOWERS):
            notifier.notify(
                target,
                notifier.FIRST_FOLLOWERS,
                {},
                notification_id=f"{notifier.FIRST_FOLLOWERS}:{target}",
            )
            told.append(target)
    return told


def roster_complete(follower_id: str) -> bool:
    """Mails the follower once they follow every other active member."""
    member, ledger, counter = roster.member_ledger_and_counter(follower_id)
    if member is None or notifier.ROSTER_COMPLETE in (member.milestones or set()):
        return False
    if not member.email_verified:
        return False  # nobody to tell (and no write spent on it)
    if member.roster_status != "joined":
        return False
    is_target = (
        member.account_status == "active" and not member.paused and not member.reciprocity_blocked
    )
    active = int(counter.active_count or 0) if counter else 0
    others = max(0, active - (1 if is_target else 0))
    settled = int(ledger.done or 0) + int(ledger.skipped or 0) if ledger else 0
    if others == 0 or settled < others:
        return False
    if not mail_repo.mark_milestone(follower_id, notifier.ROSTER_COMPLETE):
        return False
    notifier.notify(
        follower_id,
        notifier.ROSTER_COMPLETE,
        {},
        notification_id=f"{notifier.ROSTER_COMPLETE}:{follower_id}",
    )
    return True
