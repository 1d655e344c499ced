"""Spotify IDs and URIs: validation and deterministic generation."""

from __future__ import annotations

import hashlib
import re

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_ID = re.compile(r"^[0-9A-Za-z]{22}$")
# Spotify user IDs are free-form usernames (older accounts) or opaque lowercase strings.
_USER_ID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
_URI = re.compile(r"^spotify:([a-z]+):([^:]+)$")

# Types the library endpoints accept (artist included: the swarm's follow path).
LIBRARY_TYPES = frozenset(
    {"track", "album", "episode", "show", "audiobook", "artist", "user", "playlist"}
)


def is_base62_id(value: str) -> bool:
    return bool(_BASE62_ID.match(value))


def is_user_id(value: str) -> bool:
    return bool(_USER_ID.match(value))


def base62_id(*parts: object) -> str:
    """A 22-character base62 ID derived from `parts` (stable across runs)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(22):
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    return "".join(chars)


def user_id(*parts: object) -> str:
    """A Spotify-like opaque user ID: 25 lowercase base36 characters."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    number = int.from_bytes(digest, "big")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    chars = []
    for _ in range(25):
        number, rem = divmod(number, 36)
        chars.append(alphabet[rem])
    return "".join(chars)


def parse_uri(uri: str) -> tuple[str, str] | None:
    """(type, id) for a well-formed `spotify:<type>:<id>` URI, else None."""
    match = _URI.match(uri)
    if not match:
        return None
    kind, ident = match.group(1), match.group(2)
    valid = is_user_id(ident) if kind == "user" else is_base62_id(ident)
    return (kind, ident) if valid else None
