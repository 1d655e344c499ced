"""The signing keys of sessions, CSRF tokens and email links, from Secrets Manager.

The secret is JSON, flat ``{"kid": "k1", "secret": "..."}`` or ``{"current": {"kid": "k2", "secret": "..."}, "previous": {"kid": "k1",
"secret": "..."}}`` (``previous`` optional). New tokens are signed with ``current``; tokens
carrying either ``kid`` verify, so rotating the secret never signs anyone out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


class InvalidSignature(Exception):
    """The token is malformed, signed by an unknown key, or fails audience/required claims."""


ALGORITHM = "HS256"


def sign(claims: dict[str, Any]) -> str:
    """Signs claims with the current key (``kid`` in the header)."""
    import jwt  # PyJWT loads cryptography: paid on first use, not at cold start

    current, _ = signing_keys()
    return jwt.encode(claims, current.secret, algorithm=ALGORITHM, headers={"kid": current.kid})


def verify(
    token: str, *, audience: str, require: list[str], issuer: str | None = None
) -> dict[str, Any]:
    """Checks signature (by ``kid``), audience, issuer and required claims.

    Time claims are left to the caller, who checks them against ``followswarm.clock``:
    PyJWT would check them against the wall clock.
    """
    import jwt

    _, accepted = signing_keys()
    try:
        key = accepted.get(str(jwt.get_unverified_header(token).get("kid")))
        if key is None:
            raise InvalidSignature("unknown kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "require": require,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidSignature(str(exc)) from exc
    return claims
