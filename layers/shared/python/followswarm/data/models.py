"""pynamodb models: the single definition of every table's keys and indexes.

Several models may share one table (they share its key attribute names); ``tables.py`` groups
them and derives the table definitions that the CDK data stack and the local runtime create.
Table names are bound at start-up by :func:`followswarm.data.tables.bind_models`.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

UNBOUND = "unbound"


class SwarmModel(Model):
    """Base for all models; ``Meta.table_name`` is replaced when the models are bound."""

    #: Logical table this model lives in (see ``settings.TABLE_LOGICAL_NAMES``).
    logical_table = ""
    #: Attribute DynamoDB's TTL deletes by (epoch seconds), if any.
    ttl_attribute: str | None = None

    class Meta:
        table_name = UNBOUND


# --------------------------------------------------------------------------------- members


class DueForDispatchIndex(GlobalSecondaryIndex["MemberModel"]):
    """Sparse index of roster members by the time their next dispatch falls due."""

    class Meta:
        index_name = "due-for-dispatch"
        projection = KeysOnlyProjection()

    dispatch_shard = UnicodeAttribute(hash_key=True)
    next_dispatch_at = NumberAttribute(range_key=True)


class MemberModel(SwarmModel):
    """A member: one Spotify account, at most one claimed artist, their roster state."""

    logical_table = "members"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)  # member id
    spotify_user_id = UnicodeAttribute()
    display_name = UnicodeAttribute(default="")
    role = UnicodeAttribute(default="member")  # member | admin
    account_status = UnicodeAttribute(default="active")  # active | suspended
    tier = UnicodeAttribute(default="free")  # free | pro | premium
    email = UnicodeAttribute(null=True)
    email_verified = BooleanAttribute(default=False)
    email_preferences = JSONAttribute(default=dict)
    artist_id = UnicodeAttribute(null=True)
    artist_name = UnicodeAttribute(null=True)
    artist_claim_status = UnicodeAttribute(default="none")  # none | pending | approved
    roster_status = UnicodeAttribute(default="none")  # none | joined | left
    join_seq = NumberAttribute(null=True)
    joined_at = NumberAttribute(null=True)
    paused = BooleanAttribute(default=False)
    #: Why ``paused`` was set by the system (``needs_reauth``), so a new sign-in can lift it
    #: without undoing a pause the member chose.
    pause_reason = UnicodeAttribute(null=True)
    needs_reauth = BooleanAttribute(default=False)
    reciprocity_blocked = BooleanAttribute(default=False)
    #: Highest roster sequence followed in the "newcomers" direction (ascending from join_seq).
    new_cursor = NumberAttribute(null=True)
    #: Next roster sequence to follow in the "backlog" direction (descending towards 1).
    backlog_cursor = NumberAttribute(null=True)
    follows_done = NumberAttribute(default=0)
    follows_failed = NumberAttribute(default=0)
    follows_skipped = NumberAttribute(default=0)
    dispatch_shard = UnicodeAttribute(null=True)
    next_dispatch_at = NumberAttribute(null=True)
    stripe_customer_id = UnicodeAttribute(null=True)
    subscription_id = UnicodeAttribute(null=True)
    subscription_status = UnicodeAttribute(null=True)
    #: One-time mails already sent (``first_followers``, ``roster_complete``).
    milestones = UnicodeSetAttribute(default=set)
    created_at = NumberAttribute(default=0)
    updated_at = NumberAttribute(default=0)
    version = VersionAttribute()

    due_for_dispatch = DueForDispatchIndex()


class ArtistClaimModel(SwarmModel):
    """Uniqueness guard: one member per Spotify artist (``pk = ARTIST#<artist id>``)."""

    logical_table = "members"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    claimed_at = NumberAttribute(default=0)


class SpotifyUserLinkModel(SwarmModel):
    """Lookup from a Spotify user id to the member (``pk = SPOTIFY#<user id>``)."""

    logical_table = "members"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()


class StripeCustomerLinkModel(SwarmModel):
    """Lookup from a Stripe customer id to the member (``pk = STRIPE#<customer id>``)."""

    logical_table = "members"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()


# ---------------------------------------------------------------------------------- tokens


class TokenVaultModel(SwarmModel):
    """A member's Spotify tokens, envelope-encrypted (ciphertexts only; never plaintext)."""

    logical_table = "tokens"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)  # member id
    key_version = NumberAttribute(default=1)
    encrypted_data_key = BinaryAttribute(legacy_encoding=False)
    ciphertext = BinaryAttribute(legacy_encoding=False)  # nonce + AES-GCM(access, refresh)
    access_expires_at = NumberAttribute()
    scopes = UnicodeSetAttribute(default=set)
    updated_at = NumberAttribute(default=0)
    version = VersionAttribute()


# ---------------------------------------------------------------------------------- roster


class RosterEntryModel(SwarmModel):
    """One roster slot per join, ordered by sequence (``pk = ROSTER``, ``seq`` >= 1)."""

    logical_table = "roster"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    member_id = UnicodeAttribute(null=True)
    artist_id = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)
    joined_at = NumberAttribute(default=0)
    #: Counter row only (``seq = 0``): the last sequence handed out and active member count.
    last_seq = NumberAttribute(null=True)
    active_count = NumberAttribute(null=True)


# ----------------------------------------------------------------------------------- edges


class FollowEdgeModel(SwarmModel):
    """A follow edge, keyed by its target so that "followers received" is one query."""

    logical_table = "edges"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)  # target member id
    sk = UnicodeAttribute(range_key=True)  # follower member id
    artist_id = UnicodeAttribute()
    status = UnicodeAttribute()  # done | skipped | failed
    reason = UnicodeAttribute(null=True)
    job_id = UnicodeAttribute(null=True)
    at = NumberAttribute(default=0)


# ----------------------------------------------------------------------------------- usage


class UsageWindowModel(SwarmModel):
    """Pacing ledgers and app-wide state, small enough to stay within one write unit.

    ``pk`` is a member id with ``sk = LEDGER`` (that member's follow ledger), or ``APP`` with
    ``sk = BUDGET`` (the app-wide Spotify call window) or ``sk = PAUSE`` (the global pause).
    """

    logical_table = "usage"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    #: Rolling-hour log ``[[epoch seconds, count], ...]`` (member) or 30-s call log (budget).
    entries = ListAttribute[Any](default=list)
    #: Follows per started hour (``{"<hour epoch>": count}``) for the rolling day.
    day_buckets = JSONAttribute(default=dict)
    month_key = UnicodeAttribute(default="")
    month_used = NumberAttribute(default=0)
    #: Recent job ids whose usage is reserved / whose results are counted (replay guards).
    reserved_jobs = ListAttribute[Any](default=list)
    completed_jobs = ListAttribute[Any](default=list)
    done = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    paused_until = NumberAttribute(null=True)
    admin_paused = BooleanAttribute(default=False)
    reason = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    version = VersionAttribute()


# ------------------------------------------------------------------------------------ jobs


class JobTarget(MapAttribute[str, Any]):
    member_id = UnicodeAttribute()
    artist_id = UnicodeAttribute()
    seq = NumberAttribute()
    status = UnicodeAttribute(default="pending")  # pending | done | skipped | failed
    reason = UnicodeAttribute(null=True)


class FollowJobModel(SwarmModel):
    """One batch of follows for one member: the unit of work on the queue and of history."""

    logical_table = "jobs"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)  # follower member id
    sk = UnicodeAttribute(range_key=True)  # job id, time ordered
    status = UnicodeAttribute(default="queued")  # queued | reserved | called | done | failed
    targets = ListAttribute(of=JobTarget, default=list)
    attempts = NumberAttribute(default=0)
    created_at = NumberAttribute(default=0)
    completed_at = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    version = VersionAttribute()


# ------------------------------------------------------------------------------------ auth


class OAuthStateModel(SwarmModel):
    """A pending OAuth ``state`` (``pk = STATE#<state>``), single use, 10 minutes."""

    logical_table = "auth"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    browser_binding = UnicodeAttribute()
    #: When the state stops being valid; the row itself lives on (TTL ``expires_at``) a while
    #: longer, so a late callback is told "expired" rather than "unknown".
    valid_until = NumberAttribute(null=True)
    expires_at = NumberAttribute()
    used = BooleanAttribute(default=False)


class SessionModel(SwarmModel):
    """A refresh-token family (``pk = FAMILY#<id>``); only the hash of the current token."""

    logical_table = "auth"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    current_hash = UnicodeAttribute()
    previous_hashes = UnicodeSetAttribute(default=set)
    revoked = BooleanAttribute(default=False)
    created_at = NumberAttribute(default=0)
    expires_at = NumberAttribute()
    version = VersionAttribute()


class RateLimitModel(SwarmModel):
    """A fixed-window counter (``pk = RL#<scope>#<key>#<window start>``)."""

    logical_table = "auth"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    # Not "count": that would shadow pynamodb's Model.count().
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()


# ----------------------------------------------------------------------------------- audit


class AuditEntryModel(SwarmModel):
    """An audit entry, bucketed by UTC day (``pk = AUDIT#YYYY-MM-DD``, ``sk = <ts>#<id>``)."""

    logical_table = "audit"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    subject_id = UnicodeAttribute(null=True)
    details = JSONAttribute(default=dict)
    at = NumberAttribute()


# ----------------------------------------------------------------------------------- stats


class DailyStatModel(SwarmModel):
    """Daily rollups: ``pk`` a member id or ``PLATFORM``, ``sk`` the UTC date ``YYYY-MM-DD``."""

    logical_table = "stats"

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    values = JSONAttribute(default=dict)
    at = NumberAttribute(default=0)


ALL_MODELS: tuple[type[SwarmModel], ...] = (
    MemberModel,
    ArtistClaimModel,
    SpotifyUserLinkModel,
    StripeCustomerLinkModel,
    TokenVaultModel,
    RosterEntryModel,
    FollowEdgeModel,
    UsageWindowModel,
    FollowJobModel,
    OAuthStateModel,
    SessionModel,
    RateLimitModel,
    AuditEntryModel,
    DailyStatModel,
)
