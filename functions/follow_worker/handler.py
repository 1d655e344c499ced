"""The follow worker: SQS batches of follow jobs, partial batch failures via Powertools.

``raise_on_entire_batch_failure`` is off on purpose: a batch of poison messages should come back
one by one through SQS's redrive to the DLQ, not as a Lambda error that alarms on every retry.
Rate limits and transient errors never fail a record: the domain requeues with a delay.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm import clock
from followswarm.bootstrap import configure
from followswarm.domain.follows import jobs_service
from followswarm.observability import metrics

settings = configure()
logger = Logger(service="follow-worker")
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    outcome = jobs_service.handle_message(
        settings,
        record.body,
        now=clock.now(),
        receive_count=int(record.attributes.approximate_receive_count or 1),
    )
    logger.info("job handled", extra={"outcome": outcome.kind, "reason": outcome.reason})


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
