"""Nerdboard's web pages, mounted at /nerdboard: the operations dashboard in the browser.

Each page is rendered with its data already in it (a JSON island read by `pages.js`), built by
the same cached service calls as the API — the same cache entries, so a page and the API never
disagree and there is no second query path. The scripts then keep the page live: the `kpis`
stream updates tiles and the clock on every tick, and when a tick writes a new simulated day
they fetch the page's API views again (the very URLs `PAGE_API_CALLS` lists). Controls appear
only for operators and admins; the API refuses them to anyone else regardless.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.models import OPERATOR_ROLES
from lyceum.core.pages import json_island, page_roles, render
from lyceum.core.principal import Principal
from lyceum.nerdboard import repository as repo
from lyceum.nerdboard import service
from lyceum.nerdboard.dependencies import CacheDep, Clocks, NerdboardSession
from lyceum.nerdboard.service import ClockCache, page_views
from lyceum.nerdboard.simulation.clock import MAX_SPEED, MIN_SPEED

# The operator accounts (as the API's readers); an app account is refused with the 403 page.
Person = Annotated[Principal, Depends(page_roles(*OPERATOR_ROLES))]
OPERATING_ROLES = ("operator", "admin")
# The views, how they are read and refreshed: one table shared with the worker, which builds
# them in every tick (`service.page_views`).
VIEWS = page_views.VIEWS
PAGE_API_CALLS = page_views.API_CALLS
FORECAST_WEEKS = page_views.FORECAST_WEEKS


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
