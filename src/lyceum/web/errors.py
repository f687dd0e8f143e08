"""One error shape for every non-2xx answer: `{"error": {"code", "message", "details"}}`.

Clients (the dashboard, the CLI, scripts) then need a single code path for failures,
whichever layer produced them: a service's `LyceumError`, request validation, routing,
the database, or a bug.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from lyceum.core.auth import request_settings
from lyceum.core.db.availability import Reason, database_unavailable
from lyceum.core.errors import LyceumError, ServiceUnavailable, error_body
from lyceum.web.page_errors import for_pages

logger = logging.getLogger("lyceum.web.errors")

INTERNAL_ERROR_MESSAGE = "internal error; the incident was logged"
# At most this many problems are spelled out in the message; `details` lists them all.
_MESSAGE_PROBLEMS = 3
# Pydantic's error entries echo the submitted value (`input`), which may be a password.
_VALIDATION_KEYS = ("loc", "msg", "type")

# PostgreSQL SQLSTATEs (Appendix A) that mean "the client sent something unacceptable",
# not "it clashes with what is stored": they are 422, the other integrity errors 409.
_CHECK_VIOLATION = "23514"
_NOT_NULL_VIOLATION = "23502"
_DATA_EXCEPTION_CLASS = "22"

# What a client is told while the database cannot serve. A stopped or restarting server
# is usually back within seconds; a pool with no free connection frees one sooner.
_UNAVAILABLE: dict[Reason, ServiceUnavailable] = {
    "unreachable": ServiceUnavailable(
        "the database is unavailable right now; retry in a few seconds",
        details={"dependency": "database", "reason": "unreachable"},
        retry_after=5,
    ),
    "pool_exhausted": ServiceUnavailable(
        "the server is busy: no database connection came free in time; retry shortly",
        details={"dependency": "database", "reason": "pool_exhausted"},
        retry_after=2,
    ),
}
_CACHE_UNAVAILABLE = ServiceUnavailable(
    "the cache is unavailable right now; retry in a few seconds",
    details={"dependency": "cache", "reason": "unreachable"},
)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The shape in OpenAPI, so generated clients and schemathesis know it."""

    error: ErrorDetail


# Range keys also stop FastAPI from documenting its own 422 shape, which we never send.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorResponse, "description": "The request cannot be served"},
    "5XX": {
        "model": ErrorResponse,
        "description": "The server failed, or cannot serve right now (503)",
        "headers": {
            "Retry-After": {
                "description": "On a 503: seconds to wait before trying again",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
}


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson; FastAPI's own ORJSONResponse is deprecated (0.165)."""

    def render(self, content: Any) -> bytes:
        # default=str: an odd object in a service's `details` must not turn an error
        # response into a second, unrelated failure.
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS, default=str)


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return OrjsonResponse(
        error_body(code, message, details), status_code=status_code, headers=headers
    )


def _status_code_name(status_code: int) -> str:
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        return "http_error"
    return phrase.lower().replace(" ", "_").replace("-", "_")


# ---- handlers ------------------------------------------------------------------------


async def lyceum_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LyceumError)
    headers: dict[str, str] = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status_code == 401:
        # RFC 7235 requires the challenge on every 401; lyceum.core.auth puts the
        # RFC 6750 value it wants in details because it does not own the response.
        challenge = exc.details.get("www_authenticate") if isinstance(exc.details, dict) else None
        headers["WWW-Authenticate"] = challenge if isinstance(challenge, str) else "Bearer"
    return error_response(exc.status_code, exc.code, exc.message, exc.details, headers=headers)


def _location(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {key: error[key] for key in _VALIDATION_KEYS if key in error} for error in exc.errors()
    ]
    described = [f"{_location(p.get('loc', ()))}: {p.get('msg', 'invalid')}" for p in problems]
    message = "; ".join(described[:_MESSAGE_PROBLEMS]) or "the request is invalid"
    if len(described) > _MESSAGE_PROBLEMS:
        message += f" (and {len(described) - _MESSAGE_PROBLEMS} more)"
    for problem in problems:
        problem["loc"] = list(problem.get("loc", ()))
    return error_response(422, "validation_error", message, problems)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _status_code_name(status)
    detail = exc.detail
    details: Any = None
    if status == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
        message = f"nothing is served at {request.url.path}"
    elif status == 405 and detail == HTTPStatus.METHOD_NOT_ALLOWED.phrase:
        allowed = (exc.headers or {}).get("Allow", "")
        message = f"{request.method} is not allowed on {request.url.path}"
        if allowed:
            message += f" (allowed: {allowed})"
    elif isinstance(detail, str):
        message = detail
    else:
        message, details = HTTPStatus(status).phrase.lower(), detail
    return error_response(status, code, message, details, headers=exc.headers)


def _sqlstate(exc: Exception) -> str | None:
    orig = getattr(exc, "orig", None)
    # asyncpg's adapted errors carry `sqlstate`; psycopg's carry it too (and `pgcode`).
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else None


def _constraint(exc: Exception) -> str | None:
    orig = getattr(exc, "orig", None)
    name = getattr(getattr(orig, "__cause__", None), "constraint_name", None) or getattr(
        getattr(orig, "diag", None), "constraint_name", None
    )
    return name if isinstance(name, str) else None


async def database_error_handler(request: Request, exc: Exception) -> Response:
    """Integrity and data errors that escaped a service become 409/422, never a 500.

    The database's own message is not sent: it quotes the offending values (another
    account's email in a unique violation, for instance) and the SQL.
    """
    reason = database_unavailable(exc)
    if reason is not None:
        return await _unavailable(request, exc, _UNAVAILABLE[reason])
    sqlstate = _sqlstate(exc) or ""
    constraint = _constraint(exc)
    details = {"constraint": constraint} if constraint else None
    if sqlstate in (_CHECK_VIOLATION, _NOT_NULL_VIOLATION) or sqlstate.startswith(
        _DATA_EXCEPTION_CLASS
    ):
        return error_response(
            422, "invalid_input", "the database rejected a value as invalid", details
        )
    if sqlstate.startswith("23"):
        return error_response(409, "conflict", "the change conflicts with existing data", details)
    return await internal_error_handler(request, exc)


async def _unavailable(request: Request, exc: Exception, answer: ServiceUnavailable) -> Response:
    # One line, no traceback: during an outage every request lands here, and the cause is
    # the dependency, not this code.
    logger.warning(
        "%s on %s %s: %s: %s",
        answer.message,
        request.method,
        request.url.path,
        type(exc).__name__,
        str(exc).splitlines()[0] if str(exc) else "",
    )
    return await lyceum_error_handler(request, answer)


async def dependency_error_handler(request: Request, exc: Exception) -> Response:
    """Pool timeouts, lost connections and unwrapped driver errors: 503 when the database
    cannot serve right now, otherwise the 500 of any other unexpected error."""
    reason = database_unavailable(exc)
    if reason is not None:
        return await _unavailable(request, exc, _UNAVAILABLE[reason])
    if isinstance(exc, RedisError):
        # The cache serves its failures as misses; one that escapes still is not a bug
        # the client could have avoided.
        return await _unavailable(request, exc, _CACHE_UNAVAILABLE)
    return await internal_error_handler(request, exc)


def _cors_headers(request: Request) -> dict[str, str]:
    # ServerErrorMiddleware sits outside CORSMiddleware, so a 500 would otherwise reach a
    # browser without CORS headers and surface as an opaque "CORS error" instead of ours.
    origin = request.headers.get("origin")
    if origin and origin in request_settings(request).cors_origins:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {}


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    # The incident id ties the client's report to the logged traceback, which never
    # leaves the server.
    incident = uuid.uuid4().hex
    logger.error(
        "unhandled error %s on %s %s",
        incident,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_response(
        500,
        "internal_error",
        INTERNAL_ERROR_MESSAGE,
        {"incident_id": incident},
        headers=_cors_headers(request),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LyceumError, for_pages(lyceum_error_handler))
    app.add_exception_handler(RequestValidationError, for_pages(validation_error_handler))
    app.add_exception_handler(StarletteHTTPException, for_pages(http_exception_handler))
    app.add_exception_handler(DBAPIError, for_pages(database_error_handler))
    # Registered by class so that these are answered here, without ServerErrorMiddleware's
    # re-raise and traceback, when they mean "the database cannot serve right now".
    for dependency_error in (
        PoolTimeoutError,
        OSError,
        asyncpg.exceptions.PostgresError,
        asyncpg.exceptions.InterfaceError,
        RedisError,
    ):
        app.add_exception_handler(dependency_error, for_pages(dependency_error_handler))
    # Starlette routes Exception to ServerErrorMiddleware: it answers with this handler
    # and then re-raises so the server logs it too.
    app.add_exception_handler(Exception, for_pages(internal_error_handler))


__all__ = [
    "ERROR_RESPONSES",
    "INTERNAL_ERROR_MESSAGE",
    "ErrorResponse",
    "OrjsonResponse",
    "error_response",
    "install_error_handlers",
]
