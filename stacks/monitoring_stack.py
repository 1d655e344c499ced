"""Monitoring: alarm topic, alarms from the ops guide, operations and business dashboards.

Custom metric names come from :mod:`followswarm.metric_names`, the module the functions emit
with; namespace and ``service`` dimension from the same helper that sets the functions'
Powertools environment.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from followswarm import metric_names as m
from followswarm.catalog import FUNCTIONS
from stacks.alarm_names import API_5XX_RATE, alarm_name, function_errors, function_throttles
from stacks.config import StageConfig
from stacks.constructs.function import SwarmFunction, powertools_environment

# --- thresholds (the ops guide) -----------------------------------------------------------------
API_5XX_RATE_PERCENT = 5
API_5XX_MINUTES = 5
API_P95_LATENCY_MS = 1000
API_LATENCY_MINUTES = 10
QUEUE_BACKLOG_MESSAGES = 1000
QUEUE_BACKLOG_MINUTES = 15
#: Follow jobs are enqueued when due; one waiting half an hour means workers are not keeping up.
QUEUE_OLDEST_MESSAGE_SECONDS = 1800
FUNCTION_ERRORS_PER_5_MIN = 3
FUNCTION_THROTTLES_PER_5_MIN = 1

ONE_MINUTE = Duration.minutes(1)
FIVE_MINUTES = Duration.minutes(5)
ONE_HOUR = Duration.hours(1)


class MonitoringStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        http_api: apigw.IHttpApi,
        functions: dict[str, SwarmFunction],
        queue: sqs.IQueue,
        dlq: sqs.IQueue,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.stage_config = stage
        settings = stage.settings
        prefix = stage.prefix
        removal = RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY

        # --- alarm topic ------------------------------------------------------------------------
        key = kms.Key(
            self,
            "AlarmTopicKey",
            alias=f"alias/{prefix}-alarms",
            description=f"{prefix}: alarm topic encryption",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{prefix}-alarms",
            display_name=f"Follow-Swarm {stage.name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        if stage.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(stage.alarm_email))
        action = cw_actions.SnsAction(self.topic)

        self.alarms: dict[str, cw.Alarm] = {}

        def alarm(
            name: str,
            metric: cw.IMetric,
            *,
            threshold: float,
            periods: int,
            description: str,
            comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        ) -> cw.Alarm:
            created = cw.Alarm(
                self,
                "".join(p.capitalize() for p in name.split("-")) + "Alarm",
                alarm_name=alarm_name(prefix, name),
                alarm_description=description,
                metric=metric,
                threshold=threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                comparison_operator=comparison,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(action)
            created.add_ok_action(action)
            self.alarms[name] = created
            return created

        # --- API --------------------------------------------------------------------------------
        api_requests = http_api.metric_count(period=ONE_MINUTE, statistic="Sum")
        api_5xx = http_api.metric_server_error(period=ONE_MINUTE, statistic="Sum")
        api_4xx = http_api.metric_client_error(period=ONE_MINUTE, statistic="Sum")
        api_5xx_rate = cw.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={"requests": api_requests, "errors": api_5xx},
            label="5xx rate (%)",
            period=ONE_MINUTE,
        )
        alarm(
            API_5XX_RATE,
            api_5xx_rate,
            threshold=API_5XX_RATE_PERCENT,
            periods=API_5XX_MINUTES,
            description=f"API 5xx rate above {API_5XX_RATE_PERCENT}% for {API_5XX_MINUTES} min",
        )
        api_p95 = http_api.metric_latency(period=ONE_MINUTE, statistic="p95")
        alarm(
            "api-latency-p95",
            api_p95,
            threshold=API_P95_LATENCY_MS,
            periods=API_LATENCY_MINUTES,
            description=f"API p95 latency above {API_P95_LATENCY_MS} ms for "
            f"{API_LATENCY_MINUTES} min",
        )

        # --- queues -----------------------------------------------------------------------------
        backlog = queue.metric_approximate_number_of_messages_visible(
            period=FIVE_MINUTES, statistic="Minimum"
        )
        alarm(
            "follow-queue-backlog",
            backlog,
            threshold=QUEUE_BACKLOG_MESSAGES,
            periods=QUEUE_BACKLOG_MINUTES // 5,
            description=f"More than {QUEUE_BACKLOG_MESSAGES} follow jobs waiting for "
            f"{QUEUE_BACKLOG_MINUTES} min",
        )
        oldest = queue.metric_approximate_age_of_oldest_message(
            period=FIVE_MINUTES, statistic="Maximum"
        )
        alarm(
            "follow-queue-oldest-message",
            oldest,
            threshold=QUEUE_OLDEST_MESSAGE_SECONDS,
            periods=1,
            description=f"A follow job has waited over {QUEUE_OLDEST_MESSAGE_SECONDS} s",
        )
        dlq_visible = dlq.metric_approximate_number_of_messages_visible(
            period=ONE_MINUTE, statistic="Maximum"
        )
        alarm(
            "follow-dlq-not-empty",
            dlq_visible,
            threshold=0,
            periods=1,
            description="Follow jobs in the dead-letter queue: inspect, then redrive from admin",
        )

        # --- functions --------------------------------------------------------------------------
        for name, fn in functions.items():
            alarm(
                function_errors(name),  # also rolls back this function's canary
                fn.function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                threshold=FUNCTION_ERRORS_PER_5_MIN,
                periods=1,
                comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                description=f"{name}: {FUNCTION_ERRORS_PER_5_MIN}+ errors in 5 min",
            )
            alarm(
                function_throttles(name),
                fn.function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                threshold=FUNCTION_THROTTLES_PER_5_MIN,
                periods=1,
                comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                description=f"{name}: throttled in the last 5 min",
            )

        # --- Spotify budget ---------------------------------------------------------------------
        alarm(
            "spotify-calls-hourly",
            self.custom(m.SPOTIFY_CALLS, "Sum", ONE_HOUR, "Spotify calls/hour"),
            threshold=settings.spotify_calls_per_hour,
            periods=1,
            description=f"Spotify calls above the app budget of "
            f"{settings.spotify_calls_per_hour}/hour",
        )

        # --- dashboards -------------------------------------------------------------------------
        worker_names = [s.name for s in FUNCTIONS if s.trigger == "sqs" and s.name in functions]
        ops = cw.Dashboard(self, "OperationsDashboard", dashboard_name=f"{prefix}-operations")
        ops.add_widgets(
            cw.AlarmStatusWidget(
                title="Alarms", alarms=list(self.alarms.values()), width=24, height=4
            )
        )
        ops.add_widgets(
            cw.GraphWidget(
                title="API requests and errors",
                left=[api_requests, api_4xx, api_5xx],
                right=[api_5xx_rate],
                width=8,
            ),
            cw.GraphWidget(
                title="API latency (ms)",
                left=[
                    http_api.metric_latency(period=ONE_MINUTE, statistic=stat, label=stat)
                    for stat in ("p50", "p95", "p99")
                ],
                left_annotations=[cw.HorizontalAnnotation(value=API_P95_LATENCY_MS, label="p95")],
                width=8,
            ),
            cw.GraphWidget(
                title="Follow queue and DLQ",
                left=[
                    queue.metric_approximate_number_of_messages_visible(period=ONE_MINUTE),
                    queue.metric_approximate_number_of_messages_not_visible(period=ONE_MINUTE),
                    dlq_visible,
                ],
                right=[queue.metric_approximate_age_of_oldest_message(period=ONE_MINUTE)],
                left_annotations=[
                    cw.HorizontalAnnotation(value=QUEUE_BACKLOG_MESSAGES, label="backlog")
                ],
                width=8,
            ),
        )
        worker_widgets: list[cw.IWidget] = []
        for name in worker_names:
            worker = functions[name].function
            worker_widgets.append(
                cw.GraphWidget(
                    title=f"{name}: invocations, errors, throttles",
                    left=[
                        worker.metric_invocations(period=ONE_MINUTE),
                        worker.metric_errors(period=ONE_MINUTE),
                        worker.metric_throttles(period=ONE_MINUTE),
                    ],
                    right=[worker.metric("ConcurrentExecutions", statistic="Maximum")],
                    right_annotations=[
                        cw.HorizontalAnnotation(
                            value=settings.worker_reserved_concurrency, label="reserved"
                        )
                    ],
                    width=8,
                )
            )
            worker_widgets.append(
                cw.GraphWidget(
                    title=f"{name}: duration (ms)",
                    left=[
                        worker.metric_duration(period=ONE_MINUTE, statistic=s, label=s)
                        for s in ("p50", "p95", "Maximum")
                    ],
                    left_annotations=[
                        cw.HorizontalAnnotation(
                            value=functions[name].spec.timeout_seconds * 1000, label="timeout"
                        )
                    ],
                    width=8,
                )
            )
        ops.add_widgets(
            *worker_widgets,
            cw.GraphWidget(
                title="Follow jobs dispatched / re-queued",
                left=[
                    self.custom(m.JOBS_DISPATCHED, "Sum", FIVE_MINUTES, "dispatched"),
                    self.custom(m.JOBS_REQUEUED, "Sum", FIVE_MINUTES, "re-queued"),
                ],
                width=8,
            ),
        )
        budget_per_5_min = settings.spotify_calls_per_hour / 12
        ops.add_widgets(
            cw.GraphWidget(
                title="Spotify calls per 5 min (app budget)",
                left=[self.custom(m.SPOTIFY_CALLS, "Sum", FIVE_MINUTES, "calls")],
                right=[self.custom(m.SPOTIFY_RATE_LIMITED, "Sum", FIVE_MINUTES, "429s")],
                left_annotations=[cw.HorizontalAnnotation(value=budget_per_5_min, label="budget")],
                width=6,
            ),
            cw.GraphWidget(
                title="Spotify budget use (%)",
                left=[self.custom(m.BUDGET_USE_PERCENT, "Maximum", ONE_MINUTE, "budget use")],
                left_annotations=[cw.HorizontalAnnotation(value=95, label="target 95%")],
                width=6,
            ),
            cw.GraphWidget(
                title="Spotify latency (ms)",
                left=[
                    self.custom(m.SPOTIFY_LATENCY_MS, s, FIVE_MINUTES, s) for s in ("p50", "p95")
                ],
                width=6,
            ),
            cw.GraphWidget(
                title="All functions: errors",
                left=[
                    f.function.metric_errors(period=FIVE_MINUTES, label=n)
                    for n, f in functions.items()
                ],
                width=6,
            ),
        )

        business = cw.Dashboard(self, "BusinessDashboard", dashboard_name=f"{prefix}-business")
        business.add_widgets(
            cw.SingleValueWidget(
                title="Last 24 hours",
                metrics=[
                    self.custom(metric, "Sum", Duration.days(1), metric)
                    for metric in (
                        m.MEMBERS_JOINED,
                        m.FOLLOWS_COMPLETED,
                        m.FOLLOWS_FAILED,
                        m.FOLLOWS_SKIPPED,
                    )
                ],
                width=24,
            )
        )
        # Daily gauges of the analytics rollup (functions/analytics_rollup).
        business.add_widgets(
            cw.GraphWidget(
                title="Members and active members (daily rollup)",
                left=[
                    self.custom(m.MEMBERS_TOTAL, "Maximum", Duration.days(1), "members"),
                    self.custom(m.ACTIVE_MEMBERS, "Maximum", Duration.days(1), "active"),
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Follows per day",
                left=[
                    self.custom(m.FOLLOWS_COMPLETED, "Sum", Duration.days(1), "completed"),
                    self.custom(m.FOLLOWS_FAILED, "Sum", Duration.days(1), "failed"),
                ],
                width=12,
            ),
        )
        business.add_widgets(
            cw.GraphWidget(
                title="Members joined per day",
                left=[self.custom(m.MEMBERS_JOINED, "Sum", Duration.days(1), "joined")],
                width=12,
            ),
            cw.GraphWidget(
                title="Active members by tier",
                left=[
                    self.custom(
                        m.MEMBERS_BY_TIER, "Maximum", ONE_HOUR, tier, {m.TIER_DIMENSION: tier}
                    )
                    for tier in m.TIERS
                ],
                stacked=True,
                width=12,
            ),
            cw.GraphWidget(
                title="Follows per hour",
                left=[
                    self.custom(m.FOLLOWS_COMPLETED, "Sum", ONE_HOUR, "completed"),
                    self.custom(m.FOLLOWS_FAILED, "Sum", ONE_HOUR, "failed"),
                    self.custom(m.FOLLOWS_SKIPPED, "Sum", ONE_HOUR, "skipped"),
                ],
                width=24,
            ),
        )

    # ------------------------------------------------------------------------------ metrics
    def custom(
        self,
        metric_name: str,
        statistic: str,
        period: Duration,
        label: str,
        extra_dimensions: dict[str, str] | None = None,
    ) -> cw.Metric:
        """A custom metric as the functions emit it: Powertools EMF in the stage's namespace,
        ``service`` dimension = POWERTOOLS_SERVICE_NAME (see ``powertools_environment``)."""
        environment = powertools_environment(self.stage_config)
        return cw.Metric(
            namespace=environment["POWERTOOLS_METRICS_NAMESPACE"],
            metric_name=metric_name,
            dimensions_map={
                m.SERVICE_DIMENSION: environment["POWERTOOLS_SERVICE_NAME"],
                **(extra_dimensions or {}),
            },
            statistic=statistic,
            period=period,
            label=label,
        )
