"""The token vault's records: ciphertexts and key metadata only, never plaintext tokens."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import DoesNotExist

from followswarm.data.models import TokenVaultModel


def get(member_id: str) -> TokenVaultModel | None:
    try:
        return TokenVaultModel.get(member_id, consistent_read=True)
    except DoesNotExist:
        return None


def save(record: TokenVaultModel) -> None:
    """Writes the record; its version attribute makes a concurrent writer fail, not overwrite."""
    record.save()


def delete(member_id: str) -> None:
    TokenVaultModel(member_id).delete(add_version_condition=False)


def older_than_version(key_version: int) -> Iterator[TokenVaultModel]:
    """Records still encrypted under an older key (the rotation job's work list)."""
    # A scan: one record per member, and rotation is rare.
    return TokenVaultModel.scan(TokenVaultModel.key_version < key_version)
