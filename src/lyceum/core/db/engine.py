"""Engines are built on demand at startup (lifespan, CLI), never at import time.

One async engine per *pool profile*: the web process serves all apps, and each
app declares the pool its seed asks for (Nerdboard 20/30/3600, TutorMax
5/10/30/3600, Adaptive 10/20). `DB_POOL_*` variables override any profile.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lyceum.core.db.url import resolve_database_url
from lyceum.core.settings import Settings, async_url, get_settings, sync_url


@dataclass(frozen=True)
class PoolConfig:
    pool_size: int = 10
    max_overflow: int = 20
    pool_timeout: float = 30.0
    pool_recycle: int = 3600
    pool_pre_ping: bool = True

    def with_overrides(self, settings: Settings) -> PoolConfig:
        """DB_POOL_* variables, where set, win over the profile's defaults."""
        overrides: dict[str, Any] = {
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout,
            "pool_recycle": settings.db_pool_recycle,
        }
        return replace(self, **{name: v for name, v in overrides.items() if v is not None})


PLATFORM_POOL = PoolConfig()

_engines: dict[tuple[str, bool], AsyncEngine] = {}
_sync_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url(settings: Settings | None = None) -> URL:
    return resolve_database_url(settings or get_settings())


def build_async_engine(
    url: URL,
    *,
    pool: PoolConfig = PLATFORM_POOL,
    echo: bool = False,
    application_name: str = "lyceum",
) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        echo=echo,
        pool_size=pool.pool_size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.pool_timeout,
        pool_recycle=pool.pool_recycle,
        pool_pre_ping=pool.pool_pre_ping,
        connect_args={"server_settings": {"application_name": application_name}},
    )


def get_engine(
    echo: bool | None = None,
    *,
    profile: str = "lyceum",
    pool: PoolConfig = PLATFORM_POOL,
    settings: Settings | None = None,
) -> AsyncEngine:
    """The process's async engine for a pool profile, built on first use.

    `echo=None` follows DB_ECHO. Engines are cached per (profile, echo).
    """
    settings = settings or get_settings()
    echo = settings.db_echo if echo is None else echo
    key = (profile, echo)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = build_async_engine(
                database_url(settings),
                pool=pool.with_overrides(settings),
                echo=echo,
                application_name=f"lyceum:{profile}",
            )
            _engines[key] = engine
        return engine


def get_sync_engine(settings: Settings | None = None, *, echo: bool | None = None) -> Engine:
    """psycopg engine for Alembic, bulk scripts and CLI commands."""
    settings = settings or get_settings()
    key = "echo" if (settings.db_echo if echo is None else echo) else "quiet"
    with _lock:
        engine = _sync_engines.get(key)
        if engine is None:
            engine = create_engine(
                sync_url(database_url(settings)),
                echo=key == "echo",
                pool_pre_ping=True,
                connect_args={"application_name": "lyceum:sync"},
            )
            _sync_engines[key] = engine
        return engine


async def close_db() -> None:
    """Dispose every engine this process built (lifespan shutdown, CLI exit, tests)."""
    with _lock:
        engines = list(_engines.values())
        sync_engines = list(_sync_engines.values())
        _engines.clear()
        _sync_engines.clear()
    await asyncio.gather(*(engine.dispose() for engine in engines))
    for sync_engine in sync_engines:
        sync_engine.dispose()
