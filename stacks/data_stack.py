"""Data: the DynamoDB tables (from ``table_specs``), keys, backups bucket, secrets, event bus."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from followswarm.data.tables import KeyAttribute, TableSpec, table_specs
from stacks.access import JWT_SECRET, SENDGRID_SECRET, SPOTIFY_SECRET, STRIPE_SECRET
from stacks.config import StageConfig
from stacks.nag import acknowledge

#: Days a DynamoDB export stays in the backup bucket.
BACKUP_RETENTION_DAYS = 30
#: Days server-access and CloudFront logs are kept.
ACCESS_LOG_RETENTION_DAYS = 90

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}

#: Placeholder of each secret: (construct id, description, JSON template, generated key). The
#: keys are the ones the code reads (followswarm.clients.secrets, domain.identity.signing and
#: notifier; local/runtime/resources.py builds the same shapes). Secrets Manager can generate a
#: top-level key only, so the JWT secret starts flat ({"kid", "secret"}); the rotation runbook
#: writes the {"current": ..., "previous": ...} form, as it does the providers' real keys.
SECRET_SHAPES: dict[str, tuple[str, str, dict[str, str], str]] = {
    SPOTIFY_SECRET: (
        "SpotifySecret",
        "Spotify app client credentials",
        {"client_id": ""},
        "client_secret",
    ),
    JWT_SECRET: (
        "JwtSigningSecret",
        "Signing key of session JWTs",
        {"kid": "k1"},
        "secret",
    ),
    STRIPE_SECRET: (
        "StripeSecret",
        "Stripe API key and webhook signing secret",
        {"webhook_secret": ""},
        "api_key",
    ),
    SENDGRID_SECRET: ("SendGridSecret", "SendGrid API key", {}, "api_key"),
}


def _attribute(key: KeyAttribute) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class DataStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = stage.settings
        removal = RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY

        # --- keys -----------------------------------------------------------------------------
        self.data_key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{stage.prefix}-data",
            description=f"{stage.prefix}: DynamoDB tables and backups",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        self.token_key = kms.Key(
            self,
            "TokenKey",
            alias=settings.token_key_alias,
            description=f"{stage.prefix}: token vault envelope encryption (member-bound context)",
            enable_key_rotation=True,
            removal_policy=removal,
        )

        # --- tables (the one definition: followswarm.data.tables.table_specs) -----------------
        self.specs: dict[str, TableSpec] = table_specs(settings)
        self.tables: dict[str, dynamodb.Table] = {}
        for logical, spec in self.specs.items():
            table = dynamodb.Table(
                self,
                f"{logical.capitalize()}Table",
                table_name=spec.table_name,
                partition_key=_attribute(spec.partition_key),
                sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
                encryption_key=self.data_key,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                time_to_live_attribute=spec.ttl_attribute,
                deletion_protection=stage.retain_data,
                removal_policy=removal,
            )
            for index in spec.indexes:
                table.add_global_secondary_index(
                    index_name=index.name,
                    partition_key=_attribute(index.partition_key),
                    sort_key=_attribute(index.sort_key) if index.sort_key else None,
                    projection_type=_PROJECTIONS[index.projection],
                )
            self.tables[logical] = table

        # --- buckets --------------------------------------------------------------------------
        # Server access logs (S3) and CloudFront standard logs; CloudFront writes with ACLs,
        # hence object-writer ownership. SSE-S3: log delivery can't use a customer key.
        self.logs_bucket = s3.Bucket(
            self,
            "LogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-logs",
                    expiration=Duration.days(ACCESS_LOG_RETENTION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=removal,
            auto_delete_objects=not stage.retain_data,
        )
        acknowledge(
            self.logs_bucket,
            "AwsSolutions-S1",
            "This bucket is the destination of the S3 server access logs and the CloudFront "
            "logs; logging its own access into itself would loop.",
        )
        self.backup_bucket = s3.Bucket(
            self,
            "BackupBucket",
            bucket_name=settings.backup_bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.data_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix="s3/backups/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-exports",
                    expiration=Duration.days(BACKUP_RETENTION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=removal,
            auto_delete_objects=not stage.retain_data,
        )

        # --- secrets (generated at deploy; real values set per the rotation runbook) ---------
        self.secrets: dict[str, secretsmanager.Secret] = {}
        for attribute, (secret_id, description, template, generated_key) in SECRET_SHAPES.items():
            secret = secretsmanager.Secret(
                self,
                secret_id,
                secret_name=str(getattr(settings, attribute)),
                description=f"{stage.prefix}: {description}",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template=json.dumps(template),
                    generate_string_key=generated_key,
                    exclude_punctuation=True,
                    password_length=64,
                ),
                removal_policy=removal,
            )
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                "Rotated by the secret-rotation runbook in docs/, not by a rotation Lambda: "
                "Spotify, Stripe and SendGrid credentials can only be re-issued in the "
                "providers' consoles, and the JWT signing key rotates with an overlap "
                "(current + previous kid) so live sessions survive.",
            )
            self.secrets[attribute] = secret

        # --- events ---------------------------------------------------------------------------
        self.event_bus = events.EventBus(self, "EventBus", event_bus_name=settings.event_bus_name)
