"""CloudFront's security-headers settings, built from ``followswarm.edge_routes.SECURITY_HEADERS``.

The local runtime sends those header values as they are; CloudFront wants them as typed settings
(a max-age duration, enum members). Translating here, and refusing any header or directive this
module doesn't know, keeps the two from drifting: a header added to ``edge_routes`` fails
synthesis until it is mapped, instead of silently missing in AWS.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront

from followswarm.edge_routes import SECURITY_HEADERS

#: The headers CloudFront's security-headers config can set, as ``edge_routes`` spells them.
KNOWN_HEADERS = frozenset(
    {
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
    }
)


def _hsts(value: str) -> cloudfront.ResponseHeadersStrictTransportSecurity:
    max_age: int | None = None
    include_subdomains = preload = False
    for directive in (d.strip() for d in value.split(";") if d.strip()):
        name, _, argument = directive.partition("=")
        match name.lower():
            case "max-age":
                max_age = int(argument)
            case "includesubdomains":
                include_subdomains = True
            case "preload":
                preload = True
            case _:
                raise ValueError(f"Strict-Transport-Security: unknown directive {directive!r}")
    if max_age is None:
        raise ValueError(f"Strict-Transport-Security without max-age: {value!r}")
    return cloudfront.ResponseHeadersStrictTransportSecurity(
        access_control_max_age=Duration.seconds(max_age),
        include_subdomains=include_subdomains,
        preload=preload,
        override=True,
    )


def security_headers_behavior(
    headers: Mapping[str, str] = SECURITY_HEADERS, *, xss_protection: bool = False
) -> cloudfront.ResponseSecurityHeadersBehavior:
    """CloudFront's form of ``headers`` (every one overriding what the origin sends).

    ``xss_protection`` adds the legacy ``X-XSS-Protection: 1; mode=block`` (the API's policy
    has always sent it; browsers ignore it now, and the CSP is what protects).
    """
    unknown = set(headers) - KNOWN_HEADERS
    if unknown:
        raise ValueError(f"no CloudFront mapping for security headers {sorted(unknown)}")
    if headers.get("X-Content-Type-Options", "nosniff") != "nosniff":
        raise ValueError("X-Content-Type-Options can only be 'nosniff'")
    hsts = headers.get("Strict-Transport-Security")
    csp = headers.get("Content-Security-Policy")
    frame = headers.get("X-Frame-Options")
    referrer = headers.get("Referrer-Policy")
    return cloudfront.ResponseSecurityHeadersBehavior(
        strict_transport_security=_hsts(hsts) if hsts else None,
        content_security_policy=(
            cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=csp, override=True
            )
            if csp
            else None
        ),
        content_type_options=(
            cloudfront.ResponseHeadersContentTypeOptions(override=True)
            if "X-Content-Type-Options" in headers
            else None
        ),
        frame_options=(
            cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption[frame.upper()], override=True
            )
            if frame
            else None
        ),
        referrer_policy=(
            cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy[
                    referrer.upper().replace("-", "_")
                ],
                override=True,
            )
            if referrer
            else None
        ),
        xss_protection=(
            cloudfront.ResponseHeadersXSSProtection(protection=True, mode_block=True, override=True)
            if xss_protection
            else None
        ),
    )
