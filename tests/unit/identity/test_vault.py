"""The token vault: envelope encryption bound to the member, refresh, rotation, reauth."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from followswarm.data.models import MemberModel, TokenVaultModel
from followswarm.domain.identity import vault
from followswarm.settings import get_settings

from .conftest import REGION, Env


def _tokens_of(env: Env, user_id: str) -> dict[str, Any]:
    return dict(
        env.fake("POST", "/_fake/tokens", {"user_id": user_id, "scopes": "user-follow-modify"})
    )


def _store(env: Env, member_id: str, user_id: str, expires_in: int = 3600) -> dict[str, Any]:
    issued = _tokens_of(env, user_id)
    vault.store_tokens(
        member_id,
        vault.SpotifyTokens(
            issued["access_token"],
            issued["refresh_token"],
            int(env.clock.now) + expires_in,
            frozenset({"user-follow-modify"}),
        ),
    )
    return issued


def _member(member_id: str, user_id: str) -> MemberModel:
    member = MemberModel(member_id, spotify_user_id=user_id, display_name="x")
    member.save()
    return member


def test_record_holds_no_plaintext(env: Env) -> None:
    user = env.new_spotify_user()
    _member("m1", user)
    issued = _store(env, "m1", user)
    record = TokenVaultModel.get("m1")
    raw = bytes(record.ciphertext) + bytes(record.encrypted_data_key)
    assert issued["access_token"].encode() not in raw
    assert issued["refresh_token"].encode() not in raw
    assert record.key_version == 1
    assert vault.access_token_for("m1") == issued["access_token"]
    assert "access" not in repr(vault.current_tokens("m1")).lower().replace("access_", "")


@pytest.mark.parametrize("moved", ["both", "ciphertext"])
def test_ciphertext_moved_to_another_member_fails(env: Env, moved: str) -> None:
    alice, bob = env.new_spotify_user("Alice"), env.new_spotify_user("Bob")
    _member("alice", alice)
    _member("bob", bob)
    _store(env, "alice", alice)
    _store(env, "bob", bob)
    stolen = TokenVaultModel.get("alice")
    victim = TokenVaultModel.get("bob")
    victim.ciphertext = stolen.ciphertext
    if moved == "both":
        victim.encrypted_data_key = stolen.encrypted_data_key
    victim.save()
    with pytest.raises(vault.ReauthRequired) as exc:
        vault.access_token_for("bob")
    assert exc.value.code == "needs_reauth"
    member = MemberModel.get("bob")
    assert member.needs_reauth
    assert member.paused
    # Alice's own record is untouched and still opens.
    assert vault.access_token_for("alice")


def test_refresh_when_under_five_minutes_left_rotates_refresh_token(env: Env) -> None:
    user = env.new_spotify_user()
    _member("m1", user)
    issued = _store(env, "m1", user, expires_in=3600)
    env.clock.advance(3600 - 299)
    token = vault.access_token_for("m1")
    assert token != issued["access_token"]
    fresh = vault.current_tokens("m1")
    # The stand-in rotates refresh tokens: the new one replaced the old one in the same write.
    assert fresh.refresh_token != issued["refresh_token"]
    assert fresh.expires_at == int(env.clock.now) + 3600
    assert vault.access_token_for("m1") == token  # no second refresh


def test_no_refresh_with_more_than_five_minutes_left(env: Env) -> None:
    user = env.new_spotify_user()
    _member("m1", user)
    issued = _store(env, "m1", user)
    env.clock.advance(3600 - 301)
    assert vault.access_token_for("m1") == issued["access_token"]


def test_force_refresh(env: Env) -> None:
    user = env.new_spotify_user()
    _member("m1", user)
    issued = _store(env, "m1", user)
    assert vault.force_refresh("m1") != issued["access_token"]


def test_rejected_refresh_marks_needs_reauth_and_mails(env: Env) -> None:
    user = env.new_spotify_user()
    member = _member("m1", user)
    member.update(
        actions=[MemberModel.email.set("m1@example.com"), MemberModel.email_verified.set(True)]
    )
    _store(env, "m1", user)
    env.fake("POST", f"/_fake/users/{user}/revoke", {"access": True, "refresh": True})
    with pytest.raises(vault.ReauthRequired):
        vault.force_refresh("m1")
    member.refresh()
    assert member.needs_reauth
    assert member.paused
    assert member.pause_reason == "needs_reauth"
    mails = env.mails(to="m1@example.com")
    assert [m["categories"] for m in mails] == [["needs_reauth"]]
    # Only once: a second failure does not mail again.
    with pytest.raises(vault.ReauthRequired):
        vault.force_refresh("m1")
    assert len(env.mails(to="m1@example.com")) == 1


def test_member_pause_is_kept_on_reauth(env: Env) -> None:
    user = env.new_spotify_user()
    member = _member("m1", user)
    member.update(actions=[MemberModel.paused.set(True)])
    _store(env, "m1", user)
    env.fake("POST", f"/_fake/users/{user}/revoke", {"refresh": True})
    with pytest.raises(vault.ReauthRequired):
        vault.force_refresh("m1")
    member.refresh()
    assert member.paused
    assert member.pause_reason is None


def test_no_tokens_means_reauth(env: Env) -> None:
    _member("m1", env.new_spotify_user())
    with pytest.raises(vault.ReauthRequired):
        vault.access_token_for("m1")
    assert MemberModel.get("m1").needs_reauth


def test_key_rotation_reads_old_records_until_reencrypted(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = env.new_spotify_user()
    _member("m1", user)
    issued = _store(env, "m1", user)
    old_key = TokenVaultModel.get("m1").encrypted_data_key
    # The operator creates a new key, points a new alias at it and bumps the version.
    kms = boto3.client("kms", region_name=REGION)
    key_id = kms.create_key(Description="tokens v2")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/followswarm-unit-tokens-v2", TargetKeyId=key_id)
    monkeypatch.setenv("SWARM_TOKEN_KEY_ALIAS", "alias/followswarm-unit-tokens-v2")
    monkeypatch.setenv("SWARM_TOKEN_KEY_VERSION", "2")
    get_settings.cache_clear()
    # Before the job: the old record still reads.
    assert vault.access_token_for("m1") == issued["access_token"]
    assert vault.rotate_keys() == {"rotated": 1, "skipped": 0, "failed": 0}
    record = TokenVaultModel.get("m1")
    assert record.key_version == 2
    assert record.encrypted_data_key != old_key
    assert kms.decrypt(
        CiphertextBlob=bytes(record.encrypted_data_key), EncryptionContext={"member_id": "m1"}
    )["KeyId"].endswith(key_id)
    assert vault.access_token_for("m1") == issued["access_token"]
    assert vault.rotate_keys()["rotated"] == 0
