"""The one authorization dependency of the API, and the session cookies.

Every protected route declares who may call it with Powertools' ``Depends``::

    @router.get("/api/v1/me")
    def me(member_id: CurrentMemberId) -> dict[str, Any]: ...

    @router.patch("/api/v1/admin/members/<member_id>")
    def patch_member(member_id: str, admin: AdminPrincipal) -> dict[str, Any]: ...

Credentials: ``Authorization: Bearer <access JWT>`` (API clients) or the HttpOnly access
cookie (browsers); a cookie-authenticated request that changes state must also send the CSRF
token in ``X-CSRF-Token``. :func:`install` makes these dependencies run before request
validation, so an unauthenticated caller gets 401, never a 422 describing the body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Depends, Request, Response
from aws_lambda_powertools.event_handler.depends import (
    DependencyTree,
    build_dependency_tree,
    solve_dependencies,
)
from aws_lambda_powertools.event_handler.middlewares import BaseMiddlewareHandler, NextMiddleware
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from followswarm.domain.identity.members import get_member_or_none
from followswarm.domain.identity.sessions import (
    IssuedSession,
    Principal,
    check_csrf,
    verify_access_token,
)
from followswarm.errors import Forbidden, Unauthorized
from followswarm.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

ACCESS_COOKIE = "fs_access"
REFRESH_COOKIE = "fs_refresh"
CSRF_COOKIE = "fs_csrf"
OAUTH_COOKIE = "fs_oauth"
CSRF_HEADER = "x-csrf-token"
#: The refresh cookie goes only to the session endpoints, never to ordinary API calls.
REFRESH_COOKIE_PATH = "/auth"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# ------------------------------------------------------------------------------- credentials


def read_cookie(event: BaseProxyEvent, name: str) -> str | None:
    """A request cookie (HTTP API payload 2.0 lists them in ``cookies``; 1.0 in a header)."""
    raw: list[str] = list(event.get("cookies") or [])
    header = event.headers.get("cookie")
    if header:
        raw.extend(header.split(";"))
    for item in raw:
        key, sep, value = item.strip().partition("=")
        if sep and key == name:
            return value
    return None


def bearer_token(event: BaseProxyEvent) -> str | None:
    header = event.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use 'Authorization: Bearer <token>'", code="token_invalid")
    return token.strip()


def client_ip(event: BaseProxyEvent) -> str:
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    identity = context.get("identity") or {}
    return str(http.get("sourceIp") or identity.get("sourceIp") or "unknown")


def authenticate(event: BaseProxyEvent, method: str) -> Principal:
    """The caller, from a Bearer header or the access cookie (+ CSRF for unsafe methods)."""
    token = bearer_token(event)
    if token is not None:
        return verify_access_token(token)
    token = read_cookie(event, ACCESS_COOKIE)
    if not token:
        raise Unauthorized("Sign in first", code="unauthenticated")
    principal = verify_access_token(token)
    if method.upper() not in SAFE_METHODS:
        check_csrf(principal.session_id, event.headers.get(CSRF_HEADER))
    return principal


# ------------------------------------------------------------------------------ dependencies


def require_member(request: Request) -> Principal:
    """Any signed-in member (admins included)."""
    return authenticate(request.resolved_event, request.method)


def current_member_id(request: Request) -> str:
    """The signed-in member's id (same checks as :func:`require_member`)."""
    return authenticate(request.resolved_event, request.method).member_id


def require_admin(request: Request) -> Principal:
    """An admin: the JWT's role, confirmed against the member record (roles can be revoked)."""
    principal = authenticate(request.resolved_event, request.method)
    if principal.role != "admin":
        raise Forbidden("This needs the admin role", code="forbidden")
    member = get_member_or_none(principal.member_id)
    if member is None or member.role != "admin" or member.account_status != "active":
        raise Forbidden("This needs the admin role", code="forbidden")
    return principal


MemberPrincipal = Annotated[Principal, Depends(require_member)]
CurrentMemberId = Annotated[str, Depends(current_member_id)]
AdminPrincipal = Annotated[Principal, Depends(require_admin)]

AUTH_DEPENDENCIES: frozenset[Callable[..., Any]] = frozenset(
    {require_member, current_member_id, require_admin}
)


def auth_dependency_of(func: Callable[..., Any]) -> Callable[..., Any] | None:
    """The authorization dependency a route handler declares, if any (used by tests too)."""
    for node in build_dependency_tree(func).dependencies:
        if node.depends.dependency in AUTH_DEPENDENCIES:
            return node.depends.dependency
    return None


class AuthenticateFirst(BaseMiddlewareHandler[Any]):
    """Runs a route's authorization dependency, then Powertools' request validation.

    Powertools validates a request before any other middleware or ``Depends`` runs; wrapping
    its validation middleware is the one place that puts authorization first. The result
    lands in the per-request dependency cache, so the route's own ``Depends`` reuses it.
    """

    def __init__(self, validation: BaseMiddlewareHandler[Any]) -> None:
        self._validation = validation

    def handler(self, app: Any, next_middleware: NextMiddleware) -> Response[Any]:
        route = app.context.get("_route")
        if route is not None:
            nodes = [
                node
                for node in build_dependency_tree(route.func).dependencies
                if node.depends.dependency in AUTH_DEPENDENCIES
            ]
            if nodes:
                solve_dependencies(
                    dependant=DependencyTree(dependencies=nodes),
                    request=app.request,
                    dependency_overrides=app.dependency_overrides or None,
                    # Powertools' per-request cache key for Depends results.
                    dependency_cache=app.context.setdefault("_dependency_cache", {}),
                )
        return self._validation.handler(app, next_middleware)


def install(app: APIGatewayHttpResolver) -> None:
    """Puts authorization ahead of request validation on every route of ``app``."""
    validation = getattr(app, "_request_validation_middleware", None)
    if validation is None or isinstance(validation, AuthenticateFirst):
        return
    app._request_validation_middleware = AuthenticateFirst(validation)  # type: ignore[assignment]


# ----------------------------------------------------------------------------------- cookies


def _cookie(name: str, value: str, path: str, max_age: int, *, http_only: bool = True) -> Cookie:
    return Cookie(
        name=name,
        value=value,
        path=path,
        secure=get_settings().session_cookie_secure,
        http_only=http_only,
        max_age=max_age,
        same_site=SameSite.LAX_MODE,
    )


def session_cookies(issued: IssuedSession) -> list[Cookie]:
    settings = get_settings()
    return [
        _cookie(ACCESS_COOKIE, issued.access_token, "/", settings.access_jwt_ttl_seconds),
        _cookie(
            REFRESH_COOKIE,
            issued.refresh_token,
            REFRESH_COOKIE_PATH,
            settings.refresh_token_ttl_seconds,
        ),
        # Readable by the dashboard's script, which echoes it in X-CSRF-Token.
        _cookie(
            CSRF_COOKIE, issued.csrf_token, "/", settings.refresh_token_ttl_seconds, http_only=False
        ),
    ]


def clear_session_cookies() -> list[Cookie]:
    return [
        _cookie(ACCESS_COOKIE, "", "/", 0),
        _cookie(REFRESH_COOKIE, "", REFRESH_COOKIE_PATH, 0),
        _cookie(CSRF_COOKIE, "", "/", 0, http_only=False),
    ]


def oauth_cookie(nonce: str, max_age: int) -> Cookie:
    return _cookie(OAUTH_COOKIE, nonce, REFRESH_COOKIE_PATH, max_age)
