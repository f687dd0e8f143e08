"""Nerdboard's pages over a generated history: each renders with its data in it, the data is
the API's (the same cache entry), controls only for operators, sign-in first for everyone.
The browser drives them in tests/browser/; here the server's half is checked."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from lyceum.nerdboard.pages import PAGE_API_CALLS, json_island
from tests.nerdboard.test_api import DEMO, token_for

PAGES = {
    "/nerdboard/": ("overview", ["overview", "simulation", "forecast"]),
    "/nerdboard/capacity": ("capacity", ["capacity_day", "capacity_week"]),
    "/nerdboard/forecast": ("forecast", ["forecast"]),
    "/nerdboard/customers": ("customers", ["customer_health"]),
    "/nerdboard/quality": ("quality", ["quality"]),
    "/nerdboard/simulation": ("simulation", ["simulation"]),
}
# The overview's KPI tiles (the list; booked and available hours are one tile each).
OVERVIEW_TILES = (
    "sessions_this_week",
    "booked_hours_this_week",
    "tutor_capacity_hours_per_week",
    "utilization_this_week",
    "unassigned_sessions_this_week",
    "at_risk_customers",
    "data_quality_score",
)
ISLAND = re.compile(
    r'<script type="application/json" id="(page-data|page-config)">(.*?)</script>', re.S
)


def islands(html: str) -> dict[str, Any]:
    return {name: json.loads(body) for name, body in ISLAND.findall(html)}


@pytest.mark.parametrize("path", PAGES)
async def test_each_page_carries_the_apis_own_views(api: httpx.AsyncClient, path: str) -> None:
    name, views = PAGES[path]
    response = await api.get(path, headers=DEMO)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert f'data-page="nerdboard-{name}"' in response.text
    found = islands(response.text)
    assert sorted(found["page-data"]) == sorted(views)
    # The scripts refresh from exactly the API calls whose views the page embeds.
    assert found["page-config"]["refresh"] == {key: PAGE_API_CALLS[key] for key in views}
    for key in views:
        from_api = await api.get(PAGE_API_CALLS[key], headers=DEMO)
        if key != "simulation":
            # The page built (or read) the entry the API serves: one query path, one answer.
            assert from_api.headers["X-Cache"] == "hit", key
        assert found["page-data"][key] == from_api.json(), key


async def test_overview_tiles_show_the_overview(api: httpx.AsyncClient) -> None:
    html = (await api.get("/nerdboard/", headers=DEMO)).text
    overview = (await api.get("/api/nerdboard/overview", headers=DEMO)).json()
    tiles = dict(re.findall(r'data-kpi="([a-z_]+)" data-value="([^"]*)"', html))
    assert set(tiles) == set(OVERVIEW_TILES)
    for key, shown in tiles.items():
        expected = overview[key]
        assert (float(shown) if shown else None) == pytest.approx(expected), key


async def test_pages_send_people_to_sign_in_and_back(api: httpx.AsyncClient) -> None:
    response = await api.get("/nerdboard/capacity", headers={"Accept": "text/html"})
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/sign-in?next=/nerdboard/capacity"


async def test_controls_are_shown_only_to_operators(api: httpx.AsyncClient) -> None:
    viewer = token_for("viewer")
    for path, control in (
        ("/nerdboard/simulation", 'id="sim-controls"'),
        ("/nerdboard/quality", 'id="run-checks"'),
    ):
        as_operator = (await api.get(path, headers=DEMO)).text
        as_viewer = await api.get(path, headers=viewer)
        assert as_viewer.status_code == 200
        assert control in as_operator and control not in as_viewer.text
    refused = await api.post("/api/nerdboard/simulation/start", headers=viewer)
    assert refused.status_code == 403


def test_the_data_island_cannot_end_its_script_element() -> None:
    hostile = json.dumps({"error_details": "</script><script>alert(1)</script><!--&"}).encode()
    island = str(json_island({"quality": hostile}))
    assert "<" not in island and ">" not in island and "&" not in island
    assert json.loads(island) == {"quality": json.loads(hostile)}


async def test_the_pages_script_is_served_from_the_app(api: httpx.AsyncClient) -> None:
    html = (await api.get("/nerdboard/forecast", headers=DEMO)).text
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any(src.startswith("/static/app/nerdboard/pages.js?v=") for src in scripts)
    assert any(src.startswith("/static/vendor/plotly.min.js?v=") for src in scripts)
    script = next(src for src in scripts if "/nerdboard/pages.js" in src)
    served = await api.get(script)
    assert served.status_code == 200 and "javascript" in served.headers["content-type"]
    assert "chartsDrawn" in served.text
    assert (await api.get("/static/app/nerdboard/..%2Fpages.py")).status_code in (404, 422)
    assert (await api.get("/static/app/nerdboard/missing.js")).status_code == 404
    assert (await api.get("/static/app/no_such_app/pages.js")).status_code == 404
    # The overview and simulation pages draw no chart: they do not load plotly.js.
    overview = (await api.get("/nerdboard/", headers=DEMO)).text
    assert "plotly.min.js" not in overview
