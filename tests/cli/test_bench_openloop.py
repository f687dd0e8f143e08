"""The open-loop dashboard benchmark runs end to end: a real server, a real ticking worker,
operators loading whole pages; at a tiny scale and duration (the figures come from
`lyceum bench nerdboard` at full size)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.fixtures.services import REPO_ROOT

SCRIPT = REPO_ROOT / "benchmarks" / "nerdboard_openloop.py"


@pytest.mark.benchmark
def test_openloop_benchmark_reports_requests_and_pages_beside_one_operator(
    redis_url: str, database_url: URL, tmp_path: Path
) -> None:
    # database_url: DATABASE_URL then names the test database's server, where the benchmark
    # makes (and drops) its scratch database.
    env = {
        **os.environ,
        "COLUMNS": "250",
        "BENCH_RESULTS_DIR": str(tmp_path),
        "BENCH_OPENLOOP_DATABASE": "openloop_smoke",
        "BENCH_NERDBOARD_SCALE": "small",
        "BENCH_OPENLOOP_OPERATORS": "3",
        "BENCH_OPENLOOP_SECONDS": "3",
        "BENCH_OPENLOOP_RUNS": "1",
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    assert "target at 3 operators: request p95 < 100 ms" in done.stdout
    figures = json.loads((tmp_path / "nerdboard_openloop.json").read_text())["figures"]
    assert set(figures["medians"]) == {"single", "many"}
    (run,) = figures["per_run"]
    for phase, operators in (("single", 1), ("many", 3)):
        measured = run[phase]
        assert measured["operators"] == operators
        assert measured["errors"] == 0
        # Every page loads every endpoint the pages read.
        assert measured["request"]["n"] == 7 * measured["page"]["n"] > 0
        assert all(v["n"] == measured["page"]["n"] for v in measured["per_endpoint"].values())
        assert measured["page"]["p95_ms"] >= measured["request"]["p50_ms"]
    # The worker ticked the simulation during the measurement (3600x: an hour a second).
    assert run["many"]["simulated_hours"] >= 1
