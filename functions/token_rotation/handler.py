"""Token key rotation job: re-seals vault records still under an older key version.

Run after pointing ``token_key_alias`` at a new KMS key and bumping ``token_key_version``;
reads keep working meanwhile, so it can run at any pace (and again: it is idempotent).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm.bootstrap import configure
from followswarm.domain.identity.vault import rotate_keys

settings = configure()
logger = Logger(service="token-rotation")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return rotate_keys()
