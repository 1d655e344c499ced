"""Creates a stage's AWS resources in moto from the same definitions the CDK stacks use.

Tables come from ``table_specs(settings)``, queue settings from ``Settings``, schedules from the
catalogue. Everything is idempotent: running it twice leaves one of each.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from followswarm.catalog import SCHEDULES
from followswarm.data.tables import TableSpec, table_specs
from followswarm.settings import Settings
from local.runtime.aws import AwsClients

log = logging.getLogger(__name__)

#: DLQs keep messages as long as SQS allows (14 days), as the CDK stack does.
#: The SendGrid sink accepts this key only; the runtime stores it as the SendGrid secret.
SENDGRID_LOCAL_API_KEY = "SG.local-sink-key"
#: The Stripe stand-in accepts this secret key and signs webhooks with this endpoint secret.
STRIPE_LOCAL_API_KEY = "sk_test_local_standin"
STRIPE_LOCAL_WEBHOOK_SECRET = "whsec_local_standin"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class QueueInfo:
    name: str
    url: str
    arn: str
    dlq_name: str
    dlq_url: str
    dlq_arn: str
    visibility_timeout: int
    max_receive_count: int


@dataclass
class AwsResources:
    account_id: str
    tables: dict[str, str] = field(default_factory=dict)
    ttl_attributes: dict[str, str] = field(default_factory=dict)
    queues: dict[str, QueueInfo] = field(default_factory=dict)
    key_id: str = ""
    key_arn: str = ""
    secrets: dict[str, str] = field(default_factory=dict)
    bucket: str = ""
    event_bus_arn: str = ""
    rule_arns: dict[str, str] = field(default_factory=dict)

    def queue_by_name(self, name: str) -> QueueInfo:
        for queue in self.queues.values():
            if queue.name == name:
                return queue
        raise KeyError(name)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def create_tables(aws: AwsClients, settings: Settings, resources: AwsResources) -> None:
    ddb = aws.dynamodb
    for logical, spec in table_specs(settings).items():
        try:
            ddb.create_table(**spec.create_table_kwargs())
        except ClientError as error:
            if _error_code(error) != "ResourceInUseException":
                raise
        if spec.ttl_attribute:
            ttl = ddb.describe_time_to_live(TableName=spec.table_name)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") != "ENABLED":
                ddb.update_time_to_live(
                    TableName=spec.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
                )
            resources.ttl_attributes[spec.table_name] = spec.ttl_attribute
        # PITR is on in every stage (the daily export needs it).
        ddb.update_continuous_backups(
            TableName=spec.table_name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        resources.tables[logical] = spec.table_name


def create_queue_pair(
    aws: AwsClients, name: str, dlq_name: str, visibility_timeout: int, max_receive_count: int
) -> QueueInfo:
    sqs = aws.sqs
    dlq_url = sqs.create_queue(
        QueueName=dlq_name, Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    attributes = {
        "VisibilityTimeout": str(visibility_timeout),
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
        ),
    }
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except ClientError as error:  # exists with other attributes: bring it in line
        if _error_code(error) not in {"QueueAlreadyExists", "QueueNameExists"}:
            raise
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return QueueInfo(
        name, url, arn, dlq_name, dlq_url, dlq_arn, visibility_timeout, max_receive_count
    )


def create_queues(aws: AwsClients, settings: Settings, resources: AwsResources) -> None:
    for setting, dlq_setting in (
        ("follow_queue_name", "follow_dlq_name"),
        ("notify_queue_name", "notify_dlq_name"),
    ):
        resources.queues[setting] = create_queue_pair(
            aws,
            str(getattr(settings, setting)),
            str(getattr(settings, dlq_setting)),
            settings.queue_visibility_timeout_seconds,
            settings.queue_max_receive_count,
        )


def create_key(aws: AwsClients, settings: Settings, resources: AwsResources) -> None:
    kms = aws.client("kms")
    try:
        metadata = kms.describe_key(KeyId=settings.token_key_alias)["KeyMetadata"]
    except ClientError as error:
        if _error_code(error) != "NotFoundException":
            raise
        metadata = kms.create_key(
            Description=f"{settings.app_name}-{settings.stage} token envelope key",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
        )["KeyMetadata"]
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
        kms.create_alias(AliasName=settings.token_key_alias, TargetKeyId=metadata["KeyId"])
    resources.key_id = metadata["KeyId"]
    resources.key_arn = metadata["Arn"]


def secret_values(
    settings: Settings, spotify_client_id: str, spotify_client_secret: str
) -> dict[str, dict[str, Any]]:
    """Secret name -> JSON value: the Spotify, Stripe and SendGrid ones match their stand-ins;
    the JWT key is random per start."""
    return {
        settings.spotify_secret_name: {
            "client_id": spotify_client_id,
            "client_secret": spotify_client_secret,
        },
        settings.jwt_secret_name: {
            "current": {"kid": "k1", "secret": secrets.token_urlsafe(48)},
        },
        settings.stripe_secret_name: {
            "api_key": STRIPE_LOCAL_API_KEY,
            "webhook_secret": STRIPE_LOCAL_WEBHOOK_SECRET,
        },
        settings.sendgrid_secret_name: {"api_key": SENDGRID_LOCAL_API_KEY},
    }


def create_secrets(
    aws: AwsClients, values: Mapping[str, Mapping[str, Any]], resources: AwsResources
) -> None:
    """Create each secret once; an existing secret keeps its value, except that the Spotify
    credentials are always re-pointed (the stand-in may have been restarted with others)."""
    sm = aws.client("secretsmanager")
    for name, value in values.items():
        text = json.dumps(value)
        try:
            arn = sm.create_secret(Name=name, SecretString=text)["ARN"]
        except ClientError as error:
            if _error_code(error) != "ResourceExistsException":
                raise
            arn = sm.describe_secret(SecretId=name)["ARN"]
            if "client_id" in value:
                sm.put_secret_value(SecretId=name, SecretString=text)
        resources.secrets[name] = arn


def create_bucket(aws: AwsClients, settings: Settings, resources: AwsResources) -> None:
    s3 = aws.client("s3")
    kwargs: dict[str, Any] = {"Bucket": settings.backup_bucket_name}
    if settings.aws_region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": settings.aws_region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as error:
        if _error_code(error) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise
    s3.put_bucket_lifecycle_configuration(
        Bucket=settings.backup_bucket_name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-backups",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": 30},
                }
            ]
        },
    )
    resources.bucket = settings.backup_bucket_name


def create_events(aws: AwsClients, settings: Settings, resources: AwsResources) -> None:
    events = aws.client("events")
    try:
        resources.event_bus_arn = events.create_event_bus(Name=settings.event_bus_name)[
            "EventBusArn"
        ]
    except ClientError as error:
        if _error_code(error) != "ResourceAlreadyExistsException":
            raise
        resources.event_bus_arn = events.describe_event_bus(Name=settings.event_bus_name)["Arn"]
    # Schedules are rules on the default bus (moto never fires them; the virtual clock does).
    for schedule in SCHEDULES:
        rule = f"{settings.app_name}-{settings.stage}-{schedule.name}"
        resources.rule_arns[schedule.name] = events.put_rule(
            Name=rule,
            ScheduleExpression=schedule.expression,
            State="ENABLED",
            Description=schedule.description,
        )["RuleArn"]


def ensure_resources(
    aws: AwsClients, settings: Settings, *, spotify_client_id: str, spotify_client_secret: str
) -> AwsResources:
    """Create (or find) every resource of the stage in moto."""
    account = aws.client("sts").get_caller_identity()["Account"]
    resources = AwsResources(account_id=str(account))
    create_tables(aws, settings, resources)
    create_queues(aws, settings, resources)
    create_key(aws, settings, resources)
    create_secrets(
        aws, secret_values(settings, spotify_client_id, spotify_client_secret), resources
    )
    create_bucket(aws, settings, resources)
    create_events(aws, settings, resources)
    return resources


# ------------------------------------------------------------------------------------- TTL


def sweep_expired(aws: AwsClients, specs: Mapping[str, TableSpec], now: float) -> int:
    """Delete every item whose TTL attribute is past ``now``; moto's TTL never deletes.

    DynamoDB deletes expired items lazily (within days), so the application must filter them on
    read anyway; this sweep only keeps local tables from growing without bound.
    """
    ddb = aws.dynamodb
    deleted = 0
    for spec in specs.values():
        if not spec.ttl_attribute:
            continue
        key_names = [spec.partition_key.name] + ([spec.sort_key.name] if spec.sort_key else [])
        projection = ", ".join(f"#k{i}" for i in range(len(key_names)))
        names = {f"#k{i}": name for i, name in enumerate(key_names)} | {"#ttl": spec.ttl_attribute}
        paginator = ddb.get_paginator("scan")
        for page in paginator.paginate(
            TableName=spec.table_name,
            FilterExpression="#ttl < :now",
            ProjectionExpression=projection,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        ):
            for item in page.get("Items", []):
                if _delete_if_expired(ddb, spec, item, key_names, now):
                    deleted += 1
    return deleted


def _delete_if_expired(
    ddb: Any, spec: TableSpec, item: Mapping[str, Any], key_names: list[str], now: float
) -> bool:
    assert spec.ttl_attribute is not None
    try:
        ddb.delete_item(
            TableName=spec.table_name,
            Key={name: item[name] for name in key_names},
            # Only if still expired: a writer may have extended it since the scan.
            ConditionExpression="#ttl < :now",
            ExpressionAttributeNames={"#ttl": spec.ttl_attribute},
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        )
    except ClientError as error:
        if _error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True
