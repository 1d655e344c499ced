"""Operator reads: the member list (a filtered, paged scan) and the latest platform rollup."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from followswarm.data.models import DailyStatModel, MemberModel

PLATFORM_PK = "PLATFORM"


@dataclass(frozen=True)
class MemberPage:
    items: list[MemberModel]
    cursor: str | None


def _decode(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError("bad cursor") from exc
    if not isinstance(decoded, dict):
        raise ValueError("bad cursor")
    return decoded


def member_page(
    *, cursor: str | None, limit: int, tier: str | None, status: str | None
) -> MemberPage:
    """One page of members (the members table also holds claim and link rows: filtered out)."""
    condition = MemberModel.spotify_user_id.exists()
    if tier:
        condition &= MemberModel.tier == tier
    if status:
        condition &= MemberModel.account_status == status
    result = MemberModel.scan(
        condition, limit=limit, last_evaluated_key=_decode(cursor), page_size=limit
    )
    items = list(result)
    key = result.last_evaluated_key
    cursor_out = base64.urlsafe_b64encode(json.dumps(key).encode()).decode() if key else None
    return MemberPage(items, cursor_out)


def latest_platform_rollup() -> DailyStatModel | None:
    for row in DailyStatModel.query(PLATFORM_PK, scan_index_forward=False, limit=1):
        return row
    return None
