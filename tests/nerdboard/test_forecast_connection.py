"""A forecast reads, gives its connection back, and only then computes.

Probing found 48 of 50 pooled connections *idle in transaction* under 200 concurrent
uncached forecasts: each held its connection through a second of statistics and linear
programming. Here the computation itself looks at the server while it runs: no Nerdboard
connection may be in a transaction, and the pool has none checked out.

Runs against the private PostgreSQL (`tests/fixtures/private_pg.py`), which holds a
committed history, with a real engine; nothing else uses it meanwhile.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.cache import Cache, MemoryBackend
from lyceum.core.db.engine import PoolConfig, build_async_engine
from lyceum.nerdboard import repository
from lyceum.nerdboard.service import forecast as forecast_service
from tests.fixtures.private_pg import PrivatePostgres

pytestmark = pytest.mark.slow

APPLICATION = "lyceum:nerdboard"
STATES = "SELECT state FROM pg_stat_activity WHERE application_name = %s"


async def test_a_forecast_computes_without_holding_a_connection(
    running_private_postgres: PrivatePostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg = running_private_postgres
    engine = build_async_engine(
        pg.url, pool=PoolConfig(pool_size=2, max_overflow=0), application_name=APPLICATION
    )
    computing = forecast_service.build_forecast
    seen: list[tuple[list[str], int]] = []

    def observed(*args: Any, **kwargs: Any) -> Any:
        # Runs in the worker thread, at the moment the CPU work starts.
        with pg.connect(autocommit=True) as watcher:
            states = [row[0] for row in watcher.execute(STATES, [APPLICATION]).fetchall()]
        seen.append((states, engine.pool.checkedout()))  # type: ignore[attr-defined]
        return computing(*args, **kwargs)

    monkeypatch.setattr(forecast_service, "build_forecast", observed)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            cache = Cache(MemoryBackend(), "forecast-connection-test")
            result = await forecast_service.cached_forecast(cache, db, weeks=4)
            # The request's session still works afterwards (a new transaction).
            clock = await repository.read_clock(db)
    finally:
        await engine.dispose()

    assert len(seen) == 1, "the forecast was not computed through build_forecast"
    states, checked_out = seen[0]
    assert states, "the forecast opened no connection"
    assert "idle in transaction" not in states, states
    assert set(states) == {"idle"}
    assert checked_out == 0
    body = orjson.loads(result.value)
    assert body["subjects"] and all(len(s["forecast"]) == 4 for s in body["subjects"])
    assert body["as_of"].startswith(clock.current_date.strftime("%Y-%m-%d"))


async def test_concurrent_forecasts_take_turns_holding_no_connection_while_they_wait(
    running_private_postgres: PrivatePostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst of uncached forecasts: at most one per core computes at a time, and the
    connections in use never exceed the ones reading (the computing ones hold none)."""
    pg = running_private_postgres
    requests = forecast_service.COMPUTE_SLOTS * 3
    engine = build_async_engine(
        pg.url, pool=PoolConfig(pool_size=requests, max_overflow=0), application_name=APPLICATION
    )
    computing = forecast_service.build_forecast
    lock = threading.Lock()
    running = 0
    peaks: list[tuple[int, int]] = []

    def observed(*args: Any, **kwargs: Any) -> Any:
        nonlocal running
        with lock:
            running += 1
            peaks.append((running, engine.pool.checkedout()))  # type: ignore[attr-defined]
        try:
            return computing(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    async def one(target: float) -> bytes:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            cache = Cache(MemoryBackend(), "forecast-burst-test")
            result = await forecast_service.cached_forecast(
                cache, db, weeks=2, target_utilization=target
            )
            return result.value

    monkeypatch.setattr(forecast_service, "build_forecast", observed)
    try:
        bodies = await asyncio.gather(*(one(0.5 + i / 100) for i in range(requests)))
    finally:
        await engine.dispose()

    assert len(peaks) == requests  # every forecast was computed (distinct targets)
    assert max(at_once for at_once, _ in peaks) <= forecast_service.COMPUTE_SLOTS
    # While one computes, only the others' reads can hold a connection.
    assert max(held for _, held in peaks) <= forecast_service.COMPUTE_SLOTS - 1
    assert all(orjson.loads(body)["subjects"] for body in bodies)
