"""The billing function: Stripe Checkout / Billing Portal sessions and Stripe webhooks.

Its own function, so that only it loads ``stripe`` (the API function never does). It lives in
the ``api`` package to share the API's authorization and error shape; API Gateway sends it the
``/api/v1/billing`` and ``/webhooks/stripe`` routes (``http_routes`` in the catalog).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm.bootstrap import configure

from .. import auth
from ..errors import register_error_handlers
from . import routes

settings = configure()
logger = Logger(service="billing")

app = APIGatewayHttpResolver(enable_validation=True)
app.include_router(routes.router)
register_error_handlers(app)
auth.install(app)  # authorization before request validation: 401, never a 422


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    routes.idempotency_config.register_lambda_context(context)
    return app.resolve(event, context)
