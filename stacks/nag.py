"""cdk-nag (v3) wiring: the AwsSolutions pack as a CDK policy-validation plugin, and
acknowledgments (v3's suppressions).

cdk-nag 3 is no longer an aspect: it runs as a ``Validations`` plugin when the app synthesizes,
and any unacknowledged finding (error or warning) stops synthesis with a report. An
acknowledgment on a construct covers everything beneath it (cdk-nag looks up the construct's
ancestors), like v2's ``apply_to_children=True``. Each acknowledged rule and its reason also
lands in the resources' ``cdk_nag`` template metadata (the v2 audit-trail format).
"""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, WriteNagSuppressionsToCloudFormationAspect
from constructs import IConstruct

#: Each finding a rule reports is acknowledged separately: ``AwsSolutions-IAM5[Resource::*]``.
RULE_PREFIX = "AwsSolutions-"


def add_nag_checks(app: cdk.App, stages: Iterable[cdk.Stage]) -> AwsSolutionsChecks:
    """Register the AwsSolutions pack on the app (it walks every stage), and write the
    acknowledgments into each stage's templates (aspects stop at stage boundaries, so the
    pack's own app-level option would not reach them)."""
    pack = AwsSolutionsChecks(app, verbose=True)
    cdk.Validations.of(app).add_plugins(pack)
    for stage in stages:
        cdk.Aspects.of(stage).add(WriteNagSuppressionsToCloudFormationAspect())
    return pack


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding on ``scope`` and everything beneath it."""
    if not rule_id.startswith(RULE_PREFIX):
        raise ValueError(f"not an AwsSolutions rule: {rule_id}")
    if len(reason) < 40:
        raise ValueError(f"{rule_id}: give a specific reason, not {reason!r}")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))
