"""From a queue message to an outcome: parse, run the job, send what it asks to be sent."""

from __future__ import annotations

from followswarm.clients import queues
from followswarm.domain.follows import worker
from followswarm.domain.follows.messages import FollowJobMessage
from followswarm.metric_names import JOBS_REQUEUED
from followswarm.observability import MetricUnit, metrics
from followswarm.settings import Settings


def handle_message(
    settings: Settings, body: str, *, now: float, receive_count: int
) -> worker.JobOutcome:
    """Raises on a malformed message, so SQS redelivers it and finally dead-letters it."""
    msg = FollowJobMessage.model_validate_json(body)
    from followswarm.domain.identity.vault import ReauthRequired

    try:
        outcome = worker.process_job(settings, msg, now, receive_count=receive_count)
    except ReauthRequired:
        return worker.JobOutcome("dropped", "needs_reauth")
    if outcome.kind == "requeued" and outcome.message is not None:
        queues.send_json(
            settings.follow_queue_name,
            outcome.message.model_dump(mode="json"),
            delay_seconds=outcome.delay_seconds,
        )
        metrics.add_metric(name=JOBS_REQUEUED, unit=MetricUnit.Count, value=1)
    elif outcome.kind == "dead_lettered" and outcome.message is not None:
        worker.record_dead_letter(outcome.message, outcome.reason, now)
        queues.send_json(settings.follow_dlq_name, outcome.message.model_dump(mode="json"))
    return outcome


def redrive_dead_letters(settings: Settings, *, limit: int) -> int:
    """Moves up to ``limit`` messages from the DLQ back to the queue (receive, send, delete)."""
    return queues.move_messages(settings.follow_dlq_name, settings.follow_queue_name, limit=limit)
