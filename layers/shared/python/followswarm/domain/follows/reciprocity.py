"""The reciprocity guard: members who unfollow others stop receiving follows until they re-follow.

A scheduled check samples each member's completed follows with the contains endpoint (one call
per member, up to 40 artists). Above the configured unfollowed share the member is blocked as a
target and told why; once the sample shows them following again, the block lifts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from followswarm.clients import spotify
from followswarm.data.models import MemberModel
from followswarm.data.repositories import jobs, roster
from followswarm.domain.follows import budget
from followswarm.domain.follows import roster as roster_service
from followswarm.settings import Settings


@dataclass
class ReciprocityReport:
    checked: int = 0
    blocked: list[str] = field(default_factory=list)
    unblocked: list[str] = field(default_factory=list)


def _sample(member_id: str, size: int, seed: str) -> list[tuple[str, str]]:
    followed = {
        (t.member_id, t.artist_id)
        for job in jobs.all_history(member_id)
        for t in job.targets
        if t.status == "done"
    }
    ordered = sorted(followed)
    random.Random(seed).shuffle(ordered)
    return ordered[:size]


def check_member(settings: Settings, member: MemberModel, now: float) -> bool | None:
    """Returns True if now blocked, False if clear, None if it couldn't be checked."""
    from followswarm.domain.identity import notifier, vault

    sample = _sample(
        member.pk, settings.reciprocity_sample_size, f"{member.pk}:{int(now) // 86400}"
    )
    if not sample:
        return None
    if budget.reserve_call(settings, now):
        return None  # no budget left this window; the next run checks again
    try:
        token = vault.access_token_for(member.pk)
        following = spotify.follows_artists(
            token, [a for _, a in sample], settings.spotify_write_path
        )
    except Exception:
        return None
    unfollowed = sum(1 for f in following if not f)
    blocked = unfollowed / len(sample) > settings.reciprocity_unfollow_threshold
    if blocked and not member.reciprocity_blocked:
        roster_service.set_target_blocked(member.pk, True, now)
        notifier.notify(
            member.pk,
            "reciprocity_warning",
            {"unfollowed": unfollowed, "sampled": len(sample)},
        )
    elif not blocked and member.reciprocity_blocked:
        roster_service.set_target_blocked(member.pk, False, now)
    return blocked


def check_all(settings: Settings, now: float) -> ReciprocityReport:
    report = ReciprocityReport()
    for member in roster.joined_members():
        was_blocked = bool(member.reciprocity_blocked)
        result = check_member(settings, member, now)
        if result is None:
            continue
        report.checked += 1
        if result and not was_blocked:
            report.blocked.append(member.pk)
        elif not result and was_blocked:
            report.unblocked.append(member.pk)
    return report
