"""Nerdboard's dashboard reads (cached).

Every dashboard response is cached as JSON bytes under a key that carries the simulation
clock's version (`simulation_state.updated_at`, which every tick moves). A request made
after a tick can therefore never be answered from before it, even if a slow rebuild races
the tick; the worker also drops the old entries (tag `nerdboard`) so they do not linger.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, timedelta

import numpy as np
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.cache import Cache, CacheResult
from lyceum.nerdboard import repository, schemas
from lyceum.nerdboard.repository import quality
from lyceum.nerdboard.simulation.clock import midnight

CACHE_TAG = "nerdboard"
# Entries outlive no more than this even if no tick ever invalidates them.
CACHE_TTL_SECONDS = 300.0
DEFAULT_TARGET_UTILIZATION = 0.85
HISTORY_MAX_AGE = 30.0


def clock_version(clock: repository.ClockRow) -> str:
    return f"{clock.updated_at.timestamp():.6f}"


class ClockCache:
    """The clock row as this process last read it, for building cache keys without a query.

    A cache hit then costs one Redis GET and no database round trip. The row is re-read when
    a tick notification arrives (`invalidate`, called by the tick listener) and in any case
    once it is `max_age` seconds old, so a key is never older than the tick before it even
    if notifications are lost. One request re-reads; concurrent ones wait for it.
    """

    def __init__(self, max_age: float = 0.25) -> None:
        self.max_age = max_age
        self._row: repository.ClockRow | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()
        self._history: str | None = None
        self._history_at = 0.0

    def invalidate(self) -> None:
        """A tick (or a control) changed the clock: re-read it, and what hangs off it."""
        self._row = None
        self._history = None

    async def history(self, session: AsyncSession) -> str:
        """Which generated history the data comes from (`lyceum.generation_runs` id)."""
        history = self._current_history()
        if history is not None:
            return history
        # One request reads it; the others wait rather than each take a connection for it.
        async with self._lock:
            history = self._current_history()
            if history is None:
                history = await repository.history_run(session)
                self._history, self._history_at = history, time.monotonic()
            return history

    def _current_history(self) -> str | None:
        if self._history is not None and time.monotonic() - self._history_at <= HISTORY_MAX_AGE:
            return self._history
        return None

    def _fresh(self) -> repository.ClockRow | None:
        if self._row is not None and time.monotonic() - self._read_at < self.max_age:
            return self._row
        return None

    async def get(self, session: AsyncSession) -> repository.ClockRow:
        row = self._fresh()
        if row is not None:
            return row
        async with self._lock:
            row = self._fresh()
            if row is None:
                row = await repository.read_clock(session)
                self._row, self._read_at = row, time.monotonic()
            return row


async def cached(
    cache: Cache,
    session: AsyncSession,
    name: str,
    params: str,
    build: Callable[[repository.ClockRow], Awaitable[BaseModel]],
    clocks: ClockCache | None = None,
    tags: tuple[str, ...] = (),
) -> CacheResult:
    """The response for `name` with `params` at the current simulation tick, as JSON bytes."""
    clock = await (clocks.get(session) if clocks else repository.read_clock(session))

    async def load() -> bytes:
        return (await build(clock)).model_dump_json().encode()

    key = f"nerdboard:{clock_version(clock)}:{name}:{params}"
    return await cache.fetch_bytes(key, load, CACHE_TTL_SECONDS, tags=(CACHE_TAG, *tags))


# ---- overview -----------------------------------------------------------------------


async def cached_overview(
    cache: Cache,
    session: AsyncSession,
    target_utilization: float = DEFAULT_TARGET_UTILIZATION,
    clocks: ClockCache | None = None,
) -> CacheResult:
    """The overview as JSON bytes; the live stream and GET /overview share the entry."""
    return await cached(
        cache,
        session,
        "overview",
        f"target={target_utilization}",
        lambda clock: overview(session, clock, target_utilization),
        clocks,
    )


async def overview(
    session: AsyncSession, clock: repository.ClockRow, target_utilization: float
) -> schemas.Overview:
    today = clock.current_date.astimezone(UTC).date()
    week_start = today - timedelta(days=7)
    this_week = await repository.session_window_counts(
        session, midnight(week_start), midnight(today)
    )
    previous = await repository.session_window_counts(
        session, midnight(week_start - timedelta(days=7)), midnight(week_start)
    )
    supply = await repository.tutor_supply(session)
    by_subject = await repository.capacity_series(
        session, midnight(week_start), midnight(today), None
    )
    used: dict[str, int] = {}
    total: dict[str, int] = {}
    for point in by_subject:
        used[point["subject"]] = used.get(point["subject"], 0) + point["used_capacity_hours"]
        total[point["subject"]] = total.get(point["subject"], 0) + point["total_capacity_hours"]
    over_target = sorted(
        s for s in total if total[s] > 0 and used[s] / total[s] > target_utilization
    )
    health = await repository.health_summary(session, clock.current_date)
    quality_score = await quality.latest_overall_score(session)
    change = (
        None
        if previous["sessions"] == 0
        else round(100.0 * (this_week["sessions"] / previous["sessions"] - 1.0), 2)
    )
    capacity = supply["weekly_capacity_hours"]
    return schemas.Overview(
        as_of=clock.current_date,
        week_start=week_start,
        week_end=today,
        sessions_this_week=int(this_week["sessions"]),
        sessions_previous_week=int(previous["sessions"]),
        sessions_change_pct=change,
        unassigned_sessions_this_week=int(this_week["unassigned"]),
        booked_hours_this_week=round(this_week["booked_hours"], 1),
        active_tutors=int(supply["active_tutors"]),
        tutor_capacity_hours_per_week=capacity,
        utilization_this_week=(
            None if capacity == 0 else round(min(1.0, this_week["booked_hours"] / capacity), 4)
        ),
        students_this_week=int(this_week["students"]),
        subjects_over_target=over_target,
        target_utilization=target_utilization,
        average_health_score=None if health[0] is None else round(float(health[0]), 2),
        at_risk_customers=int(health[1]),
        data_quality_score=None if quality_score is None else round(quality_score, 2),
    )


# ---- capacity -----------------------------------------------------------------------


async def cached_capacity(
    cache: Cache,
    session: AsyncSession,
    *,
    days: int,
    subject: str | None,
    granularity: str,
    clocks: ClockCache | None = None,
) -> CacheResult:
    """GET /capacity and the capacity page share the entry."""
    return await cached(
        cache,
        session,
        "capacity",
        f"days={days}:subject={subject}:granularity={granularity}",
        lambda clock: capacity(session, clock, days=days, subject=subject, granularity=granularity),
        clocks,
    )


async def capacity(
    session: AsyncSession,
    clock: repository.ClockRow,
    *,
    days: int,
    subject: str | None,
    granularity: str,
) -> schemas.CapacityResponse:
    end = clock.current_date.astimezone(UTC).date()
    start = end - timedelta(days=days)
    rows = await repository.capacity_series(session, midnight(start), midnight(end), subject)
    grouped: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        grouped.setdefault(str(row["subject"]), []).append(row)
    result: list[schemas.SubjectCapacity] = []
    for name, points in grouped.items():
        buckets: dict[date, list[int]] = {}
        for point in points:
            day = point["date"]
            assert isinstance(day, date)
            key = day - timedelta(days=day.weekday()) if granularity == "week" else day
            bucket = buckets.setdefault(key, [0, 0, 0, 0])
            bucket[0] += int(point["total_capacity_hours"])  # type: ignore[call-overload]
            bucket[1] += int(point["used_capacity_hours"])  # type: ignore[call-overload]
            bucket[2] = max(bucket[2], int(point["available_tutors_count"]))  # type: ignore[call-overload]
            bucket[3] += 1
        series = [
            schemas.CapacityPoint(
                period_start=key,
                total_capacity_hours=b[0],
                used_capacity_hours=b[1],
                available_tutors_count=b[2],
                utilization_rate=0.0 if b[0] == 0 else round(b[1] / b[0], 4),
            )
            for key, b in sorted(buckets.items())
        ]
        used_total = sum(p.used_capacity_hours for p in series)
        cap_total = sum(p.total_capacity_hours for p in series)
        result.append(
            schemas.SubjectCapacity(
                subject=name,
                utilization_rate=None if cap_total == 0 else round(used_total / cap_total, 4),
                points=series,
            )
        )
    return schemas.CapacityResponse(
        as_of=clock.current_date,
        granularity="week" if granularity == "week" else "day",
        start=start,
        end=end,
        subjects=result,
    )


# ---- customer health ---------------------------------------------------------------


async def cached_customer_health(
    cache: Cache,
    session: AsyncSession,
    *,
    at_risk_below: float,
    limit: int,
    bins: int,
    clocks: ClockCache | None = None,
) -> CacheResult:
    """GET /customer-health and the customers page share the entry."""
    return await cached(
        cache,
        session,
        "customer-health",
        f"below={at_risk_below}:limit={limit}:bins={bins}",
        lambda clock: customer_health(
            session, clock, at_risk_below=at_risk_below, limit=limit, bins=bins
        ),
        clocks,
    )


async def customer_health(
    session: AsyncSession,
    clock: repository.ClockRow,
    *,
    at_risk_below: float,
    limit: int,
    bins: int,
) -> schemas.CustomerHealth:
    latest = await repository.latest_health_date(session, clock.current_date)
    if latest is None:
        return schemas.CustomerHealth(
            as_of=clock.current_date,
            week=None,
            customers=0,
            average_score=None,
            median_score=None,
            at_risk_below=at_risk_below,
            at_risk_count=0,
            distribution=[],
            at_risk=[],
        )
    scores = await repository.health_scores(session, latest)
    edges = np.linspace(0.0, 100.0, bins + 1)
    counts, _ = np.histogram(scores, bins=edges)
    at_risk = await repository.at_risk_customers(session, latest, at_risk_below, limit)
    return schemas.CustomerHealth(
        as_of=clock.current_date,
        week=latest.astimezone(UTC).date(),
        customers=int(scores.size),
        average_score=round(float(scores.mean()), 2) if scores.size else None,
        median_score=round(float(np.median(scores)), 2) if scores.size else None,
        at_risk_below=at_risk_below,
        at_risk_count=int((scores < at_risk_below).sum()),
        distribution=[
            schemas.HealthBin(lower=float(edges[i]), upper=float(edges[i + 1]), customers=int(c))
            for i, c in enumerate(counts)
        ],
        at_risk=[schemas.AtRiskCustomer(**row) for row in at_risk],
    )
