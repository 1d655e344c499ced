"""Every implemented Web API operation answers bodies that match spotify-openapi.yml.

The description is patched where it is looser than Spotify itself (see `_patched`), and
made strict (no undeclared properties) so a misspelt field fails here too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import requests
from openapi_schema_validator import OAS30Validator

Schema = dict[str, Any]

# The generic Spotify error envelope; used for statuses the description leaves out for an
# operation (e.g. 400/404 on /artists/{id}, injected 5xx), since Spotify sends it for all.
GENERIC_ERROR_RESPONSE = "#/components/responses/BadRequest"


def _patched(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    # Spotify sends `next` and `cursors.after` as null on the last page; the description
    # says "null if none" in prose but omits `nullable`.
    schemas["CursorPagingObject"]["properties"]["next"]["nullable"] = True
    schemas["CursorObject"]["properties"]["after"]["nullable"] = True
    schemas["CursorObject"]["properties"]["before"]["nullable"] = True
    # Spotify always nests errors as {"error": {...}}; some 400s in the file show the inner
    # ErrorObject bare, so point those at the nested envelope.
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {}).get("application/json", {})
                if content.get("schema") == {"$ref": "#/components/schemas/ErrorObject"}:
                    content["schema"] = {
                        "type": "object",
                        "required": ["error"],
                        "properties": {"error": {"$ref": "#/components/schemas/ErrorObject"}},
                    }
    return spec


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    """Inline $refs, merge allOf into one object, and forbid undeclared properties."""
    if isinstance(node, list):
        return [_resolve(spec, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _resolve(spec, target)
    node = {key: _resolve(spec, value) for key, value in node.items()}
    if "allOf" in node:
        merged: Schema = {k: v for k, v in node.items() if k != "allOf"}
        for part in node["allOf"]:
            for key, value in part.items():
                if key == "properties":
                    merged.setdefault("properties", {}).update(value)
                elif key == "required":
                    merged["required"] = sorted({*merged.get("required", []), *value})
                else:
                    merged.setdefault(key, value)
        node = merged
    if "properties" in node:
        node["additionalProperties"] = False
    return node


@pytest.fixture(scope="session")
def spec(openapi: dict[str, Any]) -> dict[str, Any]:
    assert openapi["openapi"].startswith("3.0"), "OAS 3.0 file: use OAS30Validator"
    return _patched(openapi)


def _response_schema(spec: dict[str, Any], path: str, method: str, status: int) -> Any:
    """The JSON schema for a response, None if it has no body, KeyError if undocumented."""
    responses = spec["paths"][path][method.lower()]["responses"]
    if str(status) in responses:
        response = _resolve(spec, responses[str(status)])
    elif status >= 400:
        response = _resolve(spec, {"$ref": GENERIC_ERROR_RESPONSE})
    else:
        raise KeyError(f"{method} {path} does not document {status}")
    content = response.get("content")
    if not content:
        return None
    return content["application/json"]["schema"]


Case = tuple[str, str, int, Callable[[Any, dict[str, Any]], requests.Response]]


def _cases() -> list[Case]:
    def api(
        method: str,
        path: str,
        token_key: str | None = "token",
        params: dict[str, str] | None = None,
    ) -> Callable[[Any, dict[str, Any]], requests.Response]:
        def call(fake: Any, w: dict[str, Any]) -> requests.Response:
            filled = {k: v.format(**w) for k, v in (params or {}).items()}
            token = w[token_key] if token_key else None
            response: requests.Response = fake.api(method, path.format(**w), token, params=filled)
            return response

        return call

    a = "spotify:artist:{a0}"
    return [
        ("/me", "GET", 200, api("GET", "/me")),
        ("/me", "GET", 401, api("GET", "/me", None)),
        ("/me", "GET", 401, api("GET", "/me", "app")),
        ("/artists/{id}", "GET", 200, api("GET", "/artists/{a0}")),
        ("/artists/{id}", "GET", 200, api("GET", "/artists/{a0}", "app")),
        ("/artists/{id}", "GET", 400, api("GET", "/artists/x")),
        ("/artists/{id}", "GET", 404, api("GET", "/artists/1111111111111111111111")),
        ("/artists/{id}", "GET", 401, api("GET", "/artists/{a0}", "expired")),
        ("/me/library", "PUT", 200, api("PUT", "/me/library", params={"uris": a})),
        ("/me/library", "PUT", 400, api("PUT", "/me/library", params={"uris": "bad"})),
        ("/me/library", "PUT", 403, api("PUT", "/me/library", "narrow", params={"uris": a})),
        ("/me/library", "DELETE", 200, api("DELETE", "/me/library", params={"uris": a})),
        ("/me/library", "DELETE", 400, api("DELETE", "/me/library")),
        (
            "/me/library/contains",
            "GET",
            200,
            api("GET", "/me/library/contains", params={"uris": a}),
        ),
        ("/me/library/contains", "GET", 400, api("GET", "/me/library/contains")),
        (
            "/me/following",
            "PUT",
            204,
            api("PUT", "/me/following", params={"type": "artist", "ids": "{a1}"}),
        ),
        ("/me/following", "PUT", 400, api("PUT", "/me/following", params={"type": "artist"})),
        (
            "/me/following",
            "PUT",
            403,
            api("PUT", "/me/following", "narrow", params={"type": "artist", "ids": "{a1}"}),
        ),
        (
            "/me/following",
            "DELETE",
            204,
            api("DELETE", "/me/following", params={"type": "artist", "ids": "{a1}"}),
        ),
        (
            "/me/following/contains",
            "GET",
            200,
            api("GET", "/me/following/contains", params={"type": "artist", "ids": "{a0},{a1}"}),
        ),
        (
            "/me/following/contains",
            "GET",
            403,
            api(
                "GET", "/me/following/contains", "narrow", params={"type": "artist", "ids": "{a0}"}
            ),
        ),
        (
            "/me/following",
            "GET",
            200,
            api("GET", "/me/following", "follower", params={"type": "artist", "limit": "2"}),
        ),
        (
            "/me/following",
            "GET",
            200,
            api(
                "GET",
                "/me/following",
                "follower",
                params={"type": "artist", "limit": "2", "after": "{a1}"},
            ),
        ),
        ("/me/following", "GET", 200, api("GET", "/me/following", params={"type": "artist"})),
        (
            "/me/following",
            "GET",
            403,
            api("GET", "/me/following", "narrow", params={"type": "artist"}),
        ),
    ]


@pytest.fixture
def world(fake: Any, clock: Any) -> dict[str, Any]:
    """Users, artists and tokens every case can use; a0 < a1 < a2 so paging is predictable."""
    a0, a1, a2 = sorted(fake.artists(3))
    user = fake.user("Schema Checker")
    follower = fake.user("Follower")
    fake.post("/_fake/follows", {"user_id": follower["id"], "artist_ids": [a0, a1, a2]})
    expired = fake.token(user["id"])["access_token"]
    clock.advance(4000)
    return {
        "a0": a0,
        "a1": a1,
        "token": fake.token(user["id"])["access_token"],
        "follower": fake.token(follower["id"])["access_token"],
        "narrow": fake.token(user["id"], scopes="user-read-private")["access_token"],
        "app": fake.token(None)["access_token"],
        "expired": expired,
    }


@pytest.mark.parametrize(
    ("path", "method", "status", "call"),
    _cases(),
    ids=[f"{m} {p} {s}" for p, m, s, _ in _cases()],
)
def test_response_matches_description(
    spec: dict[str, Any],
    fake: Any,
    world: dict[str, Any],
    path: str,
    method: str,
    status: int,
    call: Callable[[Any, dict[str, Any]], requests.Response],
) -> None:
    response = call(fake, world)
    assert response.status_code == status, response.text
    schema = _response_schema(spec, path, method, status)
    if schema is None:
        assert response.content == b""
        return
    assert response.headers["Content-Type"].startswith("application/json")
    OAS30Validator(schema).validate(response.json())


@pytest.mark.parametrize(
    ("rule", "status"),
    [({"status": 429, "retry_after": 3}, 429), ({"status": 503}, 503), ({"status": 500}, 500)],
)
@pytest.mark.parametrize(
    ("path", "method", "call_path"),
    [
        ("/me", "GET", "/me"),
        ("/artists/{id}", "GET", "/artists/{a0}"),
        ("/me/following", "GET", "/me/following?type=artist"),
        ("/me/library/contains", "GET", "/me/library/contains?uris=spotify:artist:{a0}"),
    ],
)
def test_fault_and_rate_limit_errors_match(
    spec: dict[str, Any],
    fake: Any,
    world: dict[str, Any],
    rule: dict[str, Any],
    status: int,
    path: str,
    method: str,
    call_path: str,
) -> None:
    fake.post("/_fake/faults", {**rule, "count": 1})
    response = fake.api(method, call_path.format(**world), world["token"])
    assert response.status_code == status
    OAS30Validator(_response_schema(spec, path, method, status)).validate(response.json())


def test_rate_limit_body_matches(
    spec: dict[str, Any], config: Any, fake: Any, world: dict[str, Any]
) -> None:
    config.rate_limit_calls = 1
    assert fake.api("GET", "/me", world["token"]).status_code == 200
    response = fake.api("GET", "/me", world["token"])
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    OAS30Validator(_response_schema(spec, "/me", "GET", 429)).validate(response.json())


def test_strict_schema_catches_unknown_fields(spec: dict[str, Any]) -> None:
    # Guard for the patching above: the strict, patched schema really rejects bad bodies.
    schema = _response_schema(spec, "/artists/{id}", "GET", 200)
    validator = OAS30Validator(schema)
    assert not validator.is_valid({"id": "x", "nme": "typo"})
    paging = _response_schema(spec, "/me/following", "GET", 200)
    last: dict[str, Any] = {
        "artists": {"items": [], "next": None, "cursors": {"after": None}, "total": 0}
    }
    assert OAS30Validator(paging).is_valid(last)
    assert not OAS30Validator(paging).is_valid({"artists": {"next": 5}})
