"""A forecast reads, gives its connection back, and only then computes.

Probing found 48 of 50 pooled connections *idle in transaction* under 200 concurrent
uncached forecasts: each held its connection through a second of statistics and linear
programming. Here the computation itself looks at the server while it runs: no Nerdboard
connection may be in a transaction, and the pool has none checked out.

Runs against the private PostgreSQL (`tests/fixtures/private_pg.py`), which holds a
committed history, with a real engine; nothing else uses it meanwhile.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.cache import Cache, MemoryBackend
from lyceum.core.db.engine import PoolConfig, build_async_engine
from lyceum.nerdboard import forecast_service, repository
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
