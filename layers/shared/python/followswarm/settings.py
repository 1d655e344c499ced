"""The one typed settings object of Follow-Swarm.

Every resource name and every limit lives here. Lambda functions read it from the environment;
the CDK stacks build the same object for a stage and hand its ``lambda_environment()`` to each
function, and the local runtime does the same, so a name is never spelled twice.

    >>> settings = Settings.for_stage("dev")
    >>> settings.members_table
    'followswarm-dev-members'
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "SWARM_"

FollowWritePath = Literal["library", "legacy"]
Tier = Literal["free", "pro", "premium"]

#: Logical names of every DynamoDB table; physical names are ``<app>-<stage>-<logical>``.
TABLE_LOGICAL_NAMES: tuple[str, ...] = (
    "members",
    "tokens",
    "roster",
    "edges",
    "usage",
    "jobs",
    "auth",
    "audit",
    "stats",
    "idempotency",
)

#: Spotify's own hard limits (not pacing choices): IDs per call on each write path.
SPOTIFY_MAX_IDS: dict[str, int] = {"library": 40, "legacy": 50}


class Settings(BaseSettings):
    """Configuration for one stage, read from ``SWARM_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    app_name: str = "followswarm"
    stage: str = "dev"
    aws_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("SWARM_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    #: Set only locally (moto server); production reaches AWS's own endpoints.
    aws_endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SWARM_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL")
    )

    # --- resource names (filled from app_name + stage unless set) ---
    members_table: str = ""
    tokens_table: str = ""
    roster_table: str = ""
    edges_table: str = ""
    usage_table: str = ""
    jobs_table: str = ""
    auth_table: str = ""
    audit_table: str = ""
    stats_table: str = ""
    idempotency_table: str = ""
    follow_queue_name: str = ""
    follow_dlq_name: str = ""
    notify_queue_name: str = ""
    notify_dlq_name: str = ""
    #: Set by the deployment (CDK) or the local runtime; looked up by name when empty.
    follow_queue_url: str = ""
    notify_queue_url: str = ""
    event_bus_name: str = ""
    backup_bucket_name: str = ""
    token_key_alias: str = ""
    spotify_secret_name: str = ""
    jwt_secret_name: str = ""
    stripe_secret_name: str = ""
    sendgrid_secret_name: str = ""
    metrics_namespace: str = "FollowSwarm"

    # --- external services (switched by configuration only) ---
    spotify_accounts_url: str = "https://accounts.spotify.com"
    spotify_api_url: str = "https://api.spotify.com/v1/"
    spotify_redirect_uri: str = "http://127.0.0.1:3001/auth/callback"
    spotify_write_path: FollowWritePath = "library"
    spotify_timeout_seconds: float = 5.0
    #: SendGrid's API, or the local sink; the key comes from the sendgrid secret.
    sendgrid_api_url: str = "https://api.sendgrid.com"
    email_from: str = "no-reply@followswarm.app"
    email_from_name: str = "Follow-Swarm"
    #: Stripe's API, or the local stand-in; the keys come from the stripe secret.
    stripe_api_base: str = "https://api.stripe.com"
    #: Stripe Price IDs of the paid tiers, per stage (cdk.json); empty: that tier isn't sold.
    stripe_price_pro: str = ""
    stripe_price_premium: str = ""
    #: How old a webhook signature's timestamp may be (Stripe's library default).
    stripe_webhook_tolerance_seconds: int = Field(default=300, ge=1)
    #: How long an applied Stripe event id or sent notification id is remembered (Powertools
    #: idempotency; Stripe retries a webhook for up to 3 days).
    idempotency_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=3600)
    notifier_max_concurrency: int = Field(default=2, ge=2, le=1000)
    public_base_url: str = "http://127.0.0.1:3001"
    dashboard_url: str = "http://127.0.0.1:3001/dashboard"
    cors_allow_origins: tuple[str, ...] = ("http://127.0.0.1:3001",)

    # --- pacing (per member) ---
    follows_per_hour: int = Field(default=30, ge=1)
    follows_per_day: int = Field(default=500, ge=1)
    monthly_free: int = Field(default=100, ge=0)
    monthly_pro: int = Field(default=1000, ge=0)
    #: ``0`` means unlimited.
    monthly_premium: int = Field(default=0, ge=0)
    follow_batch_size: int = Field(default=40, ge=1, le=50)
    dispatch_jitter_seconds: int = Field(default=120, ge=0)

    # --- app-wide Spotify budget ---
    spotify_calls_per_hour: int = Field(default=2700, ge=1)
    spotify_budget_window_seconds: int = Field(default=30, ge=1)

    # --- worker and queues ---
    worker_timeout_seconds: int = Field(default=30, ge=1, le=900)
    worker_reserved_concurrency: int = Field(default=5, ge=2)
    worker_max_concurrency: int = Field(default=5, ge=2, le=1000)
    worker_batch_size: int = Field(default=5, ge=1, le=10)
    queue_max_receive_count: int = Field(default=5, ge=5)
    reciprocity_unfollow_threshold: float = Field(default=0.2, ge=0.0, le=1.0)
    reciprocity_sample_size: int = Field(default=40, ge=1, le=40)

    # --- sessions and sign-in ---
    access_jwt_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    oauth_state_ttl_seconds: int = 600
    login_rate_per_minute: int = 3
    login_rate_per_hour: int = 10
    require_artist_approval: bool = False
    #: Session cookies are always Secure in AWS; browsers also honour them on loopback HTTP.
    session_cookie_secure: bool = True
    email_verification_ttl_seconds: int = 24 * 3600
    #: Spotify user ids granted the ``admin`` role when they sign in (bootstraps operators).
    admin_spotify_user_ids: tuple[str, ...] = ()

    # --- token vault ---
    #: Version of the KMS key behind ``token_key_alias``; records of older versions are
    #: re-encrypted by the rotation job and stay readable until then.
    token_key_version: int = Field(default=1, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _derive_names(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        app = values.get("app_name") or "followswarm"
        stage = values.get("stage") or "dev"
        prefix = f"{app}-{stage}"
        derived = {f"{name}_table": f"{prefix}-{name}" for name in TABLE_LOGICAL_NAMES}
        derived |= {
            "follow_queue_name": f"{prefix}-follow-jobs",
            "follow_dlq_name": f"{prefix}-follow-jobs-dlq",
            "notify_queue_name": f"{prefix}-notify",
            "notify_dlq_name": f"{prefix}-notify-dlq",
            "event_bus_name": f"{prefix}-bus",
            "backup_bucket_name": f"{prefix}-backups",
            "token_key_alias": f"alias/{prefix}-tokens",
            "spotify_secret_name": f"{prefix}/spotify",
            "jwt_secret_name": f"{prefix}/jwt-signing",
            "stripe_secret_name": f"{prefix}/stripe",
            "sendgrid_secret_name": f"{prefix}/sendgrid",
        }
        for key, value in derived.items():
            if not values.get(key):
                values[key] = value
        return values

    @model_validator(mode="after")
    def _check_limits(self) -> Settings:
        if self.follow_batch_size > SPOTIFY_MAX_IDS[self.spotify_write_path]:
            raise ValueError(
                f"follow_batch_size {self.follow_batch_size} exceeds Spotify's "
                f"{SPOTIFY_MAX_IDS[self.spotify_write_path]} IDs on the {self.spotify_write_path} path"
            )
        if self.worker_max_concurrency > self.worker_reserved_concurrency:
            # Above reserved concurrency, pollers get throttled and healthy messages drift to the DLQ.
            raise ValueError("worker_max_concurrency must not exceed worker_reserved_concurrency")
        return self

    @classmethod
    def for_stage(cls, stage: str, **overrides: Any) -> Settings:
        """Settings for a stage regardless of the current environment (used by CDK and tests)."""
        return cls.model_validate({"stage": stage, **overrides})

    def table_names(self) -> dict[str, str]:
        """Logical table name -> physical table name."""
        return {name: str(getattr(self, f"{name}_table")) for name in TABLE_LOGICAL_NAMES}

    @property
    def queue_visibility_timeout_seconds(self) -> int:
        """AWS advises at least six times the function timeout for SQS event sources."""
        return 6 * self.worker_timeout_seconds

    @property
    def spotify_budget_per_window(self) -> int:
        """App-wide Spotify calls allowed in one rolling window."""
        windows_per_hour = 3600 / self.spotify_budget_window_seconds
        return max(1, int(self.spotify_calls_per_hour / windows_per_hour))

    def stripe_prices(self) -> dict[str, str]:
        """Paid tier -> its Stripe Price ID (only the tiers configured for this stage)."""
        prices = {"pro": self.stripe_price_pro, "premium": self.stripe_price_premium}
        return {tier: price for tier, price in prices.items() if price}

    def monthly_cap(self, tier: Tier) -> int | None:
        """Follows per calendar month for a tier; ``None`` is unlimited."""
        cap = {"free": self.monthly_free, "pro": self.monthly_pro, "premium": self.monthly_premium}
        return cap[tier] or None

    def lambda_environment(self) -> dict[str, str]:
        """Environment variables that recreate these settings inside a function."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if name in {"aws_region", "aws_endpoint_url"} or value is None:
                continue
            if isinstance(value, tuple | list):
                env[f"{ENV_PREFIX}{name.upper()}"] = _json_list(value)
            elif isinstance(value, bool):
                env[f"{ENV_PREFIX}{name.upper()}"] = "true" if value else "false"
            else:
                env[f"{ENV_PREFIX}{name.upper()}"] = str(value)
        return env


def _json_list(values: tuple[Any, ...] | list[Any]) -> str:
    import json

    return json.dumps(list(values))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
