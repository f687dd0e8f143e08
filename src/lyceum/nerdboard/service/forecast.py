"""Forecast use cases: weekly demand per subject, staffing against it, shortfall alerts, and
the rolling backtest. The statistics live in `forecasting/` (pure); this module reads the
history and runs them off the event loop.

Forecasts change only when a simulated day's data lands, so they are cached per simulated
day (and per generated history), not per tick; the worker warms the default view when a day
completes, and until the new day's forecast is built readers are served the previous day's
(stale-while-revalidate, `cached_forecast`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.cache import Cache, CacheResult
from lyceum.core.db.session import session as session_scope
from lyceum.nerdboard import repository, schemas
from lyceum.nerdboard.connection import POOL
from lyceum.nerdboard.forecasting.demand import WeeklyForecast, forecast_weekly_demand
from lyceum.nerdboard.forecasting.evaluation import BacktestResult, rolling_backtest
from lyceum.nerdboard.forecasting.staffing import (
    allocate_supply,
    required_hours,
    shortfall_alerts,
)
from lyceum.nerdboard.service import ClockCache

logger = logging.getLogger(__name__)

# Demand history read for a forecast: enough for the model's fit window and for the chart.
HISTORY_DAYS = 26 * 7
HISTORY_WEEKS_SHOWN = 12
FORECAST_TTL_SECONDS = 24 * 3600.0
DEFAULT_WEEKS = 8
DEFAULT_TARGET = 0.85
# However fast the simulation runs, default forecasts are re-warmed at most this often.
WARM_MIN_INTERVAL_SECONDS = 10.0
_last_warm = 0.0
# Forecasts read and computed at once per process: one per core this process may use.
COMPUTE_SLOTS = (
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class Supply:
    capacity: npt.NDArray[np.float64]  # weekly hours per active tutor
    qualified: npt.NDArray[np.bool_]  # tutors x subjects
    primary: list[str | None]


async def _supply(session: AsyncSession, subjects: list[str]) -> Supply:
    tutors = await repository.tutor_skills(session)
    index = {name: i for i, name in enumerate(subjects)}
    qualified = np.zeros((len(tutors), len(subjects)), dtype=np.bool_)
    for row, (skills, _capacity, _util) in enumerate(tutors):
        for skill in skills:
            if skill in index:
                qualified[row, index[skill]] = True
    return Supply(
        capacity=np.array([float(c) for _s, c, _u in tutors], dtype=np.float64),
        qualified=qualified,
        # The first subject a tutor lists is the one they mostly teach.
        primary=[skills[0] if skills else None for skills, _c, _u in tutors],
    )


def _forecast_all(
    matrix: npt.NDArray[np.float64], first_day: date, weeks: int
) -> list[WeeklyForecast]:
    return [forecast_weekly_demand(row, first_day, weeks) for row in matrix]


@dataclass(frozen=True)
class ForecastInputs:
    """Everything a forecast reads from the database; computing from it needs no connection."""

    as_of: datetime
    start: date
    names: list[str]
    days: list[date]
    matrix: npt.NDArray[np.float64]  # subjects x days: booked hours
    supply: Supply


async def read_inputs(session: AsyncSession, clock: repository.ClockRow) -> ForecastInputs:
    today = clock.current_date.astimezone(UTC).date()
    start = today - timedelta(days=HISTORY_DAYS)
    names, days, matrix = await repository.daily_demand_hours(session, start, today)
    supply = await _supply(session, names)
    return ForecastInputs(clock.current_date, start, names, days, matrix, supply)


async def _release_connection(session: AsyncSession) -> None:
    """End the session's read-only transaction, so that its connection returns to the pool.

    What follows is up to a second of CPU per request; a connection held *idle in
    transaction* through it lets a burst of forecasts exhaust the pool (48 of 50 connections
    were, at the peak of 200 concurrent requests) and keeps a snapshot open on the server.
    Ending a transaction that only read loses nothing; the session begins a new one if it is
    used again.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a forecast's session carries unsaved changes; they would be lost")
    await session.rollback()


def _compute_slots() -> asyncio.Semaphore:
    """This event loop's limit on forecasts being read and computed at once."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(COMPUTE_SLOTS)
    return slots


async def compute_forecast(
    session: AsyncSession,
    clock: repository.ClockRow,
    *,
    weeks: int,
    subject: str | None,
    target_utilization: float,
) -> schemas.ForecastResponse:
    """Read what the forecast needs, give the connection back, then compute in a thread.

    At most `COMPUTE_SLOTS` forecasts of a process read and compute at once; the others wait
    holding no connection. More threads than cores would only share the CPU (and the GIL)
    with the event loop, which then takes longer over every other request's queries, and
    keeps their transactions open meanwhile.
    """
    await _release_connection(session)  # whatever the request read before (the clock)
    async with _compute_slots():
        inputs = await read_inputs(session, clock)
        await _release_connection(session)
        return await asyncio.to_thread(
            build_forecast,
            inputs,
            weeks=weeks,
            subject=subject,
            target_utilization=target_utilization,
        )


def build_forecast(
    inputs: ForecastInputs, *, weeks: int, subject: str | None, target_utilization: float
) -> schemas.ForecastResponse:
    """Demand forecasts, staffing and alerts from what was read: CPU only (ETS fits, LPs)."""
    names, days, matrix, supply = inputs.names, inputs.days, inputs.matrix, inputs.supply
    today = inputs.as_of.astimezone(UTC).date()
    forecasts = _forecast_all(matrix, inputs.start, weeks)
    origin = forecasts[0].weeks[0].week_start if forecasts else today
    week_starts = forecasts[0].week_starts if forecasts else []
    points = np.array([f.points() for f in forecasts], dtype=np.float64).reshape(
        len(names), len(week_starts)
    )
    required = required_hours(points, target_utilization)  # subjects x weeks
    covered = np.zeros_like(required)
    for w in range(len(week_starts)):
        allocation = allocate_supply(supply.capacity, supply.qualified, required[:, w])
        covered[:, w] = allocation.covered
    alerts = shortfall_alerts(
        names, week_starts, required.T, supply.capacity, supply.qualified, supply.primary
    )

    first_shown = today - timedelta(weeks=HISTORY_WEEKS_SHOWN)
    first_shown -= timedelta(days=first_shown.weekday())
    result: list[schemas.SubjectForecast] = []
    for i, name in enumerate(names):
        if subject is not None and name != subject:
            continue
        history: dict[date, float] = {}
        for offset, day in enumerate(days):
            if first_shown <= day:
                monday = day - timedelta(days=day.weekday())
                history[monday] = history.get(monday, 0.0) + float(matrix[i, offset])
        forecast_weeks = []
        for w, week in enumerate(forecasts[i].weeks):
            low80, high80 = week.interval(0.8).lower, week.interval(0.8).upper
            low95, high95 = week.interval(0.95).lower, week.interval(0.95).upper
            forecast_weeks.append(
                schemas.ForecastWeek(
                    week_start=week.week_start,
                    demand_hours=round(week.point, 1),
                    lower_80=round(low80, 1),
                    upper_80=round(high80, 1),
                    lower_95=round(low95, 1),
                    upper_95=round(high95, 1),
                    required_hours=round(float(required[i, w]), 1),
                    covered_hours=round(float(covered[i, w]), 1),
                    shortfall_hours=round(float(required[i, w] - covered[i, w]), 1),
                )
            )
        result.append(
            schemas.SubjectForecast(
                subject=name,
                method=forecasts[i].method,
                history=[
                    schemas.HistoryWeek(week_start=k, demand_hours=round(v, 1))
                    for k, v in sorted(history.items())
                ],
                forecast=forecast_weeks,
            )
        )
    return schemas.ForecastResponse(
        as_of=inputs.as_of,
        origin=origin,
        target_utilization=target_utilization,
        subjects=result,
        alerts=[
            schemas.ShortfallAlert(
                subject=a.subject,
                week_start=a.week_start,
                shortfall_hours=a.shortfall_hours,
                severity=a.severity,
                qualified_tutors=a.qualified_tutors,
                action=a.action,
            )
            for a in alerts
            if subject is None or a.subject == subject
        ],
    )


def _forecast_key(kind: str, history: str, day: date | None, params: str) -> str:
    return f"nerdboard:{kind}:{history}:{'' if day is None else f'{day}:'}{params}"


async def cached_forecast(
    cache: Cache,
    session: AsyncSession,
    *,
    weeks: int = DEFAULT_WEEKS,
    subject: str | None = None,
    target_utilization: float = DEFAULT_TARGET,
    clocks: ClockCache | None = None,
    stale_ok: bool = True,
) -> CacheResult:
    """The forecast for the clock's simulated day, or, while it is being built, the latest one.

    Stale-while-revalidate: building a day's forecast takes about a second of CPU, and every
    reader of the first request after a simulated day ends would wait for it. When the day's
    entry is missing but an earlier day's forecast of the same view and history is cached,
    that one is served at once (`stale=True`; its `as_of` says which day it is for) and the
    day's forecast is built in the background, once per process (and once across processes
    through the cache's lock, which the worker usually already holds: it warms the default
    view when a day completes). `stale_ok=False` waits for the day's forecast.
    """
    clock = await (clocks.get(session) if clocks else repository.read_clock(session))
    today = clock.current_date.astimezone(UTC).date()
    history = await (clocks.history(session) if clocks else repository.history_run(session))
    params = f"{weeks}:{subject}:{target_utilization}"
    key = _forecast_key("forecast", history, today, params)
    latest_key = _forecast_key("forecast-latest", history, None, params)

    async def build(db: AsyncSession) -> bytes:
        response = await compute_forecast(
            db, clock, weeks=weeks, subject=subject, target_utilization=target_utilization
        )
        value = response.model_dump_json().encode()
        # Only ever moves forward: a slow build of an older day must not replace a newer one.
        previous = await cache.get_bytes(latest_key)
        if previous is None or _as_of(previous) <= response.as_of:
            await cache.set_bytes(latest_key, value, FORECAST_TTL_SECONDS)
        return value

    if stale_ok:
        current = await cache.get_bytes(key)
        if current is not None:
            return CacheResult(current, hit=True)
        stale = await cache.get_bytes(latest_key)
        if stale is not None:
            _revalidate(cache, key, build)
            return CacheResult(stale, hit=True, stale=True)
    return await cache.fetch_bytes(key, lambda: build(session), FORECAST_TTL_SECONDS)


def _as_of(value: bytes) -> datetime:
    """The `as_of` of a cached forecast, without validating the whole document."""
    return datetime.fromisoformat(str(orjson.loads(value)["as_of"]))


# Background rebuilds, referenced until done: the event loop keeps only weak references.
_revalidating: set[asyncio.Task[CacheResult]] = set()


def _revalidate(cache: Cache, key: str, build: Callable[[AsyncSession], Awaitable[bytes]]) -> None:
    async def load() -> bytes:
        # The request's session ends with the request: the rebuild reads with its own.
        async with session_scope(profile="nerdboard", pool=POOL) as db:
            return await build(db)

    # The cache's single flight joins a rebuild of this key already running in this process.
    task = asyncio.create_task(cache.fetch_bytes(key, load, FORECAST_TTL_SECONDS))
    _revalidating.add(task)
    task.add_done_callback(_revalidated)


def _revalidated(task: asyncio.Task[CacheResult]) -> None:
    _revalidating.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.warning("rebuilding a forecast in the background failed: %s", task.exception())


async def revalidations_done() -> None:
    """Wait for this process's background forecast rebuilds (tests, shutdown)."""
    while _revalidating:
        await asyncio.gather(*_revalidating, return_exceptions=True)


async def warm(cache: Cache, session: AsyncSession) -> bool:
    """Precompute the default forecast view for the new simulated day (rate-limited)."""
    global _last_warm
    if time.monotonic() - _last_warm < WARM_MIN_INTERVAL_SECONDS:
        return False
    _last_warm = time.monotonic()
    await cached_forecast(cache, session, stale_ok=False)
    return True


async def backtest_subjects(
    session: AsyncSession, *, horizon_weeks: int, origins: int
) -> list[BacktestResult]:
    """Rolling-origin backtest of every subject over the history before the clock."""
    clock = await repository.read_clock(session)
    today = clock.current_date.astimezone(UTC).date()
    start = today - timedelta(days=365)
    names, _days, matrix = await repository.daily_demand_hours(session, start, today)

    def run() -> list[BacktestResult]:
        return [
            rolling_backtest(
                matrix[i], start, horizon_weeks=horizon_weeks, origins=origins, subject=name
            )
            for i, name in enumerate(names)
        ]

    return await asyncio.to_thread(run)


__all__ = [
    "ForecastInputs",
    "backtest_subjects",
    "build_forecast",
    "cached_forecast",
    "compute_forecast",
    "read_inputs",
    "revalidations_done",
    "warm",
]
