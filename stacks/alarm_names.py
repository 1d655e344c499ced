"""Alarm names shared by the monitoring stack (which creates the alarms) and each function's
CodeDeploy deployment group (which rolls a canary back when they fire).

The deployment groups live with their aliases in the function stacks and refer to the alarms
by these deterministic names, so no function stack depends on the monitoring stack (which
depends on them).
"""

from __future__ import annotations

from followswarm.catalog import FunctionSpec

API_5XX_RATE = "api-5xx-rate"


def alarm_name(prefix: str, short_name: str) -> str:
    """``followswarm-dev`` + ``api-5xx-rate`` -> ``followswarm-dev-api-5xx-rate``."""
    return f"{prefix}-{short_name}"


def function_errors(function_name: str) -> str:
    return f"{function_name}-errors"


def function_throttles(function_name: str) -> str:
    return f"{function_name}-throttles"


def rollback_alarms(spec: FunctionSpec) -> tuple[str, ...]:
    """Alarms that stop and roll back a canary of this function: its own errors, and for
    functions behind the HTTP API the API's 5xx rate as well."""
    names = [function_errors(spec.name)]
    if spec.trigger == "http":
        names.append(API_5XX_RATE)
    return tuple(names)
