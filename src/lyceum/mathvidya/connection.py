"""Mathvidya's connection API, the counterpart of seed 003's `database.py`.

`get_engine()` is the seed's `engine` (built on first use, never at import), `get_session()`
its `AsyncSessionLocal()` (also exported under that name, so the seed's examples read the
same), `get_db` its FastAPI dependency. The seed names no pool sizes: the platform's apply.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.core.db import engine as core_engine
from lyceum.core.db.engine import PLATFORM_POOL
from lyceum.core.db.session import session, session_dependency

PROFILE = "mathvidya"
POOL = PLATFORM_POOL


def get_engine(echo: bool | None = None) -> AsyncEngine:
    """Mathvidya's engine; `echo=None` follows DB_ECHO."""
    return core_engine.get_engine(echo, profile=PROFILE, pool=POOL)


def get_session() -> AbstractAsyncContextManager[AsyncSession]:
    """`async with get_session() as db:` — commits on a clean exit, rolls back on error."""
    return session(profile=PROFILE, pool=POOL)


AsyncSessionLocal = get_session

# The FastAPI dependency: `db: AsyncSession = Depends(get_db)`.
get_db: Callable[[], AsyncIterator[AsyncSession]] = session_dependency(profile=PROFILE, pool=POOL)


async def close_db() -> None:
    """Dispose of the process's engines (call at shutdown)."""
    await core_engine.close_db()


__all__ = [
    "POOL",
    "PROFILE",
    "AsyncSessionLocal",
    "close_db",
    "get_db",
    "get_engine",
    "get_session",
]
