"""Follow edges, keyed by target: ``pk`` = the followed member, ``sk`` = the follower.

Writes are idempotent puts, so a replayed batch rewrites the same rows and counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from followswarm.data.models import FollowEdgeModel

SETTLED = ("done", "skipped")


@dataclass(frozen=True)
class EdgeResult:
    target_id: str
    artist_id: str
    status: str  # done | skipped | failed
    reason: str | None = None


def settled_targets(follower_id: str, target_ids: Iterable[str]) -> set[str]:
    """Targets this follower already followed (or that were skipped for good)."""
    keys = [(t, follower_id) for t in set(target_ids)]
    return {e.pk for e in FollowEdgeModel.batch_get(keys) if e.status in SETTLED}


def record(follower_id: str, results: Iterable[EdgeResult], *, job_id: str, at: float) -> int:
    """Writes the edges (BatchWriteItem, chunked to 25 by pynamodb); returns how many."""
    count = 0
    with FollowEdgeModel.batch_write() as batch:
        for result in results:
            batch.save(
                FollowEdgeModel(
                    result.target_id,
                    follower_id,
                    artist_id=result.artist_id,
                    status=result.status,
                    reason=result.reason,
                    job_id=job_id,
                    at=int(at),
                )
            )
            count += 1
    return count


def count_followers(target_id: str) -> int:
    """How many members follow this member's artist (one paged COUNT query)."""
    return int(FollowEdgeModel.count(target_id, filter_condition=FollowEdgeModel.status == "done"))


def followers_of(target_id: str) -> list[FollowEdgeModel]:
    return list(FollowEdgeModel.query(target_id))


def delete_edges(keys: Iterable[tuple[str, str]]) -> None:
    with FollowEdgeModel.batch_write() as batch:
        for target_id, follower_id in keys:
            batch.delete(FollowEdgeModel(target_id, follower_id))
