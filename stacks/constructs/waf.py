"""WAFv2 web ACL for the CloudFront distribution (CLOUDFRONT scope, so us-east-1 only).

Rate-based rules per client IP: a general ceiling for every path, a much stricter one for
``/auth/`` (sign-in and token refresh: credential stuffing and state/callback abuse), plus AWS's
IP-reputation and known-bad-inputs managed groups.
"""

from __future__ import annotations

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

#: Requests per client IP per 5 minutes, any path.
GENERAL_RATE_LIMIT = 2000
#: Requests per client IP per 5 minutes under /auth/ (the app adds its own per-IP login limit).
AUTH_RATE_LIMIT = 100
AUTH_PATH_PREFIX = "/auth/"
RATE_WINDOW_SECONDS = 300


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name
            )
        ),
        visibility_config=_visibility(name),
    )


def _rate(
    name: str, priority: int, limit: int, scope_down: wafv2.CfnWebACL.StatementProperty | None
) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                aggregate_key_type="IP",
                limit=limit,
                evaluation_window_sec=RATE_WINDOW_SECONDS,
                scope_down_statement=scope_down,
            )
        ),
        visibility_config=_visibility(name),
    )


class CloudFrontWebAcl(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, name: str) -> None:
        super().__init__(scope, construct_id)
        auth_paths = wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="STARTS_WITH",
                search_string=AUTH_PATH_PREFIX,
                text_transformations=[
                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")
                ],
            )
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(name),
            rules=[
                _rate("auth-rate-limit", 0, AUTH_RATE_LIMIT, auth_paths),
                _rate("general-rate-limit", 1, GENERAL_RATE_LIMIT, None),
                _managed("AWSManagedRulesAmazonIpReputationList", 2),
                _managed("AWSManagedRulesKnownBadInputsRuleSet", 3),
            ],
        )
