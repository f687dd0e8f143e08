"""Nerdboard's pages in Chromium, against a live server whose worker ticks the simulation.

The DOM these tests read is the pages' contract: `body[data-page]`, `data-charts-drawn`, the
`.tile[data-kpi][data-value]` tiles, `#sim-clock`, `#sim-controls` with its
`button[data-action]`s, `#sim-status`, `#run-checks`, `.badge[data-check]`, `#at-risk`.
Every test leaves the simulation paused, so the pages hold still for the next one.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DAY_PER_TICK_SPEED, OPERATOR, VIEWER, Site
from tests.fixtures.browser import Visit
from tests.nerdboard.test_pages import OVERVIEW_TILES

pytestmark = pytest.mark.browser

API = "/api/nerdboard"
PAGES = {
    "overview": "/nerdboard/",
    "capacity": "/nerdboard/capacity",
    "forecast": "/nerdboard/forecast",
    "customers": "/nerdboard/customers",
    "quality": "/nerdboard/quality",
    "simulation": "/nerdboard/simulation",
}
# What each page must show besides its charts (operator's view).
PAGE_PARTS = {
    "overview": ["#sim-clock", ".tile[data-kpi]", "#alerts, #no-alerts"],
    "capacity": [],
    "forecast": [],
    "customers": ["table#at-risk[data-sortable]", "input#at-risk-filter"],
    "quality": [".badge[data-check]", "button#run-checks"],
    "simulation": ["#sim-clock", "#sim-controls", "#sim-status", "input#sim-speed"],
}
# The only API calls a page makes (the contract): its refreshes, and the controls.
PAGE_API_PATHS = {
    f"{API}/{path}"
    for path in ("overview", "simulation", "capacity", "forecast", "customer-health", "quality")
} | {f"{API}/stream"}
TILES = OVERVIEW_TILES
CONTROLS = (
    ("POST", f"{API}/simulation/start", None),
    ("POST", f"{API}/simulation/pause", None),
    ("POST", f"{API}/simulation/resume", None),
    ("POST", f"{API}/simulation/reset", None),
    ("PUT", f"{API}/simulation/speed", {"speed_multiplier": 3600}),
    ("POST", f"{API}/quality/run", None),
)
# Wraps EventSource before the page's scripts run, to count the `kpis` events the page gets:
# how many ticks it took for a change to show is counted in ticks, not in seconds, so a
# busy machine (slower ticks, slower rendering) does not change the verdict.
COUNT_KPI_EVENTS = """
(() => {
  const Original = window.EventSource;
  window.__kpiEvents = [];
  function Counted(url, init) {
    const source = new Original(url, init);
    source.addEventListener("kpis", (event) => {
      window.__kpiEvents.push(JSON.parse(event.data).tick || {});
    });
    return source;
  }
  Counted.prototype = Original.prototype;
  window.EventSource = Counted;
})();
"""


def open_page(visit: Visit, path: str, account: Any = OPERATOR, label: str = "") -> Page:
    page = visit.open(account, label)
    page.goto(path)
    # The contract: set once every chart is drawn (or the data shown, on a page without one).
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", "true", timeout=15_000)
    return page


def tiles(page: Page) -> dict[str, str | None]:
    return {
        kpi: page.locator(f".tile[data-kpi={kpi}]").get_attribute("data-value") for kpi in TILES
    }


def call_api(page: Page, method: str, path: str, body: object = None) -> int:
    """`path` called from the page as its own scripts would: session cookie, CSRF header."""
    status: int = page.evaluate(
        """async ([method, path, body]) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const headers = {"X-CSRF-Token": token, "Accept": "application/json"};
            if (body !== null) headers["Content-Type"] = "application/json";
            const response = await fetch(path, {
                method, headers, body: body === null ? undefined : JSON.stringify(body),
            });
            return response.status;
        }""",
        [method, path, body],
    )
    return status


def pause_quietly(page: Page) -> None:
    """Leave the simulation paused, whatever state the test stopped in (409: it was)."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    paused = page.request.post(f"{API}/simulation/pause", headers={"X-CSRF-Token": token})
    assert paused.status in (200, 409), paused.text()


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_with_no_console_error_and_no_failed_request(
    visit: Visit, name: str
) -> None:
    page = visit.open(OPERATOR)
    api_calls: list[str] = []
    page.on(
        "request",
        lambda request: api_calls.append(request.url) if "/api/" in request.url else None,
    )
    page.goto(PAGES[name])
    expect(page.locator("body")).to_have_attribute("data-page", f"nerdboard-{name}")
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", "true", timeout=15_000)
    # A chart that failed still ends in data-charts-drawn, with its error in #page-message.
    expect(page.locator("#page-message")).to_be_hidden()
    # The benchmark times navigation to this mark: it must be there once the charts are.
    assert page.evaluate("performance.getEntriesByName('lyceum:charts-drawn').length") == 1
    data = json.loads(page.locator("script#page-data").text_content() or "")
    assert data, "the page came without its data"
    for selector in PAGE_PARTS[name]:
        expect(page.locator(selector).first).to_be_visible()
    drawn = page.locator(".js-plotly-plot")
    for index in range(drawn.count()):
        # A drawn plotly chart has its SVG: an empty container would mean a chart not drawn.
        assert drawn.nth(index).locator("svg.main-svg").count() > 0
    page.wait_for_timeout(300)  # the stream's first event, and anything it sets off
    assert {urlsplit(url).path for url in api_calls} <= PAGE_API_PATHS


def test_the_overview_tiles_show_the_apis_numbers(visit: Visit) -> None:
    page = open_page(visit, PAGES["overview"])
    shown = tiles(page)
    api = page.request.get(f"{API}/overview")
    assert api.ok
    overview = api.json()
    for kpi in TILES:
        raw = shown[kpi]
        assert raw is not None, f"tile {kpi} has no data-value"
        assert (json.loads(raw) if raw else None) == overview[kpi], kpi
        expect(page.locator(f".tile[data-kpi={kpi}] .value")).not_to_be_empty()
    clock = page.locator("#sim-clock").get_attribute("datetime") or ""
    assert datetime.fromisoformat(clock) == datetime.fromisoformat(overview["as_of"])


def test_starting_the_simulation_moves_the_clock_and_tiles_within_three_ticks(
    visit: Visit, site: Site
) -> None:
    overview = visit.open(OPERATOR, "overview")
    overview.add_init_script(COUNT_KPI_EVENTS)
    navigations: list[str] = []
    overview.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == overview.main_frame else None,
    )
    overview.goto(PAGES["overview"])
    expect(overview.locator("body")).to_have_attribute("data-charts-drawn", "true")
    overview.wait_for_function("window.__kpiEvents.length >= 1")  # the stream is open
    overview.evaluate("window.__sameDocument = true")
    clock_before = overview.locator("#sim-clock").get_attribute("datetime")
    tiles_before = tiles(overview)
    loaded = list(navigations)

    controls = open_page(visit, PAGES["simulation"], label="simulation")
    # A simulated day or more per tick, so every tick after the first writes data.
    controls.fill("input#sim-speed", str(2 * DAY_PER_TICK_SPEED))
    with controls.expect_response(f"**{API}/simulation/speed") as speed:
        controls.click("button[data-action=speed]")
    assert speed.value.status == 200
    events_before = overview.evaluate("window.__kpiEvents.length")
    started_at = time.monotonic()
    with controls.expect_response(f"**{API}/simulation/start") as start:
        controls.click("button[data-action=start]")
    assert start.value.status == 200
    try:
        expect(controls.locator("#sim-status")).to_contain_text("running", ignore_case=True)
        overview.wait_for_function(
            """([clock, before]) => {
                const now = document.getElementById("sim-clock").getAttribute("datetime");
                const moved = Object.keys(before).some((kpi) =>
                    document.querySelector(`.tile[data-kpi=${kpi}]`).dataset.value !== before[kpi]);
                return now !== clock && moved;
            }""",
            arg=[clock_before, tiles_before],
            timeout=20_000,
        )
        seconds = time.monotonic() - started_at
        ticks = overview.evaluate(
            "(n) => window.__kpiEvents.slice(n).filter((t) => t.current_date).length",
            events_before,
        )
        controls.click("button[data-action=pause]")
        expect(controls.locator("#sim-status")).to_contain_text("paused", ignore_case=True)
        # People read who did it by name, not by account id.
        expect(controls.locator("#sim-last-event")).to_have_text(
            f"paused by {OPERATOR.display_name}"
        )
    finally:
        pause_quietly(controls)
    assert 1 <= ticks <= 3, f"the page changed after {ticks} ticks ({seconds:.1f} s)"
    assert overview.evaluate("window.__sameDocument") is True
    assert navigations == loaded, "the overview reloaded"
    assert (overview.locator("#sim-clock").get_attribute("datetime") or "") > (clock_before or "")
    expect(overview.locator("#page-message")).to_be_hidden()


def test_reset_asks_for_confirmation_first(visit: Visit) -> None:
    page = open_page(visit, PAGES["simulation"])
    resets: list[str] = []
    page.on(
        "request",
        lambda request: (
            resets.append(request.method)
            if request.url.endswith(f"{API}/simulation/reset")
            else None
        ),
    )
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button[data-action=reset]")
    page.wait_for_timeout(500)
    assert asked == ["confirm"] and resets == [], "a dismissed confirmation still reset"

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(f"**{API}/simulation/reset") as reset:
        page.click("button[data-action=reset]")
    assert reset.value.status == 202 and resets == ["POST"]
    # The worker rebuilds the history; the next test must not land in the middle of it.
    deadline = time.monotonic() + 60
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = page.request.get(f"{API}/simulation").json()
        if (state.get("last_event") or "").startswith("reset by"):
            break
        time.sleep(0.3)
    assert (state.get("last_event") or "").startswith("reset by"), state
    assert state["is_running"] is False
    # The open page learns of it from the stream, with no reload: the clock goes back.
    expect(page.locator("#sim-message")).to_contain_text("has been rebuilt", timeout=15_000)
    shown = page.locator("#sim-clock").get_attribute("datetime") or ""
    assert shown[:10] == state["current_date"][:10], (shown, state["current_date"])


def test_a_viewer_sees_no_controls_and_the_api_refuses_them(visit: Visit) -> None:
    simulation = open_page(visit, PAGES["simulation"], VIEWER)
    expect(simulation.locator("#sim-clock")).to_be_visible()
    expect(simulation.locator("#sim-controls")).to_have_count(0)
    expect(simulation.locator("button[data-action]")).to_have_count(0)
    quality = open_page(visit, PAGES["quality"], VIEWER, label="quality")
    expect(quality.locator(".badge[data-check]").first).to_be_visible()
    expect(quality.locator("#run-checks")).to_have_count(0)
    clock = simulation.request.get(f"{API}/simulation").json()
    for method, path, body in CONTROLS:
        visit.expect_status(403, path, method)
        assert call_api(simulation, method, path, body) == 403, f"{method} {path}"
    assert simulation.request.get(f"{API}/simulation").json() == clock
