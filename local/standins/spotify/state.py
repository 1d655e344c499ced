"""In-memory state of the Spotify stand-in, guarded by one lock.

Every public method takes the lock, so Flask's threaded server can call them concurrently.
Times are plain epoch floats from the stand-in's clock; nothing here reads the wall clock.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from . import ids
from .faults import FaultInjector


class StateError(Exception):
    """A request the state refuses; `status` and `message` go back to the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class GrantError(Exception):
    """An OAuth token-endpoint error (`error` is the RFC 6749 code)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class User:
    id: str
    display_name: str
    account_id: str
    email: str
    country: str = "SE"
    product: str = "premium"
    images: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Artist:
    id: str
    name: str
    popularity: int = 0
    genres: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    issued_at: float
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user_id: str
    scopes: frozenset[str]
    issued_at: float
    expires_at: float | None
    revoked: bool = False
    rotated: bool = False


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: frozenset[str]
    expires_at: float
    used: bool = False


@dataclass
class CallRecord:
    seq: int
    time: float
    kind: str  # "api" or "token"
    method: str
    path: str
    query: dict[str, str]
    status: int
    operation: str | None
    token: str | None
    client_id: str | None
    user_id: str | None
    fault: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IssuedTokens:
    access: AccessToken
    refresh: RefreshToken | None


class State:
    """Users, artists, the follow graph, tokens, codes, calls and the rate-limit windows."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.RLock()
        self._seed = seed
        self.faults = FaultInjector(seed)
        self._clear()

    def _clear(self) -> None:
        self.users: dict[str, User] = {}
        self.artists: dict[str, Artist] = {}
        self.follows: dict[str, set[str]] = {}  # user id -> artist ids
        self.follower_counts: dict[str, int] = {}  # artist id -> followers (kept in step)
        self.user_follows: dict[str, set[str]] = {}  # user id -> followed user ids
        self.library: dict[str, set[str]] = {}  # user id -> other saved URIs
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthCode] = {}
        self.calls: list[CallRecord] = []
        self.windows: dict[str, deque[float]] = {}  # client id -> admitted call times
        self._user_counter = 0
        self._artist_counter = 0

    def reset(self) -> None:
        with self._lock:
            self._clear()
            self.faults.reset()

    # Users and artists ---------------------------------------------------------------

    def add_user(
        self, display_name: str | None = None, user_id: str | None = None, **extra: Any
    ) -> User:
        with self._lock:
            self._user_counter += 1
            uid = user_id or ids.user_id("user", self._seed, self._user_counter)
            if not ids.is_user_id(uid):
                raise StateError(400, "invalid user id")
            if uid in self.users:
                raise StateError(409, f"user {uid} already exists")
            name = display_name or f"Test User {self._user_counter}"
            user = User(
                id=uid,
                display_name=name,
                account_id=ids.base62_id("account", uid)[:10],
                email=extra.pop("email", None) or f"{uid}@example.test",
                **extra,
            )
            self.users[uid] = user
            return user

    def get_user(self, user_id: str) -> User | None:
        with self._lock:
            return self.users.get(user_id)

    def list_users(self) -> list[User]:
        with self._lock:
            return list(self.users.values())

    def add_artist(
        self, name: str | None = None, artist_id: str | None = None, **extra: Any
    ) -> Artist:
        with self._lock:
            self._artist_counter += 1
            aid = artist_id or ids.base62_id("artist", self._seed, self._artist_counter)
            if not ids.is_base62_id(aid):
                raise StateError(400, "invalid id")
            if aid in self.artists:
                raise StateError(409, f"artist {aid} already exists")
            artist = Artist(id=aid, name=name or f"Test Artist {self._artist_counter}", **extra)
            self.artists[aid] = artist
            return artist

    def get_artist(self, artist_id: str) -> Artist | None:
        with self._lock:
            return self.artists.get(artist_id)

    def list_artists(self) -> list[Artist]:
        with self._lock:
            return list(self.artists.values())

    def follower_count(self, artist_id: str) -> int:
        with self._lock:
            return self.follower_counts.get(artist_id, 0)

    # Follow graph and library --------------------------------------------------------

    def save_uris(self, user_id: str, items: Iterable[tuple[str, str]], save: bool) -> None:
        """Add (or remove) parsed URIs; all-or-nothing: unknown artists refuse the batch."""
        with self._lock:
            items = list(items)
            for kind, ident in items:
                if kind == "artist" and ident not in self.artists:
                    raise StateError(404, "Resource not found")
            for kind, ident in items:
                if kind == "artist":
                    self._set_follow(user_id, ident, save)
                    continue
                if kind == "user":
                    target = self.user_follows.setdefault(user_id, set())
                    key = ident
                else:
                    target = self.library.setdefault(user_id, set())
                    key = f"spotify:{kind}:{ident}"
                if save:
                    target.add(key)
                else:
                    target.discard(key)

    def _set_follow(self, user_id: str, artist_id: str, follow: bool) -> None:
        followed = self.follows.setdefault(user_id, set())
        if follow and artist_id not in followed:
            followed.add(artist_id)
            self.follower_counts[artist_id] = self.follower_counts.get(artist_id, 0) + 1
        elif not follow and artist_id in followed:
            followed.discard(artist_id)
            self.follower_counts[artist_id] -= 1

    def contains_uris(self, user_id: str, items: Iterable[tuple[str, str]]) -> list[bool]:
        with self._lock:
            result = []
            for kind, ident in items:
                if kind == "artist":
                    result.append(ident in self.follows.get(user_id, set()))
                elif kind == "user":
                    result.append(ident in self.user_follows.get(user_id, set()))
                else:
                    result.append(f"spotify:{kind}:{ident}" in self.library.get(user_id, set()))
            return result

    def followed_artists(self, user_id: str) -> list[Artist]:
        """Followed artists ordered by ID, which makes the `after` cursor a plain comparison."""
        with self._lock:
            followed = sorted(self.follows.get(user_id, set()))
            return [self.artists[a] for a in followed if a in self.artists]

    def follow_graph(self) -> dict[str, list[str]]:
        with self._lock:
            return {user: sorted(artists) for user, artists in self.follows.items()}

    # Tokens and codes ----------------------------------------------------------------

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        user_id: str,
        scopes: frozenset[str],
        expires_at: float,
    ) -> AuthCode:
        with self._lock:
            code = AuthCode(
                code="AQ" + secrets.token_urlsafe(96),
                client_id=client_id,
                redirect_uri=redirect_uri,
                user_id=user_id,
                scopes=scopes,
                expires_at=expires_at,
            )
            self.codes[code.code] = code
            return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str, now: float) -> AuthCode:
        with self._lock:
            record = self.codes.get(code)
            if record is None or record.used or record.client_id != client_id:
                raise GrantError("invalid_grant", "Invalid authorization code")
            # Spent even when the rest fails: a code is good for one attempt only.
            record.used = True
            if now >= record.expires_at:
                raise GrantError("invalid_grant", "Authorization code expired")
            if record.redirect_uri != redirect_uri:
                raise GrantError("invalid_grant", "Invalid redirect URI")
            return record

    def issue_tokens(
        self,
        client_id: str,
        user_id: str | None,
        scopes: frozenset[str],
        now: float,
        access_ttl: float,
        refresh_ttl: float | None,
        with_refresh: bool = True,
    ) -> IssuedTokens:
        with self._lock:
            access = AccessToken(
                token="BQ" + secrets.token_urlsafe(96),
                client_id=client_id,
                user_id=user_id,
                scopes=scopes,
                issued_at=now,
                expires_at=now + access_ttl,
            )
            self.access_tokens[access.token] = access
            refresh = None
            if with_refresh and user_id is not None:
                refresh = RefreshToken(
                    token="AQ" + secrets.token_urlsafe(96),
                    client_id=client_id,
                    user_id=user_id,
                    scopes=scopes,
                    issued_at=now,
                    expires_at=None if refresh_ttl is None else now + refresh_ttl,
                )
                self.refresh_tokens[refresh.token] = refresh
            return IssuedTokens(access, refresh)

    def refresh(
        self,
        refresh_token: str,
        client_id: str,
        now: float,
        access_ttl: float,
        rotate: bool,
    ) -> IssuedTokens:
        with self._lock:
            record = self.refresh_tokens.get(refresh_token)
            if record is None or record.client_id != client_id or record.rotated:
                raise GrantError("invalid_grant", "Invalid refresh token")
            if record.revoked:
                raise GrantError("invalid_grant", "Refresh token revoked")
            if record.expires_at is not None and now >= record.expires_at:
                raise GrantError("invalid_grant", "Refresh token expired")
            if record.user_id not in self.users:
                raise GrantError("invalid_grant", "Refresh token revoked")
            if not rotate:
                issued = self.issue_tokens(
                    client_id, record.user_id, record.scopes, now, access_ttl, None, False
                )
                return IssuedTokens(issued.access, None)
            # Rotation: the successor keeps the original expiry; the old token dies now.
            record.rotated = True
            issued = self.issue_tokens(
                client_id, record.user_id, record.scopes, now, access_ttl, None, True
            )
            assert issued.refresh is not None
            issued.refresh.expires_at = record.expires_at
            return issued

    def access_token(self, token: str) -> AccessToken | None:
        with self._lock:
            return self.access_tokens.get(token)

    def revoke_user(self, user_id: str, access: bool = True, refresh: bool = True) -> int:
        """Revoke a user's tokens (as if they removed the app); returns how many."""
        with self._lock:
            count = 0
            if refresh:
                for rt in self.refresh_tokens.values():
                    if rt.user_id == user_id and not (rt.revoked or rt.rotated):
                        rt.revoked = True
                        count += 1
            if access:
                for at in self.access_tokens.values():
                    if at.user_id == user_id and not at.revoked:
                        at.revoked = True
                        count += 1
            return count

    # Rate limit ----------------------------------------------------------------------

    def admit(self, client_id: str, now: float, limit: int, window: float) -> float | None:
        """Count a call in the app's rolling window; None if admitted, else seconds to wait."""
        with self._lock:
            times = self.windows.setdefault(client_id, deque())
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                # The oldest call in the window is the first to make room.
                return times[len(times) - limit] + window - now
            times.append(now)
            return None

    # Call log ------------------------------------------------------------------------

    def record_call(self, **fields: Any) -> CallRecord:
        with self._lock:
            record = CallRecord(seq=len(self.calls) + 1, **fields)
            self.calls.append(record)
            return record

    def list_calls(
        self,
        user_id: str | None = None,
        since: float | None = None,
        token: str | None = None,
        after_seq: int | None = None,
        kind: str | None = None,
    ) -> list[CallRecord]:
        with self._lock:
            return [
                c
                for c in self.calls
                if (user_id is None or c.user_id == user_id)
                and (since is None or c.time >= since)
                and (token is None or c.token == token)
                and (after_seq is None or c.seq > after_seq)
                and (kind is None or c.kind == kind)
            ]

    def clear_calls(self) -> None:
        with self._lock:
            self.calls.clear()
