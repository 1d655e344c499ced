"""The edge routing shared by CloudFront and the local runtime: which paths are the API, which
file of the site a path is, and what is neither."""

from __future__ import annotations

import pytest

from followswarm.edge_routes import (
    API_PATH_PATTERNS,
    NOT_FOUND_PAGE,
    SECURITY_HEADERS,
    SITE_ASSETS_PREFIX,
    SITE_PAGES,
    SITE_SECURITY_HEADERS,
    edge_target,
    site_object_for,
)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/api/v1/me", "api"),
        ("/api/", "api"),
        ("/api", "site"),  # "/api/*" needs the slash, as in CloudFront
        ("/auth/spotify", "api"),
        ("/auth", "site"),
        ("/webhooks/stripe", "api"),
        ("/health", "api"),
        ("/health/", "site"),  # exact patterns are exact
        ("/healthz", "site"),
        ("/ready", "api"),
        ("/unsubscribe", "api"),
        ("/openapi.json", "api"),
        ("/docs", "api"),
        ("/docs/", "site"),
        ("/API/v1/me", "site"),  # case-sensitive, as CloudFront's path patterns
        ("/", "site"),
        ("/dashboard", "site"),
        ("/assets/js/api.js", "site"),
        ("/nope", "site"),
    ],
)
def test_edge_target(path: str, target: str) -> None:
    assert edge_target(path) == target


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "index.html"),
        ("//", "index.html"),
        ("/dashboard", "dashboard.html"),
        ("/dashboard/", "dashboard.html"),
        ("/dashboard//", "dashboard.html"),
        ("/dashboard/verify-email", "verify-email.html"),
        ("/dashboard/verify-email/", "verify-email.html"),
        ("/admin/queue", "admin-queue.html"),
        ("/assets/js/api.js", "assets/js/api.js"),
        ("/assets/css/site.css", "assets/css/site.css"),
        # Not pages: the files themselves, other spellings, and unknown paths.
        ("/index.html", None),
        ("/dashboard.html", None),
        ("/Dashboard", None),
        ("/dashboard/nope", None),
        ("/nope", None),
        ("/constructor", None),
        ("/__proto__", None),
        (f"/{NOT_FOUND_PAGE}", None),
        # Assets: only plain relative names below /assets/, never a way out of it.
        ("/assets/", None),
        ("/assets/../x", None),
        ("/assets/js/../../404.html", None),
        ("/assets/..", None),
        ("/assets/a b.js", None),
        ("/assets/%2e%2e/x", None),
        ("/assets/js/api.js?v=1", None),  # CloudFront passes the query string apart
        ("/assets\\..\\x", None),
    ],
)
def test_site_object_for(path: str, expected: str | None) -> None:
    assert site_object_for(path) == expected


def test_every_page_is_the_site_and_resolves_to_its_file() -> None:
    for path, file in SITE_PAGES.items():
        assert edge_target(path) == "site", path
        assert site_object_for(path) == file
        if path != "/":
            assert site_object_for(f"{path}/") == file


def test_api_patterns_and_site_paths_do_not_overlap() -> None:
    for pattern in API_PATH_PATTERNS:
        sample = pattern.replace("*", "x")
        assert edge_target(sample) == "api", pattern
        assert site_object_for(sample) is None, pattern
    assert edge_target(f"{SITE_ASSETS_PREFIX}x.js") == "site"
    assert NOT_FOUND_PAGE not in SITE_PAGES.values()


def test_security_headers_include_the_csp() -> None:
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp


def test_the_site_policy_allows_no_inline_code_or_third_party_scripts() -> None:
    csp = SITE_SECURITY_HEADERS["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in csp.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in csp
    assert {k: v for k, v in SITE_SECURITY_HEADERS.items() if k != "Content-Security-Policy"} == {
        k: v for k, v in SECURITY_HEADERS.items() if k != "Content-Security-Policy"
    }
