"""GDPR erasure of everything the follow engine holds about a member."""

from __future__ import annotations

from typing import Any

from followswarm import clock
from followswarm.data.models import DailyStatModel
from followswarm.data.repositories import edges, jobs, roster
from followswarm.data.repositories import ledger as ledgers
from followswarm.domain.follows import roster as roster_service


def erase_member_follow_data(member_id: str) -> None:
    """Leaves the roster, then deletes edges both ways, history, ledger and daily stats."""
    member = roster.load_member(member_id)
    if member is not None and member.roster_status == "joined":
        roster_service.leave(member_id, clock.now())
    followed = {t.member_id for job in jobs.all_history(member_id) for t in job.targets}
    edges.delete_edges([(target, member_id) for target in followed])
    edges.delete_edges([(member_id, e.sk) for e in edges.followers_of(member_id)])
    jobs.delete_history(member_id)
    ledgers.delete_member_usage(member_id)
    with DailyStatModel.batch_write() as batch:
        for row in DailyStatModel.query(member_id):
            batch.delete(row)


def export_member_follow_data(member_id: str) -> dict[str, Any]:
    """Everything the follow engine holds about a member, for the GDPR export."""
    record = ledgers.load_ledger(member_id)
    history = [
        {
            "job_id": job.sk,
            "status": job.status,
            "completed_at": job.completed_at,
            "targets": [
                {"member_id": t.member_id, "artist_id": t.artist_id, "status": t.status}
                for t in job.targets
            ],
        }
        for job in jobs.all_history(member_id)
    ]
    followers = [
        {"member_id": e.sk, "status": e.status, "at": e.at} for e in edges.followers_of(member_id)
    ]
    return {
        "ledger": {
            "done": int(record.item.done or 0),
            "skipped": int(record.item.skipped or 0),
            "failed": int(record.item.failed or 0),
            "month": record.item.month_key,
            "month_used": int(record.item.month_used or 0),
        },
        "history": history,
        "followers": followers,
        "daily_stats": [
            {"date": row.sk, "values": row.values} for row in DailyStatModel.query(member_id)
        ],
    }
