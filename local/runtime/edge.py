"""CloudFront in front of the local API Gateway: the dashboard's static site, or the API.

The routing is ``followswarm.edge_routes``, which the CDK's distribution is generated from:
API path patterns (and the runtime's own ``/_local/*``) go to the API Gateway stand-in, every
other path is a page or an asset of ``site/``, and an unknown path is the site's 404 page with
status 404. The edge's security headers go on every response, as the response headers policies
add them in AWS (the site's strict policy on pages, the API's on the API), so the browser tests
run the site under the real Content-Security-Policy.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from followswarm.edge_routes import (
    NOT_FOUND_PAGE,
    SECURITY_HEADERS,
    SITE_SECURITY_HEADERS,
    edge_target,
    site_object_for,
)

#: Pages and assets change with every edit in ``make run``; the browser must always revalidate.
SITE_CACHE_CONTROL = "no-cache"
LOCAL_PREFIX = "/_local/"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# ES modules must be served as JavaScript whatever the host's mime.types says.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("image/svg+xml", ".svg")


class Edge:
    """WSGI app: the site from ``site_dir``, everything the API serves from ``api``."""

    def __init__(self, *, api: WsgiApp, site_dir: Path) -> None:
        self._api = api
        self._site_dir = site_dir.resolve()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO") or "/"
        if path.startswith(LOCAL_PREFIX) or edge_target(path) == "api":
            return self._api(environ, self._with_headers(start_response))
        response = self.site_response(Request(environ))
        return response(environ, start_response)

    def site_response(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            # The site behaviour allows GET and HEAD only, as CloudFront answers others.
            response = Response("Method not allowed", status=405, mimetype="text/plain")
            response.headers["Allow"] = "GET, HEAD"
            return self._secured(response)
        name = site_object_for(request.path)
        status = 200
        if name is None or not (self._site_dir / name).is_file():
            name, status = NOT_FOUND_PAGE, 404
        try:
            response = send_from_directory(self._site_dir, name, request.environ)
        except NotFound:
            response = Response("Not found", status=404, mimetype="text/plain")
        response.status_code = status if response.status_code == 200 else response.status_code
        response.headers["Cache-Control"] = SITE_CACHE_CONTROL
        return self._secured(response)

    @staticmethod
    def _secured(response: Response) -> Response:
        for name, value in SITE_SECURITY_HEADERS.items():
            response.headers[name] = value
        return response

    @staticmethod
    def _with_headers(start_response: Callable[..., Any]) -> Callable[..., Any]:
        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            present = {name.lower() for name, _ in headers}
            added = [(n, v) for n, v in SECURITY_HEADERS.items() if n.lower() not in present]
            return start_response(status, [*headers, *added], *args)

        return start
