"""Sessions: commit at the edge, flush everywhere else.

`session()` is for scripts, jobs and CLI commands; `session_dependency()` makes
the FastAPI dependency for a pool profile. Both commit when the block (or the
request) ends cleanly and roll back otherwise. Services and repositories only
flush.

Tests bind every session to one outer connection whose transaction is rolled
back at the end (`bind_sessions_to`), with `join_transaction_mode=
"create_savepoint"` so that code which commits still leaves nothing behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from lyceum.core.db.engine import PLATFORM_POOL, PoolConfig, get_engine

_bound_connection: ContextVar[AsyncConnection | None] = ContextVar(
    "lyceum_bound_connection", default=None
)
# The ContextVar alone is invisible to tasks created before it was set (e.g. a
# server's request tasks); the module-level fallback covers those in tests.
_global_bound_connection: AsyncConnection | None = None


def _make_session(engine: AsyncEngine) -> AsyncSession:
    bound = _bound_connection.get() or _global_bound_connection
    if bound is not None:
        return AsyncSession(
            bind=bound, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
    return async_sessionmaker(engine, expire_on_commit=False)()


@contextlib.asynccontextmanager
async def committing(db: AsyncSession) -> AsyncIterator[AsyncSession]:
    """The edge's unit of work over `db`: commit on a clean exit, roll back on any error, close
    either way. Every edge (request dependency, job, CLI command, the adaptive app's local
    SQLite session) goes through here, so none of them forgets one of the three."""
    try:
        yield db
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def session(
    *, profile: str = "lyceum", pool: PoolConfig = PLATFORM_POOL
) -> AsyncIterator[AsyncSession]:
    """`async with session() as db:` — commits on a clean exit, rolls back on error."""
    async with committing(_make_session(get_engine(profile=profile, pool=pool))) as db:
        yield db


def session_dependency(
    *, profile: str = "lyceum", pool: PoolConfig = PLATFORM_POOL
) -> Callable[[], AsyncIterator[AsyncSession]]:
    """A FastAPI dependency yielding a session for the request; committed at the edge."""

    async def dependency() -> AsyncIterator[AsyncSession]:
        async with session(profile=profile, pool=pool) as db:
            yield db

    return dependency


get_db_session = session_dependency()


@contextlib.contextmanager
def bind_sessions_to(connection: AsyncConnection) -> Iterator[None]:
    """Route every session made in this process to `connection` (test isolation)."""
    global _global_bound_connection
    token = _bound_connection.set(connection)
    previous, _global_bound_connection = _global_bound_connection, connection
    try:
        yield
    finally:
        _bound_connection.reset(token)
        _global_bound_connection = previous
