"""Reachability of the tables (for the readiness probe)."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from followswarm.data.tables import models_by_table


def unreachable_tables() -> list[str]:
    """Logical names of tables that can't be described right now."""
    failed = []
    for logical, models in models_by_table().items():
        if not models:
            continue  # the idempotency table is Powertools' own, checked with its feature
        try:
            models[0].describe_table()
        except (PynamoDBException, OSError):
            failed.append(logical)
    return failed
