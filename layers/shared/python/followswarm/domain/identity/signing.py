"""The signing keys of sessions, CSRF tokens and email links, from Secrets Manager.

The secret is JSON, flat ``{"kid": "k1", "secret": "..."}`` or ``{"current": {"kid": "k2", "secret": "..."}, "previous": {"kid": "k1",
"secret": "..."}}`` (``previous`` optional). New tokens are signed with ``current``; tokens
carrying either ``kid`` verify, so rotating the secret never signs anyone out.
"""

from __future__ import annotations

from dataclasses import dataclass

from followswarm.clients.secrets import get_json_secret
from followswarm.settings import get_settings


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: bytes

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"


def _key(entry: object) -> SigningKey | None:
    if not isinstance(entry, dict) or not entry.get("kid") or not entry.get("secret"):
        return None
    return SigningKey(str(entry["kid"]), str(entry["secret"]).encode())


def signing_keys() -> tuple[SigningKey, dict[str, SigningKey]]:
    """The current key, and every accepted key by ``kid`` (current and previous)."""
    secret = get_json_secret(get_settings().jwt_secret_name)
    # The secret Secrets Manager generates at deploy time is flat ({"kid", "secret"}); rotation
    # (docs/runbooks) writes the nested current/previous form. Both are accepted.
    current = _key(secret.get("current", secret))
    if current is None:
        raise RuntimeError("the JWT signing secret has no usable 'current' key")
    accepted = {current.kid: current}
    previous = _key(secret.get("previous"))
    if previous is not None:
        accepted.setdefault(previous.kid, previous)
    return current, accepted
