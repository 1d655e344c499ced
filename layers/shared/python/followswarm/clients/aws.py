"""boto3 clients for this stage's region and endpoint (moto locally, AWS in production)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from followswarm.settings import get_settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@cache
def aws_client(service: str) -> Any:
    """A cached boto3 client; created on first use so cold starts pay only for what they use."""
    settings = get_settings()
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        config=_CONFIG,
    )


def reset_clients() -> None:
    """Forget cached clients (after settings change, e.g. between local runtimes in tests)."""
    aws_client.cache_clear()
