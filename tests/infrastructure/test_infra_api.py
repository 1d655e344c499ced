"""HTTP API behind CloudFront: payload 2.0, logs, throttling, WAF, headers, CORS allowlist."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from followswarm.edge_routes import API_PATH_PATTERNS
from stacks.constructs.waf import AUTH_PATH_PREFIX, AUTH_RATE_LIMIT, GENERAL_RATE_LIMIT

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_http_api_integration_stage_and_logs(dev: Any) -> None:
    template = dev.templates["api"]
    template.resource_count_is("AWS::ApiGatewayV2::Api", 1)
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Integration",
        {"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"},
    )
    template.has_resource_properties("AWS::ApiGatewayV2::Route", {"RouteKey": "$default"})
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "AccessLogSettings": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
            "DefaultRouteSettings": Match.object_like(
                {
                    "ThrottlingRateLimit": Match.any_value(),
                    "ThrottlingBurstLimit": Match.any_value(),
                }
            ),
        },
    )


def test_billing_prefixes_route_to_the_billing_function(dev: Any) -> None:
    routes = dev.resources("api", "AWS::ApiGatewayV2::Route")
    keys = {r["Properties"]["RouteKey"]: r["Properties"]["Target"] for r in routes.values()}
    for key in (
        "ANY /api/v1/billing",
        "ANY /api/v1/billing/{proxy+}",
        "ANY /webhooks/stripe",
        "ANY /webhooks/stripe/{proxy+}",
    ):
        assert key in keys, sorted(keys)
        assert "billing" in str(keys[key]).lower(), keys[key]
    assert "billing" not in str(keys["$default"]).lower()


def test_cloudfront_fronts_the_api(dev: Any) -> None:
    """Every API path pattern goes to the HTTP API uncached (the site is the default behaviour,
    tested in test_infra_site.py)."""
    (distribution,) = dev.resources("api", "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    behaviors = config["CacheBehaviors"]
    assert [b["PathPattern"] for b in behaviors] == list(API_PATH_PATTERNS)
    for behavior in behaviors:
        assert behavior["CachePolicyId"] == CACHING_DISABLED
        assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
        assert set(behavior["AllowedMethods"]) == {
            "GET",
            "HEAD",
            "OPTIONS",
            "PUT",
            "PATCH",
            "POST",
            "DELETE",
        }
        assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
        origin = origins[behavior["TargetOriginId"]]
        assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
        assert "execute-api" in str(origin["DomainName"])
    (acl_id,) = dev.resources("api", "AWS::WAFv2::WebACL")
    assert config["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert config["Logging"]["Bucket"]


def test_security_headers_and_cors_allowlist(dev: Any, prod: Any) -> None:
    for stage in (dev, prod):
        (config,) = [
            policy["Properties"]["ResponseHeadersPolicyConfig"]
            for policy in stage.resources("api", "AWS::CloudFront::ResponseHeadersPolicy").values()
            if policy["Properties"]["ResponseHeadersPolicyConfig"]["Name"].endswith("-api-headers")
        ]
        security = config["SecurityHeadersConfig"]
        assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
        assert (
            "frame-ancestors 'none'" in security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        )
        assert security["ContentTypeOptions"]["Override"] is True
        assert security["FrameOptions"]["FrameOption"] == "DENY"
        cors = config["CorsConfig"]
        assert cors["AccessControlAllowOrigins"]["Items"] == list(
            stage.config.settings.cors_allow_origins
        )
        assert "*" not in cors["AccessControlAllowOrigins"]["Items"]
        assert cors["AccessControlAllowCredentials"] is True


def test_waf_rate_rules_stricter_on_auth(dev: Any) -> None:
    (acl,) = dev.resources("api", "AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT"
    rates = {
        r["Name"]: r["Statement"]["RateBasedStatement"]
        for r in props["Rules"]
        if "RateBasedStatement" in r["Statement"]
    }
    auth = rates["auth-rate-limit"]
    assert (
        auth["Limit"]
        == AUTH_RATE_LIMIT
        < GENERAL_RATE_LIMIT
        == rates["general-rate-limit"]["Limit"]
    )
    match = auth["ScopeDownStatement"]["ByteMatchStatement"]
    assert match["SearchString"] == AUTH_PATH_PREFIX
    assert match["PositionalConstraint"] == "STARTS_WITH"
    assert dev.stage.api.region == "us-east-1"  # CLOUDFRONT-scope web ACLs exist only there
