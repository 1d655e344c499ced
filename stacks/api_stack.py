"""The HTTP API: API function(s), HTTP API (payload 2.0), CloudFront with WAF and headers, and
the dashboard (site/, see stacks/constructs/static_site.py) behind the same distribution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw_v1
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from constructs import Construct

from followswarm.catalog import FUNCTIONS
from followswarm.edge_routes import API_PATH_PATTERNS
from stacks.access import access_for
from stacks.config import StageConfig
from stacks.constructs.function import (
    FOLLOW_QUEUE_URL_ENV,
    NOTIFY_QUEUE_URL_ENV,
    SwarmFunction,
    retention,
)
from stacks.constructs.security_headers import security_headers_behavior
from stacks.constructs.shared_layer import SharedLayer
from stacks.constructs.static_site import StaticSite
from stacks.constructs.waf import CloudFrontWebAcl
from stacks.data_stack import DataStack
from stacks.follow_stack import FollowStack
from stacks.nag import acknowledge

#: Steady-state requests per second and burst for the whole HTTP API stage.
API_RATE_LIMIT = 100
API_BURST_LIMIT = 200

CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "X-CSRF-Token"]
CORS_ALLOW_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CORS_MAX_AGE = Duration.minutes(10)

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "userAgent": "$context.identity.userAgent",
}


class ApiStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        data: DataStack,
        follow: FollowStack,
        layer_dir: Path,
        code_dirs: dict[str, Path],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY
        origins_allowed = list(stage.settings.cors_allow_origins)

        # --- functions ------------------------------------------------------------------------
        layer = SharedLayer(self, "SharedLayer", asset_dir=layer_dir).layer
        self.functions: dict[str, SwarmFunction] = {}
        self._integrations: dict[str, integrations.HttpLambdaIntegration] = {}
        http_specs = [s for s in FUNCTIONS if s.trigger == "http"]
        for spec in http_specs:
            access = access_for(spec.name)
            fn = SwarmFunction(
                self,
                "".join(p.capitalize() for p in spec.name.split("-")) + "Function",
                spec=spec,
                stage=stage,
                layer=layer,
                code_dir=code_dirs[spec.name],
                extra_environment={
                    **(
                        {FOLLOW_QUEUE_URL_ENV: follow.queue.queue_url}
                        if access.sends_follow_jobs
                        else {}
                    ),
                    **(
                        {NOTIFY_QUEUE_URL_ENV: follow.notify_queue.queue_url}
                        if access.sends_notifications
                        else {}
                    ),
                },
            )
            fn.grant_tables(access.tables, data.tables, data.specs, data.data_key)
            if access.token_key:
                fn.grant_token_key(data.token_key)
            fn.grant_secrets(data.secrets[s] for s in access.secrets)
            if access.sends_follow_jobs:
                fn.grant_send(follow.queue)
            if access.manages_follow_queues:
                fn.grant_manage_queues(follow.queue, follow.dlq)
            if access.sends_notifications:
                fn.grant_send_notifications(follow.notify_queue)
            self.functions[spec.name] = fn

        # --- HTTP API (payload format 2.0) ----------------------------------------------------
        default_integration: apigw.HttpRouteIntegration | None = None
        for spec in http_specs:
            if "/" in spec.http_routes:
                if default_integration is not None:
                    raise ValueError("two http functions claim the '/' ($default) route")
                default_integration = self._integration(spec.name)
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=f"{stage.prefix}-api",
            description=f"{stage.prefix}: Follow-Swarm HTTP API (behind CloudFront)",
            create_default_stage=False,
            default_integration=default_integration,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=origins_allowed,
                allow_credentials=True,
                allow_headers=CORS_ALLOW_HEADERS,
                allow_methods=[apigw.CorsHttpMethod[m] for m in CORS_ALLOW_METHODS],
                max_age=CORS_MAX_AGE,
            ),
        )
        for spec in http_specs:
            for prefix in spec.http_routes:
                if prefix == "/":
                    continue
                base = "/" + prefix.strip("/")
                # The prefix itself (e.g. /webhooks/stripe) and everything under it.
                for path in (base, f"{base}/{{proxy+}}"):
                    self.http_api.add_routes(
                        path=path,
                        methods=[apigw.HttpMethod.ANY],
                        integration=self._integration(spec.name),
                    )
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/http-api/{stage.prefix}-api",
            retention=retention(stage.log_retention_days),
            removal_policy=removal,
        )
        self.http_stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            access_log_settings=_AccessLogSettings(access_logs),
            throttle=apigw.ThrottleSettings(rate_limit=API_RATE_LIMIT, burst_limit=API_BURST_LIMIT),
        )
        acknowledge(
            self.http_api,
            "AwsSolutions-APIG4",
            "Authorization is per route inside the API function: session JWTs from HttpOnly "
            "cookies (with CSRF token) or Bearer headers, admin role checks, Stripe-signature "
            "verification on /webhooks/stripe, and public /health, /auth/* and /docs. An API "
            "Gateway authorizer can't express that mix.",
        )

        # --- CloudFront + WAF -----------------------------------------------------------------
        self.web_acl = CloudFrontWebAcl(self, "WebAcl", name=f"{stage.prefix}-edge").web_acl
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "ResponseHeaders",
            response_headers_policy_name=f"{stage.prefix}-api-headers",
            comment="Security headers and CORS allowlist for the Follow-Swarm API",
            # edge_routes.SECURITY_HEADERS (the CSP allows Swagger UI's jsDelivr assets).
            security_headers_behavior=security_headers_behavior(xss_protection=True),
            cors_behavior=cloudfront.ResponseHeadersCorsBehavior(
                access_control_allow_credentials=True,
                access_control_allow_headers=CORS_ALLOW_HEADERS,
                access_control_allow_methods=CORS_ALLOW_METHODS,
                access_control_allow_origins=origins_allowed,
                access_control_max_age=CORS_MAX_AGE,
                origin_override=True,
            ),
        )
        api_domain = f"{self.http_api.api_id}.execute-api.{self.region}.{self.url_suffix}"
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", stage.certificate_arn)
            if stage.certificate_arn
            else None
        )
        # The API answers the paths of edge_routes.API_PATH_PATTERNS, each its own behaviour
        # (in that order); every other path is the dashboard, the default behaviour.
        api_behavior = cloudfront.BehaviorOptions(
            origin=origins.HttpOrigin(
                api_domain,
                protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            ),
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=headers,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        )
        self.site = StaticSite(self, "Site", stage=stage, logs_bucket=data.logs_bucket)
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{stage.prefix}: Follow-Swarm dashboard and API",
            default_behavior=self.site.behavior,
            additional_behaviors=dict.fromkeys(API_PATH_PATTERNS, api_behavior),
            # No default root object: the site's viewer-request function maps "/" like every
            # other page (edge_routes.SITE_PAGES), so a second, CloudFront-only spelling of
            # the home page would only be able to disagree with it.
            # No error_responses either: they apply to the whole distribution and would
            # replace the API's own 403/404 JSON replies with a page; the site's 404 is set
            # by its viewer-response function instead.
            web_acl_id=self.web_acl.attr_arn,
            enable_logging=True,
            log_bucket=data.logs_bucket,
            log_file_prefix=f"cloudfront/{stage.prefix}/",
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            domain_names=[stage.domain_name] if stage.domain_name else None,
            certificate=certificate,
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None
            ),
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "No geo restriction: artists join from every country Spotify serves; abuse is "
            "handled by the WAF rate rules, not by country.",
        )
        if not stage.domain_name:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR4",
                "This stage has no custom domain yet, so CloudFront serves its default "
                "*.cloudfront.net certificate, whose viewer TLS policy can't be chosen. Setting "
                "domain_name + certificate_arn in cdk.json applies TLSv1.2_2021.",
            )

        self.site.deploy(self.distribution)

        # ApiUrl is the distribution's URL: the API and, at "/", the dashboard.
        CfnOutput(self, "ApiUrl", value=f"https://{self.distribution.distribution_domain_name}")
        CfnOutput(self, "SiteBucketName", value=self.site.bucket.bucket_name)
        CfnOutput(self, "HttpApiEndpoint", value=self.http_api.api_endpoint)

    def _integration(self, function_name: str) -> integrations.HttpLambdaIntegration:
        """One Lambda integration (payload 2.0) per function, shared by all its routes."""
        if function_name not in self._integrations:
            self._integrations[function_name] = integrations.HttpLambdaIntegration(
                f"{function_name}-integration",
                self.functions[function_name].alias,  # canary-shifted by CodeDeploy
                payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0,
            )
        return self._integrations[function_name]


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    """JSON access logs of the HTTP API stage into a log group."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)
        self._format = apigw_v1.AccessLogFormat.custom(
            json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":"))
        )

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw_v1.AccessLogFormat:
        return self._format
