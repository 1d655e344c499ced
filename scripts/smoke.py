#!/usr/bin/env python3
"""Smoke test of a deployed stage (or the local runtime): health, readiness and the OpenAPI.

    scripts/smoke.py https://d1234.cloudfront.net
    scripts/smoke.py https://followswarm.example --expect-security-headers

Exits 0 when every check passes, 1 otherwise; one line per check.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import requests

#: Headers CloudFront's response headers policy adds (not the local runtime).
SECURITY_HEADERS = (
    "strict-transport-security",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def run_checks(
    base_url: str,
    *,
    expect_security_headers: bool = False,
    timeout: float = 10.0,
    get: Callable[..., requests.Response] = requests.get,
) -> list[Check]:
    base = base_url.rstrip("/")
    checks: list[Check] = []

    def fetch(path: str) -> requests.Response | None:
        try:
            return get(f"{base}{path}", timeout=timeout)
        except requests.RequestException as error:
            checks.append(Check(path, False, f"request failed: {error}"))
            return None

    health = fetch("/health")
    if health is not None:
        checks.append(Check("/health", health.status_code == 200, f"HTTP {health.status_code}"))
        if expect_security_headers:
            missing = [h for h in SECURITY_HEADERS if h not in health.headers]
            checks.append(
                Check("security headers", not missing, f"missing: {missing}" if missing else "all")
            )
    ready = fetch("/ready")
    if ready is not None:
        body = _json(ready)
        detail = f"HTTP {ready.status_code}"
        if ready.status_code != 200 and isinstance(body, dict):
            detail += f" {body}"
        checks.append(Check("/ready", ready.status_code == 200, detail))
    spec = fetch("/openapi.json")
    if spec is not None:
        body = _json(spec)
        paths = body.get("paths", {}) if isinstance(body, dict) else {}
        ok = (
            spec.status_code == 200
            and isinstance(body, dict)
            and str(body.get("openapi", "")).startswith("3.")
            and "/health" in paths
        )
        checks.append(Check("/openapi.json", ok, f"HTTP {spec.status_code}, {len(paths)} paths"))
    # The dashboard on the same origin: a page, one of its scripts, and a real 404.
    dashboard = fetch("/dashboard")
    if dashboard is not None:
        ok = dashboard.status_code == 200 and "/assets/js/pages/dashboard.js" in dashboard.text
        checks.append(Check("/dashboard", ok, f"HTTP {dashboard.status_code}"))
    script = fetch("/assets/js/api.js")
    if script is not None:
        kind = script.headers.get("Content-Type", "")
        ok = script.status_code == 200 and "javascript" in kind
        checks.append(Check("/assets/js/api.js", ok, f"HTTP {script.status_code} {kind}"))
    missing = fetch("/no-such-page")
    if missing is not None:
        checks.append(Check("site 404", missing.status_code == 404, f"HTTP {missing.status_code}"))
    return checks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--expect-security-headers", action="store_true")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    checks = run_checks(
        args.base_url,
        expect_security_headers=args.expect_security_headers,
        timeout=args.timeout,
    )
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'}  {check.name:<18} {check.detail}")
    return 0 if checks and all(c.ok for c in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
