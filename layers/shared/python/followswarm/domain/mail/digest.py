"""The weekly digest: one queued mail per member with a verified address.

The scan reads keys only; the notifier checks preferences and renders each member's week, so
this job stays cheap however many members there are. Notification ids are per member and week:
a schedule delivered twice queues each digest once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from followswarm.data.repositories import mail as mail_repo
from followswarm.domain.identity import notifier


def queue_weekly(now: float) -> int:
    """Queues this week's digest for every verified member; returns how many."""
    year, week, _ = datetime.fromtimestamp(now, UTC).isocalendar()
    label = f"{year}-W{week:02d}"
    queued = 0
    for member_id in mail_repo.verified_member_ids():
        if notifier.notify(
            member_id,
            notifier.WEEKLY_DIGEST,
            {"week": label},
            notification_id=f"{notifier.WEEKLY_DIGEST}:{member_id}:{label}",
        ):
            queued += 1
    return queued
