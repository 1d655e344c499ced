"""SQS access: the follow-jobs queue and its dead-letter queue."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from followswarm.clients.aws import aws_client
from followswarm.settings import get_settings


@lru_cache(maxsize=8)
def queue_url(queue_name: str) -> str:
    """A queue's URL (the configured one for the follow queue, else looked up once)."""
    settings = get_settings()
    if queue_name == settings.follow_queue_name and settings.follow_queue_url:
        return settings.follow_queue_url
    return str(aws_client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"])


def queue_reachable(queue_name: str) -> bool:
    try:
        queue_url(queue_name)
    except (BotoCoreError, ClientError):
        return False
    return True


def send_json(queue_name: str, payload: dict[str, Any]) -> str:
    response = aws_client("sqs").send_message(
        QueueUrl=queue_url(queue_name), MessageBody=json.dumps(payload, separators=(",", ":"))
    )
    return str(response["MessageId"])


def queue_depths(queue_name: str) -> dict[str, int]:
    attributes = aws_client("sqs").get_queue_attributes(
        QueueUrl=queue_url(queue_name),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return {
        "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }
