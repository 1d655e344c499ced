"""CloudWatch metrics (EMF via Powertools) from a daily rollup, read by the business dashboard.

``MembersByTier`` carries a ``tier`` dimension besides ``service``: each tier goes out as its own
single-metric document so the other gauges keep the ``service`` dimension alone.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import single_metric

from followswarm.domain.analytics.rollup import RollupReport
from followswarm.metric_names import (
    ACTIVE_MEMBERS,
    MEMBERS_BY_TIER,
    MEMBERS_TOTAL,
    SERVICE_DIMENSION,
    TIER_DIMENSION,
    TIERS,
)
from followswarm.observability import MetricUnit, metrics


def publish(report: RollupReport, *, namespace: str, service: str) -> None:
    platform = report.platform
    metrics.add_metric(name=MEMBERS_TOTAL, unit=MetricUnit.Count, value=platform["members"])
    metrics.add_metric(name=ACTIVE_MEMBERS, unit=MetricUnit.Count, value=platform["active_members"])
    for tier in TIERS:
        with single_metric(
            name=MEMBERS_BY_TIER,
            unit=MetricUnit.Count,
            value=platform["active_by_tier"][tier],
            namespace=namespace,
            default_dimensions={SERVICE_DIMENSION: service},
        ) as metric:
            metric.add_dimension(name=TIER_DIMENSION, value=tier)
