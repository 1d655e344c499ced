"""Secrets from Secrets Manager through Powertools Parameters (cached for five minutes)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from followswarm.clients.aws import aws_client
from followswarm.settings import get_settings

SECRET_MAX_AGE_SECONDS = 300


@lru_cache(maxsize=1)
def _provider() -> SecretsProvider:
    return SecretsProvider(boto3_client=aws_client("secretsmanager"))


def get_json_secret(name: str) -> dict[str, Any]:
    value = _provider().get(name, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    if not isinstance(value, dict):
        raise ValueError(f"secret {name} is not a JSON object")
    return value


def spotify_app_credentials() -> tuple[str, str]:
    """The Spotify app's client id and secret."""
    secret = get_json_secret(get_settings().spotify_secret_name)
    return str(secret["client_id"]), str(secret["client_secret"])


def reset_secrets() -> None:
    _provider.cache_clear()
