"""Schedules from the catalog, and the alarms and dashboards of the ops guide."""

from __future__ import annotations

import json
from typing import Any

from followswarm import metric_names
from followswarm.catalog import SCHEDULES


def test_one_rule_per_schedule_targeting_its_function(dev: Any) -> None:
    rules = {
        r["Properties"]["Name"]: r["Properties"]
        for r in dev.resources("schedule", "AWS::Events::Rule").values()
    }
    assert set(rules) == {f"{dev.config.prefix}-{s.name}" for s in SCHEDULES}
    # Schedules invoke each function through its canary-shifted alias.
    function_ids = {
        props["Properties"]["FunctionName"]: logical_id
        for logical_id, props in dev.resources("follow", "AWS::Lambda::Function").items()
    }
    alias_of = {
        props["Properties"]["FunctionName"]["Ref"]: logical_id
        for logical_id, props in dev.resources("follow", "AWS::Lambda::Alias").items()
    }
    follow_functions = {name: alias_of[fid] for name, fid in function_ids.items()}
    for spec in SCHEDULES:
        rule = rules[f"{dev.config.prefix}-{spec.name}"]
        assert rule["ScheduleExpression"] == spec.expression
        assert rule["State"] == "ENABLED"
        (target,) = rule["Targets"]
        function_logical_id = follow_functions[f"{dev.config.prefix}-{spec.function}"]
        assert function_logical_id in json.dumps(target["Arn"])
        transformer = target["InputTransformer"]
        # The same scheduled-event shape as the local runtime's clock, with the spec's type.
        template = transformer["InputTemplate"]
        for token in ("<id>", "<time>", "<account>", "<region>", "<resources>"):
            template = template.replace(token, '"x"')
        event = json.loads(template)
        assert event["detail-type"] == spec.detail_type
        assert event["source"] == "aws.events"
        assert event["detail"] == {}
        assert set(event) == {
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        }


def _alarms(stage: Any) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"].removeprefix(f"{stage.config.prefix}-"): a["Properties"]
        for a in stage.resources("monitoring", "AWS::CloudWatch::Alarm").values()
    }


def test_alarms_of_the_ops_guide(dev: Any) -> None:
    alarms = _alarms(dev)
    settings = dev.config.settings
    expected = {
        "api-5xx-rate",
        "api-latency-p95",
        "follow-queue-backlog",
        "follow-queue-oldest-message",
        "follow-dlq-not-empty",
        "spotify-calls-hourly",
    }
    for function in dev.stage.functions:
        expected |= {f"{function}-errors", f"{function}-throttles"}
    assert set(alarms) == expected

    rate = alarms["api-5xx-rate"]
    assert rate["Threshold"] == 5
    assert rate["EvaluationPeriods"] * 60 == 5 * 60
    latency = alarms["api-latency-p95"]
    assert latency["Threshold"] == 1000
    assert latency["ExtendedStatistic"] == "p95"
    assert latency["EvaluationPeriods"] * latency["Period"] == 10 * 60
    backlog = alarms["follow-queue-backlog"]
    assert backlog["Threshold"] == 1000
    assert backlog["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert backlog["EvaluationPeriods"] * backlog["Period"] == 15 * 60
    dlq = alarms["follow-dlq-not-empty"]
    assert dlq["Threshold"] == 0
    assert dlq["ComparisonOperator"] == "GreaterThanThreshold"
    spotify = alarms["spotify-calls-hourly"]
    assert spotify["Threshold"] == settings.spotify_calls_per_hour
    (query,) = spotify["Metrics"]
    stat = query["MetricStat"]
    assert stat["Metric"] == {
        "MetricName": metric_names.SPOTIFY_CALLS,
        "Namespace": settings.metrics_namespace,
        "Dimensions": [{"Name": metric_names.SERVICE_DIMENSION, "Value": settings.app_name}],
    }
    assert stat["Period"] == 3600
    assert stat["Stat"] == "Sum"
    for alarm in alarms.values():
        assert alarm["AlarmActions"], alarm["AlarmName"]


def test_alarm_topic_is_encrypted_with_ssl_and_email(dev: Any) -> None:
    (topic,) = dev.resources("monitoring", "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    dev.templates["monitoring"].has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": dev.config.alarm_email},
    )
    (policy,) = dev.resources("monitoring", "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s.get("Condition"))
        for s in statements
    )


def test_dashboards_read_the_shared_metric_names(dev: Any) -> None:
    dashboards = {
        d["Properties"]["DashboardName"]: json.dumps(d["Properties"]["DashboardBody"])
        for d in dev.resources("monitoring", "AWS::CloudWatch::Dashboard").values()
    }
    ops = dashboards[f"{dev.config.prefix}-operations"]
    business = dashboards[f"{dev.config.prefix}-business"]
    for name in (metric_names.SPOTIFY_CALLS, metric_names.SPOTIFY_RATE_LIMITED):
        assert name in ops
    assert "ApproximateNumberOfMessagesVisible" in ops
    for name in (
        metric_names.MEMBERS_JOINED,
        metric_names.FOLLOWS_COMPLETED,
        metric_names.FOLLOWS_FAILED,
        metric_names.FOLLOWS_SKIPPED,
        metric_names.MEMBERS_BY_TIER,
    ):
        assert name in business
