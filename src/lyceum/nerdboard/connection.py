"""Nerdboard's pool and sessions (seed 000: pool 20 + 30 overflow, recycled hourly, pre-ping).

Modules take these from here, not from the package (`lyceum.nerdboard` is the app's
registration, which names its API and commands).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.db.engine import PoolConfig
from lyceum.core.db.session import session, session_dependency

PROFILE = "nerdboard"
POOL = PoolConfig(pool_size=20, max_overflow=30, pool_timeout=30, pool_recycle=3600)


def get_session() -> AbstractAsyncContextManager[AsyncSession]:
    """`async with get_session() as db:` — commits on a clean exit, rolls back on error."""
    return session(profile=PROFILE, pool=POOL)


# The FastAPI dependency: one session per request, committed at the edge.
get_db: Callable[[], AsyncIterator[AsyncSession]] = session_dependency(profile=PROFILE, pool=POOL)

__all__ = ["POOL", "PROFILE", "get_db", "get_session"]
