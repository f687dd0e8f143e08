"""Engines belong to a context (lifespan, command, worker), follow the settings they were
made for, and share one connection budget per process."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from lyceum.core.db.engine import (
    ConnectionBudget,
    Engines,
    PoolConfig,
    activate,
    current_engines,
    get_engine,
)
from lyceum.core.settings import load_settings, reset_settings_cache
from tests.fixtures.app import started_app

SMALL_POOL = PoolConfig(pool_size=2, max_overflow=2, pool_timeout=0.5)


async def test_the_budget_bounds_connections_across_every_pool(database_url: URL) -> None:
    settings = load_settings(db_process_max_connections=3)
    async with activate(Engines(settings)) as engines:
        first, second = engines.get("budget-a", SMALL_POOL), engines.get("budget-b", SMALL_POOL)
        held = [await first.connect(), await first.connect(), await second.connect()]
        for connection in held:
            await connection.execute(text("SELECT 1"))
        assert engines.budget.open == 3
        # Each pool alone could open more (2 + 2), but the process is at its budget: the
        # fourth waits the pool's timeout, then fails the way an exhausted pool does.
        with pytest.raises(PoolTimeoutError, match="DB_PROCESS_MAX_CONNECTIONS"):
            async with second.connect() as extra:
                await extra.execute(text("SELECT 1"))
        assert engines.budget.open == 3
        # A connection closed by its pool (the one beyond pool_size is not kept) frees a slot.
        await held.pop().close()
        await held.pop().close()
        assert second.pool.checkedin() == 1  # type: ignore[attr-defined]
        async with second.connect() as again:
            assert await again.scalar(text("SELECT 1")) == 1
        for connection in held:
            await connection.close()
    # The context disposed of its engines, and every slot came back.
    assert engines.budget.open == 0


async def test_a_waiting_pool_gets_the_slot_another_gives_back(database_url: URL) -> None:
    settings = load_settings(db_process_max_connections=1)
    patient = PoolConfig(pool_size=1, max_overflow=0, pool_timeout=5)
    async with activate(Engines(settings)) as engines:
        holder = await engines.get("budget-holder", patient).connect()
        await holder.execute(text("SELECT 1"))
        waiter = asyncio.create_task(engines.get("budget-waiter", patient).connect().start())
        await asyncio.sleep(0.2)
        assert not waiter.done()
        await holder.invalidate()  # closes the connection: its slot goes back
        connection = await asyncio.wait_for(waiter, 5)
        assert await connection.scalar(text("SELECT 1")) == 1
        await connection.close()


def test_a_budget_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ConnectionBudget(0)


async def test_engines_follow_later_settings(
    database_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = get_engine(profile="follows")
    monkeypatch.setenv("DATABASE_URL", database_url.set(database="another_db").render_as_string())
    reset_settings_cache()
    try:
        after = get_engine(profile="follows")
        assert after is not before
        assert after.url.database == "another_db"
    finally:
        monkeypatch.setenv("DATABASE_URL", os.environ["DATABASE_URL"])
        monkeypatch.undo()
        reset_settings_cache()
    assert get_engine(profile="follows").url.database == database_url.database


async def test_an_activated_context_owns_its_engines(database_url: URL) -> None:
    default = get_engine()
    mine = Engines(load_settings())
    async with activate(mine):
        assert current_engines() is mine
        engine = get_engine()
        assert engine is not default
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
        assert mine.budget.open == 1
    assert current_engines() is not mine
    assert mine.budget.open == 0  # disposed with its context
    assert get_engine() is default


async def test_the_web_lifespan_owns_its_engines(database_url: URL) -> None:
    async with started_app() as app:
        engines = app.state.engines
        assert current_engines() is engines
        assert app.state.engine is engines.get()
    assert current_engines() is not engines
