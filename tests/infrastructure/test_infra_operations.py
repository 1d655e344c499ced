"""Operations, for every stage: schedules, alarms, canary deployments with automatic rollback,
WAF and security headers, CORS allowlists, backups (PITR, exports, lifecycle)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from followswarm import metric_names
from followswarm.catalog import FUNCTIONS, SCHEDULES
from stacks.alarm_names import API_5XX_RATE, rollback_alarms
from stacks.constructs.waf import AUTH_PATH_PREFIX, AUTH_RATE_LIMIT, GENERAL_RATE_LIMIT
from stacks.data_stack import BACKUP_RETENTION_DAYS

STAGES = ("dev", "staging", "prod")
CONCERNS_WITH_FUNCTIONS = ("follow", "api")


@pytest.fixture(params=STAGES)
def stage(request: pytest.FixtureRequest, synthesized: Any) -> Any:
    return synthesized.stages[request.param]


def _by_type(stage: Any, resource_type: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Logical id -> (concern, properties) across the function stacks."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for concern in CONCERNS_WITH_FUNCTIONS:
        for logical_id, resource in stage.resources(concern, resource_type).items():
            found[logical_id] = (concern, resource)
    return found


def _function_ids(stage: Any) -> dict[str, str]:
    """Catalog function name -> the logical id of its AWS::Lambda::Function (the CDK's own
    helpers, such as the site's BucketDeployment handler, have no name and aren't ours)."""
    prefix = f"{stage.config.prefix}-"
    return {
        resource["Properties"]["FunctionName"].removeprefix(prefix): logical_id
        for logical_id, (_, resource) in _by_type(stage, "AWS::Lambda::Function").items()
        if "FunctionName" in resource["Properties"]
    }


def _aliases(stage: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Function logical id -> (alias logical id, alias resource)."""
    return {
        resource["Properties"]["FunctionName"]["Ref"]: (logical_id, resource)
        for logical_id, (_, resource) in _by_type(stage, "AWS::Lambda::Alias").items()
    }


# ------------------------------------------------------------------------------ schedules


def test_every_schedule_of_the_ops_guide_runs_in_every_stage(stage: Any) -> None:
    rules = {
        r["Properties"]["Name"].removeprefix(f"{stage.config.prefix}-"): r["Properties"]
        for r in stage.resources("schedule", "AWS::Events::Rule").values()
    }
    names = {s.name for s in SCHEDULES}
    assert {"dispatch-tick", "daily-rollup", "daily-backup", "reciprocity-check"} <= names
    assert set(rules) == names
    aliases = _aliases(stage)
    functions = _function_ids(stage)
    for spec in SCHEDULES:
        rule = rules[spec.name]
        assert rule["ScheduleExpression"] == spec.expression
        assert rule["State"] == "ENABLED"
        (target,) = rule["Targets"]
        alias_id, _ = aliases[functions[spec.function]]
        assert alias_id in json.dumps(target["Arn"]), (spec.name, target["Arn"])
        assert f'"detail-type":"{spec.detail_type}"' in target["InputTransformer"][
            "InputTemplate"
        ].replace(" ", "")


def test_daily_jobs_run_once_a_day_after_midnight_utc(stage: Any) -> None:
    by_name = {s.name: s for s in SCHEDULES}
    for name in ("daily-rollup", "daily-backup"):
        spec = by_name[name]
        assert spec.every_seconds == 86400
        assert spec.expression.startswith("cron(")
        assert spec.expression.endswith(" * * ? *)")
    assert by_name["dispatch-tick"].expression == "rate(1 minute)"


# -------------------------------------------------------------------------------- alarms


def _alarms(stage: Any) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"].removeprefix(f"{stage.config.prefix}-"): a["Properties"]
        for a in stage.resources("monitoring", "AWS::CloudWatch::Alarm").values()
    }


def test_alarms_of_the_ops_guide_in_every_stage(stage: Any) -> None:
    alarms = _alarms(stage)
    settings = stage.config.settings
    for function in stage.stage.functions:
        errors, throttles = alarms[f"{function}-errors"], alarms[f"{function}-throttles"]
        assert errors["MetricName"] == "Errors"
        assert throttles["MetricName"] == "Throttles"

    rate = alarms[API_5XX_RATE]
    assert rate["Threshold"] == 5
    assert rate["EvaluationPeriods"] == rate["DatapointsToAlarm"] == 5
    assert all(q.get("MetricStat", {}).get("Period", 60) == 60 for q in rate["Metrics"])
    latency = alarms["api-latency-p95"]
    assert (latency["Threshold"], latency["ExtendedStatistic"]) == (1000, "p95")
    assert latency["EvaluationPeriods"] * latency["Period"] == 600
    backlog = alarms["follow-queue-backlog"]
    assert backlog["Threshold"] == 1000
    assert backlog["EvaluationPeriods"] * backlog["Period"] == 900
    oldest = alarms["follow-queue-oldest-message"]
    assert oldest["MetricName"] == "ApproximateAgeOfOldestMessage"
    dlq = alarms["follow-dlq-not-empty"]
    assert (dlq["Threshold"], dlq["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    spotify = alarms["spotify-calls-hourly"]
    assert spotify["Threshold"] == settings.spotify_calls_per_hour == 2700
    (query,) = spotify["Metrics"]
    assert query["MetricStat"]["Period"] == 3600
    assert query["MetricStat"]["Metric"]["Namespace"] == settings.metrics_namespace

    (topic,) = stage.resources("monitoring", "AWS::SNS::Topic").values()
    topic_id = next(iter(stage.resources("monitoring", "AWS::SNS::Topic")))
    assert topic["Properties"]["TopicName"] == f"{stage.config.prefix}-alarms"
    stage.templates["monitoring"].has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": stage.config.alarm_email}
    )
    for name, alarm in alarms.items():
        assert {"Ref": topic_id} in alarm["AlarmActions"], name


def test_dashboards_in_every_stage(stage: Any) -> None:
    bodies = {
        d["Properties"]["DashboardName"].removeprefix(f"{stage.config.prefix}-"): json.dumps(
            d["Properties"]["DashboardBody"]
        )
        for d in stage.resources("monitoring", "AWS::CloudWatch::Dashboard").values()
    }
    assert set(bodies) == {"operations", "business"}
    ops = bodies["operations"]
    for needle in (
        metric_names.SPOTIFY_CALLS,
        metric_names.BUDGET_USE_PERCENT,
        "ApproximateNumberOfMessagesVisible",
        "FollowJobsDlq",  # the DLQ's queue name, a reference to the follow stack
        "Latency",
    ):
        assert needle in ops, needle
    business = bodies["business"]
    for needle in (
        metric_names.MEMBERS_TOTAL,
        metric_names.ACTIVE_MEMBERS,
        metric_names.MEMBERS_BY_TIER,
        metric_names.FOLLOWS_COMPLETED,
        metric_names.FOLLOWS_FAILED,
        *metric_names.TIERS,
    ):
        assert needle in business, needle


# ------------------------------------------------------------------------- canary deploys


def test_every_function_deploys_as_a_canary_rolled_back_by_its_alarms(stage: Any) -> None:
    functions = _function_ids(stage)
    assert set(functions) == {f.name for f in FUNCTIONS}
    aliases = _aliases(stage)
    groups = {
        logical_id: resource
        for logical_id, (_, resource) in _by_type(stage, "AWS::CodeDeploy::DeploymentGroup").items()
    }
    alarm_names = {
        a["Properties"]["AlarmName"]
        for a in stage.resources("monitoring", "AWS::CloudWatch::Alarm").values()
    }
    for spec in FUNCTIONS:
        _, alias = aliases[functions[spec.name]]
        assert alias["Properties"]["Name"] == "live"
        assert "Version" in json.dumps(alias["Properties"]["FunctionVersion"])
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        group = groups[update["DeploymentGroupName"]["Ref"]]["Properties"]
        assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
        assert group["DeploymentStyle"] == {
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
            "DeploymentType": "BLUE_GREEN",
        }
        rollback = {a["Name"] for a in group["AlarmConfiguration"]["Alarms"]}
        expected = {f"{stage.config.prefix}-{n}" for n in rollback_alarms(spec)}
        assert rollback == expected, spec.name
        assert rollback <= alarm_names  # the monitoring stack creates them
        assert group["AlarmConfiguration"]["Enabled"] is True
        assert set(group["AutoRollbackConfiguration"]["Events"]) >= {
            "DEPLOYMENT_FAILURE",
            "DEPLOYMENT_STOP_ON_ALARM",
        }
        if spec.name == "api":
            assert f"{stage.config.prefix}-{API_5XX_RATE}" in rollback


def test_triggers_invoke_the_alias(stage: Any) -> None:
    functions = _function_ids(stage)
    aliases = _aliases(stage)
    # SQS event sources
    for _, (_concern, mapping) in _by_type(stage, "AWS::Lambda::EventSourceMapping").items():
        target = json.dumps(mapping["Properties"]["FunctionName"])
        assert ":live" in target, target
    # API Gateway integrations (and their invoke permissions)
    for spec in FUNCTIONS:
        if spec.trigger != "http":
            continue
        alias_id, _ = aliases[functions[spec.name]]
        integrations = stage.resources("api", "AWS::ApiGatewayV2::Integration").values()
        assert any(
            alias_id in json.dumps(i["Properties"]["IntegrationUri"]) for i in integrations
        ), spec.name


# --------------------------------------------------------------------- edge: WAF, headers


def test_waf_rate_rules_stricter_on_auth_in_every_stage(stage: Any) -> None:
    (acl,) = stage.resources("api", "AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT"
    rates = {
        r["Name"]: r["Statement"]["RateBasedStatement"]
        for r in props["Rules"]
        if "RateBasedStatement" in r["Statement"]
    }
    assert rates["auth-rate-limit"]["Limit"] == AUTH_RATE_LIMIT < GENERAL_RATE_LIMIT
    assert rates["general-rate-limit"]["Limit"] == GENERAL_RATE_LIMIT
    match = rates["auth-rate-limit"]["ScopeDownStatement"]["ByteMatchStatement"]
    assert (match["SearchString"], match["PositionalConstraint"]) == (
        AUTH_PATH_PREFIX,
        "STARTS_WITH",
    )
    for rule in props["Rules"]:
        if "RateBasedStatement" in rule["Statement"]:
            assert rule["Action"] == {"Block": {}}
    (distribution,) = stage.resources("api", "AWS::CloudFront::Distribution").values()
    acl_id = next(iter(stage.resources("api", "AWS::WAFv2::WebACL")))
    assert acl_id in json.dumps(distribution["Properties"]["DistributionConfig"]["WebACLId"])


def test_security_headers_and_cors_allowlist_in_every_stage(stage: Any) -> None:
    (config,) = [
        policy["Properties"]["ResponseHeadersPolicyConfig"]
        for policy in stage.resources("api", "AWS::CloudFront::ResponseHeadersPolicy").values()
        if policy["Properties"]["ResponseHeadersPolicyConfig"]["Name"].endswith("-api-headers")
    ]
    security = config["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000
    assert hsts["IncludeSubdomains"] is True
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert security["ContentTypeOptions"]["Override"] is True  # X-Content-Type-Options: nosniff
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    origins = config["CorsConfig"]["AccessControlAllowOrigins"]["Items"]
    assert origins == list(stage.config.settings.cors_allow_origins)
    assert "*" not in origins
    (api,) = stage.resources("api", "AWS::ApiGatewayV2::Api").values()
    assert api["Properties"]["CorsConfiguration"]["AllowOrigins"] == origins
    if stage.config.name == "prod":
        assert all(o.startswith("https://") for o in origins)


# ---------------------------------------------------------------------------------- backups


def test_backups_pitr_exports_and_lifecycle(stage: Any) -> None:
    for table in stage.resources("data", "AWS::DynamoDB::Table").values():
        spec = table["Properties"]["PointInTimeRecoverySpecification"]
        assert spec["PointInTimeRecoveryEnabled"] is True
    buckets = stage.resources("data", "AWS::S3::Bucket").values()
    (backup,) = [
        b
        for b in buckets
        if b["Properties"].get("BucketName") == stage.config.settings.backup_bucket_name
    ]
    (rule,) = backup["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == BACKUP_RETENTION_DAYS == 30

    roles = stage.resources("follow", "AWS::IAM::Policy")
    statements = [
        s
        for policy in roles.values()
        if "BackupFunction" in json.dumps(policy["Properties"]["Roles"])
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]

    def with_action(action: str) -> dict[str, Any]:
        (found,) = [s for s in statements if action in json.dumps(s["Action"])]
        return found

    export = with_action("dynamodb:ExportTableToPointInTime")
    assert len(export["Resource"]) == len(stage.resources("data", "AWS::DynamoDB::Table"))
    objects = json.dumps(with_action("s3:PutObject")["Resource"])
    assert f"{stage.config.settings.backup_bucket_name}/exports/*" in objects
    actions = json.dumps([s["Action"] for s in statements])
    for item_access in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"):
        assert item_access not in actions  # exports only, no item access
