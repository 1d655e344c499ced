"""What each catalog function may touch: the input to its least-privilege IAM policy.

Keyed by catalog function name; a function added to the catalog without an entry here fails
synthesis, so nothing is deployed with guessed permissions.
"""

from __future__ import annotations

from dataclasses import dataclass

from followswarm.catalog import API as API_FUNCTION
from followswarm.catalog import DISPATCHER, FOLLOW_WORKER, FUNCTIONS, RECIPROCITY
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


ACCESS: dict[str, FunctionAccess] = {
    API_FUNCTION.name: FunctionAccess(
        tables=tuple(t for t in TABLE_LOGICAL_NAMES if t != "idempotency"),
        token_key=True,
        secrets=ALL_SECRETS,
        sends_follow_jobs=True,
        manages_follow_queues=True,
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
        secrets=(SPOTIFY_SECRET, SENDGRID_SECRET),
        sends_follow_jobs=True,
    ),
    DISPATCHER.name: FunctionAccess(
        tables=("members", "roster", "edges", "usage", "jobs", "stats"),
        sends_follow_jobs=True,
    ),
    # Checks completed follows with the member's own token, emails those it blocks.
    RECIPROCITY.name: FunctionAccess(
        tables=("members", "tokens", "roster", "edges", "usage", "jobs", "stats", "audit"),
        token_key=True,
        secrets=(SPOTIFY_SECRET, SENDGRID_SECRET),
    ),
    # functions/token_rotation: re-seals vault records under the current token key version.
    "token-rotation": FunctionAccess(tables=("tokens", "audit"), token_key=True),
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
