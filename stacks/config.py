"""Per-stage deployment configuration, read from the ``stages`` context of ``cdk.json``.

Each stage entry holds deployment keys (below) and may override any :class:`Settings` field by
its name (``worker_reserved_concurrency``, ``cors_allow_origins``, ``public_base_url``, ...).
Unknown keys are an error, so a typo can't silently fall back to a default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from followswarm.settings import Settings

#: Context key holding the stage map.
STAGES_CONTEXT_KEY = "stages"
#: CloudFront-scoped WAF web ACLs (and ACM certificates for CloudFront) live in us-east-1 only.
CLOUDFRONT_REGION = "us-east-1"

_DEPLOY_KEYS = {
    "account",
    "region",
    "alarm_email",
    "retain_data",
    "log_retention_days",
    "log_level",
    "domain_name",
    "certificate_arn",
}


@dataclass(frozen=True)
class StageConfig:
    """Everything a stage's stacks need besides the catalog and the table specs."""

    name: str
    settings: Settings
    region: str
    account: str | None
    alarm_email: str | None
    retain_data: bool
    log_retention_days: int
    log_level: str
    #: Custom domain for CloudFront (with ``certificate_arn`` from ACM in us-east-1), if any.
    domain_name: str | None
    certificate_arn: str | None

    @property
    def prefix(self) -> str:
        """Physical-name prefix shared with the settings (``followswarm-dev``)."""
        return f"{self.settings.app_name}-{self.name}"

    @classmethod
    def from_context(cls, name: str, raw: dict[str, Any]) -> StageConfig:
        settings_fields = set(Settings.model_fields)
        unknown = set(raw) - _DEPLOY_KEYS - settings_fields
        if unknown:
            raise ValueError(f"stage {name}: unknown context keys {sorted(unknown)}")
        overrides = {k: v for k, v in raw.items() if k in settings_fields and k != "stage"}
        if isinstance(overrides.get("cors_allow_origins"), list):
            overrides["cors_allow_origins"] = tuple(overrides["cors_allow_origins"])
        settings = Settings.for_stage(name, **overrides)
        region = str(raw.get("region", CLOUDFRONT_REGION))
        if region != CLOUDFRONT_REGION:
            raise ValueError(
                f"stage {name}: region must be {CLOUDFRONT_REGION} (CloudFront-scoped WAF)"
            )
        domain_name = raw.get("domain_name") or None
        certificate_arn = raw.get("certificate_arn") or None
        if bool(domain_name) != bool(certificate_arn):
            raise ValueError(f"stage {name}: domain_name and certificate_arn go together")
        if not settings.cors_allow_origins or "*" in settings.cors_allow_origins:
            raise ValueError(f"stage {name}: cors_allow_origins must be an explicit allowlist")
        return cls(
            name=name,
            settings=settings,
            region=region,
            account=raw.get("account") or None,
            alarm_email=raw.get("alarm_email") or None,
            retain_data=bool(raw.get("retain_data", False)),
            log_retention_days=int(raw.get("log_retention_days", 30)),
            log_level=str(raw.get("log_level", "INFO")),
            domain_name=domain_name,
            certificate_arn=certificate_arn,
        )


def stages_from_context(context: dict[str, Any]) -> list[StageConfig]:
    """Every stage in the context, in the order given."""
    stages = context.get(STAGES_CONTEXT_KEY)
    if not isinstance(stages, dict) or not stages:
        raise ValueError(f"cdk.json context needs a non-empty '{STAGES_CONTEXT_KEY}' map")
    return [StageConfig.from_context(name, dict(raw)) for name, raw in stages.items()]
