"""cdk-nag AwsSolutions clean (acknowledgments justified) and cfn-lint clean."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks

#: Every acknowledged AwsSolutions finding. A new one must be added here on purpose (review it).
ALLOWED_ACKNOWLEDGMENTS = {
    "AwsSolutions-APIG4",  # auth inside the API function (per-route JWT/CSRF/admin/Stripe sig)
    "AwsSolutions-CFR1",  # no geo restriction: a worldwide audience
    "AwsSolutions-CFR4",  # default CloudFront certificate until a stage sets a custom domain
    # X-Ray (test_only_xray_uses_a_wildcard_resource) and the site deployment's CloudFront
    # invalidation (test_deployment_handler_may_touch_only_its_buckets_and_invalidations).
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-L1",  # runtime pinned to the layer's CPython (stacks/runtime.py)
    "AwsSolutions-S1",  # the access-log bucket itself
    "AwsSolutions-SMG4",  # third-party secrets rotate by runbook
    # CodeDeploy's role for Lambda canaries: the CDK construct always attaches this AWS policy.
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSCodeDeployRoleForLambdaLimited]",
    # The CDK's BucketDeployment handler (the site, stacks/constructs/static_site.py): its role's
    # AWS logging policy and the CDK's S3 grant groups on the asset and site buckets.
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaBasicExecutionRole]",
    "AwsSolutions-IAM5[Action::s3:GetBucket*]",
    "AwsSolutions-IAM5[Action::s3:GetObject*]",
    "AwsSolutions-IAM5[Action::s3:List*]",
    "AwsSolutions-IAM5[Action::s3:Abort*]",
    "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
}
#: The backup function writes under exports/ of its stage's bucket (export ids are DynamoDB's).
EXPORTS_WILDCARD = re.compile(
    r"AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:s3:::followswarm-[a-z]+-backups/exports/\*\]"
)
#: The site deployment's object wildcards: the site bucket (a logical id) and the CDK assets.
SITE_DEPLOYMENT_OBJECTS = re.compile(
    r"AwsSolutions-IAM5\[Resource::(<SiteBucket[0-9A-F]{8}\.Arn>"
    r"|arn:(aws|<AWS::Partition>):s3:::cdk-[a-z0-9]+-assets-[^/]+)/\*\]"
)
#: cfn-lint findings ignored, each with its reason:
#: W3005 — CDK adds DependsOn from a function to its role's policy on top of the GetAtt to the
#: role; the explicit ordering is deliberate (the policy must exist before the function runs).
CFN_LINT_IGNORES = ["W3005"]


def test_nag_pack_finds_nothing_unacknowledged(synthesized: Any) -> None:
    """Run the pack directly on each stage (synthesis already failed on any violation)."""
    for name, stage in synthesized.stages.items():
        report = AwsSolutionsChecks(verbose=True).validate_scope(stage.stage)
        violations = [(v.rule_name, v.severity) for v in report.violations]
        assert report.success, (name, violations)


def test_validation_report_is_clean(synthesized: Any) -> None:
    report_file = synthesized.outdir / "validation-report.json"
    if report_file.exists():
        report = json.loads(report_file.read_text())
        for plugin in report.get("pluginReports", []):
            assert not plugin.get("violations"), plugin


def test_no_awssolutions_errors_or_warnings_annotations(synthesized: Any) -> None:
    for stage in synthesized.stages.values():
        for stack in stage.stage.stacks:
            annotations = Annotations.from_stack(stack)
            pattern = Match.string_like_regexp("AwsSolutions-.*")
            assert annotations.find_error("*", pattern) == []
            assert annotations.find_warning("*", pattern) == []


def test_every_acknowledgment_is_allowed_and_justified(synthesized: Any) -> None:
    seen: set[str] = set()
    for stage in synthesized.stages.values():
        for raw in stage.raw.values():
            for resource in raw["Resources"].values():
                for rule in (
                    resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
                ):
                    allowed = rule["id"] in ALLOWED_ACKNOWLEDGMENTS
                    assert (
                        allowed
                        or EXPORTS_WILDCARD.fullmatch(rule["id"])
                        or SITE_DEPLOYMENT_OBJECTS.fullmatch(rule["id"])
                    ), rule
                    assert len(rule["reason"]) >= 80, rule
                    seen.add(rule["id"])
    assert seen, "expected the acknowledgments in template metadata"


def test_cfn_lint_has_no_errors(synthesized: Any) -> None:
    templates = [str(p) for p in synthesized.template_files()]
    assert len(templates) == 15
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    if not cfn_lint.exists():
        pytest.skip("cfn-lint is not installed next to this python")
    result = subprocess.run(
        [
            str(cfn_lint),
            "--format",
            "parseable",
            "--ignore-checks",
            *CFN_LINT_IGNORES,
            "--",
            *templates,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
