"""TutorMax's connection API as seeds 001/002 show it, on the platform's engine and sessions.

`get_session()`, `get_db_session`, `get_engine(echo=...)`, `close_db()` and
`get_settings().database_url` behave as in the seeds: TutorMax's own pool (5 + 10
overflow, 30 s timeout, hourly recycle, pre-ping), `DB_ECHO` for SQL logging, a session
that commits when its block ends cleanly and rolls back otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.core.db import engine as core_engine
from lyceum.core.db.engine import PoolConfig, database_url
from lyceum.core.db.session import session, session_dependency
from lyceum.core.settings import Settings, async_url, sync_url
from lyceum.core.settings import get_settings as platform_settings

PROFILE = "tutormax"
# Seeds 001/002: pool 5 + 10 overflow, 30 s timeout, recycled hourly, pre-ping.
POOL = PoolConfig(pool_size=5, max_overflow=10, pool_timeout=30, pool_recycle=3600)


@dataclass(frozen=True)
class TutorMaxSettings:
    """The seed's `get_settings()`: where the database is and how TutorMax's pool is sized."""

    platform: Settings

    @cached_property
    def database_url(self) -> str:
        """The async (asyncpg) URL, password hidden; starts the embedded server if that is
        the database in use, as any connection would."""
        return async_url(database_url(self.platform)).render_as_string(hide_password=True)

    @cached_property
    def sync_database_url(self) -> str:
        """The psycopg URL Alembic and scripts use, password hidden."""
        return sync_url(database_url(self.platform)).render_as_string(hide_password=True)

    @property
    def db_echo(self) -> bool:
        return self.platform.db_echo

    @property
    def pool(self) -> PoolConfig:
        """The pool TutorMax's engine uses: the seed's defaults unless DB_POOL_* override."""
        return POOL.with_overrides(self.platform)


def get_settings() -> TutorMaxSettings:
    return TutorMaxSettings(platform_settings())


def get_engine(echo: bool | None = None) -> AsyncEngine:
    """TutorMax's engine; `echo=None` follows DB_ECHO."""
    return core_engine.get_engine(echo, profile=PROFILE, pool=POOL)


def get_session() -> AbstractAsyncContextManager[AsyncSession]:
    """`async with get_session() as db:` — commits on a clean exit, rolls back on error."""
    return session(profile=PROFILE, pool=POOL)


# The FastAPI dependency: `db: AsyncSession = Depends(get_db_session)`.
get_db_session: Callable[[], AsyncIterator[AsyncSession]] = session_dependency(
    profile=PROFILE, pool=POOL
)


async def close_db() -> None:
    """Dispose of the process's engines (call at shutdown)."""
    await core_engine.close_db()


__all__ = [
    "POOL",
    "PROFILE",
    "TutorMaxSettings",
    "close_db",
    "get_db_session",
    "get_engine",
    "get_session",
    "get_settings",
]
