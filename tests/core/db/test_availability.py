"""`database_unavailable` tells "the database cannot serve right now" from everything else,
on errors produced for real: a terminated session, a missing server socket, a full pool, and
the application's own mistakes."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from lyceum.core.db.availability import database_unavailable
from lyceum.core.db.engine import PoolConfig, build_async_engine


async def _error_of(engine: AsyncEngine, sql: str) -> BaseException:
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    except Exception as exc:  # the error under test
        return exc
    raise AssertionError(f"{sql!r} did not fail")


async def test_a_session_ended_by_the_server_is_unreachable(database_url: URL) -> None:
    engine = build_async_engine(database_url, application_name="lyceum:availability-test")
    try:
        error = await _error_of(engine, "SELECT pg_terminate_backend(pg_backend_pid())")
    finally:
        await engine.dispose()
    assert isinstance(error, DBAPIError)
    assert database_unavailable(error) == "unreachable"


async def test_a_missing_server_is_unreachable(database_url: URL) -> None:
    nowhere = Path(tempfile.mkdtemp(prefix="lyceum-no-server-"))
    url = URL.create(
        "postgresql", username="postgres", database="lyceum", query={"host": str(nowhere)}
    )
    engine = build_async_engine(url)
    try:
        error = await _error_of(engine, "SELECT 1")
    finally:
        await engine.dispose()
        await asyncio.to_thread(nowhere.rmdir)
    # asyncpg's OSError comes through SQLAlchemy unwrapped.
    assert isinstance(error, OSError)
    assert database_unavailable(error) == "unreachable"


async def test_a_full_pool_is_pool_exhausted(database_url: URL) -> None:
    engine = build_async_engine(
        database_url, pool=PoolConfig(pool_size=1, max_overflow=0, pool_timeout=0.2)
    )
    try:
        async with engine.connect() as holding:
            await holding.execute(text("SELECT 1"))
            error = await _error_of(engine, "SELECT 1")
    finally:
        await engine.dispose()
    assert database_unavailable(error) == "pool_exhausted"


@pytest.mark.parametrize(
    "sql",
    [
        "SELEC 1",  # a bug in a query
        "SELECT 1 / 0",  # a data error
        "SELECT * FROM no_such_table",
        "CREATE TEMP TABLE t (x int PRIMARY KEY); INSERT INTO t VALUES (1), (1)",
    ],
)
async def test_the_applications_own_database_errors_are_not_unavailability(
    database_url: URL, sql: str
) -> None:
    engine = build_async_engine(database_url)
    try:
        error = await _error_of(engine, sql)
    finally:
        await engine.dispose()
    assert database_unavailable(error) is None


def test_the_applications_own_os_errors_are_not_unavailability() -> None:
    with pytest.raises(FileNotFoundError) as missing_file:
        Path("/nonexistent/lyceum/file").read_text()
    assert database_unavailable(missing_file.value) is None
    assert database_unavailable(ValueError("nothing to do with a database")) is None


async def test_an_applications_own_timeout_is_not_unavailability() -> None:
    with pytest.raises(TimeoutError) as timed_out:
        async with asyncio.timeout(0):
            await asyncio.sleep(1)
    assert database_unavailable(timed_out.value) is None
