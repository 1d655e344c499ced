"""A catalog function as deployed: role, log group, Powertools environment and grants.

Every function gets its own role with inline statements only (no managed policies) naming the
exact tables, indexes, keys, secrets and queues it may use; the only ``Resource: *`` statement
is the X-Ray one that tracing adds (X-Ray has no resource-level permissions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from followswarm.catalog import FunctionSpec
from followswarm.data.tables import TableSpec
from stacks.alarm_names import alarm_name, rollback_alarms
from stacks.config import StageConfig
from stacks.nag import acknowledge
from stacks.runtime import LAMBDA_ARCHITECTURE as _ARCH_NAME
from stacks.runtime import LAMBDA_PYTHON_VERSION

LAMBDA_RUNTIME: lambda_.Runtime = getattr(
    lambda_.Runtime, "PYTHON_" + LAMBDA_PYTHON_VERSION.replace(".", "_")
)
#: Newest Python runtime this aws-cdk-lib knows (what cdk-nag's AwsSolutions-L1 expects).
NEWEST_PYTHON_RUNTIME = max(
    (name for name in dir(lambda_.Runtime) if name.startswith("PYTHON_3_")),
    key=lambda name: int(name.rsplit("_", 1)[1]),
)
LAMBDA_ARCHITECTURE: lambda_.Architecture = (
    lambda_.Architecture.X86_64 if _ARCH_NAME == "x86_64" else lambda_.Architecture.ARM_64
)

#: Environment variable with the follow-jobs queue URL (functions that send follow jobs).
FOLLOW_QUEUE_URL_ENV = "SWARM_FOLLOW_QUEUE_URL"
#: Environment variable with the notify queue URL (functions that queue member mails).
NOTIFY_QUEUE_URL_ENV = "SWARM_NOTIFY_QUEUE_URL"

TABLE_DATA_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)
INDEX_ACTIONS = ("dynamodb:Query", "dynamodb:Scan")
#: What a caller needs on a table's customer-managed key to read and write items.
TABLE_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
#: Envelope encryption of tokens: a data key per write, decrypt per read.
TOKEN_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
SECRET_READ_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")
#: DynamoDB export to S3: start it on the table, follow it on the export, write the objects.
EXPORT_TABLE_ACTIONS = ("dynamodb:DescribeTable", "dynamodb:ExportTableToPointInTime")
EXPORT_OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl")

#: Where the daily exports go in the backup bucket (followswarm.domain.operations.backups).
EXPORTS_PREFIX = "exports/"


def export_objects_arn(bucket_name: str) -> str:
    return f"arn:{Aws.PARTITION}:s3:::{bucket_name}/{EXPORTS_PREFIX}*"


#: Every function is invoked through this alias; CodeDeploy shifts it between versions.
LIVE_ALIAS = "live"
#: 10 % of traffic on the new version for 5 minutes, then all of it (unless an alarm fires).
CANARY_CONFIG = codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES
#: CodeDeploy's own managed policy for Lambda deployments, the only one on that role.
CODEDEPLOY_MANAGED_POLICY = "service-role/AWSCodeDeployRoleForLambdaLimited"

_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def retention(days: int) -> logs.RetentionDays:
    try:
        return _RETENTION[days]
    except KeyError:
        raise ValueError(f"log_retention_days must be one of {sorted(_RETENTION)}") from None


def powertools_environment(stage: StageConfig) -> dict[str, str]:
    """Powertools settings of every function. The service (the ``service`` dimension of every
    custom metric) is the app name for all functions, as the local runtime sets it; stages that
    share an account are told apart by their metrics namespace (``metrics_namespace`` in
    cdk.json)."""
    return {
        "POWERTOOLS_SERVICE_NAME": stage.settings.app_name,
        "POWERTOOLS_METRICS_NAMESPACE": stage.settings.metrics_namespace,
        "LOG_LEVEL": stage.log_level,
    }


class SwarmFunction(Construct):
    """One catalog function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        stage: StageConfig,
        layer: lambda_.ILayerVersion,
        code_dir: Path,
        extra_environment: Mapping[str, str] | None = None,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        function_name = f"{stage.prefix}-{spec.name}"
        removal = RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),  # type: ignore[arg-type]
            description=f"{function_name}: least privilege for {spec.description}"[:1000],
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=retention(stage.log_retention_days),
            removal_policy=removal,
        )
        environment = {
            **stage.settings.lambda_environment(),
            **powertools_environment(stage),
            **(extra_environment or {}),
        }
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=spec.description[:256],
            code=lambda_.Code.from_asset(
                str(code_dir), exclude=["__pycache__", "*.pyc", "tests", ".mypy_cache"]
            ),
            handler=spec.handler,
            runtime=LAMBDA_RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            layers=[layer],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            environment=environment,
            tracing=lambda_.Tracing.ACTIVE,
            role=self.role,
            log_group=self.log_group,
            reserved_concurrent_executions=reserved_concurrency,
        )
        # --- deploy safety: an alias per function, shifted by CodeDeploy as a canary --------
        # Triggers (API integration, SQS event source, schedules) target the alias, so a new
        # version takes 10 % of the traffic for 5 minutes and is rolled back automatically when
        # one of its alarms (monitoring stack, looked up by name) fires.
        self.alias = lambda_.Alias(
            self, "Alias", alias_name=LIVE_ALIAS, version=self.function.current_version
        )
        self.rollback_alarm_names = [
            alarm_name(stage.prefix, name) for name in rollback_alarms(spec)
        ]
        self.deployment_group = codedeploy.LambdaDeploymentGroup(
            self,
            "Deployment",
            alias=self.alias,
            deployment_config=CANARY_CONFIG,
            alarms=[
                cloudwatch.Alarm.from_alarm_name(self, f"RollbackAlarm{i}", name)
                for i, name in enumerate(self.rollback_alarm_names)
            ],
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        acknowledge(
            self.deployment_group,
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{CODEDEPLOY_MANAGED_POLICY}]",
            "CodeDeploy's service role for Lambda canaries carries AWS's own "
            "AWSCodeDeployRoleForLambdaLimited (the CDK construct always attaches it): alias "
            "get/update, alarm reads, and invoking CodeDeploy hooks only; no data access.",
        )

        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only the X-Ray statement that active tracing adds uses Resource '*': "
            "xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level "
            "permissions. Every other statement names exact ARNs (an infrastructure test "
            "checks that).",
        )
        if "PYTHON_" + LAMBDA_PYTHON_VERSION.replace(".", "_") != NEWEST_PYTHON_RUNTIME:
            acknowledge(
                self.function,
                "AwsSolutions-L1",
                f"Runtime pinned on purpose to python{LAMBDA_PYTHON_VERSION} "
                "(stacks/runtime.py), the CPython the shared layer's binary wheels are built "
                "for (pydantic-core, cryptography); moving to a newer runtime is a deliberate "
                "upgrade that rebuilds the layer and re-runs the tests, not a silent bump.",
            )

    # ------------------------------------------------------------------------------ grants
    def grant_tables(
        self,
        names: Iterable[str],
        tables: Mapping[str, dynamodb.ITable],
        specs: Mapping[str, TableSpec],
        key: kms.IKey,
    ) -> None:
        """Item read/write on exactly these tables (and their indexes) and their KMS key."""
        names = sorted(set(names))
        if not names:
            return
        table_arns = [tables[n].table_arn for n in names]
        index_arns = [
            f"{tables[n].table_arn}/index/{index.name}" for n in names for index in specs[n].indexes
        ]
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TableItems", actions=list(TABLE_DATA_ACTIONS), resources=table_arns
            )
        )
        if index_arns:
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="TableIndexes", actions=list(INDEX_ACTIONS), resources=index_arns
                )
            )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TableKey", actions=list(TABLE_KEY_ACTIONS), resources=[key.key_arn]
            )
        )

    def grant_exports(
        self, tables: Iterable[dynamodb.ITable], bucket_name: str, key: kms.IKey
    ) -> None:
        """Export these tables under ``exports/`` of the backup bucket (encrypted with ``key``);
        no item access. The object ARN is spelled from the bucket's fixed name so that its one
        wildcard (export ids are chosen by DynamoDB) is a literal the acknowledgment names."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ExportTables",
                actions=list(EXPORT_TABLE_ACTIONS),
                resources=[t.table_arn for t in tables],
            )
        )
        objects = export_objects_arn(bucket_name)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteExports", actions=list(EXPORT_OBJECT_ACTIONS), resources=[objects]
            )
        )
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::{objects.replace(Aws.PARTITION, '<AWS::Partition>')}]",
            "DynamoDB writes each export under <prefix>/AWSDynamoDB/<export id>/, an id it "
            "chooses when the export starts, so the backup function may put objects anywhere "
            "under exports/ of the backup bucket, and nowhere else.",
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ExportKey", actions=list(TABLE_KEY_ACTIONS), resources=[key.key_arn]
            )
        )

    def grant_token_key(self, key: kms.IKey) -> None:
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TokenVaultKey", actions=list(TOKEN_KEY_ACTIONS), resources=[key.key_arn]
            )
        )

    def grant_secrets(self, secrets: Iterable[secretsmanager.ISecret]) -> None:
        arns = [s.secret_arn for s in secrets]
        if arns:
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="ReadSecrets", actions=list(SECRET_READ_ACTIONS), resources=arns
                )
            )

    def grant_send(self, queue: sqs.IQueue) -> None:
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SendFollowJobs",
                actions=["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
                resources=[queue.queue_arn],
            )
        )

    def grant_send_notifications(self, queue: sqs.IQueue) -> None:
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="QueueNotifications",
                actions=["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
                resources=[queue.queue_arn],
            )
        )

    def grant_manage_queues(self, queue: sqs.IQueue, dlq: sqs.IQueue) -> None:
        """Queue depths for the admin API and DLQ redrive (move task, or receive/send/delete)."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="RedriveFollowDlq",
                actions=[
                    "sqs:CancelMessageMoveTask",
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ListMessageMoveTasks",
                    "sqs:ReceiveMessage",
                    "sqs:StartMessageMoveTask",
                ],
                resources=[dlq.queue_arn],
            )
        )
