"""The token vault: members' Spotify tokens under envelope encryption, refreshed on demand.

Each write asks KMS for a fresh AES-256 data key under the current key alias, with the member
id as encryption context; the tokens are sealed with AES-256-GCM, the member id again as
associated data. A ciphertext (or data key) copied to another member's record therefore fails
to open: KMS refuses the data key, or GCM refuses the tag.

Key rotation without downtime: every record carries the ``key_version`` it was sealed under.
An operator points ``token_key_alias`` at a new key and bumps ``token_key_version``; writes
use the new key at once, reads keep working for old records because a KMS ciphertext names
its own key, and :func:`rotate_keys` re-seals the stragglers.

    >>> token = access_token_for(member_id)  # refreshed first if under 5 minutes remain
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, NoReturn

import requests
from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pynamodb.exceptions import PutError
from spotipy.exceptions import SpotifyOauthError

from followswarm import clock
from followswarm.clients.aws import aws_client
from followswarm.data.models import TokenVaultModel
from followswarm.data.repositories import tokens as token_repo
from followswarm.errors import DependencyFailed, SwarmError
from followswarm.settings import get_settings

logger = Logger(child=True)

#: Refresh when less than this is left, so a batch never starts with a dying token.
REFRESH_MARGIN_SECONDS = 300
_NONCE_BYTES = 12
#: OAuth errors that mean the grant is gone for good: re-authorization, never a retry.
# Only the member's grant being refused means re-authorization. invalid_client is our app's
# credential (e.g. mid secret rotation): retrying later is right, flagging members is not.
_REVOKED_ERRORS = frozenset({"invalid_grant"})


class ReauthRequired(SwarmError):
    """The member must sign in with Spotify again (refresh rejected, scope revoked, no tokens)."""

    status = 403
    code = "needs_reauth"


class VaultUnreadable(Exception):
    """A record that does not open for its member: tampered, moved or its key withheld."""


@dataclass(frozen=True)
class SpotifyTokens:
    access_token: str
    refresh_token: str
    expires_at: int
    scopes: frozenset[str]

    def __repr__(self) -> str:
        # Never let a token reach a log line through a repr.
        return f"SpotifyTokens(expires_at={self.expires_at}, scopes={sorted(self.scopes)})"


# ------------------------------------------------------------------------------ encryption


def _context(member_id: str) -> dict[str, str]:
    return {"member_id": member_id}


def _seal(record: TokenVaultModel, tokens: SpotifyTokens) -> None:
    """Fills ``record`` with a fresh data key and the sealed tokens (no write)."""
    settings = get_settings()
    member_id = str(record.pk)
    data_key = aws_client("kms").generate_data_key(
        KeyId=settings.token_key_alias, KeySpec="AES_256", EncryptionContext=_context(member_id)
    )
    nonce = os.urandom(_NONCE_BYTES)
    payload = json.dumps({"a": tokens.access_token, "r": tokens.refresh_token}).encode()
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, payload, member_id.encode())
    record.key_version = settings.token_key_version
    record.encrypted_data_key = data_key["CiphertextBlob"]
    record.ciphertext = nonce + sealed
    record.access_expires_at = tokens.expires_at
    record.scopes = set(tokens.scopes) or None
    record.updated_at = clock.now_int()


def _open(record: TokenVaultModel) -> SpotifyTokens:
    member_id = str(record.pk)
    try:
        # No KeyId: the ciphertext blob names its key, so records sealed under the previous
        # key stay readable until the rotation job has re-sealed them.
        data_key = aws_client("kms").decrypt(
            CiphertextBlob=bytes(record.encrypted_data_key), EncryptionContext=_context(member_id)
        )["Plaintext"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"InvalidCiphertextException", "IncorrectKeyException", "AccessDeniedException"}:
            raise VaultUnreadable(code) from exc
        raise
    blob = bytes(record.ciphertext)
    try:
        plain = AESGCM(data_key).decrypt(
            blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], member_id.encode()
        )
    except InvalidTag as exc:
        raise VaultUnreadable("InvalidTag") from exc
    values = json.loads(plain)
    return SpotifyTokens(
        access_token=values["a"],
        refresh_token=values["r"],
        expires_at=int(record.access_expires_at),
        scopes=frozenset(record.scopes or ()),
    )


# ------------------------------------------------------------------------------- public API


def store_tokens(member_id: str, tokens: SpotifyTokens) -> None:
    """Seals and stores a member's tokens (after sign-in), replacing any earlier ones."""
    for _ in range(3):
        record = token_repo.get(member_id) or TokenVaultModel(member_id)
        _seal(record, tokens)
        try:
            token_repo.save(record)
            return
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    raise DependencyFailed("The token vault is busy; try again", code="vault_busy")


def has_tokens(member_id: str) -> bool:
    return token_repo.get(member_id) is not None


def token_metadata(member_id: str) -> dict[str, Any] | None:
    """What the vault holds about a member, minus the tokens (for the data export)."""
    record = token_repo.get(member_id)
    if record is None:
        return None
    return {
        "scopes": sorted(record.scopes or ()),
        "access_expires_at": int(record.access_expires_at),
        "key_version": int(record.key_version),
        "updated_at": int(record.updated_at),
    }


def delete_tokens(member_id: str) -> None:
    token_repo.delete(member_id)


def access_token_for(member_id: str) -> str:
    """A valid Spotify access token for the member, refreshed when under 5 minutes remain.

    Raises :class:`ReauthRequired` (after marking the member ``needs_reauth``, pausing them and
    sending the notification) when the tokens are gone, unreadable or the refresh is rejected.
    """
    record, tokens = _load(member_id)
    if tokens.expires_at - clock.now() >= REFRESH_MARGIN_SECONDS:
        return tokens.access_token
    return _refresh(record, tokens)


def force_refresh(member_id: str) -> str:
    """Refreshes once regardless of the expiry (after Spotify answered 401) and returns the token."""
    record, tokens = _load(member_id)
    return _refresh(record, tokens)


def current_tokens(member_id: str) -> SpotifyTokens:
    """The stored tokens as they are (no refresh); for callers that only need to read them."""
    return _load(member_id)[1]


def rotate_keys() -> dict[str, int]:
    """Re-seals every record older than the current key version (the rotation job)."""
    current = get_settings().token_key_version
    done = skipped = failed = 0
    for record in token_repo.older_than_version(current):
        try:
            tokens = _open(record)
        except VaultUnreadable:
            failed += 1
            logger.warning(
                "token record unreadable during rotation", extra={"member_id": record.pk}
            )
            continue
        _seal(record, tokens)
        try:
            token_repo.save(record)
            done += 1
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            # A concurrent refresh re-sealed it, necessarily under the current key.
            skipped += 1
    logger.info("token key rotation", extra={"rotated": done, "skipped": skipped, "failed": failed})
    return {"rotated": done, "skipped": skipped, "failed": failed}


# -------------------------------------------------------------------------------- internals


def _load(member_id: str) -> tuple[TokenVaultModel, SpotifyTokens]:
    record = token_repo.get(member_id)
    if record is None:
        _reauth(member_id, "no_tokens")
    try:
        return record, _open(record)
    except VaultUnreadable as exc:
        from followswarm.domain.identity import audit

        audit.record(audit.TOKEN_UNREADABLE, None, member_id, {"reason": str(exc)})
        _reauth(member_id, "token_unreadable")


def _refresh(record: TokenVaultModel, tokens: SpotifyTokens) -> str:
    from followswarm.clients.spotify import spotify_oauth

    member_id = str(record.pk)
    try:
        info = spotify_oauth().refresh_access_token(tokens.refresh_token)
    except SpotifyOauthError as exc:
        if exc.error not in _REVOKED_ERRORS:
            raise DependencyFailed(
                "Spotify could not refresh the token", code="spotify_unavailable"
            ) from exc
        # With rotation, a concurrent refresh spends the old token first: use its result.
        latest = token_repo.get(member_id)
        if latest is not None and latest.version != record.version:
            return _open(latest).access_token
        _reauth(member_id, str(exc.error))
    except requests.RequestException as exc:
        raise DependencyFailed(
            "Spotify could not refresh the token", code="spotify_unavailable"
        ) from exc
    fresh = SpotifyTokens(
        access_token=str(info["access_token"]),
        # A refresh that returns a new refresh token replaces the old one in this same write.
        refresh_token=str(info.get("refresh_token") or tokens.refresh_token),
        # spotipy stamps expires_at from the wall clock; ours may be virtual.
        expires_at=clock.now_int() + int(info["expires_in"]),
        scopes=tokens.scopes,
    )
    _seal(record, fresh)
    try:
        token_repo.save(record)
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        # Another writer refreshed meanwhile; our access token is valid all the same.
        logger.info("token refreshed concurrently", extra={"member_id": member_id})
    return fresh.access_token


def _reauth(member_id: str, reason: str) -> NoReturn:
    from followswarm.domain.identity.members import mark_needs_reauth

    mark_needs_reauth(member_id, reason)
    raise ReauthRequired("Spotify access was revoked or has expired; sign in with Spotify again")
