"""What each catalog function may touch: the input to its least-privilege IAM policy.

Keyed by catalog function name; a function added to the catalog without an entry here fails
synthesis, so nothing is deployed with guessed permissions.
"""

from __future__ import annotations

from dataclasses import dataclass

from followswarm.catalog import API as API_FUNCTION
from followswarm.catalog import (
    BILLING,
    DIGEST,
    DISPATCHER,
    FOLLOW_WORKER,
    FUNCTIONS,
    NOTIFIER,
    RECIPROCITY,
)
from followswarm.settings import TABLE_LOGICAL_NAMES

#: Settings attributes naming the Secrets Manager secrets.
SPOTIFY_SECRET = "spotify_secret_name"
JWT_SECRET = "jwt_secret_name"
STRIPE_SECRET = "stripe_secret_name"
SENDGRID_SECRET = "sendgrid_secret_name"
ALL_SECRETS = (SPOTIFY_SECRET, JWT_SECRET, STRIPE_SECRET, SENDGRID_SECRET)


@dataclass(frozen=True)
class FunctionAccess:
    #: Logical table names (read/write data access, never table management).
    tables: tuple[str, ...]
    #: Envelope encryption with the token-vault KMS key (GenerateDataKey, Encrypt, Decrypt).
    token_key: bool = False
    #: Settings attributes of the secrets it reads.
    secrets: tuple[str, ...] = ()
    #: Sends follow jobs (gets ``SWARM_FOLLOW_QUEUE_URL``).
    sends_follow_jobs: bool = False
    #: Reads queue depths and redrives the follow DLQ (admin queue routes).
    manages_follow_queues: bool = False
    #: Queues member mails on the notify queue (gets ``SWARM_NOTIFY_QUEUE_URL``).
    sends_notifications: bool = False
    #: Exports every table to the backup bucket (ExportTableToPointInTime; no item access).
    exports_tables: bool = False


ACCESS: dict[str, FunctionAccess] = {
    API_FUNCTION.name: FunctionAccess(
        tables=tuple(t for t in TABLE_LOGICAL_NAMES if t != "idempotency"),
        token_key=True,
        # Stripe is the billing function's, SendGrid the notifier's: the API only queues mail.
        secrets=(SPOTIFY_SECRET, JWT_SECRET),
        sends_follow_jobs=True,
        manages_follow_queues=True,
        sends_notifications=True,
    ),
    FOLLOW_WORKER.name: FunctionAccess(
        tables=(
            "members",
            "tokens",
            "roster",
            "edges",
            "usage",
            "jobs",
            "stats",
            "audit",
            "idempotency",
        ),
        token_key=True,
        secrets=(SPOTIFY_SECRET,),
        sends_follow_jobs=True,
        sends_notifications=True,  # needs re-auth, first followers, roster complete
    ),
    DISPATCHER.name: FunctionAccess(
        tables=("members", "roster", "edges", "usage", "jobs", "stats"),
        sends_follow_jobs=True,
    ),
    # Checks completed follows with the member's own token, emails those it blocks.
    RECIPROCITY.name: FunctionAccess(
        tables=("members", "tokens", "roster", "edges", "usage", "jobs", "stats", "audit"),
        token_key=True,
        secrets=(SPOTIFY_SECRET,),
        sends_notifications=True,
    ),
    # functions/token_rotation: re-seals vault records under the current token key version.
    "token-rotation": FunctionAccess(tables=("tokens", "audit"), token_key=True),
    # functions/analytics_rollup: scans members and the day's jobs, writes daily stats.
    "analytics-rollup": FunctionAccess(tables=("members", "jobs", "stats")),
    # functions/backup: starts an export of every table into the backup bucket.
    "backup": FunctionAccess(tables=(), exports_tables=True),
    # Checkout/portal sessions (members, session checks in auth), webhooks applied once per
    # event id (idempotency), payment-failed mails queued.
    BILLING.name: FunctionAccess(
        tables=("members", "auth", "idempotency"),
        secrets=(STRIPE_SECRET, JWT_SECRET),
        sends_notifications=True,
    ),
    # Renders mails with the member's data and progress; each notification sent once.
    NOTIFIER.name: FunctionAccess(
        tables=("members", "roster", "edges", "usage", "jobs", "idempotency"),
        secrets=(SENDGRID_SECRET, JWT_SECRET),
    ),
    # Scans members with a verified address and queues their weekly digest.
    DIGEST.name: FunctionAccess(tables=("members",), sends_notifications=True),
}


def access_for(function_name: str) -> FunctionAccess:
    try:
        return ACCESS[function_name]
    except KeyError:
        raise KeyError(
            f"catalog function {function_name!r} has no entry in stacks/access.py"
        ) from None


def check_complete() -> None:
    """Every catalog function has an access entry (entries may precede the catalog)."""
    missing = {f.name for f in FUNCTIONS} - set(ACCESS)
    if missing:
        raise ValueError(f"catalog functions without an entry in stacks/access.py: {missing}")
    for name, access in ACCESS.items():
        unknown = set(access.tables) - set(TABLE_LOGICAL_NAMES)
        if unknown:
            raise ValueError(f"{name}: unknown tables {sorted(unknown)}")
