"""Web pages: server render time, time to the last chart drawn in Chromium, and page weight.

A real `lyceum serve` process (one uvicorn worker, simulation worker off so the clock stands
still and every cache entry stays warm) on a scratch database holding a generated Nerdboard
history, signed in as the development demo operator through the sign-in form. Pages: the
home page (the shell alone, no chart) and each Nerdboard page the app registers (six, per
the pages' DOM contract).

- server render: sequential keep-alive GETs with the session cookie, warm cache. Every round
  also fetches the JSON API calls the page's data comes from and `/health`, interleaved, so
  the render overhead (page minus its data) is measured against a baseline of the same run.
- Chromium (headless; the system's `chromium` when installed, else Playwright's own): time
  from navigation start to the page's `performance.mark("lyceum:charts-drawn")` (the home
  page: to its load event). Warm: one browser context, the HTTP cache primed by a first
  visit. Cold: a fresh context (empty cache) for every navigation. Target p95 < 1.5 s. The
  same run's baseline: plotly.min.js alone, fetched and run on the home page (no chart),
  warm and cold; and each navigation's phases (HTML received, scripts received,
  DOMContentLoaded), which tell the network, plotly.js and the drawing apart.
- page weight: every response of one cold visit (the SSE stream aside, which never ends),
  by kind, as transferred (gzip where the server compresses) and uncompressed; the JSON
  embedded in the HTML (`#page-data`) is reported as part of the HTML and on its own.

Each of BENCH_WEB_RUNS runs (default 3) measures everything; the figures reported are the
median over the runs of each run's p50/p95. Run: `lyceum bench web` (DATABASE_URL /
REDIS_URL, else the embedded server and a private redis). Smaller: BENCH_WEB_SCALE=small,
BENCH_WEB_RUNS, BENCH_WEB_RENDERS (GET rounds per page), BENCH_WEB_NAVIGATIONS (per page
and cache state).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, Response, sync_playwright

from _common import (
    RawHttpPool,
    console,
    load_history,
    lyceum_command,
    machine,
    print_machine,
    print_table,
    redis_url,
    running_server,
    scratch_database,
    summary_ms,
    url_string,
    write_results,
)
from lyceum.nerdboard.pages import PAGE_API_CALLS, PAGES
from lyceum.web.assets import asset_url

SCALE = os.environ.get("BENCH_WEB_SCALE", "default")
RUNS = int(os.environ.get("BENCH_WEB_RUNS", "3"))
RENDERS = int(os.environ.get("BENCH_WEB_RENDERS", "200"))
NAVIGATIONS = int(os.environ.get("BENCH_WEB_NAVIGATIONS", "20"))
TARGET_P95_MS = 1500.0
DRAWN_MARK = "lyceum:charts-drawn"
PLOTLY = "plotly_js_alone"
DRAWN_SELECTOR = "body[data-charts-drawn='true']"
# Longer than any page should take, short enough that a page that never signals fails the run.
DRAWN_TIMEOUT_MS = 30_000
SYSTEM_CHROMIUM = ("chromium", "chromium-browser")
DEMO = {"email": "demo@lyceum.local", "password": "lyceum-demo-password"}


@dataclass(frozen=True)
class PageSpec:
    name: str
    path: str
    # The JSON API calls giving the data the page embeds (and its clock, which every Nerdboard
    # page reads as GET /simulation does): the server-side baseline of its render.
    data: tuple[str, ...]
    # The page signals `lyceum:charts-drawn` (those without a chart once their data is shown);
    # the home page does not, and is timed to its load event.
    signals: bool = True


HOME = PageSpec("home", "/", (), signals=False)


# The Nerdboard pages from the pages' own table: each one's views, read through the API calls
# the pages' scripts refresh from, plus the clock (GET /simulation) that every page reads.
NERDBOARD = tuple(
    PageSpec(
        page.name,
        f"/nerdboard{page.path}",
        tuple(PAGE_API_CALLS[view] for view in (*page.views, "simulation")),
    )
    for page in PAGES
)


# ---- signing in ------------------------------------------------------------------------


def sign_in(base: str) -> str:
    """The demo operator's session cookie, through the sign-in form as a browser does."""
    with httpx.Client(base_url=base, timeout=30) as http:
        form = http.get("/sign-in")
        form.raise_for_status()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if token is None:
            raise RuntimeError("the sign-in form has no csrf_token field")
        done = http.post("/sign-in", data={**DEMO, "csrf_token": token.group(1), "next": "/"})
        if done.status_code != 303 or "lyceum_session" not in http.cookies:
            raise RuntimeError(f"sign-in failed: {done.status_code} {done.text[:300]}")
        return str(http.cookies["lyceum_session"])


def check_pages(base: str, cookie: str, pages: Sequence[PageSpec]) -> None:
    """Every page answers 200 to the signed-in operator before anything is timed."""
    with httpx.Client(base_url=base, cookies={"lyceum_session": cookie}, timeout=60) as http:
        for spec in pages:
            status = http.get(spec.path).status_code
            if status != 200:
                raise RuntimeError(f"GET {spec.path} answered {status}")


# ---- (a) server render -----------------------------------------------------------------


@dataclass
class RenderCell:
    page: list[float] = field(default_factory=list)
    data: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    html_bytes: int = 0


async def timed(http: RawHttpPool, path: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    status, _headers, body = await http.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    return elapsed, body


async def measure_renders(
    base: str, cookie: str, pages: Sequence[PageSpec]
) -> dict[str, RenderCell]:
    port = int(urlsplit(base).port or 80)
    headers = {"Cookie": f"lyceum_session={cookie}", "Accept-Encoding": "gzip"}
    http = RawHttpPool("127.0.0.1", port, headers, size=1)
    await http.open()
    cells: dict[str, RenderCell] = {}
    try:
        for spec in pages:
            cell = cells[spec.name] = RenderCell()
            # Prime: the page's cache entries, and the template's first compilation.
            for path in (spec.path, *spec.data, "/health"):
                await timed(http, path)
            for _ in range(RENDERS):
                elapsed, body = await timed(http, spec.path)
                cell.page.append(elapsed)
                cell.html_bytes = len(body)
                if spec.data:
                    cell.data.append(sum([(await timed(http, p))[0] for p in spec.data]))
                cell.health.append((await timed(http, "/health"))[0])
    finally:
        await http.close()
    return cells


# ---- (b) Chromium ----------------------------------------------------------------------


def chromium_executable() -> str | None:
    """The system's Chromium when installed (Debian's works), else None: Playwright's own."""
    for name in SYSTEM_CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    return None


def new_context(browser: Browser, base: str, cookie: str) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.add_cookies(
        [
            {
                "name": "lyceum_session",
                "value": cookie,
                "url": base,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    return context


def visit(page: Page, url: str, spec: PageSpec) -> dict[str, float]:
    """Navigate and wait for the page's signal; milliseconds since navigation start."""
    if spec.signals:
        page.goto(url, wait_until="commit")
        # A selector, not wait_for_function: the pages' CSP (script-src 'self') forbids the
        # string evaluation that one uses.
        page.wait_for_selector(DRAWN_SELECTOR, state="attached", timeout=DRAWN_TIMEOUT_MS)
    else:
        page.goto(url, wait_until="load")
    timings: dict[str, float] = page.evaluate(
        """(mark) => {
            const nav = performance.getEntriesByType("navigation")[0];
            const drawn = performance.getEntriesByName(mark);
            const scripts = performance.getEntriesByType("resource")
                .filter((entry) => entry.initiatorType === "script")
                .map((entry) => entry.responseEnd);
            return {
                response_end: nav.responseEnd,
                scripts_received: Math.max(nav.responseEnd, ...scripts),
                dom_content_loaded: nav.domContentLoadedEventEnd,
                load: nav.loadEventEnd,
                drawn: drawn.length ? drawn[drawn.length - 1].startTime : -1,
            };
        }""",
        DRAWN_MARK,
    )
    if spec.signals and timings["drawn"] < 0:
        raise RuntimeError(f"{spec.path}: chartsDrawn set but no {DRAWN_MARK} mark")
    if not spec.signals:
        timings["drawn"] = timings["load"]
    return timings


@dataclass
class BrowserCell:
    warm: list[dict[str, float]] = field(default_factory=list)
    cold: list[dict[str, float]] = field(default_factory=list)

    def series(self, cache: str, key: str = "drawn") -> list[float]:
        return [t[key] for t in getattr(self, cache)]


def recorder(seen: list[Response]) -> Callable[[Response], None]:
    # A function of our own, not the bound `seen.append`: Playwright tags the handler it gets.
    def record(response: Response) -> None:
        seen.append(response)

    return record


def measure_browser(
    browser: Browser, base: str, cookie: str, pages: Sequence[PageSpec], *, weigh: bool
) -> tuple[dict[str, BrowserCell], dict[str, dict[str, Any]]]:
    """Warm and cold navigations of every page; when `weigh`, each page's weight from its
    first cold visit (read once the visit is timed)."""
    cells: dict[str, BrowserCell] = {}
    weights: dict[str, dict[str, Any]] = {}
    for spec in pages:
        cell = cells[spec.name] = BrowserCell()
        url = base + spec.path
        warm = new_context(browser, base, cookie)
        try:
            page = warm.new_page()
            visit(page, url, spec)  # fills the HTTP cache (plotly.js, CSS, scripts)
            for _ in range(NAVIGATIONS):
                cell.warm.append(visit(page, url, spec))
        finally:
            warm.close()
        for number in range(NAVIGATIONS):
            cold = new_context(browser, base, cookie)
            try:
                page = cold.new_page()
                responses: list[Response] = []
                if weigh and number == 0:
                    page.on("response", recorder(responses))
                cell.cold.append(visit(page, url, spec))
                if weigh and number == 0:
                    weights[spec.name] = page_weight(page, responses)
            finally:
                cold.close()
    return cells, weights


PLOTLY_ALONE = """async (src) => {
    const started = performance.now();
    await new Promise((loaded, failed) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = loaded;
        script.onerror = () => failed(new Error("plotly.js did not load"));
        document.head.appendChild(script);
    });
    return performance.now() - started;
}"""


def measure_plotly_alone(browser: Browser, base: str, cookie: str) -> dict[str, list[float]]:
    """The baseline of the chart pages: plotly.min.js alone, fetched and run on the home page
    (which has no chart), warm (one context) and cold (a fresh context each time)."""
    src = base + asset_url("plotly.min.js")
    times: dict[str, list[float]] = {"warm": [], "cold": []}
    warm = new_context(browser, base, cookie)
    try:
        page = warm.new_page()
        for number in range(NAVIGATIONS + 1):
            page.goto(base + "/", wait_until="load")
            elapsed = float(page.evaluate(PLOTLY_ALONE, src))
            if number:  # the first fills the HTTP cache
                times["warm"].append(elapsed)
    finally:
        warm.close()
    for _ in range(NAVIGATIONS):
        cold = new_context(browser, base, cookie)
        try:
            page = cold.new_page()
            page.goto(base + "/", wait_until="load")
            times["cold"].append(float(page.evaluate(PLOTLY_ALONE, src)))
        finally:
            cold.close()
    return times


# ---- (c) page weight -------------------------------------------------------------------

KINDS = {"document": "html", "script": "js", "stylesheet": "css", "fetch": "data", "xhr": "data"}
WEIGHED = ("html", "js", "css", "data", "other")


def page_weight(page: Page, responses: Sequence[Response]) -> dict[str, Any]:
    """Bytes of a cold visit, by kind: transferred (the body as sent, headers apart) and
    uncompressed; the SSE stream is listed but not counted (it never finishes)."""
    page.wait_for_load_state("load")
    # Requests the page makes once drawn (a refetch on the stream's first event) count too.
    page.wait_for_timeout(500)
    embedded: int = page.evaluate(
        """() => {
            const data = document.getElementById("page-data");
            return data ? new TextEncoder().encode(data.textContent).length : 0;
        }"""
    )
    weight: dict[str, Any] = {
        kind: {"transferred": 0, "uncompressed": 0, "requests": 0} for kind in WEIGHED
    }
    streams = []
    for response in responses:
        request = response.request
        if request.resource_type == "eventsource":
            streams.append(urlsplit(response.url).path)
            continue
        entry = weight[KINDS.get(request.resource_type, "other")]
        entry["transferred"] += request.sizes()["responseBodySize"]
        entry["uncompressed"] += len(response.body())
        entry["requests"] += 1
    weight["embedded_data"] = embedded
    weight["streams"] = streams
    weight["total_transferred"] = sum(weight[kind]["transferred"] for kind in WEIGHED)
    weight["total_uncompressed"] = sum(weight[kind]["uncompressed"] for kind in WEIGHED)
    return weight


# ---- runs and report -------------------------------------------------------------------


@contextmanager
def launched() -> Iterator[tuple[Browser, str]]:
    executable = chromium_executable()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            yield browser, f"{executable or 'Playwright chromium'} {browser.version}"
        finally:
            browser.close()


def one_run(
    base: str, cookie: str, pages: Sequence[PageSpec], *, weigh: bool
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], str]:
    """One run's figures per page, the pages' weights (when `weigh`), and the browser."""
    renders = asyncio.run(measure_renders(base, cookie, pages))
    with launched() as (browser, browser_name):
        navigations, weights = measure_browser(browser, base, cookie, pages, weigh=weigh)
        plotly = measure_plotly_alone(browser, base, cookie)
    run: dict[str, Any] = {
        PLOTLY: {
            "browser_warm": summary_ms(plotly["warm"]),
            "browser_cold": summary_ms(plotly["cold"]),
        }
    }
    for spec in pages:
        render, nav = renders[spec.name], navigations[spec.name]
        run[spec.name] = {
            "server_page": summary_ms(render.page),
            "server_data": summary_ms(render.data),
            "server_health": summary_ms(render.health),
            "html_bytes": render.html_bytes,
            "browser_warm": summary_ms(nav.series("warm")),
            "browser_cold": summary_ms(nav.series("cold")),
            # Where a navigation's time goes: the HTML received, the last script received,
            # DOMContentLoaded (the scripts at the end of the body have run), then the mark.
            **{
                f"browser_{cache}_{phase}": summary_ms(nav.series(cache, phase))
                for cache in ("warm", "cold")
                for phase in ("response_end", "scripts_received", "dom_content_loaded")
            },
        }
    return run, weights, browser_name


def median_summary(runs: Sequence[dict[str, Any]], page: str, key: str) -> dict[str, Any]:
    """Each figure's median over the runs (n: the samples of one run)."""
    cells = [run[page][key] for run in runs]
    if not cells[0]["n"]:
        return dict(cells[0])
    return {
        "n": cells[0]["n"],
        **{
            figure: round(statistics.median(cell[figure] for cell in cells), 2)
            for figure in ("p50_ms", "p95_ms", "max_ms")
        },
    }


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def kib(n: int) -> str:
    return f"{n / 1024:,.1f}"


def main() -> None:
    started = time.perf_counter()

    def progress(what: str) -> None:
        console.print(f"[{time.perf_counter() - started:6.1f} s] {what}")

    with scratch_database("pages", app="web") as url, redis_url() as redis:
        info = machine(url)
        history = load_history(url, SCALE)
        env = {**os.environ, "DATABASE_URL": url_string(url), "ENV": "development"}
        lyceum_command(["seed", "nerdboard"], env)  # the demo operator
        progress(f"database ready ({SCALE} history)")
        with running_server(url, redis, worker=False) as server:
            cookie = sign_in(server.base)
            pages = [HOME, *NERDBOARD]
            check_pages(server.base, cookie, pages)
            progress(f"server up, signed in; pages: {', '.join(p.name for p in pages)}")
            runs: list[dict[str, Any]] = []
            weights: dict[str, dict[str, Any]] = {}
            browser_name = ""
            for number in range(RUNS):
                # The weights (the same bytes every run) from the first run's cold visits.
                run, measured, browser_name = one_run(server.base, cookie, pages, weigh=number == 0)
                runs.append(run)
                weights = measured or weights
                progress(f"run {number + 1}/{RUNS} measured")
    info = {**info, "load_average_1m_5m_at_end": [round(x, 2) for x in os.getloadavg()[:2]]}

    figures: dict[str, Any] = {}
    for spec in pages:
        page = {
            key: median_summary(runs, spec.name, key)
            for key in runs[0][spec.name]
            if key != "html_bytes"
        }
        figures[spec.name] = {
            "path": spec.path,
            "data_calls": list(spec.data),
            "signal": DRAWN_MARK if spec.signals else "load event",
            **page,
            "render_overhead_p50_ms": (
                round(page["server_page"]["p50_ms"] - page["server_data"]["p50_ms"], 2)
                if spec.data
                else None
            ),
            "target_met_warm": page["browser_warm"]["p95_ms"] < TARGET_P95_MS,
            "target_met_cold": page["browser_cold"]["p95_ms"] < TARGET_P95_MS,
            "weight": weights[spec.name],
        }
    plotly = {key: median_summary(runs, PLOTLY, key) for key in ("browser_warm", "browser_cold")}

    print_machine(info)
    console.print(history)
    console.print(
        f"server: `lyceum serve`, 1 worker process, simulation worker off; browser: {browser_name},"
        f" headless, 1366x900; {RUNS} run(s), figures are the median over runs"
    )
    print_table(
        f"server render, warm cache, {RENDERS} sequential GETs per page (ms)",
        [
            "page",
            "page p50",
            "page p95",
            "its data p50",
            "its data p95",
            "/health p50",
            "/health p95",
            "render - data p50",
            "HTML KiB",
        ],
        [
            [
                name,
                f["server_page"]["p50_ms"],
                f["server_page"]["p95_ms"],
                f["server_data"]["p50_ms"] if f["server_data"]["n"] else "-",
                f["server_data"]["p95_ms"] if f["server_data"]["n"] else "-",
                f["server_health"]["p50_ms"],
                f["server_health"]["p95_ms"],
                f["render_overhead_p50_ms"] if f["render_overhead_p50_ms"] is not None else "-",
                kib(runs[-1][name]["html_bytes"]),
            ]
            for name, f in figures.items()
        ],
    )
    print_table(
        f"Chromium: navigation start -> last chart drawn (home: load event), {NAVIGATIONS}"
        " navigations per page and cache state (ms)",
        [
            "page",
            "warm p50",
            "warm p95",
            "cold p50",
            "cold p95",
            "cold: HTML in, p50",
            "cold: scripts in, p50",
            "cold: DOMContentLoaded p50",
            f"p95<{TARGET_P95_MS:.0f} warm/cold",
        ],
        [
            [
                name,
                f["browser_warm"]["p50_ms"],
                f["browser_warm"]["p95_ms"],
                f["browser_cold"]["p50_ms"],
                f["browser_cold"]["p95_ms"],
                f["browser_cold_response_end"]["p50_ms"],
                f["browser_cold_scripts_received"]["p50_ms"],
                f["browser_cold_dom_content_loaded"]["p50_ms"],
                f"{yes_no(f['target_met_warm'])}/{yes_no(f['target_met_cold'])}",
            ]
            for name, f in figures.items()
        ],
    )
    console.print(
        "baseline: plotly.min.js alone, fetched and run on the home page:"
        f" warm p50 {plotly['browser_warm']['p50_ms']:.0f} / p95"
        f" {plotly['browser_warm']['p95_ms']:.0f} ms, cold p50"
        f" {plotly['browser_cold']['p50_ms']:.0f} / p95 {plotly['browser_cold']['p95_ms']:.0f} ms"
    )
    print_table(
        "page weight, one cold visit (KiB transferred / uncompressed)",
        [
            "page",
            "HTML",
            "of which embedded data",
            "JS",
            "CSS",
            "data fetched",
            "other",
            "total",
            "requests",
        ],
        [
            [
                name,
                *(
                    f"{kib(w[k]['transferred'])} / {kib(w[k]['uncompressed'])}"
                    if k != "embedded"
                    else kib(w["embedded_data"])
                    for k in ("html", "embedded", "js", "css", "data", "other")
                ),
                f"{kib(w['total_transferred'])} / {kib(w['total_uncompressed'])}",
                sum(w[k]["requests"] for k in ("html", "js", "css", "data", "other")),
            ]
            for name, f in figures.items()
            for w in [f["weight"]]
        ],
    )
    charted = [name for name, f in figures.items() if f["signal"] == DRAWN_MARK]
    met = [
        name
        for name in charted
        if figures[name]["target_met_warm"] and figures[name]["target_met_cold"]
    ]
    console.print(
        f"target p95 < {TARGET_P95_MS:.0f} ms to the last chart drawn, warm and cold:"
        f" {len(met)}/{len(charted)} pages meet it"
    )
    write_results(
        "pages",
        info,
        {
            "scale": SCALE,
            "history": history,
            "runs": RUNS,
            "renders_per_page": RENDERS,
            "navigations_per_page_and_cache_state": NAVIGATIONS,
            "browser": browser_name,
            "target_p95_ms": TARGET_P95_MS,
            "pages": figures,
            PLOTLY: plotly,
            "per_run": runs,
        },
        app="web",
    )


if __name__ == "__main__":
    main()
