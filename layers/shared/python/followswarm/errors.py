"""Domain errors with a machine-readable code and the HTTP status the API maps them to."""

from __future__ import annotations


class SwarmError(Exception):
    """Base of every error a caller may be told about."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class NotFound(SwarmError):
    status = 404
    code = "not_found"


class Conflict(SwarmError):
    status = 409
    code = "conflict"


class Unauthorized(SwarmError):
    status = 401
    code = "unauthorized"


class Forbidden(SwarmError):
    status = 403
    code = "forbidden"


class TooManyRequests(SwarmError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class DependencyFailed(SwarmError):
    status = 502
    code = "dependency_failed"
