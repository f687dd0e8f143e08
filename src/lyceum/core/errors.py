"""Error types every layer shares, and the one error shape the API returns."""

from __future__ import annotations

from typing import Any


class ConfigurationError(ValueError):
    """The environment or `.env` is wrong; the message says which variable to fix."""


class LyceumError(Exception):
    """A failure with a message fit for a person, mapped to an HTTP status at the edge."""

    status_code = 400
    code = "bad_request"
    # Seconds a client should wait before trying again (the `Retry-After` header), for
    # conditions that pass by themselves.
    retry_after: int | None = None

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(LyceumError):
    status_code = 404
    code = "not_found"


class Conflict(LyceumError):
    status_code = 409
    code = "conflict"


class Unauthorized(LyceumError):
    status_code = 401
    code = "unauthorized"


class Forbidden(LyceumError):
    status_code = 403
    code = "forbidden"


class InvalidInput(LyceumError):
    status_code = 422
    code = "invalid_input"


class Unavailable(LyceumError):
    """A part of the service is not running here (e.g. a background worker is disabled)."""

    status_code = 503
    code = "unavailable"


class ServiceUnavailable(Unavailable):
    """A dependency (the database, a pool) cannot serve right now; retrying later will work."""

    code = "service_unavailable"
    retry_after = 5

    def __init__(self, message: str, *, details: Any = None, retry_after: int | None = None):
        super().__init__(message, details=details)
        if retry_after is not None:
            self.retry_after = retry_after


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}
