"""The reciprocity check: a daily schedule samples members' completed follows."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm import clock
from followswarm.bootstrap import configure
from followswarm.domain.follows import reciprocity
from followswarm.observability import metrics

settings = configure()
logger = Logger(service="reciprocity")


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = reciprocity.check_all(settings, clock.now())
    logger.info("reciprocity check", extra={"checked": report.checked})
    return {"checked": report.checked, "blocked": report.blocked, "unblocked": report.unblocked}
