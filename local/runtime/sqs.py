"""The SQS event source mapping: batches, partial batch failures, visibility on virtual time.

moto's visibility timeouts run on real time, so the poller receives with a long *real*
visibility timeout and keeps each failed message's *virtual* due time itself; once the virtual
clock passes it, ``ChangeMessageVisibility(0)`` makes the message visible again. moto applies
the queue's ``RedrivePolicy`` on receive (a visible message already received
``maxReceiveCount`` times moves to the DLQ instead of being delivered), as SQS does.

``DelaySeconds`` is real time in moto too. :class:`DelayBridge` (a botocore hook on the
handlers' boto3 session) sends such messages undelayed, marked with their virtual due time; a
poller that receives one early deletes it and sends it again, undelayed and unmarked, once the
virtual clock reaches the due time: the handler then sees a fresh message (receive count 1).
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from local.runtime.clock import DrainResult

log = logging.getLogger(__name__)

#: Real-time visibility while a message waits for its virtual due time (SQS's maximum, 12 h).
REAL_HIDE_SECONDS = 12 * 3600
#: Safety net against a handler that re-enqueues forever within one drain.
MAX_BATCHES_PER_DRAIN = 10_000

Invoke = Callable[[dict[str, Any]], Any]


#: Message attribute carrying a delayed message's virtual due time (epoch seconds).
VISIBLE_AT_ATTRIBUTE = "x-local-visible-at"


@dataclass
class _Held:
    """A delayed message taken off the queue until its virtual due time."""

    body: str
    attributes: dict[str, Any]
    visible_at: float


@dataclass
class _Hidden:
    message_id: str
    receipt_handle: str
    visible_at: float


class SqsPoller:
    """Feeds one queue to one function, serially, like a Lambda SQS event source mapping with
    ``ReportBatchItemFailures`` on."""

    def __init__(
        self,
        sqs: Any,
        *,
        queue_url: str,
        queue_arn: str,
        region: str,
        batch_size: int,
        visibility_timeout: float,
        invoke: Invoke,
        now: Callable[[], float],
    ) -> None:
        if not 1 <= batch_size <= 10:
            raise ValueError("SQS receives 1..10 messages per call")
        self._sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self._region = region
        self._batch_size = batch_size
        self._visibility_timeout = visibility_timeout
        self._invoke = invoke
        self._now = now
        self._hidden: dict[str, _Hidden] = {}
        self._held: list[_Held] = []
        self._lock = threading.RLock()

    # -------------------------------------------------------------------------- visibility

    def next_visible_at(self) -> float | None:
        """The earliest virtual time at which a failed or delayed message becomes visible."""
        with self._lock:
            times = [h.visible_at for h in self._hidden.values()]
            times += [h.visible_at for h in self._held]
            return min(times, default=None)

    def hidden_count(self) -> int:
        with self._lock:
            return len(self._hidden)

    def delayed_count(self) -> int:
        with self._lock:
            return len(self._held)

    def forget(self) -> list[str]:
        """Drop every virtual visibility timer and delayed message; returns the receipt
        handles of the (failed) messages it was keeping invisible."""
        with self._lock:
            receipts = [h.receipt_handle for h in self._hidden.values()]
            self._hidden.clear()
            self._held.clear()
            return receipts

    def release_due(self) -> int:
        """Make visible every failed message whose virtual visibility timeout has passed."""
        now = self._now()
        released = 0
        with self._lock:
            for message_id, hidden in list(self._hidden.items()):
                if hidden.visible_at > now:
                    continue
                del self._hidden[message_id]
                try:
                    self._sqs.change_message_visibility(
                        QueueUrl=self.queue_url,
                        ReceiptHandle=hidden.receipt_handle,
                        VisibilityTimeout=0,
                    )
                except ClientError as error:  # deleted or purged meanwhile
                    log.info("message %s no longer in flight: %s", message_id, error)
                    continue
                released += 1
            for held in [h for h in self._held if h.visible_at <= now]:
                self._held.remove(held)
                kwargs: dict[str, Any] = {"QueueUrl": self.queue_url, "MessageBody": held.body}
                if held.attributes:
                    kwargs["MessageAttributes"] = held.attributes
                self._sqs.send_message(**kwargs)
                released += 1
        return released

    # ----------------------------------------------------------------------------- polling

    def receive(self) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self._batch_size,
            VisibilityTimeout=REAL_HIDE_SECONDS,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The event Lambda's SQS event source delivers for a batch."""
        return {"Records": [self._record(m) for m in messages]}

    def _record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: _lambda_message_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self._region,
        }

    def poll_once(self) -> DrainResult:
        """Receive one batch (after releasing due messages), invoke, settle the outcome."""
        result = DrainResult()
        with self._lock:
            self.release_due()
            messages = self._hold_early(self.receive())
            if not messages:
                return result
            result.batches = 1
            result.received = len(messages)
            failed_ids = self._invoke_batch(messages, result)
            by_id = {m["MessageId"]: m for m in messages}
            succeeded = [m for m in messages if m["MessageId"] not in failed_ids]
            self._delete(succeeded)
            result.deleted = len(succeeded)
            visible_at = self._now() + self._visibility_timeout
            for message_id in failed_ids:
                message = by_id[message_id]
                self._hidden[message_id] = _Hidden(message_id, message["ReceiptHandle"], visible_at)
            result.failed = len(failed_ids)
        return result

    def _hold_early(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Take delayed messages that are not due yet off the queue; unmark the others."""
        now = self._now()
        deliver: list[dict[str, Any]] = []
        for message in messages:
            attributes = dict(message.get("MessageAttributes", {}))
            marker = attributes.pop(VISIBLE_AT_ATTRIBUTE, None)
            if marker is None:
                deliver.append(message)
                continue
            visible_at = float(marker["StringValue"])
            if visible_at <= now:
                deliver.append({**message, "MessageAttributes": attributes})
                continue
            self._held.append(_Held(message.get("Body", ""), _sendable(attributes), visible_at))
            self._sqs.delete_message(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
        return deliver

    def _invoke_batch(self, messages: list[dict[str, Any]], result: DrainResult) -> set[str]:
        """The message IDs Lambda would leave on the queue after this invocation."""
        all_ids = {m["MessageId"] for m in messages}
        try:
            response = self._invoke(self.event(messages))
        except Exception as error:
            log.exception("SQS handler failed; the whole batch stays on the queue")
            result.errors.append(f"handler raised: {error!r}")
            return all_ids
        return _failed_ids(response, all_ids, result)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            response = self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )
            for failure in response.get("Failed", []):
                log.warning("delete failed: %s", failure)

    def drain(self) -> DrainResult:
        """Poll until no message is visible (failed ones wait for their virtual timeout)."""
        total = DrainResult()
        for _ in range(MAX_BATCHES_PER_DRAIN):
            batch = self.poll_once()
            if not batch.batches:
                return total
            total.add(batch)
        total.errors.append(f"drain stopped after {MAX_BATCHES_PER_DRAIN} batches")
        return total


def _sendable(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Received ``MessageAttributes`` in the shape ``SendMessage`` takes."""
    keys = ("DataType", "StringValue", "BinaryValue", "StringListValues", "BinaryListValues")
    return {
        name: {k: v for k, v in value.items() if k in keys and v not in (None, [])}
        for name, value in attributes.items()
    }


class DelayBridge:
    """Puts ``DelaySeconds`` of sends to the given queues on the virtual clock.

    Registered on a boto3 session's events; clients created from that session afterwards
    (the handlers' clients, created lazily) send delayed messages undelayed and marked with
    :data:`VISIBLE_AT_ATTRIBUTE`, which :class:`SqsPoller` honours.
    """

    EVENTS = (
        "before-parameter-build.sqs.SendMessage",
        "before-parameter-build.sqs.SendMessageBatch",
    )

    def __init__(self, queue_urls: set[str], now: Callable[[], float]) -> None:
        self._queue_urls = queue_urls
        self._now = now
        self._events: Any = None

    def install(self, events: Any) -> None:
        self._events = events
        for name in self.EVENTS:
            events.register(name, self._on_send, unique_id=f"local-delay-bridge-{name}")

    def uninstall(self) -> None:
        if self._events is not None:
            for name in self.EVENTS:
                self._events.unregister(name, unique_id=f"local-delay-bridge-{name}")
            self._events = None

    def _on_send(self, params: dict[str, Any], **kwargs: Any) -> None:
        if params.get("QueueUrl") not in self._queue_urls:
            return
        if "Entries" in params:
            for entry in params["Entries"]:
                self._mark(entry)
        else:
            self._mark(params)

    def _mark(self, params: dict[str, Any]) -> None:
        delay = int(params.get("DelaySeconds") or 0)
        if delay <= 0:
            return
        params["DelaySeconds"] = 0
        attributes = dict(params.get("MessageAttributes") or {})
        attributes[VISIBLE_AT_ATTRIBUTE] = {
            "DataType": "Number",
            "StringValue": repr(self._now() + delay),
        }
        params["MessageAttributes"] = attributes


def _failed_ids(response: Any, all_ids: set[str], result: DrainResult) -> set[str]:
    """Lambda's reading of a ``ReportBatchItemFailures`` response.

    ``None``, ``{}`` or an empty list: all succeeded. A malformed response, or an identifier
    that is empty or not in the batch: the whole batch failed.
    """
    if response is None:
        return set()
    if not isinstance(response, Mapping):
        result.errors.append(f"invalid batch response {response!r}")
        return all_ids
    failures = response.get("batchItemFailures")
    if not failures:
        return set()
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in all_ids:
            result.errors.append(f"invalid itemIdentifier {identifier!r}: whole batch fails")
            return all_ids
        failed.add(str(identifier))
    return failed


def _lambda_message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """SQS API ``MessageAttributeValue`` -> the camel-case shape in Lambda's SQS records."""
    converted: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [
            base64.b64encode(v).decode("ascii") for v in value.get("BinaryListValues", [])
        ],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return converted


def queue_depths(sqs: Any, queues: Mapping[str, str]) -> dict[str, dict[str, int]]:
    """Queue name -> visible / in-flight / delayed counts (moto's approximations are exact)."""
    depths: dict[str, dict[str, int]] = {}
    for name, url in queues.items():
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        depths[name] = {
            "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        }
    return depths
