"""The pages' cache entries: built by the worker's tick under the API's keys, dropped when the
clock moves past them, and the forecast served stale while the new day's one is built."""

from __future__ import annotations

from datetime import timedelta

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.nerdboard import repository, service
from lyceum.nerdboard.runtime import SimulationWorker
from lyceum.nerdboard.service import forecast as forecasts
from tests.nerdboard.test_api import BASE, DEMO

DAY = 86_400
# Every read the pages make (docs/nerdboard.md); the forecast is warmed per simulated day.
PAGE_READS = (
    "/overview",
    "/capacity?days=90&granularity=day",
    "/capacity?days=182&granularity=week",
    "/customer-health?limit=200",
    "/quality?history=100",
)


async def test_a_tick_caches_every_page_read_under_the_api_keys(
    api: httpx.AsyncClient, nerdboard_app: FastAPI, history_session: AsyncSession
) -> None:
    cache = nerdboard_app.state.cache
    await service.start(history_session, DAY, "test")
    worker = SimulationWorker(cache=cache)
    outcome = await worker.tick(history_session, elapsed=1.0)
    assert outcome is not None
    # The tick's NOTIFY would do this in a served process (the test never commits).
    nerdboard_app.state.nerdboard_clock.invalidate()
    for path in PAGE_READS:
        response = await api.get(BASE + path, headers=DEMO)
        assert response.status_code == 200, path
        assert response.headers["X-Cache"] == "hit", path
    as_of = (await api.get(f"{BASE}/overview", headers=DEMO)).json()["as_of"]
    assert as_of.startswith(outcome.clock.current_date.date().isoformat())
    # A view the pages do not read is still built on demand.
    other = await api.get(f"{BASE}/capacity?days=30", headers=DEMO)
    assert other.headers["X-Cache"] == "miss"


async def test_after_a_tick_only_the_superseded_versions_entries_go(
    api: httpx.AsyncClient, nerdboard_app: FastAPI, history_session: AsyncSession
) -> None:
    cache = nerdboard_app.state.cache
    await service.start(history_session, DAY, "test")
    worker = SimulationWorker(cache=cache)
    first = await worker.tick(history_session, elapsed=0.5)
    assert first is not None
    nerdboard_app.state.nerdboard_clock.invalidate()
    assert (await api.get(f"{BASE}/capacity?days=30", headers=DEMO)).headers["X-Cache"] == "miss"
    after_first = service.clock_version(first.clock)
    # A control moves the clock between two ticks: its version is superseded as well.
    await service.set_speed(history_session, DAY * 2, "test")
    nerdboard_app.state.nerdboard_clock.invalidate()
    assert (await api.get(f"{BASE}/capacity?days=31", headers=DEMO)).headers["X-Cache"] == "miss"
    after_control = service.clock_version(await repository.read_clock(history_session))
    second = await worker.tick(history_session, elapsed=0.25)
    assert second is not None
    assert set(second.superseded) == {after_first, after_control}
    await worker.after_commit(second)

    def probe(version: str, days: int) -> str:
        return f"nerdboard:{version}:capacity:days={days}:subject=None:granularity=day"

    # One tick of grace: a web process may not have seen the second tick yet.
    assert await cache.get_bytes(probe(after_first, 30)) is not None
    third = await worker.tick(history_session, elapsed=0.25)
    assert third is not None
    await worker.after_commit(third)
    assert await cache.get_bytes(probe(after_first, 30)) is None
    assert await cache.get_bytes(probe(after_first, 90)) is None  # the first tick's warm view
    assert await cache.get_bytes(probe(after_control, 31)) is None
    assert await cache.get_bytes(probe(service.clock_version(second.clock), 90)) is not None
    assert await cache.get_bytes(probe(service.clock_version(third.clock), 90)) is not None
    nerdboard_app.state.nerdboard_clock.invalidate()
    for path in PAGE_READS:
        assert (await api.get(BASE + path, headers=DEMO)).headers["X-Cache"] == "hit", path


async def test_a_new_day_serves_the_previous_forecast_while_it_is_built(
    api: httpx.AsyncClient, nerdboard_app: FastAPI, history_session: AsyncSession
) -> None:
    url = f"{BASE}/forecast?weeks=8"
    first = await api.get(url, headers=DEMO)
    assert first.headers["X-Cache"] == "miss"
    clock = await repository.read_clock(history_session)
    await repository.write_clock(history_session, current_date=clock.current_date + timedelta(1))
    await history_session.flush()
    nerdboard_app.state.nerdboard_clock.invalidate()
    stale = await api.get(url, headers=DEMO)
    assert stale.headers["X-Cache"] == "stale"
    assert stale.content == first.content
    await forecasts.revalidations_done()
    fresh = await api.get(url, headers=DEMO)
    assert fresh.headers["X-Cache"] == "hit"
    assert fresh.json()["as_of"] != first.json()["as_of"]
    assert fresh.json()["as_of"].startswith((clock.current_date + timedelta(1)).date().isoformat())
    # And the next day's first request is served this day's forecast, not the first one.
    await repository.write_clock(history_session, current_date=clock.current_date + timedelta(2))
    await history_session.flush()
    nerdboard_app.state.nerdboard_clock.invalidate()
    again = await api.get(url, headers=DEMO)
    assert again.headers["X-Cache"] == "stale" and again.content == fresh.content
    await forecasts.revalidations_done()


async def test_the_workers_warm_builds_the_new_day_rather_than_serve_the_old(
    nerdboard_app: FastAPI, history_session: AsyncSession
) -> None:
    cache = nerdboard_app.state.cache
    await forecasts.cached_forecast(cache, history_session)
    clock = await repository.read_clock(history_session)
    await repository.write_clock(history_session, current_date=clock.current_date + timedelta(1))
    # Committed, as the tick is: a forecast ends its read-only transaction before computing.
    await history_session.commit()
    forecasts._last_warm = 0.0  # the rate limit is per process; this test warms once
    assert await forecasts.warm(cache, history_session)
    result = await forecasts.cached_forecast(cache, history_session)
    assert result.hit and not result.stale
    assert orjson.loads(result.value)["as_of"].startswith(
        (clock.current_date + timedelta(1)).date().isoformat()
    )
