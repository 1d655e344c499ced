"""Counts every AWS request this process makes, at botocore's single choke point.

pynamodb and boto3 both end in ``BaseClient._make_api_call``, so one wrapper sees every
DynamoDB and SQS request of the handlers, the domain code and the local SQS poller alike.

DynamoDB write units are *computed*, not read back: moto answers ``ReturnConsumedCapacity``
with a flat 1.0 per request whatever the item size. We apply DynamoDB's on-demand rules to the
request itself: a put costs ``ceil(item size / 1 KB)``; a transactional item costs twice that;
an ``UpdateItem``/``DeleteItem`` is charged on the stored item, which the request does not
carry, so it counts 1 unit (the report checks the largest stored item of each updated table
to show that is exact).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

KB = 1024
_WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def attribute_size(value: Mapping[str, Any]) -> int:
    """Bytes of one DynamoDB attribute value (wire format), by DynamoDB's sizing rules."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(str(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in inner)
    if kind == "NS":
        return sum(attribute_size({"N": n}) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_size(v) for k, v in inner.items())
    return 0


def item_size(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(item: Mapping[str, Any] | None) -> int:
    return max(1, math.ceil(item_size(item) / KB)) if item else 1


@dataclass
class Snapshot:
    """Totals at one moment; subtract two to get what happened in between."""

    requests: Counter[str] = field(default_factory=Counter)  # "service:Operation" -> count
    ddb_write_requests: int = 0
    ddb_items_written: int = 0
    ddb_write_units: int = 0
    ddb_write_units_by_table: Counter[str] = field(default_factory=Counter)
    ddb_reads: int = 0
    #: ``SendMessage`` per queue (the last path segment of the queue URL).
    sqs_sends: Counter[str] = field(default_factory=Counter)

    def minus(self, other: Snapshot) -> Snapshot:
        return Snapshot(
            requests=self.requests - other.requests,
            ddb_write_requests=self.ddb_write_requests - other.ddb_write_requests,
            ddb_items_written=self.ddb_items_written - other.ddb_items_written,
            ddb_write_units=self.ddb_write_units - other.ddb_write_units,
            ddb_write_units_by_table=self.ddb_write_units_by_table - other.ddb_write_units_by_table,
            ddb_reads=self.ddb_reads - other.ddb_reads,
            sqs_sends=self.sqs_sends - other.sqs_sends,
        )

    def service_total(self, service: str) -> int:
        return sum(n for key, n in self.requests.items() if key.startswith(f"{service}:"))


class AwsCounter:
    """Installs the wrapper; thread-safe; ``snapshot()`` copies the running totals."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals = Snapshot()
        self._original: Any = None
        self._suspended = threading.local()

    def install(self) -> AwsCounter:
        if self._original is not None:
            return self
        original = BaseClient._make_api_call
        counter = self

        def counted(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            counter.record(client.meta.service_model.service_name, operation_name, api_params)
            return original(client, operation_name, api_params)

        self._original = original
        BaseClient._make_api_call = counted  # type: ignore[method-assign]
        return self

    def uninstall(self) -> None:
        if self._original is not None:
            BaseClient._make_api_call = self._original  # type: ignore[method-assign]
            self._original = None

    def snapshot(self) -> Snapshot:
        with self._lock:
            t = self._totals
            return Snapshot(
                Counter(t.requests),
                t.ddb_write_requests,
                t.ddb_items_written,
                t.ddb_write_units,
                Counter(t.ddb_write_units_by_table),
                t.ddb_reads,
                Counter(t.sqs_sends),
            )

    @contextmanager
    def measure(self) -> Iterator[list[Snapshot]]:
        """``with counter.measure() as box:`` ... ``box[0]`` is the difference afterwards."""
        box: list[Snapshot] = []
        before = self.snapshot()
        try:
            yield box
        finally:
            box.append(self.snapshot().minus(before))

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Requests of this thread inside the block are not counted (the bench's own)."""
        depth = getattr(self._suspended, "depth", 0)
        self._suspended.depth = depth + 1
        try:
            yield
        finally:
            self._suspended.depth = depth

    def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        if getattr(self._suspended, "depth", 0):
            return
        units: list[tuple[str, int]] = []  # (table, units) per written item
        if service == "dynamodb" and operation in _WRITE_OPS:
            if operation == "PutItem":
                units.append((params["TableName"], write_units(params.get("Item"))))
            elif operation in ("UpdateItem", "DeleteItem"):
                units.append((params["TableName"], 1))
            elif operation == "BatchWriteItem":
                for table, requests in params.get("RequestItems", {}).items():
                    for request in requests:
                        put = request.get("PutRequest")
                        units.append((table, write_units(put["Item"]) if put else 1))
            else:  # TransactWriteItems: every item costs two units per KB
                for entry in params.get("TransactItems", []):
                    for kind, body in entry.items():
                        size = write_units(body.get("Item")) if kind == "Put" else 1
                        if kind != "ConditionCheck":
                            units.append((body["TableName"], 2 * size))
        with self._lock:
            self._totals.requests[f"{service}:{operation}"] += 1
            if service == "sqs" and operation == "SendMessage":
                self._totals.sqs_sends[str(params.get("QueueUrl", "")).rsplit("/", 1)[-1]] += 1
            if service != "dynamodb":
                return
            if units or operation in _WRITE_OPS:
                self._totals.ddb_write_requests += 1
                self._totals.ddb_items_written += len(units)
                for table, n in units:
                    self._totals.ddb_write_units += n
                    self._totals.ddb_write_units_by_table[table] += n
            else:
                self._totals.ddb_reads += 1
