"""SQS access: the follow-jobs and notify queues and their dead-letter queues."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from followswarm.clients.aws import aws_client
from followswarm.settings import get_settings


@lru_cache(maxsize=8)
def queue_url(queue_name: str) -> str:
    """A queue's URL (the configured one for the follow and notify queues, else looked up once)."""
    settings = get_settings()
    if queue_name == settings.follow_queue_name and settings.follow_queue_url:
        return settings.follow_queue_url
    if queue_name == settings.notify_queue_name and settings.notify_queue_url:
        return settings.notify_queue_url
    return str(aws_client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"])


def queue_reachable(queue_name: str) -> bool:
    try:
        queue_url(queue_name)
    except (BotoCoreError, ClientError):
        return False
    return True


def send_json(queue_name: str, payload: dict[str, Any], *, delay_seconds: int = 0) -> str:
    response = aws_client("sqs").send_message(
        QueueUrl=queue_url(queue_name),
        MessageBody=json.dumps(payload, separators=(",", ":")),
        DelaySeconds=max(0, min(900, delay_seconds)),
    )
    return str(response["MessageId"])


def move_messages(source: str, destination: str, *, limit: int) -> int:
    """Receive, send, delete: works on AWS and on moto (which lacks StartMessageMoveTask)."""
    sqs = aws_client("sqs")
    moved = 0
    while moved < limit:
        received = sqs.receive_message(
            QueueUrl=queue_url(source),
            MaxNumberOfMessages=min(10, limit - moved),
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            break
        for message in received:
            sqs.send_message(QueueUrl=queue_url(destination), MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=queue_url(source), ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def queue_depths(queue_name: str) -> dict[str, int]:
    attributes = aws_client("sqs").get_queue_attributes(
        QueueUrl=queue_url(queue_name),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return {
        "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }
