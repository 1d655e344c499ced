"""Custom CloudWatch metric names (EMF via Powertools), read by the code and the dashboards."""

from __future__ import annotations

SERVICE_DIMENSION = "service"
SPOTIFY_CALLS = "SpotifyCalls"
SPOTIFY_RATE_LIMITED = "SpotifyRateLimited"
SPOTIFY_LATENCY_MS = "SpotifyLatency"
FOLLOWS_COMPLETED = "FollowsCompleted"
FOLLOWS_FAILED = "FollowsFailed"
FOLLOWS_SKIPPED = "FollowsSkipped"
MEMBERS_JOINED = "MembersJoined"
JOBS_DISPATCHED = "JobsDispatched"
JOBS_REQUEUED = "JobsRequeued"
QUEUE_DEPTH = "QueueDepth"
QUEUE_OLDEST_AGE_SECONDS = "QueueOldestAge"
BUDGET_USE_PERCENT = "SpotifyBudgetUse"

# Read by the CDK business dashboard (stacks/monitoring_stack.py); emitted by the analytics
# rollup as a gauge per tier: ``metrics.add_dimension(TIER_DIMENSION, tier)``.
MEMBERS_BY_TIER = "MembersByTier"
#: Gauges of the daily rollup (one datapoint a day): every member, and the active ones.
MEMBERS_TOTAL = "Members"
ACTIVE_MEMBERS = "ActiveMembers"
#: Daily backup: table exports started.
BACKUP_EXPORTS_STARTED = "BackupExportsStarted"
TIER_DIMENSION = "tier"
TIERS = ("free", "pro", "premium")
