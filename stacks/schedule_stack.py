"""Schedules: one EventBridge rule per catalog ``SCHEDULES`` entry.

The target receives an EventBridge scheduled-event-shaped payload whose ``detail-type`` is the
schedule's ``detail_type`` — the same shape the local runtime's virtual clock delivers — so a
handler tells its schedules apart by ``event["detail-type"]`` wherever it runs.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from followswarm.catalog import SCHEDULES, ScheduleSpec
from stacks.config import StageConfig

#: Source of the events schedules deliver (real scheduled events say ``aws.events`` too).
SCHEDULE_EVENT_SOURCE = "aws.events"
#: A missed tick is superseded by the next one; don't let stale ticks pile up.
TARGET_MAX_EVENT_AGE = Duration.minutes(5)
TARGET_RETRY_ATTEMPTS = 2


def schedule_event(spec: ScheduleSpec) -> events.RuleTargetInput:
    """The event a schedule's target receives: a scheduled event (the rule's ARN in
    ``resources``, empty ``detail``), as local/runtime/clock.py builds it, with the schedule's
    own ``detail-type``."""
    return events.RuleTargetInput.from_object(
        {
            "version": "0",
            "id": events.EventField.event_id,
            "detail-type": spec.detail_type,
            "source": SCHEDULE_EVENT_SOURCE,
            "account": events.EventField.account,
            "time": events.EventField.time,
            "region": events.EventField.region,
            "resources": events.EventField.from_path("$.resources"),
            "detail": {},
        }
    )


class ScheduleStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        functions: dict[str, lambda_.IFunction],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.rules: dict[str, events.Rule] = {}
        for spec in SCHEDULES:
            if spec.function not in functions:
                raise ValueError(f"schedule {spec.name}: unknown function {spec.function!r}")
            rule = events.Rule(
                self,
                "".join(p.capitalize() for p in spec.name.split("-")) + "Schedule",
                rule_name=f"{stage.prefix}-{spec.name}",
                description=spec.description[:512],
                schedule=events.Schedule.expression(spec.expression),
            )
            rule.add_target(
                targets.LambdaFunction(
                    functions[spec.function],
                    event=schedule_event(spec),
                    max_event_age=TARGET_MAX_EVENT_AGE,
                    retry_attempts=TARGET_RETRY_ATTEMPTS,
                )
            )
            self.rules[spec.name] = rule
