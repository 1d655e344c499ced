"""Backups: the daily export of every table to S3, and restores into NEW tables, verified.

Exports land under ``exports/<YYYY-MM-DD>/<logical table>/`` in the stage's backup bucket
(30-day lifecycle); PITR stays on for every table (35 days, to the second).

A restore never writes into a live table: it creates ``<target prefix>-<logical table>`` tables
with the live tables' keys and indexes (from ``table_specs``), then compares item counts:

* ``import`` (AWS's path): ``ImportTable`` from the export's data files;
* ``copy``: reads the data files and batch-writes them (25 per request) into a table it
  creates (works wherever ImportTable doesn't, and copies items back into an existing table);
* point in time: ``RestoreTableToPointInTime``, counts compared with the source tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from followswarm.clients.backups import BackupClient
from followswarm.data.tables import TableSpec, table_specs
from followswarm.settings import Settings

EXPORTS_ROOT = "exports"
RestoreMethod = Literal["import", "copy"]


@dataclass(frozen=True)
class ExportStarted:
    table: str
    export_arn: str
    prefix: str
    status: str


@dataclass(frozen=True)
class TableRestore:
    table: str
    source: str
    target: str
    method: str
    expected: int | None
    restored: int
    ok: bool
    note: str = ""


@dataclass(frozen=True)
class RestoreReport:
    tables: list[TableRestore]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "tables": [asdict(t) for t in self.tables]}


def export_prefix(day: str, logical: str) -> str:
    return f"{EXPORTS_ROOT}/{day}/{logical}"


def backup_day(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).date().isoformat()


def export_all(
    settings: Settings, now: float, client: BackupClient | None = None
) -> list[ExportStarted]:
    """Starts an export of every table (asynchronous on AWS: minutes to hours)."""
    client = client or BackupClient()
    day = backup_day(now)
    started: list[ExportStarted] = []
    for logical, spec in table_specs(settings).items():
        prefix = export_prefix(day, logical)
        info = client.start_export(
            client.table_arn(spec.table_name),
            settings.backup_bucket_name,
            prefix,
            # A retried schedule within 8 hours gets the same export back, not a second one.
            client_token=f"{settings.stage}-{day}-{logical}",
        )
        started.append(ExportStarted(logical, info.arn, prefix, info.status))
    return started


def available_export_days(settings: Settings, client: BackupClient | None = None) -> list[str]:
    client = client or BackupClient()
    prefixes = client.list_prefixes(settings.backup_bucket_name, EXPORTS_ROOT)
    return [p.rstrip("/").rsplit("/", 1)[-1] for p in prefixes]


def _selected(settings: Settings, tables: Sequence[str] | None) -> dict[str, TableSpec]:
    specs = table_specs(settings)
    if not tables:
        return specs
    unknown = set(tables) - set(specs)
    if unknown:
        raise ValueError(f"unknown tables: {sorted(unknown)}")
    return {name: specs[name] for name in tables}


def _target_kwargs(spec: TableSpec, target: str, kms_key_id: str | None) -> dict[str, Any]:
    kwargs = spec.create_table_kwargs()
    kwargs["TableName"] = target
    if kms_key_id:
        kwargs["SSESpecification"] = {
            "Enabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": kms_key_id,
        }
    return kwargs


def restore_from_export(
    settings: Settings,
    *,
    day: str,
    target_prefix: str,
    method: RestoreMethod = "import",
    tables: Sequence[str] | None = None,
    kms_key_id: str | None = None,
    client: BackupClient | None = None,
) -> RestoreReport:
    """Restores the exports of ``day`` into new tables ``<target_prefix>-<logical>``."""
    date.fromisoformat(day)  # a clear error for a malformed day
    client = client or BackupClient()
    bucket = settings.backup_bucket_name
    results: list[TableRestore] = []
    for logical, spec in _selected(settings, tables).items():
        target = f"{target_prefix}-{logical}"
        keys = client.export_data_keys(bucket, export_prefix(day, logical))
        if not keys:
            results.append(
                TableRestore(logical, spec.table_name, target, method, None, 0, False, "no export")
            )
            continue
        folder = keys[0][: keys[0].index("/data/")]
        expected = client.export_manifest_count(bucket, folder)
        note = ""
        if expected is None:  # no manifest (moto): count the data files themselves
            expected = sum(1 for _ in client.read_export_items(bucket, keys))
            note = "expected count read from the data files (no manifest)"
        kwargs = _target_kwargs(spec, target, kms_key_id)
        if expected == 0:
            # Nothing to import (and moto's ImportTable fails on an empty data file).
            client.create_table(kwargs)
            note = "empty export: created the empty table"
        elif method == "import":
            started = client.start_import(bucket, f"{folder}/data/", kwargs)
            finished = client.wait_import(started.arn)
            if finished.status != "COMPLETED":
                results.append(
                    TableRestore(
                        logical,
                        spec.table_name,
                        target,
                        method,
                        expected,
                        0,
                        False,
                        f"import {finished.status}: {finished.failure}",
                    )
                )
                continue
            client.wait_table_active(target)
        else:
            if not client.table_exists(target):
                client.create_table(kwargs)
            client.batch_write(target, client.read_export_items(bucket, keys))
        restored = client.count_items(target)
        results.append(
            TableRestore(
                logical,
                spec.table_name,
                target,
                method,
                expected,
                restored,
                restored == expected,
                note,
            )
        )
    return RestoreReport(results)


def restore_point_in_time(
    settings: Settings,
    *,
    target_prefix: str,
    restore_time: float | None,
    tables: Sequence[str] | None = None,
    compare_with_source: bool = True,
    client: BackupClient | None = None,
) -> RestoreReport:
    """PITR of each table into ``<target_prefix>-<logical>``. Counts are compared with the
    source tables when ``compare_with_source`` (right for the latest time, or when nothing was
    written since); otherwise both counts are reported and the restore counts as ok."""
    client = client or BackupClient()
    results: list[TableRestore] = []
    for logical, spec in _selected(settings, tables).items():
        target = f"{target_prefix}-{logical}"
        client.restore_point_in_time(spec.table_name, target, restore_time)
        client.wait_table_active(target)
        restored = client.count_items(target)
        source = client.count_items(spec.table_name)
        ok = restored == source if compare_with_source else True
        note = "" if compare_with_source else f"source table has {source} items now"
        results.append(
            TableRestore(
                logical,
                spec.table_name,
                target,
                "pitr",
                source if compare_with_source else None,
                restored,
                ok,
                note,
            )
        )
    return RestoreReport(results)


def copy_back(
    settings: Settings,
    *,
    day: str,
    tables: Iterable[str],
    client: BackupClient | None = None,
) -> dict[str, int]:
    """Puts every exported item of ``day`` back into the LIVE tables (overwriting items with
    the same keys, leaving newer items alone): the repair after a bad write or deletion."""
    client = client or BackupClient()
    specs = _selected(settings, list(tables))
    written: dict[str, int] = {}
    for logical, spec in specs.items():
        keys = client.export_data_keys(settings.backup_bucket_name, export_prefix(day, logical))
        written[logical] = client.batch_write(
            spec.table_name, client.read_export_items(settings.backup_bucket_name, keys)
        )
    return written
