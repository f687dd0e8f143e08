"""TutorMax's intervention engine: one day's rule run, its rerun and the day's escalation,
against the bare read of the rules' inputs, in one run.

The inputs are what the daily job will find: for each tutor, a churn prediction and a 30-day
metrics row on each of the seven days before the day (the engine picks each tutor's latest),
written with SQL from a fixed random seed (`setseed`). Scales: 1,274 tutors (the default
generated year's) and ten times that.

(a) `apply_rules(db, day)`: read the inputs, match, record the matches, open the treated
    tutors' interventions with their routing and audit rows (rolled back after each run).
(b) The rerun of the same day (after (a) committed once): finds its matches, changes nothing.
(c) `escalate_overdue(db, day + 10)` over everything (a) opened: every one is overdue.
(d) Baseline: the bare inputs query alone (`repository.rule_inputs`).

Each figure is the median of BENCH_INTERVENTION_RUNS (5). Run: `lyceum bench tutormax`, or
`python benchmarks/tutormax_interventions.py`, with DATABASE_URL naming any database on the
server to use: a scratch database `lyceum_bench_tutormax_interventions` is created, migrated
and dropped.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from _common import machine, print_machine, print_table, scratch_database, url_string, write_results
from lyceum.core.db.engine import close_db
from lyceum.core.db.session import session
from lyceum.core.settings import reset_settings_cache
from lyceum.tutormax import POOL
from lyceum.tutormax.repository import interventions as repo
from lyceum.tutormax.rules import load_rules
from lyceum.tutormax.service import interventions as service

RUNS = int(os.environ.get("BENCH_INTERVENTION_RUNS", "5"))
SCALES = (1_274, 12_740)
DAY = date(2026, 10, 1)
HISTORY_DAYS = 7

SEED_SQL = """
SELECT setseed(0.42);
INSERT INTO tutormax.tutors (tutor_id, name, email, onboarding_date, subjects)
SELECT 'B' || lpad(n::text, 6, '0'), 'Tutor ' || n, 'b' || n || '@example.com',
       '2025-01-01', ARRAY['Math']
FROM generate_series(1, :tutors) AS n;
INSERT INTO tutormax.churn_predictions
    (tutor_id, prediction_date, churn_probability_7d, churn_probability_30d,
     churn_probability_90d, risk_score, risk_level, contributing_factors, model_version)
SELECT tutor_id, CAST(:day AS timestamptz) - make_interval(days => d) + interval '6 hours',
       score / 400.0, score / 200.0, score / 100.0, score,
       CASE WHEN score <= 25 THEN 'Low' WHEN score <= 50 THEN 'Medium'
            WHEN score <= 75 THEN 'High' ELSE 'Critical' END,
       jsonb_build_object('tutor_reschedule_rate_30d', round((random() * 20)::numeric, 1),
                          'logins_30d', round((random() * 10 - 5)::numeric, 1)),
       'bench-1'
FROM (SELECT tutor_id, d, least(100, floor(power(random(), 2) * 101))::int AS score
      FROM tutormax.tutors, generate_series(0, :history - 1) AS d) AS s;
INSERT INTO tutormax.tutor_performance_metrics
    (tutor_id, calculation_date, metric_window, sessions_completed, avg_rating,
     first_session_success_rate, reschedule_rate, no_show_count, overall_score,
     performance_tier)
SELECT tutor_id, CAST(:day AS timestamptz) - make_interval(days => d), '30day',
       (random() * 40)::int, 3 + random() * 2, random(), random() * 0.2,
       (random() * 2.4)::int, score,
       CASE WHEN score >= 85 THEN 'Exemplary' WHEN score >= 70 THEN 'Strong'
            WHEN score >= 55 THEN 'Developing' WHEN score >= 40 THEN 'Needs Attention'
            ELSE 'At Risk' END
FROM (SELECT tutor_id, d, 30 + random() * 70 AS score
      FROM tutormax.tutors, generate_series(0, :history - 1) AS d) AS s;
ANALYZE tutormax.tutors;
ANALYZE tutormax.churn_predictions;
ANALYZE tutormax.tutor_performance_metrics;
"""


def _session() -> Any:
    return session(profile="tutormax", pool=POOL)


async def _timed(action: Callable[[AsyncSession], Awaitable[Any]], *, keep: bool) -> float:
    async with _session() as db:
        started = time.perf_counter()
        await action(db)
        elapsed = time.perf_counter() - started
        if not keep:
            await db.rollback()
    return elapsed


async def measure(tutors: int) -> dict[str, Any]:
    async with _session() as db:
        await db.execute(text("TRUNCATE tutormax.tutors CASCADE"))
        for statement in SEED_SQL.split(";"):
            if statement.strip():
                await db.execute(
                    text(statement), {"tutors": tutors, "day": DAY, "history": HISTORY_DAYS}
                )
    rules = load_rules()
    report: dict[str, Any] = {}

    async def inputs(db: AsyncSession) -> None:
        report["tutors_with_inputs"] = len(
            await repo.rule_inputs(db, DAY, rules.inputs.max_age_days)
        )

    async def apply(db: AsyncSession) -> None:
        applied = await service.apply_rules(db, DAY, rules=rules)
        report["apply"] = applied

    async def escalate(db: AsyncSession) -> None:
        escalated = await service.escalate_overdue(db, DAY + timedelta(days=10), rules=rules)
        report["escalated"] = escalated.escalated

    baseline = [await _timed(inputs, keep=False) for _ in range(RUNS)]
    first = [await _timed(apply, keep=False) for _ in range(RUNS)]
    await _timed(apply, keep=True)
    applied = report["apply"]
    rerun = [await _timed(apply, keep=False) for _ in range(RUNS)]
    escalation = [await _timed(escalate, keep=False) for _ in range(RUNS)]
    return {
        "tutors": tutors,
        "tutors_with_inputs": report["tutors_with_inputs"],
        "matches": applied.matched,
        "opened": applied.opened,
        "held_out": applied.held_out,
        "escalated": report["escalated"],
        "inputs_query_ms": statistics.median(baseline) * 1000,
        "apply_ms": statistics.median(first) * 1000,
        "rerun_ms": statistics.median(rerun) * 1000,
        "escalate_ms": statistics.median(escalation) * 1000,
    }


async def run_all() -> list[dict[str, Any]]:
    try:
        return [await measure(tutors) for tutors in SCALES]
    finally:
        await close_db()


def main() -> None:
    with scratch_database("interventions", app="tutormax") as url:
        os.environ["DATABASE_URL"] = url_string(url)
        reset_settings_cache()
        info = machine(url)
        print_machine(info)
        results = asyncio.run(run_all())
    print_table(
        f"One day of intervention rules (median of {RUNS}, ms)",
        ["tutors", "matches", "opened", "held out", "inputs query (baseline)", "apply",
         "rerun (no-op)", "escalate all"],
        [
            [r["tutors"], r["matches"], r["opened"], r["held_out"], r["inputs_query_ms"],
             r["apply_ms"], r["rerun_ms"], r["escalate_ms"]]
            for r in results
        ],
    )  # fmt: skip
    write_results("interventions", info, {"runs": RUNS, "scales": results}, app="tutormax")


if __name__ == "__main__":
    main()
