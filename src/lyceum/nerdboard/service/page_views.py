"""The views Nerdboard's pages show: which cached call reads each, with which parameters.

The pages (`pages.py`) embed them, their scripts refresh them from the API with the same
parameters, and the worker builds them in every tick (`runtime.warm_page_views`), so a page
load after a tick is answered from the cache. One table, so the three never disagree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.cache import Cache, CacheResult
from lyceum.nerdboard.service import forecast as forecasts
from lyceum.nerdboard.service import quality
from lyceum.nerdboard.service.dashboard import (
    DEFAULT_AT_RISK_BELOW,
    DEFAULT_HEALTH_BINS,
    ClockCache,
    cached_capacity,
    cached_customer_health,
    cached_overview,
)

CAPACITY_DAYS = {"day": 90, "week": 182}
FORECAST_WEEKS = 8
AT_RISK_LIMIT = 200
QUALITY_HISTORY = 100

ViewLoader = Callable[[Cache, AsyncSession, ClockCache | None], Awaitable[CacheResult]]

VIEWS: dict[str, ViewLoader] = {
    "overview": lambda cache, db, clocks: cached_overview(cache, db, clocks=clocks),
    "capacity_day": lambda cache, db, clocks: cached_capacity(
        cache, db, days=CAPACITY_DAYS["day"], subject=None, granularity="day", clocks=clocks
    ),
    "capacity_week": lambda cache, db, clocks: cached_capacity(
        cache, db, days=CAPACITY_DAYS["week"], subject=None, granularity="week", clocks=clocks
    ),
    "forecast": lambda cache, db, clocks: forecasts.cached_forecast(
        cache, db, weeks=FORECAST_WEEKS, clocks=clocks
    ),
    "customer_health": lambda cache, db, clocks: cached_customer_health(
        cache,
        db,
        at_risk_below=DEFAULT_AT_RISK_BELOW,
        limit=AT_RISK_LIMIT,
        bins=DEFAULT_HEALTH_BINS,
        clocks=clocks,
    ),
    "quality": lambda cache, db, clocks: quality.cached_quality(
        cache, db, history=QUALITY_HISTORY, clocks=clocks
    ),
}

# The same views as the API calls the pages' scripts make to refresh them.
API = "/api/nerdboard"
API_CALLS: dict[str, str] = {
    "overview": f"{API}/overview",
    "simulation": f"{API}/simulation",
    "capacity_day": f"{API}/capacity?days={CAPACITY_DAYS['day']}&granularity=day",
    "capacity_week": f"{API}/capacity?days={CAPACITY_DAYS['week']}&granularity=week",
    "forecast": f"{API}/forecast?weeks={FORECAST_WEEKS}",
    "customer_health": f"{API}/customer-health?limit={AT_RISK_LIMIT}",
    "quality": f"{API}/quality?history={QUALITY_HISTORY}",
}

# What every tick builds before it commits: all but the forecast, which changes once a
# simulated day and is warmed (and served stale while it rebuilds) on its own.
TICK_VIEWS = tuple(name for name in VIEWS if name != "forecast")

__all__ = [
    "API_CALLS",
    "AT_RISK_LIMIT",
    "CAPACITY_DAYS",
    "FORECAST_WEEKS",
    "QUALITY_HISTORY",
    "TICK_VIEWS",
    "VIEWS",
    "ViewLoader",
]
