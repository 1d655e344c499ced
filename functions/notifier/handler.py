"""The notifier: SQS batches of queued notifications, rendered and sent through SendGrid.

Each notification id is sent once (Powertools idempotency); a send that fails fails only its
record (partial batch response), so SQS delivers it again and, after ``maxReceiveCount``
attempts, moves it to the notify DLQ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm import clock
from followswarm.bootstrap import configure
from followswarm.clients.aws import aws_client
from followswarm.domain.identity.notifier import Notification
from followswarm.domain.mail import delivery

settings = configure()
logger = Logger(service="notifier")
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
idempotency_config = IdempotencyConfig(
    event_key_jmespath="id",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=settings.idempotency_ttl_seconds,
)


@lru_cache(maxsize=1)
def _deliver_once() -> Callable[..., str]:
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table, boto3_client=aws_client("dynamodb")
    )

    def deliver(notification: dict[str, Any]) -> str:
        return delivery.deliver(settings, Notification.model_validate(notification), clock.now())

    once: Callable[..., str] = idempotent_function(
        deliver,
        data_keyword_argument="notification",
        persistence_store=persistence,
        config=idempotency_config,
        key_prefix="notification",
    )
    return once


def record_handler(record: SQSRecord) -> None:
    notification = Notification.model_validate(json.loads(record.body))
    outcome = _deliver_once()(notification=notification.model_dump(mode="json"))
    logger.info(
        "notification handled",
        extra={"kind": notification.kind, "id": notification.id, "outcome": outcome},
    )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
