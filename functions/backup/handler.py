"""The daily backup: exports every table to the backup bucket (DynamoDB export to S3).

Exports run asynchronously in DynamoDB; this only starts them. A failed start fails the
invocation (EventBridge retries; the errors alarm pages).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm import clock
from followswarm.bootstrap import configure
from followswarm.domain.operations import backups
from followswarm.metric_names import BACKUP_EXPORTS_STARTED
from followswarm.observability import MetricUnit, metrics

settings = configure()
logger = Logger(service="backup")


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = backups.export_all(settings, clock.now())
    metrics.add_metric(name=BACKUP_EXPORTS_STARTED, unit=MetricUnit.Count, value=len(started))
    logger.info("backup exports started", extra={"tables": len(started)})
    return {"exports": [asdict(s) for s in started]}
