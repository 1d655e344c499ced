"""API Gateway HTTP API payload 2.0: request -> event and result -> response conversions."""

from __future__ import annotations

import base64
import json
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local.runtime.apigw import ApiGateway, request_to_event, result_to_response

NOW = 1_780_000_000.5


def make_request(path: str = "/", **kwargs: Any) -> Request:
    builder = EnvironBuilder(path=path, base_url="http://127.0.0.1:3001", **kwargs)
    return Request(builder.get_environ())


def event_for(path: str = "/", **kwargs: Any) -> dict[str, Any]:
    return request_to_event(make_request(path, **kwargs), now=NOW)


def test_event_has_the_payload_2_shape() -> None:
    event = event_for(
        "/api/v1/me", method="GET", headers={"User-Agent": "pytest", "X-Trace": "abc"}
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/api/v1/me"
    assert event["rawQueryString"] == ""
    assert "queryStringParameters" not in event
    assert "cookies" not in event
    assert "body" not in event
    assert event["isBase64Encoded"] is False
    assert event["headers"]["user-agent"] == "pytest"
    assert event["headers"]["x-trace"] == "abc"
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/api/v1/me",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "pytest",
    }
    assert context["timeEpoch"] == int(NOW * 1000)
    assert context["time"] == "28/May/2026:20:26:40 +0000"
    assert context["stage"] == "$default"
    assert context["requestId"]
    assert context["domainName"] == "127.0.0.1:3001"


def test_cookies_leave_the_headers_for_the_cookies_list() -> None:
    event = event_for("/", headers={"Cookie": "session=abc; csrf=x%3By"})
    assert event["cookies"] == ["session=abc", "csrf=x%3By"]
    assert "cookie" not in event["headers"]


def test_query_strings_keep_raw_and_join_repeated_parameters() -> None:
    event = event_for("/api/v1/follows/history", query_string="status=done&status=failed&q=a%20b")
    assert event["rawQueryString"] == "status=done&status=failed&q=a%20b"
    assert event["queryStringParameters"] == {"status": "done,failed", "q": "a b"}


def test_repeated_headers_are_comma_joined_and_lowercased() -> None:
    request = make_request("/", headers=[("X-Multi", "one"), ("x-multi", "two")])
    event = request_to_event(request, now=NOW)
    # WSGI already merges repeated headers; the event carries one comma-joined value.
    assert [v.strip() for v in event["headers"]["x-multi"].split(",")] == ["one", "two"]


def test_json_body_is_text() -> None:
    event = event_for("/x", method="POST", json={"advance": 60})
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"advance": 60}


def test_binary_body_is_base64() -> None:
    payload = bytes(range(256))
    event = event_for("/x", method="POST", data=payload, content_type="application/octet-stream")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_undecodable_text_body_falls_back_to_base64() -> None:
    event = event_for("/x", method="POST", data=b"\xff\xfe", content_type="text/plain")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe"


def test_result_with_cookies_sets_one_set_cookie_header_each() -> None:
    response = result_to_response(
        {
            "statusCode": 302,
            "headers": {"Location": "/dashboard"},
            "cookies": ["a=1; HttpOnly; Secure", "b=2; SameSite=Lax"],
            "body": "",
        }
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert response.headers.getlist("Set-Cookie") == ["a=1; HttpOnly; Secure", "b=2; SameSite=Lax"]


def test_result_multi_value_headers_and_base64_body() -> None:
    response = result_to_response(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "multiValueHeaders": {"X-Many": ["1", "2"]},
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )
    assert response.get_data() == b"\x89PNG"
    assert response.headers.getlist("X-Many") == ["1", "2"]
    assert response.headers["Content-Type"] == "image/png"


def test_result_without_status_code_is_inferred_json() -> None:
    response = result_to_response({"hello": "world"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.get_data()) == {"hello": "world"}


def test_empty_body_has_no_content_type() -> None:
    response = result_to_response({"statusCode": 204})
    assert response.status_code == 204
    assert "Content-Type" not in response.headers


def _gateway(calls: list[dict[str, Any]]) -> ApiGateway:
    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event)
        return {"statusCode": 200, "body": json.dumps({"path": event["rawPath"]})}

    return ApiGateway(
        invoke_api=invoke,
        now=lambda: NOW,
        advance=lambda seconds: {"advanced": seconds},
        queues=lambda: {"q": {"visible": 0}},
    )


def test_gateway_serves_local_routes_before_the_api() -> None:
    calls: list[dict[str, Any]] = []
    gateway = _gateway(calls)
    clock = gateway.dispatch(make_request("/_local/clock"))
    assert json.loads(clock.get_data()) == {"now": NOW, "iso": "2026-05-28T20:26:40Z"}
    advanced = gateway.dispatch(make_request("/_local/clock", method="POST", json={"seconds": 5}))
    assert json.loads(advanced.get_data()) == {"advanced": 5.0}
    bad = gateway.dispatch(make_request("/_local/clock", method="POST", json={"advance": "x"}))
    assert bad.status_code == 400
    assert set(json.loads(bad.get_data())["error"]) == {"code", "message"}
    queues = gateway.dispatch(make_request("/_local/queues"))
    assert json.loads(queues.get_data()) == {"queues": {"q": {"visible": 0}}}
    assert calls == []
    api = gateway.dispatch(make_request("/health"))
    assert json.loads(api.get_data()) == {"path": "/health"}
    assert len(calls) == 1


def test_gateway_routes_by_the_longest_catalog_prefix() -> None:
    from followswarm.catalog import FUNCTIONS

    seen: list[tuple[str, dict[str, Any]]] = []

    def function(name: str) -> Any:
        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            seen.append((name, event))
            return {"statusCode": 200}

        return invoke

    routes = {
        prefix: function(spec.name)
        for spec in FUNCTIONS
        if spec.trigger == "http"
        for prefix in spec.http_routes
    }
    gateway = ApiGateway(
        invoke_api=function("default"),
        now=lambda: NOW,
        advance=lambda seconds: {},
        queues=lambda: {},
        routes=routes,
    )
    for path in ("/health", "/api/v1/me", "/api/v1/billingx", "/webhooks/stripex"):
        gateway.dispatch(make_request(path))
        assert seen[-1][0] == "api", path
        assert seen[-1][1]["routeKey"] == "$default"
    gateway.dispatch(make_request("/api/v1/billing/checkout", method="POST", json={}))
    name, event = seen[-1]
    assert name == "billing"
    assert event["routeKey"] == "ANY /api/v1/billing/{proxy+}"
    assert event["pathParameters"] == {"proxy": "checkout"}
    gateway.dispatch(make_request("/webhooks/stripe", method="POST", data="{}"))
    name, event = seen[-1]
    assert name == "billing"
    assert event["routeKey"] == "ANY /webhooks/stripe"
    assert event["rawPath"] == "/webhooks/stripe"
