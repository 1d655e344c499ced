"""API Gateway HTTP API (payload format 2.0) in front of the HTTP functions, plus ``/_local``.

``request_to_event`` and ``result_to_response`` are the two conversions API Gateway performs;
``ApiGateway`` is the WSGI app that serves ``/_local/*`` itself and hands every other path to
the function whose route prefix matches it (the longest), else to the API function.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

log = logging.getLogger(__name__)

#: Media types API Gateway passes as text; anything else arrives base64-encoded.
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/problem+json",
    "application/graphql",
)


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True  # API Gateway treats a body without a content type as text
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith(_TEXT_TYPES) or media.endswith(("+json", "+xml"))


def _request_time(epoch: float) -> str:
    """API Gateway's ``requestContext.time`` format, e.g. ``12/Mar/2020:19:03:58 +0000``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def request_to_event(
    request: Request,
    *,
    now: float,
    account_id: str = "123456789012",
    api_id: str = "local",
    stage: str = "$default",
) -> dict[str, Any]:
    """A werkzeug request as the payload-2.0 event API Gateway sends to a Lambda integration."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers.items():
        key = name.lower()
        if key == "cookie":  # payload 2.0 moves cookies out of the headers
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value

    raw_query = request.query_string.decode("latin-1")
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value

    host = headers.get("host", "localhost")
    source_ip = request.remote_addr or "127.0.0.1"
    if "x-forwarded-for" not in headers:
        headers["x-forwarded-for"] = source_ip
    headers.setdefault("x-forwarded-proto", request.scheme)
    headers.setdefault("x-forwarded-port", str(request.environ.get("SERVER_PORT", "80")))
    request_id = base64.b32encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")[:16]

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": stage,
            "time": _request_time(now),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query

    body = request.get_data(cache=True)
    if body:
        if _is_text(request.content_type):
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode("ascii")
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def result_to_response(result: Any) -> Response:
    """A Lambda result as API Gateway returns it (payload 2.0 rules, including the inferred
    format: a result without ``statusCode`` is a 200 ``application/json`` of the result)."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        return Response(json.dumps(result), status=200, content_type="application/json")

    headers = Headers()
    for name, value in (result.get("headers") or {}).items():
        headers.add(name, str(value))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            headers.add(name, str(value))
    for cookie in result.get("cookies") or []:
        headers.add("Set-Cookie", cookie)

    body = result.get("body")
    data: bytes
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    elif isinstance(body, bytes):
        data = body
    else:
        data = str(body).encode("utf-8")
    typed = "Content-Type" in headers
    if not typed and data:
        headers["Content-Type"] = "application/json"
        typed = True
    response = Response(data, status=int(result["statusCode"]), headers=headers)
    if not typed:
        # werkzeug adds text/plain by default; API Gateway sends none for an empty body.
        del response.headers["Content-Type"]
    return response


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message}}, status)


def route_match(prefix: str, path: str) -> bool:
    """Whether ``path`` is served by the routes ``{prefix}`` and ``{prefix}/{proxy+}``."""
    if prefix == "/":
        return True
    base = "/" + prefix.strip("/")
    return path == base or path.startswith(base + "/")


def with_route(event: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The event as API Gateway sends it for the route of ``prefix`` that matched."""
    if prefix == "/":
        return event
    base = "/" + prefix.strip("/")
    path = str(event["rawPath"])
    if path == base:
        route_key = f"ANY {base}"
    else:
        route_key = f"ANY {base}/{{proxy+}}"
        event["pathParameters"] = {"proxy": path[len(base) + 1 :]}
    event["routeKey"] = route_key
    event["requestContext"]["routeKey"] = route_key
    return event


class ApiGateway:
    """WSGI app: ``/_local/clock``, ``/_local/queues``, then the HTTP functions.

    ``routes`` maps route prefixes (the catalog's ``http_routes``) to functions; the longest
    matching prefix wins, as API Gateway prefers the most specific route over ``$default``.
    Without ``routes`` every path goes to ``invoke_api``.
    """

    def __init__(
        self,
        *,
        invoke_api: Callable[[dict[str, Any]], Any],
        now: Callable[[], float],
        advance: Callable[[float], Mapping[str, Any]],
        queues: Callable[[], Mapping[str, Any]],
        account_id: str = "123456789012",
        routes: Mapping[str, Callable[[dict[str, Any]], Any]] | None = None,
    ) -> None:
        self._invoke_api = invoke_api
        self._routes = sorted(
            (routes or {}).items(), key=lambda item: len(item[0].rstrip("/")), reverse=True
        )
        self._now = now
        self._advance = advance
        self._queues = queues
        self._account_id = account_id

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            # What API Gateway answers when the integration fails.
            response = _json({"message": "Internal Server Error"}, 500)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path == "/_local/clock":
            return self._clock(request)
        if request.path == "/_local/queues":
            if request.method != "GET":
                return _error(405, "method_not_allowed", "GET only")
            return _json({"queues": self._queues()})
        event = request_to_event(request, now=self._now(), account_id=self._account_id)
        for prefix, invoke in self._routes:
            if route_match(prefix, request.path):
                return result_to_response(invoke(with_route(event, prefix)))
        return result_to_response(self._invoke_api(event))

    def _clock(self, request: Request) -> Response:
        from local.runtime.clock import iso

        if request.method == "GET":
            now = self._now()
            return _json({"now": now, "iso": iso(now)})
        if request.method != "POST":
            return _error(405, "method_not_allowed", "GET or POST")
        payload: Any = request.get_json(silent=True)
        if payload is None and request.form:
            payload = dict(request.form)
        seconds: Any = None
        if isinstance(payload, Mapping):
            seconds = payload.get("advance", payload.get("seconds"))
        try:
            value = float(seconds)
        except (TypeError, ValueError):
            return _error(400, "invalid_request", 'POST {"advance": <seconds>}')
        if not 0 <= value <= 366 * 24 * 3600:
            return _error(400, "invalid_request", "advance by 0 .. 366 days")
        return _json(dict(self._advance(value)))
