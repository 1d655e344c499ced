"""The dispatcher: an EventBridge schedule (every minute) enqueues the due members' batches."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm import clock
from followswarm.bootstrap import configure
from followswarm.domain.follows import dispatch
from followswarm.observability import metrics

settings = configure()
logger = Logger(service="dispatcher")


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = dispatch.dispatch_due(settings, clock.now())
    logger.info("dispatch tick", extra={"members": summary.members_seen, "jobs": len(summary.jobs)})
    return {"members": summary.members_seen, "jobs": len(summary.jobs), "paused": summary.paused}
