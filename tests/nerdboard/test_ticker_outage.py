"""The simulation ticker outlives a database outage: while PostgreSQL is away it stops ticking
(its advisory lock went with its connection), and once the server is back it takes the lock
again and the clock moves on, without restarting the worker."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import pytest

from lyceum.core.db.engine import Engines, activate
from lyceum.core.settings import load_settings
from lyceum.nerdboard import runtime
from tests.fixtures.private_pg import PrivatePostgres

# Retries at this spacing bound every wait (no assertion on speed).
POLL_SECONDS = 0.25
MAX_POLLS = 240


def _clock(pg: PrivatePostgres) -> datetime:
    with pg.connect() as connection:
        row = connection.execute('SELECT "current_date" FROM nerdboard.simulation_state').fetchone()
    assert row is not None
    value = row[0]
    assert isinstance(value, datetime)
    return value


async def _clock_moves_past(pg: PrivatePostgres, then: datetime) -> datetime:
    for _ in range(MAX_POLLS):
        now = await asyncio.to_thread(_clock, pg)
        if now > then:
            return now
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"the simulation clock did not move past {then}")


@pytest.mark.slow
async def test_the_ticker_stops_during_an_outage_and_resumes_after_it(
    running_private_postgres: PrivatePostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg = running_private_postgres
    monkeypatch.setattr(runtime, "LOCK_RETRY_SECONDS", 0.5)
    with pg.connect(autocommit=True) as connection:
        connection.execute(
            "UPDATE nerdboard.simulation_state SET is_running = true, speed_multiplier = 86400"
        )
    settings = load_settings(
        database_url=pg.url.render_as_string(hide_password=False),
        redis_url=None,
        db_connect_timeout=2,
    )
    stop = asyncio.Event()
    async with activate(Engines(settings)):
        ticker = asyncio.create_task(runtime.run_worker(settings, stop, tick_seconds=0.2))
        try:
            moved = await _clock_moves_past(pg, await asyncio.to_thread(_clock, pg))
            await asyncio.to_thread(pg.stop)
            # Ticks fail and the lock connection is gone; the loop must not end.
            await asyncio.sleep(3)
            assert not ticker.done(), ticker
            await asyncio.to_thread(pg.start)
            await _clock_moves_past(pg, moved)
            assert not ticker.done()
        finally:
            stop.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ticker, 30)
            with pg.connect(autocommit=True) as connection:
                connection.execute("UPDATE nerdboard.simulation_state SET is_running = false")
    assert ticker.done() and ticker.exception() is None
