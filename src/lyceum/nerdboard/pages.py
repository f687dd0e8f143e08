"""Nerdboard's web pages, mounted at /nerdboard: the operations dashboard in the browser.

Each page is rendered with its data already in it (a JSON island read by `pages.js`), built by
the same cached service calls as the API — the same cache entries, so a page and the API never
disagree and there is no second query path. The scripts then keep the page live: the `kpis`
stream updates tiles and the clock on every tick, and when a tick writes a new simulated day
they fetch the page's API views again (the very URLs `PAGE_API_CALLS` lists). Controls appear
only for operators and admins; the API refuses them to anyone else regardless.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.cache import Cache, CacheResult
from lyceum.core.pages import page_user, render
from lyceum.core.principal import Principal
from lyceum.nerdboard import repository as repo
from lyceum.nerdboard import service
from lyceum.nerdboard.dependencies import CacheDep, Clocks, NerdboardSession
from lyceum.nerdboard.service import ClockCache, quality
from lyceum.nerdboard.service import forecast as forecasts
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


# How each view is read: the same cached call (and cache entry) as its API route.
ViewLoader = Callable[[Cache, AsyncSession, ClockCache | None], Awaitable[CacheResult]]
VIEWS: dict[str, ViewLoader] = {
    "overview": lambda cache, db, clocks: service.cached_overview(cache, db, clocks=clocks),
    "capacity_day": lambda cache, db, clocks: service.cached_capacity(
        cache, db, days=CAPACITY_DAYS["day"], subject=None, granularity="day", clocks=clocks
    ),
    "capacity_week": lambda cache, db, clocks: service.cached_capacity(
        cache, db, days=CAPACITY_DAYS["week"], subject=None, granularity="week", clocks=clocks
    ),
    "forecast": lambda cache, db, clocks: forecasts.cached_forecast(
        cache, db, weeks=FORECAST_WEEKS, clocks=clocks
    ),
    "customer_health": lambda cache, db, clocks: service.cached_customer_health(
        cache, db, at_risk_below=AT_RISK_BELOW, limit=AT_RISK_LIMIT, bins=HEALTH_BINS, clocks=clocks
    ),
    "quality": lambda cache, db, clocks: quality.cached_quality(
        cache, db, history=QUALITY_HISTORY, clocks=clocks
    ),
}


@dataclass(frozen=True)
class Page:
    """One page: its template (`nerdboard/<name>.html`), title, views, and whether it draws
    charts (then it loads plotly.js)."""

    name: str
    path: str
    title: str
    summary: str
    views: tuple[str, ...]
    charts: bool = True
    # The simulation state as a view of its own (for the pages that show more than the clock).
    with_state: bool = False


PAGES = (
    Page(
        "overview",
        "/",
        "Overview",
        "KPI tiles for the week before the clock, and the staffing alerts.",
        ("overview", "forecast"),
        charts=False,
        with_state=True,
    ),
    Page(
        "capacity",
        "/capacity",
        "Capacity",
        "Capacity against booked hours per subject, and utilization by subject and week.",
        ("capacity_day", "capacity_week"),
    ),
    Page(
        "forecast",
        "/forecast",
        "Forecast",
        "Weekly demand with its intervals, staffing against it, and the shortfall alerts.",
        ("forecast",),
    ),
    Page(
        "customers",
        "/customers",
        "Customers",
        "The health-score distribution and the customers most at risk.",
        ("customer_health",),
    ),
    Page(
        "quality",
        "/quality",
        "Data quality",
        "Each check's latest result and score history; operators can run them now.",
        ("quality",),
    ),
    Page(
        "simulation",
        "/simulation",
        "Simulation",
        "The simulation clock and, for operators, its controls.",
        (),
        charts=False,
        with_state=True,
    ),
)


async def _state(db: AsyncSession, clocks: ClockCache | None) -> bytes:
    # The process's cached clock (at most 0.25 s or one tick old), as GET /simulation gives it.
    clock = await (clocks.get(db) if clocks else repo.read_clock(db))
    return service.state_model(clock).model_dump_json().encode()


def _endpoint(page: Page) -> Callable[..., Awaitable[HTMLResponse]]:
    async def endpoint(
        request: Request, person: Person, db: NerdboardSession, cache: CacheDep, clocks: Clocks
    ) -> HTMLResponse:
        views = {key: (await VIEWS[key](cache, db, clocks)).value for key in page.views}
        state = await _state(db, clocks)
        if page.with_state:
            views["simulation"] = state
        refresh = {key: PAGE_API_CALLS[key] for key in views}
        context: dict[str, Any] = {
            "title": page.title,
            "page_name": f"nerdboard-{page.name}",
            "page_data": json_island(views),
            "page_config": json_island({"refresh": orjson.dumps(refresh)}),
            "clock": orjson.loads(state),
            "charts": page.charts,
            "can_operate": person.has_any_role(*OPERATING_ROLES),
            "forecast_weeks": FORECAST_WEEKS,
            "min_speed": MIN_SPEED,
            "max_speed": MAX_SPEED,
        }
        # The templates that render figures on the server (the tiles, the state) get them.
        if "overview" in views:
            context["overview"] = orjson.loads(views["overview"])
        if page.with_state:
            context["simulation"] = context["clock"]
        return render(request, f"nerdboard/{page.name}.html", context)

    endpoint.__doc__ = page.summary
    endpoint.__name__ = f"nerdboard_{page.name}"
    return endpoint


def router() -> APIRouter:
    # Pages are for browsers: left out of the API document (the API describes their data).
    pages = APIRouter(include_in_schema=False)
    for page in PAGES:
        pages.add_api_route(
            page.path,
            _endpoint(page),
            methods=["GET"],
            response_class=HTMLResponse,
            name=f"nerdboard_{page.name}",
        )
    return pages


__all__ = ["PAGES", "PAGE_API_CALLS", "VIEWS", "Page", "json_island", "router"]
