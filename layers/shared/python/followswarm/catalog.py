"""What runs where: every function, its trigger and every schedule, defined once.

The CDK stacks deploy from this catalogue and the local runtime invokes from it, so a function,
queue mapping or schedule can't exist in one and not the other.

    >>> [f.name for f in FUNCTIONS if f.trigger == "sqs"]
    ['follow-worker', 'notifier']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Trigger = Literal["http", "sqs", "schedule"]


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: code lives in ``functions/<package>/handler.py``.

    Every function's asset is the whole ``functions/`` folder, so handler packages can use
    relative imports both in Lambda (``api.handler.handler``) and locally (``functions.api``).
    """

    name: str
    package: str
    trigger: Trigger
    description: str
    timeout_seconds: int = 30
    memory_mb: int = 512
    #: For ``sqs`` triggers: which queue (a Settings attribute holding the name).
    queue_setting: str | None = None
    #: For ``http`` triggers: route prefixes served (API Gateway routes ``{prefix}/{proxy+}``).
    http_routes: tuple[str, ...] = ()

    @property
    def handler(self) -> str:
        return f"{self.package}.handler.handler"

    @property
    def module(self) -> str:
        return f"functions.{self.package}.handler"

    @property
    def code_path(self) -> str:
        return "functions"


@dataclass(frozen=True)
class ScheduleSpec:
    """An EventBridge schedule; ``every_seconds`` drives the local virtual clock."""

    name: str
    expression: str
    every_seconds: int
    function: str
    detail_type: str
    description: str


API = FunctionSpec(
    name="api",
    package="api",
    trigger="http",
    description="The HTTP API: health, auth, members, roster, follows, admin",
    timeout_seconds=15,
    http_routes=("/",),
)
FOLLOW_WORKER = FunctionSpec(
    name="follow-worker",
    package="follow_worker",
    trigger="sqs",
    description="Performs batches of follows against Spotify, paced and exactly once",
    timeout_seconds=30,
    queue_setting="follow_queue_name",
)
DISPATCHER = FunctionSpec(
    name="dispatcher",
    package="dispatcher",
    trigger="schedule",
    description="Finds members due for follows and enqueues their next batches",
    timeout_seconds=60,
)

RECIPROCITY = FunctionSpec(
    name="reciprocity",
    package="reciprocity",
    trigger="schedule",
    description="Samples completed follows and blocks members who unfollowed too many",
    timeout_seconds=300,
)

TOKEN_ROTATION = FunctionSpec(
    name="token-rotation",
    package="token_rotation",
    trigger="schedule",
    description="Re-encrypts token vault records under the current key version",
    timeout_seconds=900,
)

ANALYTICS_ROLLUP = FunctionSpec(
    name="analytics-rollup",
    package="analytics_rollup",
    trigger="schedule",
    description="Rolls up yesterday's follows into per-member and platform daily stats",
    timeout_seconds=900,
)

BACKUP = FunctionSpec(
    name="backup",
    package="backup",
    trigger="schedule",
    description="Exports every table to the backup bucket (DynamoDB export to S3, from PITR)",
    timeout_seconds=120,
    memory_mb=256,
)

BILLING = FunctionSpec(
    name="billing",
    package="api.billing",
    trigger="http",
    description="Billing: Stripe Checkout and Billing Portal sessions, Stripe webhooks",
    timeout_seconds=15,
    http_routes=("/api/v1/billing", "/webhooks/stripe"),
)

NOTIFIER = FunctionSpec(
    name="notifier",
    package="notifier",
    trigger="sqs",
    description="Renders and sends member mails through SendGrid (retries, then the DLQ)",
    timeout_seconds=30,
    queue_setting="notify_queue_name",
)

DIGEST = FunctionSpec(
    name="digest",
    package="digest",
    trigger="schedule",
    description="Queues the weekly digest mail of every member with a verified address",
    timeout_seconds=300,
)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    API,
    FOLLOW_WORKER,
    DISPATCHER,
    RECIPROCITY,
    TOKEN_ROTATION,
    ANALYTICS_ROLLUP,
    BACKUP,
    BILLING,
    NOTIFIER,
    DIGEST,
)

SCHEDULES: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        name="dispatch-tick",
        expression="rate(1 minute)",
        every_seconds=60,
        function=DISPATCHER.name,
        detail_type="DispatchTick",
        description="Enqueue the next follow batches of every member that is due",
    ),
    ScheduleSpec(
        name="reciprocity-check",
        expression="rate(1 day)",
        every_seconds=86400,
        function=RECIPROCITY.name,
        detail_type="ReciprocityCheck",
        description="Sample completed follows and block members who unfollowed others",
    ),
    ScheduleSpec(
        name="token-rotation",
        expression="rate(1 day)",
        every_seconds=86400,
        function=TOKEN_ROTATION.name,
        detail_type="TokenKeyRotation",
        description="Re-seal any vault record still under a previous key version",
    ),
    # Daily jobs run just after midnight UTC on AWS; the virtual clock fires them at midnight.
    ScheduleSpec(
        name="daily-rollup",
        expression="cron(5 0 * * ? *)",
        every_seconds=86400,
        function=ANALYTICS_ROLLUP.name,
        detail_type="DailyRollup",
        description="Per-member and platform stats of the previous UTC day",
    ),
    ScheduleSpec(
        name="daily-backup",
        expression="cron(30 2 * * ? *)",
        every_seconds=86400,
        function=BACKUP.name,
        detail_type="DailyBackup",
        description="Export every table to S3 (30-day lifecycle; PITR stays on)",
    ),
    ScheduleSpec(
        name="weekly-digest",
        expression="rate(7 days)",
        every_seconds=7 * 86400,
        function=DIGEST.name,
        detail_type="WeeklyDigest",
        description="Queue the weekly digest mail of every member who wants it",
    ),
)


def function_by_name(name: str) -> FunctionSpec:
    for spec in FUNCTIONS:
        if spec.name == name:
            return spec
    raise KeyError(name)
