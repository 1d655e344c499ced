"""The API's error contract: 404, 405, 422 and 500 all answer ``{"error": {code, message}}``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel

from followswarm.errors import TooManyRequests
from functions.api.errors import register_error_handlers


class Body(BaseModel):
    name: str


def _app() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.post("/things")
    def create(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/boom")
    def boom() -> dict[str, str]:
        raise RuntimeError("secret internals: db password hunter2")

    @app.get("/busy")
    def busy() -> dict[str, str]:
        raise TooManyRequests("Slow down", retry_after=42)

    register_error_handlers(app)
    return app


@pytest.fixture
def app() -> APIGatewayHttpResolver:
    return _app()


def _call(app: APIGatewayHttpResolver, method: str, path: str, body: Any = None) -> dict[str, Any]:
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
            "requestId": "r",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }
    result: dict[str, Any] = app.resolve(event, None)  # type: ignore[arg-type]
    result["json"] = json.loads(result["body"])
    return result


def _error(result: dict[str, Any]) -> dict[str, Any]:
    error: dict[str, Any] = result["json"]["error"]
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    return error


def test_unknown_path_is_404(app: APIGatewayHttpResolver) -> None:
    result = _call(app, "GET", "/nowhere")
    assert result["statusCode"] == 404
    assert _error(result)["code"] == "not_found"


def test_wrong_method_is_405_with_allow(app: APIGatewayHttpResolver) -> None:
    result = _call(app, "DELETE", "/things")
    assert result["statusCode"] == 405
    assert _error(result)["code"] == "method_not_allowed"
    assert result["headers"]["Allow"] == "POST"


def test_invalid_body_is_422_with_details(app: APIGatewayHttpResolver) -> None:
    result = _call(app, "POST", "/things", {"nom": "x"})
    assert result["statusCode"] == 422
    error = _error(result)
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"][-1] == "name"


def test_unexpected_error_is_500_without_internals(app: APIGatewayHttpResolver) -> None:
    result = _call(app, "GET", "/boom")
    assert result["statusCode"] == 500
    assert _error(result)["code"] == "internal_error"
    assert "hunter2" not in result["body"]
    assert "Traceback" not in result["body"]


def test_rate_limited_carries_retry_after(app: APIGatewayHttpResolver) -> None:
    result = _call(app, "GET", "/busy")
    assert result["statusCode"] == 429
    assert result["headers"]["Retry-After"] == "42"
