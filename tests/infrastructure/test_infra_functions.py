"""Functions, the follow queue and the worker's concurrency, from the catalog and settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from followswarm.catalog import FOLLOW_WORKER, FUNCTIONS, NOTIFIER
from stacks.access import access_for
from stacks.constructs.function import FOLLOW_QUEUE_URL_ENV, NOTIFY_QUEUE_URL_ENV
from stacks.runtime import LAMBDA_ARCHITECTURE, LAMBDA_PYTHON_VERSION

STAGES = ("dev", "staging", "prod")


def _queue(stage: Any, name: str) -> dict[str, Any]:
    for queue in stage.resources("follow", "AWS::SQS::Queue").values():
        if queue["Properties"]["QueueName"] == name:
            return dict(queue["Properties"])
    raise AssertionError(f"no queue {name}")


@pytest.mark.parametrize("stage_name", STAGES)
def test_every_catalog_function_is_deployed_once(synthesized: Any, stage_name: str) -> None:
    stage = synthesized.stages[stage_name]
    deployed = stage.functions()
    expected = {f"{stage.config.prefix}-{spec.name}": spec for spec in FUNCTIONS}
    ours = {name for name in deployed if name.startswith(stage.config.prefix)}
    assert ours == set(expected)
    for name, spec in expected.items():
        props = deployed[name]
        assert props["Handler"] == spec.handler
        assert props["Runtime"] == f"python{LAMBDA_PYTHON_VERSION}"
        assert props["Architectures"] == [LAMBDA_ARCHITECTURE]
        assert props["Timeout"] == spec.timeout_seconds
        assert props["MemorySize"] == spec.memory_mb
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert len(props["Layers"]) == 1


@pytest.mark.parametrize("stage_name", STAGES)
def test_function_environment_recreates_the_settings(synthesized: Any, stage_name: str) -> None:
    stage = synthesized.stages[stage_name]
    settings = stage.config.settings
    expected = settings.lambda_environment()
    for spec in FUNCTIONS:
        env = stage.functions()[f"{stage.config.prefix}-{spec.name}"]["Environment"]["Variables"]
        for key, value in expected.items():
            if key in (FOLLOW_QUEUE_URL_ENV, NOTIFY_QUEUE_URL_ENV):
                continue
            assert env[key] == value, (spec.name, key)
        assert env["POWERTOOLS_SERVICE_NAME"] == settings.app_name
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == settings.metrics_namespace
        assert env["LOG_LEVEL"] == stage.config.log_level
        if access_for(spec.name).sends_follow_jobs:
            # A reference to the follow queue (a Ref in its own stack, an output elsewhere).
            assert _queue_logical_id(stage) in json.dumps(env[FOLLOW_QUEUE_URL_ENV])
        else:
            assert not env.get(FOLLOW_QUEUE_URL_ENV)
        if access_for(spec.name).sends_notifications:
            assert "NotifyQueue" in json.dumps(env[NOTIFY_QUEUE_URL_ENV]), spec.name
        else:
            assert not env.get(NOTIFY_QUEUE_URL_ENV), spec.name


def _queue_logical_id(stage: Any) -> str:
    for logical_id, queue in stage.resources("follow", "AWS::SQS::Queue").items():
        if queue["Properties"]["QueueName"] == stage.config.settings.follow_queue_name:
            return logical_id
    raise AssertionError("no follow queue")


@pytest.mark.parametrize("stage_name", STAGES)
def test_queue_and_worker_concurrency(synthesized: Any, stage_name: str) -> None:
    stage = synthesized.stages[stage_name]
    settings = stage.config.settings
    worker = stage.functions()[f"{stage.config.prefix}-{FOLLOW_WORKER.name}"]
    queue = _queue(stage, settings.follow_queue_name)
    dlq = _queue(stage, settings.follow_dlq_name)

    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["VisibilityTimeout"] == settings.queue_visibility_timeout_seconds
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 5
    assert queue["RedrivePolicy"]["maxReceiveCount"] == settings.queue_max_receive_count
    for q in (queue, dlq):
        assert q["SqsManagedSseEnabled"] is True

    (mapping,) = _mappings(stage, _queue_logical_id(stage))
    props = mapping["Properties"]
    reserved = worker["ReservedConcurrentExecutions"]
    assert reserved == settings.worker_reserved_concurrency
    assert 2 <= props["ScalingConfig"]["MaximumConcurrency"] <= reserved
    assert props["ScalingConfig"]["MaximumConcurrency"] == settings.worker_max_concurrency
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == settings.worker_batch_size


def _mappings(stage: Any, queue_logical_id: str) -> list[dict[str, Any]]:
    return [
        m
        for m in stage.resources("follow", "AWS::Lambda::EventSourceMapping").values()
        if queue_logical_id in json.dumps(m["Properties"]["EventSourceArn"])
    ]


def test_notify_queue_feeds_the_notifier_and_dead_letters(dev: Any) -> None:
    settings = dev.config.settings
    queue = _queue(dev, settings.notify_queue_name)
    _queue(dev, settings.notify_dlq_name)
    assert queue["RedrivePolicy"]["maxReceiveCount"] == settings.queue_max_receive_count
    assert "NotifyDlq" in json.dumps(queue["RedrivePolicy"]["deadLetterTargetArn"])
    notifier = dev.functions()[f"{dev.config.prefix}-{NOTIFIER.name}"]
    assert queue["VisibilityTimeout"] >= 6 * notifier["Timeout"]
    assert "ReservedConcurrentExecutions" not in notifier  # not a rate limiter
    (notify_id,) = [
        logical_id
        for logical_id, q in dev.resources("follow", "AWS::SQS::Queue").items()
        if q["Properties"]["QueueName"] == settings.notify_queue_name
    ]
    (mapping,) = _mappings(dev, notify_id)
    props = mapping["Properties"]
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["ScalingConfig"]["MaximumConcurrency"] == settings.notifier_max_concurrency


def test_queues_enforce_ssl(dev: Any) -> None:
    policies = dev.resources("follow", "AWS::SQS::QueuePolicy")
    assert len(policies) == 4  # follow jobs, notify, and their DLQs
    for policy in policies.values():
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_stage_overrides_from_context_reach_settings(synthesized: Any) -> None:
    for name, stage in synthesized.stages.items():
        raw = synthesized.context["stages"][name]
        settings = stage.config.settings
        if "worker_reserved_concurrency" in raw:
            assert settings.worker_reserved_concurrency == raw["worker_reserved_concurrency"]
        assert list(settings.cors_allow_origins) == raw["cors_allow_origins"]
        assert stage.config.retain_data is (name == "prod")


#: The CDK's own helper functions: S3 auto-delete (buckets of stages that don't retain data)
#: and the site's BucketDeployment (its grants are checked in test_infra_site.py).
CDK_HELPERS = ("CustomS3AutoDeleteObjectsCustomResourceProvider", "CustomCDKBucketDeployment")


def test_only_xray_uses_a_wildcard_resource(synthesized: Any) -> None:
    """The IAM5 acknowledgment on function roles covers X-Ray only; everything else is exact."""
    xray = {"xray:PutTelemetryRecords", "xray:PutTraceSegments"}
    for stage in synthesized.stages.values():
        for concern in stage.raw:
            for logical_id, policy in stage.resources(concern, "AWS::IAM::Policy").items():
                if logical_id.startswith(CDK_HELPERS):
                    continue
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    resources = statement["Resource"]
                    resources = resources if isinstance(resources, list) else [resources]
                    actions = statement["Action"]
                    actions = set(actions if isinstance(actions, list) else [actions])
                    assert not any("*" in a for a in actions), actions
                    if "*" in resources:
                        assert actions <= xray, (concern, actions)
            for logical_id, role in stage.resources(concern, "AWS::IAM::Role").items():
                managed = role["Properties"].get("ManagedPolicyArns", [])
                if logical_id.startswith(CDK_HELPERS):
                    continue
                # CodeDeploy's canary role carries AWS's own Lambda-deployment policy only.
                assert all(
                    json.dumps(arn).endswith('service-role/AWSCodeDeployRoleForLambdaLimited"]]}')
                    for arn in managed
                ), role
