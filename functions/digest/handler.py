"""The weekly digest: an EventBridge schedule queues one digest mail per verified member."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm import clock
from followswarm.bootstrap import configure
from followswarm.domain.mail import digest

settings = configure()
logger = Logger(service="digest")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    queued = digest.queue_weekly(clock.now())
    logger.info("weekly digest queued", extra={"members": queued})
    return {"queued": queued}
