"""DynamoDB backup control plane (exports to S3, imports, point-in-time restores) and the S3
side of exports. Item data stays with the models and repositories; this client moves whole
tables and raw DynamoDB-JSON items, whatever model they belong to.

AWS writes an export under ``<prefix>/AWSDynamoDB/<export id>/`` as ``manifest-summary.json``,
``manifest-files.json`` and ``data/*.json.gz`` (one ``{"Item": {...}}`` per line). moto writes
the data file only, and restores a point in time as "now"; the code here reads what both write.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from followswarm.clients.aws import aws_client

#: BatchWriteItem's limit (moto accepts more; DynamoDB refuses more than 25).
BATCH_WRITE_LIMIT = 25
EXPORT_DATA_MARKER = "/data/"


@dataclass(frozen=True)
class ExportInfo:
    arn: str
    status: str  # IN_PROGRESS | COMPLETED | FAILED
    table_arn: str
    bucket: str
    prefix: str
    item_count: int | None
    failure: str | None = None


@dataclass(frozen=True)
class ImportInfo:
    arn: str
    status: str  # IN_PROGRESS | COMPLETED | FAILED | ...
    imported: int
    errors: int
    failure: str | None = None


class BackupClient:
    """boto3 ``dynamodb`` and ``s3`` clients; defaults to the stage's (moto locally)."""

    def __init__(
        self,
        dynamodb: Any | None = None,
        s3: Any | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = 10.0,
    ) -> None:
        self.dynamodb = dynamodb or aws_client("dynamodb")
        self.s3 = s3 or aws_client("s3")
        self._sleep = sleep
        self.poll_seconds = poll_seconds

    # ---------------------------------------------------------------------------- tables

    def table_arn(self, table_name: str) -> str:
        return str(self.dynamodb.describe_table(TableName=table_name)["Table"]["TableArn"])

    def table_exists(self, table_name: str) -> bool:
        try:
            self.dynamodb.describe_table(TableName=table_name)
        except self.dynamodb.exceptions.ResourceNotFoundException:
            return False
        return True

    def wait_table_active(self, table_name: str, timeout: float = 3600.0) -> None:
        self._wait(
            lambda: (
                self.dynamodb.describe_table(TableName=table_name)["Table"]["TableStatus"]
                == "ACTIVE"
            ),
            timeout,
            f"table {table_name} did not become ACTIVE",
        )

    def count_items(self, table_name: str) -> int:
        """An exact count (a paged ``Select=COUNT`` scan; ``ItemCount`` lags by hours)."""
        count = 0
        for page in self.dynamodb.get_paginator("scan").paginate(
            TableName=table_name, Select="COUNT"
        ):
            count += int(page["Count"])
        return count

    def create_table(self, kwargs: dict[str, Any]) -> None:
        self.dynamodb.create_table(**kwargs)
        self.wait_table_active(str(kwargs["TableName"]))

    def batch_write(self, table_name: str, items: Iterable[dict[str, Any]]) -> int:
        """Puts raw DynamoDB-JSON items, 25 per request, retrying unprocessed ones."""
        written = 0
        chunk: list[dict[str, Any]] = []
        for item in items:
            chunk.append(item)
            if len(chunk) == BATCH_WRITE_LIMIT:
                written += self._write_chunk(table_name, chunk)
                chunk = []
        if chunk:
            written += self._write_chunk(table_name, chunk)
        return written

    def _write_chunk(self, table_name: str, chunk: list[dict[str, Any]]) -> int:
        assert len(chunk) <= BATCH_WRITE_LIMIT
        requests: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in chunk]
        for attempt in range(10):
            response = self.dynamodb.batch_write_item(RequestItems={table_name: requests})
            requests = response.get("UnprocessedItems", {}).get(table_name, [])
            if not requests:
                return len(chunk)
            self._sleep(min(0.05 * 2**attempt, 5.0))
        raise RuntimeError(f"{table_name}: {len(requests)} items stayed unprocessed")

    # --------------------------------------------------------------------------- exports

    def start_export(
        self, table_arn: str, bucket: str, prefix: str, *, client_token: str | None = None
    ) -> ExportInfo:
        kwargs: dict[str, Any] = {
            "TableArn": table_arn,
            "S3Bucket": bucket,
            "S3Prefix": prefix,  # moto requires it; we always give one
            "ExportFormat": "DYNAMODB_JSON",
        }
        if client_token:
            kwargs["ClientToken"] = client_token
        return _export_info(self.dynamodb.export_table_to_point_in_time(**kwargs))

    def describe_export(self, export_arn: str) -> ExportInfo:
        return _export_info(self.dynamodb.describe_export(ExportArn=export_arn))

    def wait_export(self, export_arn: str, timeout: float = 6 * 3600.0) -> ExportInfo:
        found: list[ExportInfo] = []

        def done() -> bool:
            found[:] = [self.describe_export(export_arn)]
            return found[0].status != "IN_PROGRESS"

        self._wait(done, timeout, f"export {export_arn} did not finish")
        return found[0]

    def export_data_keys(self, bucket: str, prefix: str) -> list[str]:
        """The data files of the newest export under ``prefix`` (``.../data/*.gz``), sorted.

        One prefix normally holds one export (the daily job passes a client token); if a
        re-run left several, the export folder written last wins."""
        folders: dict[str, tuple[Any, list[str]]] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix.rstrip("/") + "/"
        ):
            for entry in page.get("Contents", []):
                key = str(entry["Key"])
                if EXPORT_DATA_MARKER not in key or not key.endswith(".gz"):
                    continue
                folder = key[: key.index(EXPORT_DATA_MARKER)]
                newest, keys = folders.get(folder, (entry["LastModified"], []))
                keys.append(key)
                folders[folder] = (max(newest, entry["LastModified"]), keys)
        if not folders:
            return []
        _, keys = max(folders.values(), key=lambda pair: pair[0])
        return sorted(keys)

    def export_manifest_count(self, bucket: str, prefix: str) -> int | None:
        """``itemCount`` summed over the ``manifest-summary.json`` files under ``prefix``
        (AWS writes one per export; moto writes none: ``None``)."""
        total: int | None = None
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix.rstrip("/") + "/"
        ):
            for entry in page.get("Contents", []):
                if str(entry["Key"]).endswith("manifest-summary.json"):
                    body = self.s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                    total = (total or 0) + int(json.loads(body).get("itemCount", 0))
        return total

    def read_export_items(self, bucket: str, keys: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Raw items (``{"pk": {"S": ...}, ...}``) from DYNAMODB_JSON data files."""
        for key in keys:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            text = gzip.decompress(body).decode("utf-8")
            for line in text.splitlines():
                if line.strip():
                    yield dict(json.loads(line)["Item"])

    def list_prefixes(self, bucket: str, prefix: str) -> list[str]:
        """Immediate "folders" under ``prefix`` (e.g. the dates of daily exports)."""
        found: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix.rstrip("/") + "/", Delimiter="/"
        ):
            found += [str(p["Prefix"]) for p in page.get("CommonPrefixes", [])]
        return sorted(found)

    # --------------------------------------------------------------------- imports / PITR

    def start_import(
        self, bucket: str, data_prefix: str, table_kwargs: dict[str, Any]
    ) -> ImportInfo:
        """``ImportTable``: a NEW table (``table_kwargs`` as for ``create_table``) from the
        export's data files under ``data_prefix``."""
        creation = {
            k: v
            for k, v in table_kwargs.items()
            if k
            in {
                "TableName",
                "AttributeDefinitions",
                "KeySchema",
                "BillingMode",
                "GlobalSecondaryIndexes",
                "SSESpecification",
            }
        }
        response = self.dynamodb.import_table(
            S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": data_prefix},
            InputFormat="DYNAMODB_JSON",
            InputCompressionType="GZIP",
            TableCreationParameters=creation,
        )
        return _import_info(response)

    def wait_import(self, import_arn: str, timeout: float = 6 * 3600.0) -> ImportInfo:
        found: list[ImportInfo] = []

        def done() -> bool:
            found[:] = [_import_info(self.dynamodb.describe_import(ImportArn=import_arn))]
            return found[0].status not in {"IN_PROGRESS", "CANCELLING"}

        self._wait(done, timeout, f"import {import_arn} did not finish")
        return found[0]

    def restore_point_in_time(
        self, source_table: str, target_table: str, restore_time: float | None
    ) -> None:
        """``RestoreTableToPointInTime`` into a new table (latest restorable time if None)."""
        kwargs: dict[str, Any] = {
            "SourceTableName": source_table,
            "TargetTableName": target_table,
            "BillingModeOverride": "PAY_PER_REQUEST",
        }
        if restore_time is None:
            kwargs["UseLatestRestorableTime"] = True
        else:
            kwargs["RestoreDateTime"] = restore_time
        self.dynamodb.restore_table_to_point_in_time(**kwargs)

    # ------------------------------------------------------------------------- helpers

    def _wait(self, done: Callable[[], bool], timeout: float, message: str) -> None:
        waited = 0.0
        interval = min(0.05, self.poll_seconds)
        while not done():
            if waited >= timeout:
                raise TimeoutError(message)
            self._sleep(interval)
            waited += interval
            interval = min(interval * 2, self.poll_seconds)


def _export_info(response: dict[str, Any]) -> ExportInfo:
    d = response["ExportDescription"]
    count = d.get("ItemCount")
    return ExportInfo(
        arn=str(d["ExportArn"]),
        status=str(d.get("ExportStatus", "IN_PROGRESS")),
        table_arn=str(d.get("TableArn", "")),
        bucket=str(d.get("S3Bucket", "")),
        prefix=str(d.get("S3Prefix", "")),
        item_count=None if count is None else int(count),
        failure=d.get("FailureMessage") or d.get("FailureCode"),
    )


def _import_info(response: dict[str, Any]) -> ImportInfo:
    d = response["ImportTableDescription"]
    return ImportInfo(
        arn=str(d["ImportArn"]),
        status=str(d.get("ImportStatus", "IN_PROGRESS")),
        imported=int(d.get("ImportedItemCount") or 0),
        errors=int(d.get("ErrorCount") or 0),
        failure=d.get("FailureMessage") or d.get("FailureCode"),
    )
