"""What the HTTPS edge serves: the dashboard's static pages, or the API.

One CloudFront distribution fronts both in AWS, and the local runtime's port 3001 does the same
in ``make run``; both read this module, so a page or an API path can't be routed differently.

    >>> edge_target("/api/v1/me")
    'api'
    >>> site_object_for("/dashboard/")
    'dashboard.html'
    >>> site_object_for("/assets/css/site.css")
    'assets/css/site.css'
"""

from __future__ import annotations

import re
from typing import Literal

#: The repository folder holding the static site (deployed as-is: there is no build step).
SITE_DIR = "site"
#: Everything under this path is a file of the site, served as stored.
SITE_ASSETS_PREFIX = "/assets/"
#: Served (with status 404) for any other path that is neither a page nor the API.
NOT_FOUND_PAGE = "404.html"

#: Clean page paths -> HTML files of the site.
SITE_PAGES: dict[str, str] = {
    "/": "index.html",
    "/onboarding": "onboarding.html",
    # A member's pages live under ``dashboard_url``: the API builds links to them (the email
    # verification link, Stripe Checkout's success and cancel URLs, the portal's return URL).
    "/dashboard": "dashboard.html",
    "/dashboard/verify-email": "verify-email.html",
    "/dashboard/history": "history.html",
    "/dashboard/billing": "billing.html",
    "/dashboard/settings": "settings.html",
    "/admin": "admin.html",
    "/admin/members": "admin-members.html",
    "/admin/queue": "admin-queue.html",
    "/admin/audit": "admin-audit.html",
}

#: Fixed paths browsers ask for on their own -> site files.
SITE_ALIASES: dict[str, str] = {
    "/favicon.ico": "assets/img/icon.svg",
}

#: CloudFront path patterns that go to the HTTP API; every other path is the site.
API_PATH_PATTERNS: tuple[str, ...] = (
    "/api/*",
    "/auth/*",
    "/webhooks/*",
    "/health",
    "/ready",
    "/unsubscribe",
    "/openapi.json",
    "/docs",
)

#: Security headers of the API's responses. Swagger UI at /docs loads its assets from jsDelivr
#: and inlines styles, so the API's policy allows those; the site's is stricter (below).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self' https://accounts.spotify.com https://checkout.stripe.com",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
#: The site's own policy: its scripts and stylesheet only (no inline code or styles, no CDN),
#: artist pictures from Spotify's image hosts, API calls to its own origin.
SITE_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https://*.scdn.co",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
SITE_SECURITY_HEADERS: dict[str, str] = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": SITE_CONTENT_SECURITY_POLICY,
}

#: A file under the assets prefix: no query, no odd characters (the CloudFront function embeds it).
ASSET_PATH = re.compile(r"^/assets/[A-Za-z0-9._/-]+$")


def _pattern_matches(pattern: str, path: str) -> bool:
    """CloudFront's path-pattern match (``*`` = any characters, case-sensitive)."""
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def edge_target(path: str) -> Literal["api", "site"]:
    """Which origin serves ``path``: CloudFront's behaviours, in the same order."""
    if any(_pattern_matches(pattern, path) for pattern in API_PATH_PATTERNS):
        return "api"
    return "site"


def site_object_for(path: str) -> str | None:
    """The site file for a path, or ``None`` when it is no page (then :data:`NOT_FOUND_PAGE`)."""
    if path.startswith(SITE_ASSETS_PREFIX):
        if not ASSET_PATH.match(path) or ".." in path:
            return None
        return path.lstrip("/")
    clean = path.rstrip("/") or "/"
    return SITE_PAGES.get(clean) or SITE_ALIASES.get(clean)
