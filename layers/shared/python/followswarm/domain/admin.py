"""What operators see and control: platform stats, the member list, the queue, the global pause."""

from __future__ import annotations

from typing import Any

from followswarm.clients import queues
from followswarm.data.repositories import admin as admin_repo
from followswarm.data.repositories import roster
from followswarm.domain.follows import budget
from followswarm.errors import SwarmError
from followswarm.settings import Settings

MEMBER_FIELDS = (
    "display_name",
    "spotify_user_id",
    "role",
    "account_status",
    "tier",
    "artist_id",
    "artist_name",
    "artist_claim_status",
    "roster_status",
    "paused",
    "needs_reauth",
    "reciprocity_blocked",
    "created_at",
)


def platform_stats(now: float) -> dict[str, Any]:
    """Live roster counts plus the latest daily rollup (members by tier, follows per day)."""
    counter = roster.counter()
    latest = admin_repo.latest_platform_rollup()
    return {
        "roster": {
            "active_members": int(counter.active_count or 0),
            "joins": int(counter.last_seq or 0),
        },
        "latest_rollup": {"date": latest.sk, **latest.values} if latest else None,
    }


def list_members(
    *,
    search: str | None,
    tier: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """Members filtered by text (name, Spotify user, artist), tier and status, cursor-paged."""
    try:
        page = admin_repo.member_page(cursor=cursor, limit=limit, tier=tier, status=status)
    except ValueError as exc:
        raise SwarmError("The cursor is not valid", code="invalid_cursor") from exc
    needle = (search or "").casefold()
    items = []
    for member in page.items:
        fields = {name: getattr(member, name) for name in MEMBER_FIELDS}
        haystack = " ".join(
            str(fields[k] or "") for k in ("display_name", "spotify_user_id", "artist_name")
        )
        if needle and needle not in f"{haystack} {member.pk}".casefold():
            continue
        items.append({"id": member.pk, **fields})
    return {"items": items, "next_cursor": page.cursor}


def queue_view(settings: Settings, now: float) -> dict[str, Any]:
    pause = budget.pause_state(now)
    return {
        "queue": queues.queue_depths(settings.follow_queue_name),
        "dlq": queues.queue_depths(settings.follow_dlq_name),
        "budget": budget.budget_use(settings, now),
        "paused": pause.paused,
        "paused_until": pause.until,
        "admin_paused": pause.admin_paused,
        "pause_reason": pause.reason,
    }


def set_swarm_paused(paused: bool, reason: str | None) -> dict[str, Any]:
    state = budget.set_admin_pause(paused, reason)
    return {"paused": state.paused, "admin_paused": state.admin_paused, "reason": state.reason}
