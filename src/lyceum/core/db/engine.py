"""Engines belong to a context — the web lifespan, a CLI command, a job worker — never to an
import. `Engines` is one context's set: one async engine per *pool profile* (each app declares
the pool its seed gives: Nerdboard 20/30/3600, TutorMax 5/10/30/3600, Adaptive 10/20, the
platform 10/20/30/3600), one psycopg engine for Alembic and scripts, and one connection budget
they all draw on.

The context that owns an `Engines` activates it (`activate`) and disposes of it at its end.
Code that asks for an engine outside any context (a script, a test, the seeds' connection
modules) gets a process default built from the *current* settings: when the settings change
(`reset_settings_cache()`), the next call builds a new default instead of handing back an
engine for the old URL.

The budget bounds what one process can open, whatever the apps' pools add up to (their seed
values sum to 155): `DB_PROCESS_MAX_CONNECTIONS` (default 60). A pool that wants a new
connection while the process is at its budget waits up to its `pool_timeout`, then fails with
`sqlalchemy.exc.TimeoutError`, which the web edge answers with 503 — the same as an exhausted
pool. docs/scaling.md sets the budget against the server's `max_connections`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lyceum.core.db.url import resolve_database_url
from lyceum.core.settings import Settings, async_url, get_settings, sync_url

logger = logging.getLogger(__name__)


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

    @property
    def most(self) -> int:
        return self.pool_size + self.max_overflow


PLATFORM_POOL = PoolConfig()
# While the budget is spent, a waiting pool looks again this often (only then: the common path
# takes a slot without waiting).
_BUDGET_POLL_SECONDS = 0.01


class ConnectionBudget:
    """How many connections one process may hold open, across all its async pools.

    A counter under a thread lock rather than an asyncio semaphore: pools report closed
    connections from whatever thread or loop closes them (garbage collection included).
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a connection budget needs at least one connection")
        self.limit = limit
        self._open = 0
        self._lock = threading.Lock()

    @property
    def open(self) -> int:
        return self._open

    def _try_take(self) -> bool:
        with self._lock:
            if self._open < self.limit:
                self._open += 1
                return True
            return False

    async def take(self, wait_seconds: float) -> None:
        """Take a slot, waiting up to `wait_seconds` (the pool's own pool_timeout) for one."""
        deadline = time.monotonic() + wait_seconds
        while not self._try_take():
            if time.monotonic() >= deadline:
                raise PoolTimeoutError(
                    f"this process already holds its {self.limit} database connections"
                    f" (DB_PROCESS_MAX_CONNECTIONS); waited {wait_seconds:g} s for one"
                )
            await asyncio.sleep(_BUDGET_POLL_SECONDS)

    def give_back(self) -> None:
        with self._lock:
            self._open = max(0, self._open - 1)


class Engines:
    """One context's engines (see the module docstring). Built cheaply: nothing connects, and
    the embedded server is not started, until the first engine is asked for."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.budget = ConnectionBudget(settings.db_process_max_connections)
        self._url: URL | None = None
        self._async: dict[tuple[str, bool], AsyncEngine] = {}
        self._sync: dict[bool, Engine] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> URL:
        if self._url is None:
            self._url = resolve_database_url(self.settings)
        return self._url

    def get(
        self, profile: str = "lyceum", pool: PoolConfig = PLATFORM_POOL, echo: bool | None = None
    ) -> AsyncEngine:
        echo = self.settings.db_echo if echo is None else echo
        key = (profile, echo)
        with self._lock:
            engine = self._async.get(key)
            if engine is None:
                engine = self._build(profile, pool.with_overrides(self.settings), echo)
                self._async[key] = engine
            return engine

    def _build(self, profile: str, pool: PoolConfig, echo: bool) -> AsyncEngine:
        return build_async_engine(
            self.url,
            pool=pool,
            echo=echo,
            application_name=f"lyceum:{profile}",
            budget=self.budget,
            connect_timeout=self.settings.db_connect_timeout,
        )

    def sync(self, echo: bool | None = None) -> Engine:
        """psycopg engine for Alembic, bulk scripts and CLI commands (outside the budget:
        short-lived commands, one connection at a time)."""
        echo = self.settings.db_echo if echo is None else echo
        with self._lock:
            engine = self._sync.get(echo)
            if engine is None:
                engine = create_engine(
                    sync_url(self.url),
                    echo=echo,
                    pool_pre_ping=True,
                    connect_args={"application_name": "lyceum:sync"},
                )
                self._sync[echo] = engine
            return engine

    def _take_all(self) -> tuple[list[AsyncEngine], list[Engine]]:
        with self._lock:
            engines, syncs = list(self._async.values()), list(self._sync.values())
            self._async.clear()
            self._sync.clear()
        return engines, syncs

    async def dispose(self) -> None:
        engines, syncs = self._take_all()
        await asyncio.gather(*(engine.dispose() for engine in engines))
        for engine in syncs:
            engine.dispose()

    def dispose_sync_engines(self) -> None:
        """Dispose of the psycopg engines only (for callers without an event loop)."""
        with self._lock:
            syncs = list(self._sync.values())
            self._sync.clear()
        for engine in syncs:
            engine.dispose()

    async def check_server_capacity(self) -> None:
        """Warn when this process alone may open more connections than the server allows."""
        async with self.get().connect() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT current_setting('max_connections')::int,"
                        " current_setting('superuser_reserved_connections')::int"
                    )
                )
            ).one()
        usable = int(row[0]) - int(row[1])
        if self.budget.limit > usable:
            logger.warning(
                "DB_PROCESS_MAX_CONNECTIONS=%d exceeds the %d connections the server offers"
                " (max_connections - superuser_reserved_connections): lower it, or raise"
                " max_connections (docs/scaling.md)",
                self.budget.limit,
                usable,
            )


def build_async_engine(
    url: URL,
    *,
    pool: PoolConfig = PLATFORM_POOL,
    echo: bool = False,
    application_name: str = "lyceum",
    budget: ConnectionBudget | None = None,
    connect_timeout: float = 10.0,
) -> AsyncEngine:
    """An async engine for `url`; connections count against `budget` when one is given (an
    `Engines` passes its own), and a server that does not answer fails the connect after
    `connect_timeout` seconds rather than asyncpg's 60."""
    connect_params: dict[str, Any] = {}

    async def connect() -> asyncpg.Connection:
        if budget is not None:
            await budget.take(pool.pool_timeout)
        try:
            return await asyncpg.connect(**connect_params)
        except BaseException:
            if budget is not None:
                budget.give_back()
            raise

    engine = create_async_engine(
        async_url(url),
        echo=echo,
        pool_size=pool.pool_size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.pool_timeout,
        pool_recycle=pool.pool_recycle,
        pool_pre_ping=pool.pool_pre_ping,
        async_creator=connect,
    )
    sync_engine = engine.sync_engine
    # The dialect's own reading of the URL (socket directory, ssl, port …), so the connect
    # above opens exactly what the dialect would have.
    _args, params = sync_engine.dialect.create_connect_args(sync_engine.url)
    params.pop("prepared_statement_cache_size", None)
    connect_params.update(
        params,
        timeout=connect_timeout,
        server_settings={"application_name": application_name},
    )
    if budget is not None:
        # Every connection the pool closes (returned beyond pool_size, recycled, invalidated,
        # disposed, detached) gives its slot back.
        event.listen(sync_engine.pool, "close", lambda *_: budget.give_back())
        event.listen(sync_engine.pool, "close_detached", lambda *_: budget.give_back())
    return engine


_state_lock = threading.Lock()
_active: Engines | None = None
_default: Engines | None = None
# Defaults replaced after a settings change: disposed by close_db().
_retired: list[Engines] = []


def current_engines(settings: Settings | None = None) -> Engines:
    """The active context's engines; else the process default for the current settings."""
    global _default
    with _state_lock:
        if _active is not None and (settings is None or settings is _active.settings):
            return _active
        wanted = settings or get_settings()
        if _default is None or _default.settings is not wanted:
            if _default is not None:
                _retired.append(_default)
            _default = Engines(wanted)
        return _default


@contextlib.asynccontextmanager
async def activate(engines: Engines) -> AsyncIterator[Engines]:
    """Make `engines` the process's for the block (a lifespan, a command, a worker), and
    dispose of them when it ends."""
    global _active
    with _state_lock:
        previous, _active = _active, engines
    try:
        yield engines
    finally:
        with _state_lock:
            _active = previous
        await engines.dispose()


def database_url(settings: Settings | None = None) -> URL:
    return resolve_database_url(settings or get_settings())


def get_engine(
    echo: bool | None = None,
    *,
    profile: str = "lyceum",
    pool: PoolConfig = PLATFORM_POOL,
    settings: Settings | None = None,
) -> AsyncEngine:
    """The async engine for a pool profile in the current context (built on first use).
    `echo=None` follows DB_ECHO."""
    return current_engines(settings).get(profile, pool, echo)


def get_sync_engine(settings: Settings | None = None, *, echo: bool | None = None) -> Engine:
    """psycopg engine for Alembic, bulk scripts and CLI commands."""
    return current_engines(settings).sync(echo)


async def close_db() -> None:
    """Dispose of every engine this process built (CLI exit, scripts, tests)."""
    global _default
    with _state_lock:
        owned = [e for e in (_active, _default, *_retired) if e is not None]
        _default = None
        _retired.clear()
    for engines in owned:
        await engines.dispose()


def close_db_sync() -> None:
    """close_db for code without an event loop: the psycopg engines only, which are all such
    code builds."""
    with _state_lock:
        owned = [e for e in (_active, _default, *_retired) if e is not None]
    for engines in owned:
        engines.dispose_sync_engines()


__all__ = [
    "PLATFORM_POOL",
    "ConnectionBudget",
    "Engines",
    "PoolConfig",
    "activate",
    "build_async_engine",
    "close_db",
    "close_db_sync",
    "current_engines",
    "database_url",
    "get_engine",
    "get_sync_engine",
]
