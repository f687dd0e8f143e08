"""Seed 004's `app/core/database.py`: `get_db` (PostgreSQL, pool 10 + 20 overflow,
pre-ping) and `get_sqlite_db` (the local offline database), as FastAPI dependencies.

The local engine is built on first use from `SQLITE_DATABASE_URL` and its tables created
then, so a fresh device needs no separate step; `close_local_db()` disposes of it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.adaptive.local import create_local_engine, create_local_schema, local_sessionmaker
from lyceum.core.db import engine as core_engine
from lyceum.core.db.engine import PoolConfig
from lyceum.core.db.session import committing, session, session_dependency
from lyceum.core.settings import get_settings

PROFILE = "adaptive"
# Seed 004: pool 10 + 20 overflow, pre-ping.
POOL = PoolConfig(pool_size=10, max_overflow=20, pool_timeout=30, pool_recycle=3600)

get_db: Callable[[], AsyncIterator[AsyncSession]] = session_dependency(profile=PROFILE, pool=POOL)


def get_session() -> contextlib.AbstractAsyncContextManager[AsyncSession]:
    """`async with get_session() as db:` on PostgreSQL — committed on a clean exit."""
    return session(profile=PROFILE, pool=POOL)


_local: dict[str, AsyncEngine] = {}
_local_lock = asyncio.Lock()


def get_engine(echo: bool | None = None) -> AsyncEngine:
    return core_engine.get_engine(echo, profile=PROFILE, pool=POOL)


async def get_local_engine() -> AsyncEngine:
    """The process's engine for the local database, its tables created on first use."""
    url = get_settings().sqlite_database_url
    async with _local_lock:
        if url not in _local:
            engine = create_local_engine(url)
            await create_local_schema(engine)
            _local[url] = engine
        return _local[url]


@contextlib.asynccontextmanager
async def local_session() -> AsyncIterator[AsyncSession]:
    """A unit of work on the local database: committed on a clean exit, rolled back on error
    (the same edge rule as the PostgreSQL sessions; domain functions only flush)."""
    async with committing(local_sessionmaker(await get_local_engine())()) as db:
        yield db


async def get_sqlite_db() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: a session on the local database, committed when the request's
    handler returns and rolled back when it raises."""
    async with local_session() as db:
        yield db


async def close_local_db() -> None:
    for engine in _local.values():
        await engine.dispose()
    _local.clear()


__all__ = [
    "POOL",
    "PROFILE",
    "close_local_db",
    "get_db",
    "get_engine",
    "get_local_engine",
    "get_session",
    "get_sqlite_db",
    "local_session",
]
