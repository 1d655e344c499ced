"""The daily analytics rollup: a schedule just after midnight UTC rolls up the previous day.

An event with ``{"detail": {"date": "YYYY-MM-DD"}}`` (a manual invoke) rolls up that day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm import clock
from followswarm.bootstrap import configure
from followswarm.domain.analytics import publish, rollup
from followswarm.observability import metrics

settings = configure()
logger = Logger(service="analytics-rollup")


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = clock.now()
    requested = (event.get("detail") or {}).get("date")
    day = date.fromisoformat(requested) if requested else rollup.day_to_roll_up(now)
    report = rollup.run(day, now)
    publish.publish(
        report,
        namespace=settings.metrics_namespace,
        service=metrics.service or settings.app_name,
    )
    logger.info("daily rollup", extra={"day": report.day, "rows": report.rows_written})
    return {"day": report.day, "rows": report.rows_written, "platform": report.platform}
