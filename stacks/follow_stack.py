"""Follow pipeline: the follow-jobs queue and its DLQ, the worker and the dispatcher; the
notify queue and its DLQ, the notifier.

Builds every catalog function triggered by ``sqs`` or ``schedule`` (their schedules live in the
schedule stack). The worker's reserved concurrency is the rate limiter and the event source's
maximum concurrency sits at or below it, so Lambda's pollers are never throttled into burning
receive counts (and healthy messages into the DLQ).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from followswarm.catalog import FUNCTIONS, FunctionSpec
from stacks.access import access_for
from stacks.config import StageConfig
from stacks.constructs.function import FOLLOW_QUEUE_URL_ENV, NOTIFY_QUEUE_URL_ENV, SwarmFunction
from stacks.constructs.shared_layer import SharedLayer
from stacks.data_stack import DataStack

#: How long a message may wait in the DLQ before SQS drops it (the maximum, 14 days).
DLQ_RETENTION = Duration.days(14)
#: Follow jobs are re-enqueued by the dispatcher if they expire; 4 days is SQS's default.
QUEUE_RETENTION = Duration.days(4)


class FollowStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        data: DataStack,
        layer_dir: Path,
        code_dirs: dict[str, Path],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = stage.settings

        self.dlq = sqs.Queue(
            self,
            "FollowJobsDlq",
            queue_name=settings.follow_dlq_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        self.queue = sqs.Queue(
            self,
            "FollowJobsQueue",
            queue_name=settings.follow_queue_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(settings.queue_visibility_timeout_seconds),
            retention_period=QUEUE_RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dlq, max_receive_count=settings.queue_max_receive_count
            ),
        )
        # Member mail: queued by any function, sent by the notifier; what keeps failing to
        # send ends in the notify DLQ after the same receive count.
        self.notify_dlq = sqs.Queue(
            self,
            "NotifyDlq",
            queue_name=settings.notify_dlq_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        self.notify_queue = sqs.Queue(
            self,
            "NotifyQueue",
            queue_name=settings.notify_queue_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(settings.queue_visibility_timeout_seconds),
            retention_period=QUEUE_RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.notify_dlq, max_receive_count=settings.queue_max_receive_count
            ),
        )
        queues_by_setting = {
            "follow_queue_name": self.queue,
            "notify_queue_name": self.notify_queue,
        }
        #: Pollers per queue; only the follow worker is a rate limiter (reserved concurrency).
        max_concurrency = {
            "follow_queue_name": settings.worker_max_concurrency,
            "notify_queue_name": settings.notifier_max_concurrency,
        }

        layer = SharedLayer(self, "SharedLayer", asset_dir=layer_dir).layer
        self.functions: dict[str, SwarmFunction] = {}
        for spec in FUNCTIONS:
            if spec.trigger not in ("sqs", "schedule"):
                continue
            is_worker = spec.trigger == "sqs"
            if is_worker:
                self._check_worker(spec, stage)
            access = access_for(spec.name)
            fn = SwarmFunction(
                self,
                _construct_id(spec),
                spec=spec,
                stage=stage,
                layer=layer,
                code_dir=code_dirs[spec.name],
                extra_environment={
                    **(
                        {FOLLOW_QUEUE_URL_ENV: self.queue.queue_url}
                        if access.sends_follow_jobs
                        else {}
                    ),
                    **(
                        {NOTIFY_QUEUE_URL_ENV: self.notify_queue.queue_url}
                        if access.sends_notifications
                        else {}
                    ),
                },
                reserved_concurrency=(
                    settings.worker_reserved_concurrency
                    if spec.queue_setting == "follow_queue_name"
                    else None
                ),
            )
            fn.grant_tables(access.tables, data.tables, data.specs, data.data_key)
            if access.token_key:
                fn.grant_token_key(data.token_key)
            fn.grant_secrets(data.secrets[s] for s in access.secrets)
            if access.sends_follow_jobs:
                fn.grant_send(self.queue)
            if access.manages_follow_queues:
                fn.grant_manage_queues(self.queue, self.dlq)
            if access.sends_notifications:
                fn.grant_send_notifications(self.notify_queue)
            if access.exports_tables:
                fn.grant_exports(data.tables.values(), settings.backup_bucket_name, data.data_key)
            if is_worker:
                if spec.queue_setting not in queues_by_setting:
                    raise ValueError(f"{spec.name}: no queue for {spec.queue_setting!r}")
                fn.alias.add_event_source(  # the alias: canary-shifted
                    event_sources.SqsEventSource(
                        queues_by_setting[spec.queue_setting],
                        batch_size=settings.worker_batch_size,
                        max_concurrency=max_concurrency[spec.queue_setting],
                        report_batch_item_failures=True,
                    )
                )
            self.functions[spec.name] = fn

    @staticmethod
    def _check_worker(spec: FunctionSpec, stage: StageConfig) -> None:
        settings = stage.settings
        if settings.queue_visibility_timeout_seconds < 6 * spec.timeout_seconds:
            raise ValueError(
                f"{spec.name}: queue visibility {settings.queue_visibility_timeout_seconds}s is "
                f"under 6 x the function timeout {spec.timeout_seconds}s"
            )
        if settings.worker_max_concurrency > settings.worker_reserved_concurrency:
            raise ValueError(f"{spec.name}: max concurrency above reserved concurrency")


def _construct_id(spec: FunctionSpec) -> str:
    return "".join(part.capitalize() for part in spec.name.split("-")) + "Function"
