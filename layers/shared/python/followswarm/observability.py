"""One Powertools Metrics object per process; handlers flush it with ``@metrics.log_metrics``."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from followswarm.settings import get_settings

metrics = Metrics(namespace=get_settings().metrics_namespace)

__all__ = ["MetricUnit", "metrics"]
