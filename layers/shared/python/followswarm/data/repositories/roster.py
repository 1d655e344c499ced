"""The roster: join sequence numbers, one entry per join, and the members' roster fields.

Joining costs a fixed number of writes whatever the roster size: one counter update to take
the next sequence, then one transaction of three items (entry, member, active count).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactGet, TransactWrite

from followswarm.data.models import MemberModel, RosterEntryModel, UsageWindowModel

ROSTER_PK = "ROSTER"
COUNTER_SEQ = 0
DUE_SHARD = "DUE"


@dataclass(frozen=True)
class RosterSlot:
    seq: int
    member_id: str
    artist_id: str
    joined_at: float = 0.0


def _connection() -> Connection:
    meta: Any = MemberModel.Meta
    return _shared_connection(meta.region, meta.host)


@lru_cache(maxsize=4)
def _shared_connection(region: str | None, host: str | None) -> Connection:
    # One per endpoint: a new Connection builds a new botocore client (~0.1 s of model
    # loading) on its first request, which every join and transactional read would pay.
    return Connection(region=region, host=host)


def take_next_sequence() -> int:
    counter = RosterEntryModel(ROSTER_PK, COUNTER_SEQ)
    counter.update(actions=[RosterEntryModel.last_seq.add(1)])
    return int(counter.last_seq or 0)


def counter() -> RosterEntryModel:
    try:
        return RosterEntryModel.get(ROSTER_PK, COUNTER_SEQ, consistent_read=True)
    except RosterEntryModel.DoesNotExist:
        return RosterEntryModel(ROSTER_PK, COUNTER_SEQ, last_seq=0, active_count=0)


def activate(member: MemberModel, seq: int, now: float, *, reset_cursors: bool) -> None:
    """Puts the member at ``seq`` as an active target and schedules their dispatch."""
    actions: list[Any] = [
        MemberModel.roster_status.set("joined"),
        MemberModel.join_seq.set(seq),
        MemberModel.dispatch_shard.set(DUE_SHARD),
        MemberModel.next_dispatch_at.set(int(now)),
        MemberModel.updated_at.set(int(now)),
    ]
    if reset_cursors:
        actions += [MemberModel.new_cursor.set(seq), MemberModel.backlog_cursor.set(seq - 1)]
    if member.joined_at is None:
        actions.append(MemberModel.joined_at.set(int(now)))
    with TransactWrite(connection=_connection()) as transaction:
        transaction.save(
            RosterEntryModel(
                ROSTER_PK,
                seq,
                member_id=member.pk,
                artist_id=member.artist_id,
                active=True,
                joined_at=int(now),
            ),
            condition=RosterEntryModel.seq.does_not_exist(),
        )
        transaction.update(member, actions=actions)
        transaction.update(
            RosterEntryModel(ROSTER_PK, COUNTER_SEQ), actions=[RosterEntryModel.active_count.add(1)]
        )
    member.refresh()


def deactivate(
    member: MemberModel, now: float, *, roster_status: str, keep_dispatch: bool, was_target: bool
) -> None:
    """Removes the member as a target (and, unless ``keep_dispatch``, stops their follows)."""
    actions: list[Any] = [
        MemberModel.roster_status.set(roster_status),
        MemberModel.updated_at.set(int(now)),
    ]
    if not keep_dispatch:
        actions += [MemberModel.dispatch_shard.remove(), MemberModel.next_dispatch_at.remove()]
    with TransactWrite(connection=_connection()) as transaction:
        if was_target and member.join_seq is not None:
            transaction.update(
                RosterEntryModel(ROSTER_PK, int(member.join_seq)),
                actions=[RosterEntryModel.active.set(False)],
                condition=RosterEntryModel.active == True,  # noqa: E712 - pynamodb condition
            )
            transaction.update(
                RosterEntryModel(ROSTER_PK, COUNTER_SEQ),
                actions=[RosterEntryModel.active_count.add(-1)],
            )
        transaction.update(member, actions=actions)
    member.refresh()


def schedule(member: MemberModel, now: float) -> None:
    """Resumes a member's own dispatch without making them a target."""
    member.update(
        actions=[
            MemberModel.dispatch_shard.set(DUE_SHARD),
            MemberModel.next_dispatch_at.set(int(now)),
        ]
    )


def _slots(items: Iterator[RosterEntryModel], exclude: str, limit: int) -> list[RosterSlot]:
    slots: list[RosterSlot] = []
    for entry in items:
        if entry.seq == COUNTER_SEQ or not entry.active or entry.member_id == exclude:
            continue
        slots.append(
            RosterSlot(
                int(entry.seq),
                str(entry.member_id),
                str(entry.artist_id),
                float(entry.joined_at or 0),
            )
        )
        if len(slots) >= limit:
            break
    return slots


def active_after(seq: int, *, exclude: str, limit: int) -> list[RosterSlot]:
    """Active entries with a sequence above ``seq``, oldest first (the newcomers)."""
    items = RosterEntryModel.query(
        ROSTER_PK, RosterEntryModel.seq > seq, page_size=max(limit * 2, 10)
    )
    return _slots(items, exclude, limit)


def active_at_or_below(seq: int, *, exclude: str, limit: int) -> list[RosterSlot]:
    """Active entries with a sequence in ``[1, seq]``, newest first (the backlog)."""
    if seq < 1:
        return []
    items = RosterEntryModel.query(
        ROSTER_PK,
        RosterEntryModel.seq.between(1, seq),
        scan_index_forward=False,
        page_size=max(limit * 2, 10),
    )
    return _slots(items, exclude, limit)


def active_seqs(seqs: Sequence[int]) -> set[int]:
    """Which of these sequences are still active targets (one batched read)."""
    keys = [(ROSTER_PK, s) for s in sorted(set(seqs))]
    return {int(e.seq) for e in RosterEntryModel.batch_get(keys) if e.active}


def set_dispatch(member: MemberModel, *, next_at: float, actions: Sequence[Any]) -> None:
    """Advances a member's cursors and next dispatch time (optimistic: version checked)."""
    member.update(actions=[MemberModel.next_dispatch_at.set(int(next_at)), *actions])


def due_member_ids(now: float, limit: int) -> list[str]:
    """Members whose next dispatch is due, oldest due first."""
    ids: list[str] = []
    for key in MemberModel.due_for_dispatch.query(
        DUE_SHARD, MemberModel.next_dispatch_at <= int(now), limit=limit
    ):
        ids.append(str(key.pk))
    return ids


def load_member(member_id: str) -> MemberModel | None:
    try:
        return MemberModel.get(member_id, consistent_read=True)
    except MemberModel.DoesNotExist:
        return None


def unschedule(member: MemberModel) -> None:
    member.update(
        actions=[MemberModel.dispatch_shard.remove(), MemberModel.next_dispatch_at.remove()]
    )


def member_ledger_and_counter(
    member_id: str,
) -> tuple[MemberModel | None, UsageWindowModel | None, RosterEntryModel | None]:
    """The member, their ledger and the roster counter in ONE round trip (TransactGetItems)."""
    with TransactGet(connection=_connection()) as transaction:
        member = transaction.get(MemberModel, member_id)
        ledger = transaction.get(UsageWindowModel, member_id, "LEDGER")
        count = transaction.get(RosterEntryModel, ROSTER_PK, COUNTER_SEQ)
    return _found(member), _found(ledger), _found(count)


def _found(future: Any) -> Any:
    """A transactional read's item, or ``None`` if it does not exist (``get()`` raises)."""
    try:
        return future.get()
    except DoesNotExist:
        return None


def joined_members() -> Iterator[MemberModel]:
    """Every member on the roster (a scan: only for daily jobs, never for requests)."""
    return MemberModel.scan(MemberModel.roster_status == "joined")
