"""The HTTP API function: API Gateway HTTP API (payload 2.0) -> Powertools resolver -> routers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from followswarm.bootstrap import configure

from . import auth
from .errors import register_error_handlers
from .routes import (
    admin_identity,
    admin_operations,
    admin_queue,
    follows,
    health,
    me,
    plans,
    roster,
)
from .routes import auth as auth_routes
from .routes import mail as mail_routes

settings = configure()
logger = Logger(service="api")

app = APIGatewayHttpResolver(enable_validation=True)
app.include_router(health.router)
app.include_router(auth_routes.router)
app.include_router(me.router)
app.include_router(mail_routes.router)
app.include_router(admin_identity.router)
app.include_router(roster.router)
app.include_router(plans.router)
app.include_router(follows.router)
app.include_router(admin_queue.router)
app.include_router(admin_operations.router)
register_error_handlers(app)
auth.install(app)  # authorization before request validation: 401, never a 422
app.enable_swagger(
    path="/docs",
    title="Follow-Swarm API",
    version="1.0.0",
    description="Independent artists swap Spotify follows.",
)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document Powertools generates from the routes."""
    schema: dict[str, Any] = app.get_openapi_schema(
        title="Follow-Swarm API", version="1.0.0"
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    return schema


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
