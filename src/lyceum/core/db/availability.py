"""Is this exception "the database cannot be used right now"? Then callers answer 503, not 500.

A stopped, restarting or unreachable PostgreSQL, and a pool with no free connection, are
conditions a client should retry after a moment; a bug is not. The errors arrive in several
forms, depending on where the failure is met:

- connecting: asyncpg raises plain `OSError`s (`ConnectionRefusedError` over TCP, a missing
  Unix socket is `FileNotFoundError`, DNS is `socket.gaierror`), which SQLAlchemy passes on
  unwrapped, or a PostgreSQL error such as `CannotConnectNowError` (57P03, starting up or
  shutting down) that SQLAlchemy wraps in a `DBAPIError`;
- mid-query: the server ended the connection (57P01 `admin_shutdown` on a fast stop, or
  asyncpg's `ConnectionDoesNotExistError`), which SQLAlchemy reports with
  `connection_invalidated` set and recovers from by itself (the pool is invalidated; with
  `pool_pre_ping` the next checkout reconnects);
- checking out: `sqlalchemy.exc.TimeoutError` after `pool_timeout` seconds with every
  connection in use.
"""

from __future__ import annotations

from typing import Literal

import asyncpg
from sqlalchemy import exc as sa_exc

Reason = Literal["unreachable", "pool_exhausted"]

# SQLSTATE classes and codes (PostgreSQL Appendix A) that mean "not now", not "not this".
_UNAVAILABLE_CLASSES = ("08", "53")  # connection exception; insufficient resources
_UNAVAILABLE_CODES = frozenset(
    {
        "57P01",  # admin_shutdown: a fast or smart stop ended the session
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: starting up, shutting down, in recovery
    }
)
# Driver modules whose OSErrors are connection failures, not the application's own I/O.
_DRIVER_MODULES = ("asyncpg", "sqlalchemy", "psycopg")


def _sqlstate(error: BaseException) -> str | None:
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return code if isinstance(code, str) else None


def _unavailable_sqlstate(code: str | None) -> bool:
    return code is not None and (code in _UNAVAILABLE_CODES or code[:2] in _UNAVAILABLE_CLASSES)


def _raised_by_driver(error: BaseException) -> bool:
    traceback = error.__traceback__
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.split(".")[0] in _DRIVER_MODULES:
            return True
        traceback = traceback.tb_next
    return False


def _driver_error_unavailable(error: BaseException) -> bool:
    """The driver's own error (what SQLAlchemy's adapter wraps): lost or refused connections."""
    if isinstance(error, asyncpg.exceptions.ConnectionDoesNotExistError | OSError):
        return True
    if isinstance(error, asyncpg.exceptions.InterfaceError):
        return "connection is closed" in str(error)
    return _unavailable_sqlstate(_sqlstate(error))


def database_unavailable(error: BaseException) -> Reason | None:
    """Why `error` means the database cannot serve right now, or None if it means something
    else (a constraint, a bad query, a bug)."""
    if isinstance(error, sa_exc.TimeoutError):
        return "pool_exhausted"
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return "unreachable"
        orig = error.orig
        if orig is not None and (
            _driver_error_unavailable(orig)
            or (orig.__cause__ is not None and _driver_error_unavailable(orig.__cause__))
        ):
            return "unreachable"
        return None
    # Unwrapped: only an OSError raised inside the driver is about the database (the same
    # class from the application's own files or an asyncio timeout is not).
    if isinstance(error, OSError):
        return "unreachable" if _raised_by_driver(error) else None
    if isinstance(error, asyncpg.exceptions.PostgresError | asyncpg.exceptions.InterfaceError):
        return "unreachable" if _driver_error_unavailable(error) else None
    return None


__all__ = ["Reason", "database_unavailable"]
