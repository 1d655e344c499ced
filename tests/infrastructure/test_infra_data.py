"""The data stack agrees with table_specs (the one definition of the tables) and the settings."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from followswarm.data.tables import table_specs

STAGES = ("dev", "staging", "prod")


def _tables_by_name(stage: Any) -> dict[str, dict[str, Any]]:
    return {
        t["Properties"]["TableName"]: t
        for t in stage.resources("data", "AWS::DynamoDB::Table").values()
    }


@pytest.mark.parametrize("stage_name", STAGES)
def test_every_table_matches_its_spec_exactly(synthesized: Any, stage_name: str) -> None:
    stage = synthesized.stages[stage_name]
    specs = table_specs(stage.config.settings)
    tables = _tables_by_name(stage)
    assert set(tables) == {spec.table_name for spec in specs.values()}
    for spec in specs.values():
        props = tables[spec.table_name]["Properties"]
        expected = spec.create_table_kwargs()
        assert props["KeySchema"] == expected["KeySchema"], spec.logical_name
        assert (
            sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"])
            == (expected["AttributeDefinitions"])
        ), spec.logical_name
        assert props.get("GlobalSecondaryIndexes", []) == expected.get(
            "GlobalSecondaryIndexes", []
        ), spec.logical_name
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        if spec.ttl_attribute:
            assert props["TimeToLiveSpecification"] == {
                "AttributeName": spec.ttl_attribute,
                "Enabled": True,
            }
        else:
            assert "TimeToLiveSpecification" not in props
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["SSESpecification"]["SSEEnabled"] is True
        assert props["SSESpecification"]["SSEType"] == "KMS"
        assert "KMSMasterKeyId" in props["SSESpecification"]


def test_prod_retains_data_and_dev_does_not(dev: Any, prod: Any) -> None:
    for stage, policy in ((prod, "Retain"), (dev, "Delete")):
        for table in stage.resources("data", "AWS::DynamoDB::Table").values():
            assert table["DeletionPolicy"] == policy
            assert table["UpdateReplacePolicy"] == policy
        for key_type in ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::SecretsManager::Secret"):
            for resource in stage.resources("data", key_type).values():
                assert resource["DeletionPolicy"] == policy, key_type
    for table in prod.resources("data", "AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert prod.stage.data.termination_protection is True
    assert dev.stage.data.termination_protection is False


def test_keys_rotate_and_token_key_has_its_alias(dev: Any) -> None:
    template = dev.templates["data"]
    keys = dev.resources("data", "AWS::KMS::Key")
    assert keys
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True
    template.has_resource_properties(
        "AWS::KMS::Alias", {"AliasName": dev.config.settings.token_key_alias}
    )


def test_backup_bucket(dev: Any) -> None:
    dev.templates["data"].has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": dev.config.settings.backup_bucket_name,
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [Match.object_like({"ExpirationInDays": 30, "Status": "Enabled"})]
                )
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like(
                        {
                            "ServerSideEncryptionByDefault": Match.object_like(
                                {"SSEAlgorithm": "aws:kms"}
                            )
                        }
                    )
                ]
            },
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": Match.any_value()}),
        },
    )
    # enforce_ssl: a deny on aws:SecureTransport = false for every bucket
    policies = dev.resources("data", "AWS::S3::BucketPolicy")
    assert len(policies) == len(dev.resources("data", "AWS::S3::Bucket"))
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        )


def test_secrets_and_event_bus_use_settings_names(dev: Any) -> None:
    settings = dev.config.settings
    names = {
        s["Properties"]["Name"]
        for s in dev.resources("data", "AWS::SecretsManager::Secret").values()
    }
    assert names == {
        settings.spotify_secret_name,
        settings.jwt_secret_name,
        settings.stripe_secret_name,
        settings.sendgrid_secret_name,
    }
    dev.templates["data"].has_resource_properties(
        "AWS::Events::EventBus", {"Name": settings.event_bus_name}
    )
