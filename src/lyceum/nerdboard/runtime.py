"""Nerdboard's long-running loops: the simulation ticker and the tick listener.

The ticker runs in `lyceum worker` (and, with NERDBOARD_SIMULATION_WORKER=true, also in each
`lyceum serve`); the web process keeps the tick listener that feeds the SSE streams. One
ticker per database advances the clock: it holds a PostgreSQL advisory lock, so any number of
processes (and `lyceum nerdboard sim run`) can start one and exactly one ticks.

Ticking is a loop, not a job per tick: at one tick a second a job each would be 86,400 queue
rows a day for work that is never queued behind anything; the loop keeps the in-memory market
state (tutors, students, enrollments) between ticks instead of reloading it from the database
each second; and the advisory lock already gives the one-ticker guarantee a queue would have
to re-create. Jobs are for work that must happen once, survive a crash and be retried
(Nerdboard's reset is one: `nerdboard/tasks.py`).

Each tick is one transaction: lock the clock row, write every simulated day the tick
completes, move the clock, build the pages' cache entries for the new clock, NOTIFY. A crash
mid-tick rolls all of it back and the next tick redoes it; a restart resumes from the clock in
the database (downtime is not caught up).

Why the entries are built inside the tick: every tick changes every dashboard key (keys carry
the clock's version), so otherwise the first page load after each tick rebuilt them in the
web process, 50-70 ms of CPU on its event loop that every request in flight waited behind.
Built in the tick's transaction they see its data, are cached under the new version before
that version is visible to anyone (the commit publishes both), and cost the web process
nothing. If the commit fails they sit under a version that never existed until they expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.core.cache import Cache, build_cache
from lyceum.core.db.copy import raw_asyncpg_connection
from lyceum.core.db.engine import get_engine
from lyceum.core.db.session import session
from lyceum.core.generation_runs import latest_generation_run
from lyceum.core.settings import Settings
from lyceum.nerdboard import repository, service
from lyceum.nerdboard.connection import POOL
from lyceum.nerdboard.events import TickBroadcaster
from lyceum.nerdboard.marketplace import MarketState, advance_day
from lyceum.nerdboard.repository import bulk
from lyceum.nerdboard.service.dashboard import (
    DEFAULT_AT_RISK_BELOW,
    DEFAULT_HEALTH_BINS,
    clock_version,
    version_tag,
)
from lyceum.nerdboard.service.quality import cached_quality, run_quality_checks
from lyceum.nerdboard.simulation.clock import plan_tick

logger = logging.getLogger(__name__)

# pg_try_advisory_lock key: "nerdboard simulation worker".
WORKER_LOCK_KEY = 0x4E42_5349_4D00
DEFAULT_SEED = 42
# Seconds between attempts to take the ticker's lock (held elsewhere, or the database away).
LOCK_RETRY_SECONDS = 5.0
# Quality checks run after each simulated day, but at most this often in real time.
QUALITY_MIN_INTERVAL_SECONDS = 5.0
# The views the Nerdboard pages read (docs/nerdboard.md, "Pages"), which each tick builds.
PAGE_CAPACITY_VIEWS = ((90, "day"), (182, "week"))
PAGE_AT_RISK_LIMIT = 200
PAGE_QUALITY_HISTORY = 100


async def warm_page_views(cache: Cache, db: AsyncSession) -> None:
    """Cache the pages' default views at the clock `db` sees, under the API's own keys."""
    await service.cached_overview(cache, db)
    for days, granularity in PAGE_CAPACITY_VIEWS:
        await service.cached_capacity(cache, db, days=days, subject=None, granularity=granularity)
    await service.cached_customer_health(
        cache,
        db,
        at_risk_below=DEFAULT_AT_RISK_BELOW,
        limit=PAGE_AT_RISK_LIMIT,
        bins=DEFAULT_HEALTH_BINS,
    )
    await cached_quality(cache, db, history=PAGE_QUALITY_HISTORY)


@dataclass
class TickOutcome:
    days_written: tuple[date, ...]
    rows: dict[str, int]
    clock: repository.ClockRow
    # Clock versions the tick moved past, whose cache entries can go.
    superseded: tuple[str, ...] = ()


@dataclass
class SimulationWorker:
    """Advances the simulation one tick at a time; `tick()` is the unit the tests drive."""

    cache: Cache | None = None
    _market: MarketState | None = None
    _market_run: str | None = None
    _seed: int = DEFAULT_SEED
    _last_tick: float | None = None
    _last_quality: float = field(default=0.0)
    # The clock version this worker's last tick wrote: a control (pause, speed) may have
    # moved the clock since, and its entries are superseded too.
    _last_version: str | None = None
    # Versions superseded by the previous tick, dropped after this one (see `after_commit`).
    _retiring: tuple[str, ...] = ()

    async def _generation(self, db: AsyncSession) -> tuple[str, int]:
        run = await latest_generation_run(db, "nerdboard")
        return ("none", DEFAULT_SEED) if run is None else (str(run.id), run.seed)

    async def _state_for(self, db: AsyncSession, day: date) -> MarketState:
        run, seed = await self._generation(db)
        if self._market is None or self._market_run != run or self._market.next_day != day:
            raw = await raw_asyncpg_connection(await db.connection())
            tables = await bulk.load_market_tables(raw, day)
            self._market = await asyncio.to_thread(MarketState.from_tables, day, **tables)
            self._market_run, self._seed = run, seed
        return self._market

    async def tick(self, db: AsyncSession, *, elapsed: float | None = None) -> TickOutcome | None:
        """One tick in the caller's transaction. `elapsed` overrides the real time since the
        previous tick (tests); the first tick after a (re)start moves nothing."""
        clock = await repository.read_clock(db, for_update=True)
        now = time.monotonic()
        if not clock.is_running:
            self._last_tick = None
            return None
        if elapsed is None:
            elapsed = 0.0 if self._last_tick is None else now - self._last_tick
        self._last_tick = now
        plan = plan_tick(clock.current_date, clock.speed_multiplier, elapsed)
        rows: dict[str, int] = {}
        try:
            for day in plan.completed_days:
                state = await self._state_for(db, day)
                batch = await asyncio.to_thread(advance_day, state, day, self._seed)
                raw = await raw_asyncpg_connection(await db.connection())
                for table, count in (await bulk.copy_batch(raw, batch)).items():
                    rows[table] = rows.get(table, 0) + count
                await bulk.apply_updates(raw, batch)
        except BaseException:
            # The transaction will roll back: the in-memory market is ahead of the database.
            self._market = None
            raise
        event = None
        if plan.completed_days:
            last = plan.completed_days[-1]
            event = (
                f"simulated {last.isoformat()}: {rows.get('sessions', 0):,} sessions,"
                f" {rows.get('enrollments', 0):,} new enrollments"
            )
        new_clock = await repository.write_clock(db, current_date=plan.new_time, last_event=event)
        if self.cache is not None:
            await self._warm(db)
        await repository.notify_tick(
            db,
            orjson.dumps(
                {
                    "current_date": plan.new_time.isoformat(),
                    "days_written": [d.isoformat() for d in plan.completed_days],
                    "emitted_at": time.time(),
                }
            ).decode(),
        )
        superseded = tuple(
            dict.fromkeys(v for v in (clock_version(clock), self._last_version) if v is not None)
        )
        self._last_version = clock_version(new_clock)
        return TickOutcome(plan.completed_days, rows, new_clock, superseded)

    async def _warm(self, db: AsyncSession) -> None:
        # A savepoint: a failing build must cost the pages their warm entries, not the tick.
        assert self.cache is not None
        try:
            async with db.begin_nested():
                await warm_page_views(self.cache, db)
        except Exception:
            logger.exception("building the pages' cache entries in the tick failed")

    async def after_commit(self, outcome: TickOutcome) -> None:
        """Drop the entries of the versions the *previous* tick superseded; when a day
        completed, warm its forecast, then run the scheduled quality checks.

        One tick of grace: a web process serves the old version until the tick's NOTIFY
        reaches it (or its clock is 0.25 s old), and dropping the old entries at the commit
        made those requests rebuild them in the web process (measured: a few misses a minute
        at 50 operators, many more on a loaded machine).

        The forecast first: until it is built, readers are served the previous day's (see
        `forecast.cached_forecast`), and the checks would only delay it by their queries.
        """
        # Imported on first use: statsmodels and scipy.stats take seconds to import, which
        # every `lyceum worker` would otherwise pay at start even with the clock paused.
        from lyceum.nerdboard.service import forecast

        if self.cache is not None:
            for version in self._retiring:
                await self.cache.invalidate_tag(version_tag(version))
        self._retiring = outcome.superseded
        if not outcome.days_written:
            return
        if self.cache is not None:
            async with session(profile="nerdboard", pool=POOL) as db:
                await forecast.warm(self.cache, db)
        if time.monotonic() - self._last_quality >= QUALITY_MIN_INTERVAL_SECONDS:
            self._last_quality = time.monotonic()
            async with session(profile="nerdboard", pool=POOL) as db:
                await run_quality_checks(db)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_worker(
    settings: Settings,
    stop: asyncio.Event,
    *,
    cache: Cache | None = None,
    tick_seconds: float | None = None,
) -> None:
    """Tick until `stop` is set, while holding the worker lock (else wait for it).

    The lock lives as long as its connection: if the database goes away, the connection and
    with it the lock are lost, so the loop notices (a liveness query on the lock connection
    every tick), stops ticking, and waits to take the lock again once the database is back,
    rather than ticking without it beside another worker that took it meanwhile.
    """
    engine = get_engine(profile="nerdboard", pool=POOL, settings=settings)
    owned_cache = cache is None
    cache = cache or build_cache(settings.redis_url)
    interval = tick_seconds or settings.nerdboard_tick_seconds
    worker = SimulationWorker(cache=cache)
    try:
        while not stop.is_set():
            try:
                await _hold_lock_and_tick(engine, worker, stop, interval)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "simulation worker lost the database (%s); trying again in %.0f s",
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                    LOCK_RETRY_SECONDS,
                )
                await _pause(stop, LOCK_RETRY_SECONDS)
    finally:
        if owned_cache:
            await cache.close()


async def _hold_lock_and_tick(
    engine: AsyncEngine, worker: SimulationWorker, stop: asyncio.Event, interval: float
) -> None:
    async with engine.connect() as lock_connection:
        held = await lock_connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": WORKER_LOCK_KEY}
        )
        await lock_connection.commit()
        if not held:
            # Another process ticks; check again later in case it goes away.
            await _pause(stop, LOCK_RETRY_SECONDS)
            return
        logger.info("simulation worker holds the lock; ticking every %.2f s", interval)
        while not stop.is_set():
            started = time.monotonic()
            # Still holding the lock? A dead connection raises, and the caller re-acquires.
            await lock_connection.execute(text("SELECT 1"))
            await lock_connection.commit()
            try:
                async with session(profile="nerdboard", pool=POOL) as db:
                    outcome = await worker.tick(db)
                if outcome is not None:
                    await worker.after_commit(outcome)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("simulation tick failed; retrying next tick")
            await _pause(stop, max(0.0, interval - (time.monotonic() - started)))
        await lock_connection.execute(
            text("SELECT pg_advisory_unlock(:key)"), {"key": WORKER_LOCK_KEY}
        )
        await lock_connection.commit()


def kpi_event_builder(
    cache: Cache, clocks: service.ClockCache | None = None
) -> Callable[[dict[str, object]], Awaitable[bytes]]:
    async def build(tick: dict[str, object]) -> bytes:
        async with session(profile="nerdboard", pool=POOL) as db:
            overview = await service.cached_overview(cache, db, clocks=clocks)
        return b'{"tick":' + orjson.dumps(tick) + b',"overview":' + overview.value + b"}"

    return build


@asynccontextmanager
async def ticker(settings: Settings, cache: Cache) -> AsyncIterator[None]:
    """The simulation ticker as a background task for the lifetime of the block."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop, cache=cache), name="nerdboard-sim")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:
            logger.warning("simulation worker did not stop in time; cancelled")


@asynccontextmanager
async def nerdboard_runtime(
    settings: Settings, cache: Cache
) -> AsyncIterator[Mapping[str, object]]:
    """What the web process runs for Nerdboard: the tick listener (and, if configured, a
    ticker of its own besides `lyceum worker`'s)."""
    engine = get_engine(profile="nerdboard", pool=POOL, settings=settings)
    clocks = service.ClockCache()
    broadcaster = TickBroadcaster(
        engine, kpi_event_builder(cache, clocks), on_tick=clocks.invalidate
    )
    await broadcaster.start()
    try:
        async with contextlib.AsyncExitStack() as stack:
            if settings.nerdboard_simulation_worker:
                await stack.enter_async_context(ticker(settings, cache))
            yield {"nerdboard_broadcaster": broadcaster, "nerdboard_clock": clocks}
    finally:
        await broadcaster.stop()


@asynccontextmanager
async def worker_runtime(settings: Settings, cache: Cache) -> AsyncIterator[Mapping[str, object]]:
    """What `lyceum worker` runs for Nerdboard besides its jobs: the simulation ticker."""
    async with ticker(settings, cache):
        yield {}


__all__ = [
    "SimulationWorker",
    "TickOutcome",
    "kpi_event_builder",
    "nerdboard_runtime",
    "run_worker",
    "ticker",
    "worker_runtime",
]
