"""`lyceum bench web` measures every page (server render, Chromium, weight) and writes its JSON.

A reduced run (small history, one run, a few requests and navigations per page) into a
temporary results folder, so the committed figures stay those of a full run. It proves the
benchmark runs end to end against a real server and browser and reports every figure; the
figures themselves come from `lyceum bench web` at full size.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from lyceum.nerdboard.pages import PAGES
from tests.cli.test_cli import lyceum

NERDBOARD_PAGES = {"overview", "capacity", "forecast", "customers", "quality", "simulation"}
# The pages with a chart, which load plotly.js (overview and simulation show numbers only).
CHART_PAGES = {page.name for page in PAGES if page.charts}
SUMMARIES = (
    "server_page",
    "server_health",
    "browser_warm",
    "browser_cold",
    "browser_warm_dom_content_loaded",
    "browser_cold_dom_content_loaded",
)


@pytest.mark.benchmark
@pytest.mark.browser
def test_web_benchmark_reports_every_page(
    redis_url: str, database_url: URL, tmp_path: Path
) -> None:
    # database_url: the scratch database is made (and dropped) on the test database's server.
    result = lyceum(
        "bench",
        "web",
        env={
            "BENCH_RESULTS_DIR": str(tmp_path),
            "BENCH_WEB_SCALE": "small",
            "BENCH_WEB_RUNS": "1",
            "BENCH_WEB_RENDERS": "10",
            "BENCH_WEB_NAVIGATIONS": "1",
        },
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "server render, warm cache" in result.stdout
    assert "navigation start -> last chart drawn" in result.stdout
    assert "page weight" in result.stdout

    figures = json.loads((tmp_path / "web_pages.json").read_text())["figures"]
    assert figures["runs"] == 1
    assert figures["navigations_per_page_and_cache_state"] == 1
    assert figures["target_p95_ms"] == 1500.0
    # The browser's baseline: plotly.js alone, fetched and run without a page around it.
    for cache in ("browser_warm", "browser_cold"):
        assert figures["plotly_js_alone"][cache]["p50_ms"] > 0
    pages = figures["pages"]
    assert set(pages) == {"home"} | NERDBOARD_PAGES

    for name, page in pages.items():
        for key in SUMMARIES:
            assert page[key]["p50_ms"] > 0, (name, key)
            assert page[key]["p95_ms"] >= page[key]["p50_ms"], (name, key)
        assert page["server_page"]["n"] == 10
        assert page["browser_warm"]["n"] == page["browser_cold"]["n"] == 1
        assert isinstance(page["target_met_warm"], bool)
        weight = page["weight"]
        assert weight["html"]["requests"] == 1
        assert weight["html"]["transferred"] > 0
        assert weight["css"]["uncompressed"] > weight["css"]["transferred"] > 0  # gzipped
        assert weight["total_uncompressed"] >= weight["total_transferred"] > 0

    for name in NERDBOARD_PAGES:
        page = pages[name]
        assert page["signal"] == "lyceum:charts-drawn"
        assert page["server_data"]["n"] == 10
        assert page["render_overhead_p50_ms"] is not None
        assert 0 < page["weight"]["embedded_data"] < page["weight"]["html"]["uncompressed"]
        # The last chart is drawn after the HTML has arrived.
        assert page["browser_cold"]["p50_ms"] > page["browser_cold_response_end"]["p50_ms"]

    for name in CHART_PAGES:
        js = pages[name]["weight"]["js"]
        # plotly.js (4.8 MB) is served gzipped.
        assert js["uncompressed"] > 3_000_000 and js["transferred"] < js["uncompressed"] / 2, name
