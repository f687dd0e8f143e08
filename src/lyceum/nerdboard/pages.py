"""Nerdboard's web pages, mounted at /nerdboard: the operations dashboard in the browser.

Each page is rendered with its data already in it (a JSON island read by `pages.js`), built by
the same cached service calls as the API — the same cache entries, so a page and the API never
disagree and there is no second query path. The scripts then keep the page live: the `kpis`
stream updates tiles and the clock on every tick, and when a tick writes a new simulated day
they fetch the page's API views again (the very URLs `PAGE_API_CALLS` lists). Controls appear
only for operators and admins; the API refuses them to anyone else regardless.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from lyceum.core.pages import page_user, render
from lyceum.core.principal import Principal
from lyceum.nerdboard import repository as repo
from lyceum.nerdboard import service
from lyceum.nerdboard.dependencies import CacheDep, Clocks, NerdboardSession
from lyceum.nerdboard.service import forecast as forecasts
from lyceum.nerdboard.service import quality
from lyceum.nerdboard.simulation.clock import MAX_SPEED, MIN_SPEED

Person = Annotated[Principal, Depends(page_user)]
OPERATING_ROLES = ("operator", "admin")

# The views the pages show, with the parameters their scripts pass to the API when they
# refresh. Kept here so the pages, their scripts (which receive these URLs) and the dashboard
# benchmarks agree on what "the whole dashboard" loads.
CAPACITY_DAYS = {"day": 90, "week": 182}
FORECAST_WEEKS = 8
# The API's defaults for the threshold and the bins, so the page and GET
# /customer-health?limit=200 share one cache entry.
AT_RISK_BELOW = 40.0
HEALTH_BINS = 10
AT_RISK_LIMIT = 200
QUALITY_HISTORY = 100
API = "/api/nerdboard"
PAGE_API_CALLS: dict[str, str] = {
    "overview": f"{API}/overview",
    "simulation": f"{API}/simulation",
    "capacity_day": f"{API}/capacity?days={CAPACITY_DAYS['day']}&granularity=day",
    "capacity_week": f"{API}/capacity?days={CAPACITY_DAYS['week']}&granularity=week",
    "forecast": f"{API}/forecast?weeks={FORECAST_WEEKS}",
    "customer_health": f"{API}/customer-health?limit={AT_RISK_LIMIT}",
    "quality": f"{API}/quality?history={QUALITY_HISTORY}",
}


def json_island(views: Mapping[str, bytes]) -> Markup:
    """The views as one JSON object for a `<script type="application/json">` element.

    The cached bytes are spliced in without parsing them again. `<`, `>` and `&` are escaped
    as JSON `\\u` sequences (same value once parsed), so no text in the data — a check's
    error details, say — can close the script element or open a comment.
    """
    parts = [b"{"]
    for index, (name, value) in enumerate(views.items()):
        parts.append((b"," if index else b"") + orjson.dumps(name) + b":" + value)
    parts.append(b"}")
    text = b"".join(parts).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above for the script-data context


def _page(
    request: Request,
    person: Principal,
    name: str,
    title: str,
    views: Mapping[str, bytes],
    state: bytes,
    *,
    charts: bool,
    **context: object,
) -> HTMLResponse:
    """The page `name`, its data island holding `views` (cached API bodies) and the clock."""
    refresh = {key: PAGE_API_CALLS[key] for key in views if key in PAGE_API_CALLS}
    return render(
        request,
        f"nerdboard/{name}.html",
        {
            "title": title,
            "page_name": f"nerdboard-{name}",
            "page_data": json_island(views),
            "page_config": json_island({"refresh": orjson.dumps(refresh)}),
            "clock": orjson.loads(state),
            "charts": charts,
            "can_operate": person.has_any_role(*OPERATING_ROLES),
            "forecast_weeks": FORECAST_WEEKS,
            **context,
        },
    )


async def _state(db: NerdboardSession, clocks: Clocks) -> bytes:
    # The process's cached clock (at most 0.25 s or one tick old), as GET /simulation gives it.
    clock = await (clocks.get(db) if clocks else repo.read_clock(db))
    return service.state_model(clock).model_dump_json().encode()


def router() -> APIRouter:
    # Pages are for browsers: left out of the API document (the API describes their data).
    pages = APIRouter(include_in_schema=False)

    @pages.get("/", response_class=HTMLResponse, name="nerdboard_overview")
    async def overview(
        request: Request, person: Person, db: NerdboardSession, cache: CacheDep, clocks: Clocks
    ) -> HTMLResponse:
        """KPI tiles for the week before the clock, and the staffing alerts."""
        state = await _state(db, clocks)
        views = {
            "overview": (await service.cached_overview(cache, db, clocks=clocks)).value,
            "simulation": state,
            "forecast": (
                await forecasts.cached_forecast(cache, db, weeks=FORECAST_WEEKS, clocks=clocks)
            ).value,
        }
        return _page(
            request,
            person,
            "overview",
            "Overview",
            views,
            state,
            charts=False,
            overview=orjson.loads(views["overview"]),
        )

    @pages.get("/capacity", response_class=HTMLResponse, name="nerdboard_capacity")
    async def capacity(
        request: Request, person: Person, db: NerdboardSession, cache: CacheDep, clocks: Clocks
    ) -> HTMLResponse:
        """Capacity against booked hours per subject, and utilization by subject and week."""
        views = {
            f"capacity_{granularity}": (
                await service.cached_capacity(
                    cache, db, days=days, subject=None, granularity=granularity, clocks=clocks
                )
            ).value
            for granularity, days in CAPACITY_DAYS.items()
        }
        state = await _state(db, clocks)
        return _page(request, person, "capacity", "Capacity", views, state, charts=True)

    @pages.get("/forecast", response_class=HTMLResponse, name="nerdboard_forecast")
    async def forecast(
        request: Request, person: Person, db: NerdboardSession, cache: CacheDep, clocks: Clocks
    ) -> HTMLResponse:
        """Weekly demand with its intervals, staffing against it, and the shortfall alerts."""
        views = {
            "forecast": (
                await forecasts.cached_forecast(cache, db, weeks=FORECAST_WEEKS, clocks=clocks)
            ).value
        }
        state = await _state(db, clocks)
        return _page(request, person, "forecast", "Forecast", views, state, charts=True)

    @pages.get("/customers", response_class=HTMLResponse, name="nerdboard_customers")
    async def customers(
        request: Request, person: Person, db: NerdboardSession, cache: CacheDep, clocks: Clocks
    ) -> HTMLResponse:
        """The health-score distribution and the customers most at risk."""
        views = {
            "customer_health": (
                await service.cached_customer_health(
                    cache,
                    db,
                    at_risk_below=AT_RISK_BELOW,
                    limit=AT_RISK_LIMIT,
                    bins=HEALTH_BINS,
                    clocks=clocks,
                )
            ).value
        }
        state = await _state(db, clocks)
        return _page(request, person, "customers", "Customers", views, state, charts=True)

    @pages.get("/quality", response_class=HTMLResponse, name="nerdboard_quality")
    async def data_quality(
        request: Request, person: Person, db: NerdboardSession, cache: CacheDep, clocks: Clocks
    ) -> HTMLResponse:
        """Each check's latest result and score history; operators can run them now."""
        views = {
            "quality": (
                await quality.cached_quality(cache, db, history=QUALITY_HISTORY, clocks=clocks)
            ).value
        }
        state = await _state(db, clocks)
        return _page(request, person, "quality", "Data quality", views, state, charts=True)

    @pages.get("/simulation", response_class=HTMLResponse, name="nerdboard_simulation")
    async def simulation(
        request: Request, person: Person, db: NerdboardSession, clocks: Clocks
    ) -> HTMLResponse:
        """The simulation clock and, for operators, its controls."""
        state = await _state(db, clocks)
        return _page(
            request,
            person,
            "simulation",
            "Simulation",
            {"simulation": state},
            state,
            charts=False,
            simulation=orjson.loads(state),
            min_speed=MIN_SPEED,
            max_speed=MAX_SPEED,
        )

    return pages


__all__ = ["PAGE_API_CALLS", "json_island", "router"]
