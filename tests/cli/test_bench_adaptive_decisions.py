"""The decisions benchmark runs end to end at a tiny size: the knowledge-tracing update
beside a replay of a whole history, attempts submitted through the service beside a bare
INSERT, plans for each student of a class beside the weightage-only plan, and the class's
replans through the service; the figures reach the output and the results file (the real
ones come from `lyceum bench adaptive`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.fixtures.services import REPO_ROOT

SCRIPT = REPO_ROOT / "benchmarks" / "adaptive_decisions.py"
CLASS, SUBMITS = 6, 12


@pytest.mark.benchmark
def test_decisions_benchmark_reports_updates_plans_and_a_class_beside_baselines(
    redis_url: str, database_url: URL, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "COLUMNS": "250",
        "REDIS_URL": redis_url,
        "BENCH_RESULTS_DIR": str(tmp_path),
        "BENCH_DECISIONS_DATABASE": f"{database_url.database}_decisions_smoke",
        "BENCH_DECISIONS_RUNS": "1",
        "BENCH_DECISIONS_SCALE": "small",
        "BENCH_DECISIONS_MONTHS": "1",
        "BENCH_DECISIONS_CLASS": str(CLASS),
        "BENCH_DECISIONS_SUBMITS": str(SUBMITS),
        "BENCH_DECISIONS_UPDATES": "2000",
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
    results = tmp_path / "adaptive_decisions.json"
    assert results.exists(), done.stderr[-3000:] + done.stdout[-3000:]
    figures = json.loads(results.read_text())["figures"]
    expected = 0 if figures["target"]["passed"] else 1
    assert done.returncode == expected, done.stderr[-3000:] + done.stdout[-3000:]
    for line in ("machine: ", "(a) bkt.update", "(b) make_plan", f"(c) class of {CLASS}"):
        assert line in done.stdout, line

    update, plan, group = figures["update"], figures["plan"], figures["class"]
    assert update["submits"] == SUBMITS
    assert update["bkt_update_us"] > 0 and update["baseline_replay_us"] > 0
    assert update["submit_ms_p95"] >= update["submit_ms_p50"] > 0
    assert update["bare_insert_ms_p50"] > 0
    assert plan["make_plan_ms_max"] >= plan["make_plan_ms_p50"] > 0
    assert plan["service_replan_ms_p95"] >= plan["service_replan_ms_p50"] > 0
    assert group["students"] == CLASS and group["replan_all_seconds"] > 0
    assert figures["target"]["passed"] == (
        update["bkt_update_us"] / 1000 < 1.0 and plan["make_plan_ms_max"] < 500
    )
