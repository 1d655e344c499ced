"""How the SQS event source reads a handler's ``batchItemFailures`` and converts attributes."""

from __future__ import annotations

from typing import Any

import pytest

from local.runtime.clock import DrainResult
from local.runtime.sqs import _failed_ids, _lambda_message_attribute

IDS = {"m1", "m2", "m3"}


@pytest.mark.parametrize(
    "response",
    [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}],
)
def test_empty_responses_mean_every_record_succeeded(response: Any) -> None:
    assert _failed_ids(response, IDS, DrainResult()) == set()


def test_named_records_failed() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert _failed_ids(response, IDS, DrainResult()) == {"m2"}


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "unknown"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{}]},
        {"batchItemFailures": ["m1"]},
        "not a mapping",
    ],
)
def test_malformed_responses_fail_the_whole_batch(response: Any) -> None:
    result = DrainResult()
    assert _failed_ids(response, IDS, result) == IDS
    assert result.errors


def test_message_attributes_take_lambda_s_shape() -> None:
    assert _lambda_message_attribute({"DataType": "String", "StringValue": "x"}) == {
        "stringValue": "x",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    binary = _lambda_message_attribute({"DataType": "Binary", "BinaryValue": b"\x00\x01"})
    assert binary["binaryValue"] == "AAE="
