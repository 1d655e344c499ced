"""The artist dashboard (the repository's ``site/`` folder) on S3, behind the API's CloudFront.

Everything about which path is which file comes from ``followswarm.edge_routes``, which the
local runtime serves from too: the two CloudFront Functions below are generated from it at
synth time, so a page added there is routed in AWS by the next deploy, with nothing re-spelled.

Two steps, because the distribution needs this construct's behaviour and the deployment needs
the distribution (to invalidate it): build :class:`StaticSite`, pass :attr:`StaticSite.behavior`
as the distribution's default behaviour, then call :meth:`StaticSite.deploy`.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import DefaultStackSynthesizer, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from followswarm.edge_routes import (
    ASSET_PATH,  # the one spelling of "a safe asset path"; embedded, not copied
    NOT_FOUND_PAGE,
    SITE_ALIASES,
    SITE_ASSETS_PREFIX,
    SITE_DIR,
    SITE_PAGES,
    SITE_SECURITY_HEADERS,
)
from stacks.config import StageConfig
from stacks.constructs.function import retention
from stacks.constructs.security_headers import security_headers_behavior
from stacks.nag import acknowledge

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE_PATH = REPO_ROOT / SITE_DIR
#: Prefix of the site bucket's server access logs in the stage's logs bucket.
ACCESS_LOGS_PREFIX = "s3/site/"
#: Request header the viewer-request function sets to the object it chose, so that the
#: viewer-response function knows which responses are the not-found page.
SITE_OBJECT_HEADER = "x-followswarm-site-object"
#: Every file of the site. The file names carry no content hash (plain ES modules, no build
#: step), so browsers must revalidate each time (max-age=0: a cheap 304 with the ETag) or they
#: would mix a new page with yesterday's scripts; CloudFront keeps them a day (s-maxage), and
#: every deploy invalidates its cache.
SITE_CACHE_CONTROL = "public, max-age=0, must-revalidate, s-maxage=86400"


def site_object_js() -> str:
    """JavaScript (cloudfront-js-2.0) of ``edge_routes.site_object_for`` plus its fallback:
    ``siteObject(uri)`` answers the object key as a URI, the not-found page for no page."""
    pages = {path: f"/{file}" for path, file in {**SITE_ALIASES, **SITE_PAGES}.items()}
    return "\n".join(
        [
            f"var PAGES = {json.dumps(pages, sort_keys=True)};",
            f"var ASSETS_PREFIX = {json.dumps(SITE_ASSETS_PREFIX)};",
            f"var ASSET_PATH = new RegExp({json.dumps(ASSET_PATH.pattern)});",
            f"var NOT_FOUND = {json.dumps('/' + NOT_FOUND_PAGE)};",
            f"var SITE_OBJECT_HEADER = {json.dumps(SITE_OBJECT_HEADER)};",
            "function siteObject(uri) {",
            "  if (uri.indexOf(ASSETS_PREFIX) === 0) {",
            '    return ASSET_PATH.test(uri) && uri.indexOf("..") === -1 ? uri : NOT_FOUND;',
            "  }",
            '  var clean = uri.replace(/\\/+$/, "") || "/";',
            # Own keys only: a path can never resolve to something inherited from Object.
            "  return Object.prototype.hasOwnProperty.call(PAGES, clean) ? PAGES[clean] : NOT_FOUND;",
            "}",
        ]
    )


def viewer_request_js() -> str:
    """Clean path -> its HTML file, assets as they are, anything else -> the not-found page."""
    return "\n".join(
        [
            site_object_js(),
            "function handler(event) {",
            "  var request = event.request;",
            "  var object = siteObject(request.uri);",
            "  request.uri = object;",
            "  request.headers[SITE_OBJECT_HEADER] = { value: object };",
            "  return request;",
            "}",
        ]
    )


def viewer_response_js() -> str:
    """The not-found page answers 404 (S3 serves it as the 200 it is for S3).

    CloudFront's documentation doesn't say whether a viewer-response function sees the request
    as the viewer sent it or as the viewer-request function left it. Both work here: left as
    rewritten, it carries the marker header with the object chosen; as sent, it has no marker
    (or the viewer's own, which can only change the status of the viewer's own response) and
    the same ``siteObject`` decides again from the original URI.
    Only a 200 becomes 404: a 304 revalidation or a 206 range reply is left as it is.
    """
    return "\n".join(
        [
            site_object_js(),
            "function handler(event) {",
            "  var response = event.response;",
            "  var request = event.request;",
            "  var marker = request.headers[SITE_OBJECT_HEADER];",
            "  var object = marker ? marker.value : siteObject(request.uri);",
            "  if (object === NOT_FOUND && response.statusCode === 200) {",
            "    response.statusCode = 404;",
            '    response.statusDescription = "Not Found";',
            "  }",
            "  return response;",
            "}",
        ]
    )


class StaticSite(Construct):
    """Private site bucket, its CloudFront behaviour (functions, headers), and its deployment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        logs_bucket: s3.IBucket,
        site_dir: Path = SITE_PATH,
    ) -> None:
        super().__init__(scope, construct_id)
        if not (site_dir / NOT_FOUND_PAGE).is_file():
            raise FileNotFoundError(
                f"{site_dir / NOT_FOUND_PAGE} is missing: every unknown path is served that page"
            )
        self._stage = stage
        self._site_dir = site_dir
        self._removal = RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY

        # Not versioned: the site is the repository's site/ folder, so an older version is a
        # redeploy of an older commit (docs/runbooks/rollback.md), not an S3 object version.
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=logs_bucket,
            server_access_logs_prefix=ACCESS_LOGS_PREFIX,
            removal_policy=self._removal,
            auto_delete_objects=not stage.retain_data,
        )

        self.viewer_request = cloudfront.Function(
            self,
            "ViewerRequest",
            function_name=f"{stage.prefix}-site-request",
            comment="Clean paths to the site's HTML files (generated from edge_routes)",
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            code=cloudfront.FunctionCode.from_inline(viewer_request_js()),
        )
        self.viewer_response = cloudfront.Function(
            self,
            "ViewerResponse",
            function_name=f"{stage.prefix}-site-response",
            comment="The not-found page answers 404 (generated from edge_routes)",
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            code=cloudfront.FunctionCode.from_inline(viewer_response_js()),
        )
        # The site's own strict policy (edge_routes.SITE_SECURITY_HEADERS); no CORS: the
        # pages are only ever loaded by the browser from this same origin.
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "ResponseHeaders",
            response_headers_policy_name=f"{stage.prefix}-site-headers",
            comment="Security headers for the Follow-Swarm dashboard",
            security_headers_behavior=security_headers_behavior(SITE_SECURITY_HEADERS),
        )
        # Only s3:GetObject for this distribution (OAC, condition on its ARN). A missing
        # /assets/ file then answers S3's 403, not 404; s3:ListBucket would turn that into
        # a 404 but lets the edge ask S3 which keys exist, which nothing here needs.
        self.behavior = cloudfront.BehaviorOptions(
            origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            response_headers_policy=self.headers,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=self.viewer_request,
                    event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                ),
                cloudfront.FunctionAssociation(
                    function=self.viewer_response,
                    event_type=cloudfront.FunctionEventType.VIEWER_RESPONSE,
                ),
            ],
        )

    def deploy(self, distribution: cloudfront.IDistribution) -> s3deploy.BucketDeployment:
        """Upload site/ as it is (deleting files no longer there) and invalidate the cache."""
        deployment = s3deploy.BucketDeployment(
            self,
            "Deployment",
            sources=[s3deploy.Source.asset(str(self._site_dir))],
            destination_bucket=self.bucket,
            prune=True,
            cache_control=[s3deploy.CacheControl.from_string(SITE_CACHE_CONTROL)],
            distribution=distribution,
            distribution_paths=["/*"],
            log_group=logs.LogGroup(
                self,
                "DeploymentLogs",
                retention=retention(self._stage.log_retention_days),
                removal_policy=self._removal,
            ),
        )
        self._acknowledge_deployment_handler(deployment)
        return deployment

    def _acknowledge_deployment_handler(self, deployment: s3deploy.BucketDeployment) -> None:
        """cdk-nag findings on the CDK's own deployment Lambda: its role and policy are the
        construct's (a stack-level singleton), so each finding is acknowledged by name on that
        role or function only, never on the stack."""
        role = deployment.handler_role
        handler = role.node.scope
        if handler is None:  # pragma: no cover - the role always lives in the handler
            raise RuntimeError("BucketDeployment's handler role has no parent function")
        acknowledge(
            role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            "The CDK's BucketDeployment handler role always carries AWS's "
            "AWSLambdaBasicExecutionRole (its CloudWatch Logs permissions); the construct has "
            "no option to replace it with an inline statement.",
        )
        # grantRead on the asset bucket and grantReadWrite on the site bucket: the CDK's
        # action groups for copying a zip from one bucket and syncing it (with deletes) into
        # the other. The ARNs are exact; only the object keys are a wildcard.
        for action in ("s3:GetBucket*", "s3:GetObject*", "s3:List*"):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Action::{action}]",
                f"{action} comes from the BucketDeployment construct's grantRead/grantReadWrite "
                "on exactly two buckets: the CDK asset bucket holding the site zip and this "
                "stage's site bucket.",
            )
        for action in ("s3:Abort*", "s3:DeleteObject*"):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Action::{action}]",
                f"{action} comes from the BucketDeployment construct's grantReadWrite on this "
                "stage's site bucket only: prune=True deletes files no longer in site/.",
            )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{_nag_arn(self.bucket)}/*]",
            "The deployment writes and prunes every object of the site bucket (the whole "
            "bucket is the site/ folder), so its object ARN is the bucket's ARN plus /*.",
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{_nag_asset_bucket_arn(self)}/*]",
            "The deployment reads the site's zip from the CDK bootstrap asset bucket, whose "
            "object keys are content hashes known only at synthesis, hence bucket ARN plus /*.",
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "cloudfront:CreateInvalidation and cloudfront:GetInvalidation, which the "
            "BucketDeployment construct grants on '*' when given a distribution to invalidate "
            "after each deploy; the statement is the construct's, not ours.",
        )
        acknowledge(
            handler,
            "AwsSolutions-L1",
            "The BucketDeployment handler's Python runtime is chosen by aws-cdk-lib (with the "
            "AWS CLI layer it bundles) and moves with aws-cdk-lib upgrades; it can't be set.",
        )


def _nag_arn(bucket: s3.Bucket) -> str:
    """A bucket's ARN as cdk-nag names it in findings: ``<LogicalId.Arn>``."""
    stack = Stack.of(bucket)
    cfn = bucket.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    return f"<{stack.resolve(stack.get_logical_id(cfn))}.Arn>"


def _nag_asset_bucket_arn(scope: Construct) -> str:
    """The CDK bootstrap asset bucket's ARN as cdk-nag names it (pseudo parameters that are
    not concrete in this stage appear as ``<AWS::AccountId>``)."""
    stack = Stack.of(scope)

    def concrete(value: str, pseudo: str) -> str:
        return pseudo if Token.is_unresolved(value) else value

    synthesizer = stack.synthesizer
    qualifier = (
        synthesizer.bootstrap_qualifier
        if isinstance(synthesizer, DefaultStackSynthesizer) and synthesizer.bootstrap_qualifier
        else DefaultStackSynthesizer.DEFAULT_QUALIFIER
    )
    name = (
        DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace("${Qualifier}", qualifier)
        .replace("${AWS::AccountId}", concrete(stack.account, "<AWS::AccountId>"))
        .replace("${AWS::Region}", concrete(stack.region, "<AWS::Region>"))
    )
    return f"arn:{concrete(stack.partition, '<AWS::Partition>')}:s3:::{name}"
