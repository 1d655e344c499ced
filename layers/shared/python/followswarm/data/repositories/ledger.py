"""Follow ledgers (per member) and the app-wide budget and pause, in the usage table.

Every change is a read-modify-write guarded by the item's version, so concurrent workers can
never both pass a cap: the loser's condition fails and it re-reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PutError

from followswarm.data.models import UsageWindowModel

LEDGER_SK = "LEDGER"
APP_PK = "APP"
BUDGET_SK = "BUDGET"
PAUSE_SK = "PAUSE"
#: How many recent job ids each replay guard remembers (a job is replayed within minutes).
RECENT_JOBS = 40


class StaleWrite(Exception):
    """Another writer changed the item first; re-read and try again."""


@dataclass(frozen=True)
class LedgerRecord:
    item: UsageWindowModel

    @property
    def hour_entries(self) -> tuple[tuple[float, int], ...]:
        return tuple((float(t), int(n)) for t, n in self.item.entries)

    @property
    def day_buckets(self) -> dict[int, int]:
        return {int(h): int(n) for h, n in (self.item.day_buckets or {}).items()}


def _get(pk: str, sk: str) -> UsageWindowModel:
    try:
        return UsageWindowModel.get(pk, sk, consistent_read=True)
    except UsageWindowModel.DoesNotExist:
        return UsageWindowModel(pk, sk)


def load_ledger(member_id: str) -> LedgerRecord:
    return LedgerRecord(_get(member_id, LEDGER_SK))


def load_ledgers(member_ids: list[str]) -> dict[str, LedgerRecord]:
    found = {
        i.pk: LedgerRecord(i)
        for i in UsageWindowModel.batch_get([(m, LEDGER_SK) for m in set(member_ids)])
    }
    return {m: found.get(m, LedgerRecord(UsageWindowModel(m, LEDGER_SK))) for m in member_ids}


def _save(item: UsageWindowModel) -> None:
    try:
        item.save()  # the version attribute adds the optimistic-concurrency condition
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise StaleWrite from exc
        raise


def save_reservation(
    record: LedgerRecord,
    *,
    job_id: str,
    hour_entries: tuple[tuple[float, int], ...],
    day_buckets: dict[int, int],
    month_key: str,
    month_used: int,
) -> None:
    item = record.item
    item.entries = [[round(t, 3), n] for t, n in hour_entries]
    item.day_buckets = {str(h): n for h, n in day_buckets.items()}
    item.month_key = month_key
    item.month_used = month_used
    item.reserved_jobs = [*item.reserved_jobs, job_id][-RECENT_JOBS:]
    _save(item)


def save_completion(
    record: LedgerRecord, *, job_id: str, done: int, skipped: int, failed: int
) -> None:
    item = record.item
    item.done = (item.done or 0) + done
    item.skipped = (item.skipped or 0) + skipped
    item.failed = (item.failed or 0) + failed
    item.completed_jobs = [*item.completed_jobs, job_id][-RECENT_JOBS:]
    _save(item)


def save_failure(record: LedgerRecord, *, failed: int) -> None:
    record.item.failed = (record.item.failed or 0) + failed
    _save(record.item)


# ------------------------------------------------------------------------- app-wide state


def load_budget() -> UsageWindowModel:
    return _get(APP_PK, BUDGET_SK)


def save_budget(item: UsageWindowModel, entries: list[list[Any]]) -> None:
    item.entries = entries
    _save(item)


def load_pause() -> UsageWindowModel:
    return _get(APP_PK, PAUSE_SK)


def save_pause(
    *, paused_until: float | None = None, admin_paused: bool | None = None, reason: str | None
) -> UsageWindowModel:
    """Sets the global pause; a later ``paused_until`` never shortens an earlier one."""
    for _ in range(10):
        item = load_pause()
        if paused_until is not None:
            item.paused_until = max(float(item.paused_until or 0), paused_until)
        if admin_paused is not None:
            item.admin_paused = admin_paused
        item.reason = reason
        try:
            _save(item)
            return item
        except StaleWrite:
            continue
    raise StaleWrite("global pause kept changing")


def delete_member_usage(member_id: str) -> None:
    """Erases the member's ledger whatever its version (a key-only model has none to match)."""
    UsageWindowModel(member_id, LEDGER_SK).delete(add_version_condition=False)
