"""The marking-queue benchmark runs end to end: papers handed in through the exam services
until the open evaluations reach the target, a real server, the demo teacher and admin
signed in, every page and baseline measured; at a tiny size (the figures come from
`lyceum bench mathvidya` at 1,000 open evaluations)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.fixtures.services import REPO_ROOT

SCRIPT = REPO_ROOT / "benchmarks" / "mathvidya_queue.py"
OPEN = 40
MEASURED = ("teacher_queue", "admin_queue", "sla_dashboard", "queue_api", "health", "bare_sql")


@pytest.mark.benchmark
def test_queue_benchmark_fills_the_queue_and_reports_every_page_beside_its_baselines(
    redis_url: str, database_url: URL, tmp_path: Path
) -> None:
    # database_url: DATABASE_URL then names the test database's server, where the benchmark
    # makes (and drops) its scratch database.
    env = {
        **os.environ,
        "COLUMNS": "250",
        "BENCH_RESULTS_DIR": str(tmp_path),
        "BENCH_QUEUE_DATABASE": "queue_smoke",
        "BENCH_QUEUE_SCALE": "small",
        "BENCH_QUEUE_OPEN": str(OPEN),
        "BENCH_QUEUE_RUNS": "1",
        "BENCH_QUEUE_SAMPLES": "5",
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
    figures = json.loads((tmp_path / "mathvidya_queue.json").read_text())["figures"]
    # The script exits 1 when the target is missed, and only then.
    expected = 0 if figures["target"]["passed"] else 1
    assert done.returncode == expected, done.stderr[-3000:] + done.stdout[-3000:]
    assert "teacher's queue page p95 < 100 ms" in done.stdout

    setup = figures["setup"]
    assert setup["open_evaluations"] == OPEN
    assert (
        setup["papers_handed_in_through_the_services"] == OPEN - setup["open_evaluations_generated"]
    )
    assert setup["held"] + setup["pending"] == OPEN
    for key in MEASURED:
        assert figures[key]["p95_ms"] >= figures[key]["p50_ms"] > 0, key
    # What each page showed: the teacher their own held evaluations (the bare SQL's rows), the
    # admin every held one.
    assert figures["teacher_queue"]["rows"] == figures["bare_sql"]["rows"]
    assert figures["teacher_queue"]["rows"] == figures["queue_api"]["rows"]
    assert figures["teacher_queue"]["rows"] == setup["demo_teacher_held"] > 0
    assert figures["admin_queue"]["rows"] == figures["sla_dashboard"]["rows"] == setup["held"]
    assert figures["sla_monitor_run"]["ms"] > 0
