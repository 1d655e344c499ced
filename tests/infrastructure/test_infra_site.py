"""The dashboard (site/) on S3 behind the API's CloudFront distribution, routed by edge_routes.

The two CloudFront Functions are generated from ``followswarm.edge_routes``; here they are taken
out of the synthesized template and run with Node against the Python functions they mirror.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from followswarm.catalog import BILLING
from followswarm.edge_routes import (
    API_PATH_PATTERNS,
    CONTENT_SECURITY_POLICY,
    NOT_FOUND_PAGE,
    SITE_CONTENT_SECURITY_POLICY,
    SITE_DIR,
    SITE_PAGES,
    edge_target,
    site_object_for,
)
from stacks.constructs.static_site import SITE_CACHE_CONTROL, SITE_OBJECT_HEADER

REPO = Path(__file__).resolve().parents[2]
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
STAGES = ("dev", "staging", "prod")

#: Paths the functions are run on (plus every page, with and without a trailing slash).
PATHS = [
    "/",
    "//",
    "/dashboard",
    "/dashboard/",
    "/dashboard/verify-email",
    "/dashboard/verify-email/",
    "/admin/queue",
    "/assets/js/api.js",
    "/assets/css/site.css",
    "/assets/img/icon.svg",
    "/assets/",
    "/assets/../x",
    "/assets/js/../../index.html",
    "/assets/a b.js",
    "/assets/%2e%2e/secret",
    "/nope",
    "/nope/",
    "/index.html",
    "/dashboard.html",
    f"/{NOT_FOUND_PAGE}",
    "/Dashboard",
    "/constructor",
    "/__proto__",
    "/toString",
    "/api",
    *SITE_PAGES,
    *(f"{page}/" for page in SITE_PAGES),
]


def _expected_object(path: str) -> str:
    """What the viewer-request function must ask S3 for: site_object_for + the 404 page."""
    return "/" + (site_object_for(path) or NOT_FOUND_PAGE)


def _api_config(stage: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    (distribution,) = stage.resources("api", "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    return config, {origin["Id"]: origin for origin in config["Origins"]}


def _headers_policy(stage: Any, suffix: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, policy["Properties"]["ResponseHeadersPolicyConfig"])
        for logical_id, policy in stage.resources(
            "api", "AWS::CloudFront::ResponseHeadersPolicy"
        ).items()
        if policy["Properties"]["ResponseHeadersPolicyConfig"]["Name"].endswith(suffix)
    ]
    return found


def _site_bucket(stage: Any) -> tuple[str, dict[str, Any]]:
    (found,) = stage.resources("api", "AWS::S3::Bucket").items()
    return found


def _function_code(stage: Any, event_type: str) -> str:
    config, _ = _api_config(stage)
    (association,) = [
        a
        for a in config["DefaultCacheBehavior"]["FunctionAssociations"]
        if a["EventType"] == event_type
    ]
    logical_id = association["FunctionARN"]["Fn::GetAtt"][0]
    function = stage.resources("api", "AWS::CloudFront::Function")[logical_id]
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    return str(function["Properties"]["FunctionCode"])


#: Loads a function's code in a fresh V8 context and calls its handler on each event.
_NODE_RUNNER = """
const vm = require("vm");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const context = vm.createContext({});
vm.runInContext(input.code, context);
const results = input.events.map((event) => context.handler(event));
process.stdout.write(JSON.stringify(results));
"""


def _run(code: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "node is not on the PATH (make installs it into .tools/): can't run the "
            "generated CloudFront Functions"
        )
    result = subprocess.run(
        [node, "-e", _NODE_RUNNER],
        input=json.dumps({"code": code, "events": events}),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    results: list[dict[str, Any]] = json.loads(result.stdout)
    return results


def _request_event(path: str) -> dict[str, Any]:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "method": "GET",
            "uri": path,
            "querystring": {},
            "headers": {"host": {"value": "d111111abcdef8.cloudfront.net"}},
            "cookies": {},
        },
    }


def _response_event(request: dict[str, Any], status: int = 200) -> dict[str, Any]:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-response"},
        "viewer": {"ip": "198.51.100.7"},
        "request": request,
        "response": {
            "statusCode": status,
            "statusDescription": "OK",
            "headers": {"content-type": {"value": "text/html"}},
            "cookies": {},
        },
    }


# ------------------------------------------------------------------------ the distribution


@pytest.mark.parametrize("stage_name", STAGES)
def test_default_behaviour_is_the_site_bucket_through_oac(
    synthesized: Any, stage_name: str
) -> None:
    stage = synthesized.stages[stage_name]
    config, origins = _api_config(stage)
    behavior = config["DefaultCacheBehavior"]
    origin = origins[behavior["TargetOriginId"]]
    bucket_id, _ = _site_bucket(stage)
    assert origin["DomainName"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    (oac_id,) = stage.resources("api", "AWS::CloudFront::OriginAccessControl")
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    oac = stage.resources("api", "AWS::CloudFront::OriginAccessControl")[oac_id]
    oac_config = oac["Properties"]["OriginAccessControlConfig"]
    assert (oac_config["OriginAccessControlOriginType"], oac_config["SigningBehavior"]) == (
        "s3",
        "always",
    )
    assert set(behavior["AllowedMethods"]) == {"GET", "HEAD"}
    assert behavior["CachePolicyId"] == CACHING_OPTIMIZED
    assert "OriginRequestPolicyId" not in behavior
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    site_headers, _ = _headers_policy(stage, "-site-headers")
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": site_headers}
    assert {a["EventType"] for a in behavior["FunctionAssociations"]} == {
        "viewer-request",
        "viewer-response",
    }
    # Site errors are set by its functions, never distribution-wide (the API's own 4xx stay).
    assert "CustomErrorResponses" not in config
    assert "DefaultRootObject" not in config


@pytest.mark.parametrize("stage_name", STAGES)
def test_one_api_behaviour_per_api_path_pattern(synthesized: Any, stage_name: str) -> None:
    stage = synthesized.stages[stage_name]
    config, origins = _api_config(stage)
    behaviors = config["CacheBehaviors"]
    assert [b["PathPattern"] for b in behaviors] == list(API_PATH_PATTERNS)
    api_headers, _ = _headers_policy(stage, "-api-headers")
    (api_origin_id,) = {b["TargetOriginId"] for b in behaviors}
    api_origin = origins[api_origin_id]
    assert "execute-api" in json.dumps(api_origin["DomainName"])
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert api_origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    for behavior in behaviors:
        assert set(behavior["AllowedMethods"]) == ALL_METHODS, behavior
        assert behavior["CachePolicyId"] == CACHING_DISABLED
        assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": api_headers}
        assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
        assert "FunctionAssociations" not in behavior
    assert len(origins) == 2


@pytest.mark.parametrize("stage_name", STAGES)
def test_site_headers_are_the_edge_security_headers_without_cors(
    synthesized: Any, stage_name: str
) -> None:
    stage = synthesized.stages[stage_name]
    policies = {
        "-site-headers": SITE_CONTENT_SECURITY_POLICY,
        "-api-headers": CONTENT_SECURITY_POLICY,
    }
    for suffix, csp in policies.items():
        _, config = _headers_policy(stage, suffix)
        security = config["SecurityHeadersConfig"]
        assert security["ContentSecurityPolicy"] == {
            "ContentSecurityPolicy": csp,
            "Override": True,
        }
        assert security["StrictTransportSecurity"] == {
            "AccessControlMaxAgeSec": 31536000,
            "IncludeSubdomains": True,
            "Preload": True,
            "Override": True,
        }
        assert security["ContentTypeOptions"] == {"Override": True}
        assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
        assert security["ReferrerPolicy"] == {
            "ReferrerPolicy": "strict-origin-when-cross-origin",
            "Override": True,
        }
    _, site = _headers_policy(stage, "-site-headers")
    assert "CorsConfig" not in site


# ------------------------------------------------------------------ bucket and deployment


@pytest.mark.parametrize("stage_name", STAGES)
def test_site_bucket_is_private_and_readable_only_by_the_distribution(
    synthesized: Any, stage_name: str
) -> None:
    stage = synthesized.stages[stage_name]
    bucket_id, bucket = _site_bucket(stage)
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "s3/site/"
    assert "followswarm-" in json.dumps(props["LoggingConfiguration"]["DestinationBucketName"])
    retained = "Retain" if stage.config.retain_data else "Delete"
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == retained

    (policy,) = stage.resources("api", "AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (deny_insecure,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny_insecure["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    readers = [
        s for s in statements if s["Effect"] == "Allow" and "GetObject" in json.dumps(s["Action"])
    ]
    (cloudfront,) = readers
    assert cloudfront["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert cloudfront["Action"] == "s3:GetObject"
    (distribution_id,) = stage.resources("api", "AWS::CloudFront::Distribution")
    source_arn = cloudfront["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert {"Ref": distribution_id} in source_arn["Fn::Join"][1]
    assert ":distribution/" in json.dumps(source_arn)
    # Any other Allow is CDK's empty-the-bucket helper (stages that don't retain data).
    for statement in statements:
        if statement["Effect"] == "Allow" and statement is not cloudfront:
            assert not stage.config.retain_data
            assert "CustomS3AutoDeleteObjects" in json.dumps(statement["Principal"])


@pytest.mark.parametrize("stage_name", STAGES)
def test_bucket_deployment_uploads_site_and_invalidates_the_distribution(
    synthesized: Any, stage_name: str
) -> None:
    stage = synthesized.stages[stage_name]
    bucket_id, _ = _site_bucket(stage)
    (distribution_id,) = stage.resources("api", "AWS::CloudFront::Distribution")
    (deployment,) = stage.resources("api", "Custom::CDKBucketDeployment").values()
    props = deployment["Properties"]
    assert props["DestinationBucketName"] == {"Ref": bucket_id}
    assert props["DistributionId"] == {"Ref": distribution_id}
    assert props["DistributionPaths"] == ["/*"]
    assert props["Prune"] is True
    assert props["SystemMetadata"] == {"cache-control": SITE_CACHE_CONTROL}
    assert "DestinationBucketKeyPrefix" not in props  # the site is the bucket's root
    outputs = stage.raw["api"]["Outputs"]
    assert outputs["SiteBucketName"]["Value"] == {"Ref": bucket_id}
    assert "ApiUrl" in outputs


def test_deployment_handler_may_touch_only_its_buckets_and_invalidations(dev: Any) -> None:
    """The CDK deployment Lambda's wildcards (acknowledged for cdk-nag) stay this narrow."""
    bucket_id, _ = _site_bucket(dev)
    policies = {
        logical_id: policy
        for logical_id, policy in dev.resources("api", "AWS::IAM::Policy").items()
        if logical_id.startswith("CustomCDKBucketDeployment")
    }
    (policy,) = policies.values()
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"]
        actions = actions if isinstance(actions, list) else [actions]
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        if all(a.startswith("cloudfront:") for a in actions):
            assert set(actions) == {"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"}
            continue
        assert all(a.startswith("s3:") for a in actions), actions
        for resource in resources:
            text = json.dumps(resource)
            assert bucket_id in text or "cdk-hnb659fds-assets-" in text, resource
        if any(a.startswith(("s3:Put", "s3:Delete", "s3:Abort")) for a in actions):
            assert all(bucket_id in json.dumps(r) for r in resources), statement


def test_site_folder_has_every_page_and_the_not_found_page() -> None:
    site = REPO / SITE_DIR
    missing = [
        file for file in (*SITE_PAGES.values(), NOT_FOUND_PAGE) if not (site / file).is_file()
    ]
    assert missing == []


# -------------------------------------------------------------- the generated functions


def test_viewer_request_function_routes_like_edge_routes(dev: Any) -> None:
    code = _function_code(dev, "viewer-request")
    requests = _run(code, [_request_event(path) for path in PATHS])
    for path, request in zip(PATHS, requests, strict=True):
        assert request["uri"] == _expected_object(path), path
        assert request["headers"][SITE_OBJECT_HEADER] == {"value": request["uri"]}
        assert request["headers"]["host"] == {"value": "d111111abcdef8.cloudfront.net"}
        assert request["method"] == "GET"


def test_viewer_request_function_is_the_same_in_every_stage(synthesized: Any) -> None:
    codes = {_function_code(stage, "viewer-request") for stage in synthesized.stages.values()}
    assert len(codes) == 1


def test_viewer_response_function_answers_404_for_the_not_found_page(dev: Any) -> None:
    """404 exactly when edge_routes finds no file, whichever request the viewer-response event
    carries: as the viewer sent it, or as the viewer-request function rewrote it."""
    rewritten = _run(
        _function_code(dev, "viewer-request"), [_request_event(path) for path in PATHS]
    )
    as_sent = [_request_event(path)["request"] for path in PATHS]
    code = _function_code(dev, "viewer-response")
    for requests in (as_sent, rewritten):
        responses = _run(code, [_response_event(request) for request in requests])
        for path, response in zip(PATHS, responses, strict=True):
            expected = 404 if site_object_for(path) is None else 200
            assert response["statusCode"] == expected, path
            assert response["headers"] == {"content-type": {"value": "text/html"}}
    # Only a 200 becomes 404: revalidations (304) and other statuses pass untouched.
    not_found = _request_event("/nope")["request"]
    statuses = [304, 206, 403, 500]
    responses = _run(code, [_response_event(not_found, status) for status in statuses])
    assert [r["statusCode"] for r in responses] == statuses


# ------------------------------------------------------------- every API route is the API


_LIST_ROUTES = """
import json
from functions.api.billing.handler import app as billing
from functions.api.handler import app as api
paths = sorted({r.openapi_path for a in (api, billing) for r in a._static_routes + a._dynamic_routes})
print(json.dumps(paths))
"""


def _api_routes() -> list[str]:
    """Every route path of the API and billing resolvers. Listed by a fresh interpreter: the
    handler modules read settings at import, which must not leak into this test session."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "layers/shared/python"), str(REPO)]),
    }
    result = subprocess.run(
        [sys.executable, "-c", _LIST_ROUTES],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    routes: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return routes


def test_every_api_route_is_reachable_through_an_api_behaviour() -> None:
    routes = _api_routes()
    assert "/health" in routes
    assert "/api/v1/billing/checkout" in routes
    concrete = [re.sub(r"\{[^}]+\}", "sample-id", route) for route in routes]
    concrete += [p for prefix in BILLING.http_routes for p in (prefix, f"{prefix}/anything")]
    not_api = [path for path in concrete if edge_target(path) != "api"]
    assert not_api == []


def test_every_page_is_served_by_the_site_behaviour() -> None:
    routes = set(_api_routes())
    for path in SITE_PAGES:
        assert edge_target(path) == "site", path
        assert path not in routes, path
