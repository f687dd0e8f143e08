"""TutorMax's evaluation engine at default scale (seed 42, a 12-month history): every tutor's
7-, 30- and 90-day rows for one day, and a year of daily rows, each against a bare aggregate
query over the same data in the same run.

(a) One day: `service.compute_day` for the history's last day, in its own transaction and
    committed, the day's rows deleted first (untimed) so each run writes all of them.
(b) Its baseline: one GROUP BY per source over the same 90 days, per tutor (sessions by
    status, ratings, response times): the bare reads, with no windows, first-session
    verdicts, scoring or writing.
(c) A year: `service.backfill` for the 365 days to the history's end, committed, into an
    emptied table (untimed TRUNCATE first); (c') the same statement's SELECT alone, so the
    write's share shows.
(d) Its baseline: the same per-source aggregates, per tutor and day, over the year and its
    90-day lead-in: the input the engine needs, and nothing more.

The runs alternate (a), (b), (c), (c'), (d); each figure is the median of BENCH_METRICS_RUNS (3).
Targets: one day < 1 s, a year < 60 s.

Run: `lyceum bench tutormax`, or `python benchmarks/tutormax_metrics.py`, with DATABASE_URL
naming any database on the server to use (else the embedded server): a scratch database
`lyceum_bench_tutormax_metrics` is created, migrated, loaded and dropped.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from _common import (
    lyceum_command,
    machine,
    median_of,
    print_machine,
    print_table,
    scratch_database,
    url_string,
    write_results,
)
from lyceum.core.db.engine import close_db
from lyceum.core.db.session import session
from lyceum.core.settings import reset_settings_cache
from lyceum.tutormax import POOL
from lyceum.tutormax.repository import metrics as repository
from lyceum.tutormax.scorecard import load_scorecard
from lyceum.tutormax.service import metrics as service
from lyceum.tutormax.synthetic import HISTORY_END

RUNS = int(os.environ.get("BENCH_METRICS_RUNS", "3"))
SCALE, SEED, MONTHS = "default", 42, 12
DAY = HISTORY_END
YEAR_FIRST = HISTORY_END - timedelta(days=364)
DAY_TARGET_SECONDS = 1.0
YEAR_TARGET_SECONDS = 60.0

# The bare reads: each source grouped by tutor (and day, for the year), the same filters as the
# engine's, one statement per source.
BASELINE = (
    """
    SELECT tutor_id{day_sessions}, count(*), count(*) FILTER (WHERE status = 'completed'),
           count(*) FILTER (WHERE rescheduled_by = 'tutor'),
           count(*) FILTER (WHERE no_show_by = 'tutor'), avg(engagement_score)
    FROM tutormax.sessions
    WHERE scheduled_start >= :start AND scheduled_start < :end GROUP BY 1{group}
    """,
    """
    SELECT tutor_id{day_feedback}, count(*), avg(overall_rating)
    FROM tutormax.student_feedback
    WHERE submitted_at >= :start AND submitted_at < :end GROUP BY 1{group}
    """,
    """
    SELECT tutor_id{day_events}, avg((metadata ->> 'response_minutes')::numeric)
    FROM tutormax.tutor_events
    WHERE event_type = 'message_response' AND event_timestamp >= :start
      AND event_timestamp < :end GROUP BY 1{group}
    """,
)


def _baseline_sql(per_day: bool) -> list[str]:
    def day_of(column: str) -> str:
        # UTC days: the session's time zone is UTC after prepare_transaction.
        return f", {column}::date" if per_day else ""

    return [
        sql.format(
            day_sessions=day_of("scheduled_start"),
            day_feedback=day_of("submitted_at"),
            day_events=day_of("event_timestamp"),
            group=", 2" if per_day else "",
        )
        for sql in BASELINE
    ]


async def timed_day() -> dict[str, float]:
    async with session(profile="tutormax", pool=POOL) as db:
        await db.execute(
            text("DELETE FROM tutormax.tutor_performance_metrics WHERE calculation_date = :d"),
            {"d": repository.midnight(DAY)},
        )
    started = time.perf_counter()
    async with session(profile="tutormax", pool=POOL) as db:
        run = await service.compute_day(db, DAY)
    wall = time.perf_counter() - started
    started = time.perf_counter()
    async with session(profile="tutormax", pool=POOL) as db:
        again = await service.compute_day(db, DAY)
    rerun = time.perf_counter() - started
    assert again.written == 0
    return {"wall": wall, "rerun": rerun, "rows": float(run.rows), "written": float(run.written)}


async def timed_baseline(first: date, last: date, per_day: bool) -> dict[str, float]:
    start = repository.midnight(first - timedelta(days=repository.LONGEST_WINDOW_DAYS))
    end = repository.midnight(last)
    started = time.perf_counter()
    rows = 0
    async with session(profile="tutormax", pool=POOL) as db:
        await repository.prepare_transaction(db)
        for sql in _baseline_sql(per_day):
            rows += len((await db.execute(text(sql), {"start": start, "end": end})).all())
    return {"wall": time.perf_counter() - started, "rows": float(rows)}


async def timed_year() -> dict[str, float]:
    async with session(profile="tutormax", pool=POOL) as db:
        await db.execute(text("TRUNCATE tutormax.tutor_performance_metrics"))
    started = time.perf_counter()
    async with session(profile="tutormax", pool=POOL) as db:
        run = await service.backfill(db, YEAR_FIRST, DAY)
        computed = time.perf_counter()
    committed = time.perf_counter()
    return {
        "wall": committed - started,
        "commit": committed - computed,
        "rows": float(run.rows),
        "written": float(run.written),
        "statements": float(run.statements),
    }


async def timed_year_select() -> dict[str, float]:
    """The upsert's SELECT alone (everything but the write), summarised in one row."""
    scorecard = load_scorecard()
    statement = repository.upsert_statement(scorecard).text
    summary = "SELECT count(*), sum(overall_score), sum(cardinality(improvement_areas)) FROM rated"
    select = statement[: statement.index("INSERT INTO")] + summary
    days = repository.DayRange(YEAR_FIRST, DAY, scorecard.first_session.judge_after_days)
    params = {**days.parameters(), **repository.scorecard_parameters(scorecard)}
    started = time.perf_counter()
    async with session(profile="tutormax", pool=POOL) as db:
        await repository.prepare_transaction(db)
        rows = (await db.execute(text(select), params)).one()[0]
    return {"wall": time.perf_counter() - started, "rows": float(rows)}


Runs = list[dict[str, float]]


async def measure() -> dict[str, Runs]:
    runs: dict[str, Runs] = {key: [] for key in ("day", "day_base", "year", "select", "year_base")}
    try:
        for _ in range(RUNS):
            runs["day"].append(await timed_day())
            runs["day_base"].append(await timed_baseline(DAY, DAY, per_day=False))
            runs["year"].append(await timed_year())
            runs["select"].append(await timed_year_select())
            runs["year_base"].append(await timed_baseline(YEAR_FIRST, DAY, per_day=True))
    finally:
        await close_db()
    return runs


def main() -> None:
    with scratch_database("metrics", app="tutormax") as url:
        info = machine(url)
        env = {**os.environ, "DATABASE_URL": url_string(url), "COLUMNS": "400"}
        print("loading the default-scale history (untimed) ...", flush=True)
        lyceum_command(
            [
                "generate",
                "tutormax",
                "--scale",
                SCALE,
                "--seed",
                str(SEED),
                "--months",
                str(MONTHS),
            ],
            env,
        )
        os.environ["DATABASE_URL"] = url_string(url)
        reset_settings_cache()
        runs = asyncio.run(measure())

    day = median_of(runs["day"], "wall")
    day_base = median_of(runs["day_base"], "wall")
    rerun = median_of(runs["day"], "rerun")
    year = median_of(runs["year"], "wall")
    select = median_of(runs["select"], "wall")
    year_base = median_of(runs["year_base"], "wall")
    day_rows = int(runs["day"][0]["rows"])
    year_rows = int(runs["year"][0]["rows"])
    day_ok, year_ok = day < DAY_TARGET_SECONDS, year < YEAR_TARGET_SECONDS

    print_machine(info)
    print(f"{SCALE} scale, seed {SEED}, {MONTHS} months; median of {RUNS} (runs alternate)")
    print_table(
        "TutorMax evaluation engine",
        ["", "seconds", "rows", "x baseline"],
        [
            ["(a) one day, all tutors x 3 windows, committed", f"{day:.3f}", f"{day_rows:,}",
             f"{day / day_base:.2f}"],
            ["    rerun of the same day (nothing changes)", f"{rerun:.3f}", "0", ""],
            ["(b) baseline: bare 90-day aggregates per tutor", f"{day_base:.3f}", "", "1.00"],
            ["(c) a year of days, committed", f"{year:.2f}", f"{year_rows:,}",
             f"{year / year_base:.2f}"],
            ["(c') the same without the write (SELECT only)", f"{select:.2f}", "",
             f"{select / year_base:.2f}"],
            ["(d) baseline: bare per-day aggregates, year + lead-in", f"{year_base:.2f}", "",
             "1.00"],
        ],
    )  # fmt: skip
    print(f"runs (s): day {[round(r['wall'], 3) for r in runs['day']]},", end=" ")
    print(f"year {[round(r['wall'], 2) for r in runs['year']]}")
    print(f"statements per year backfill: {int(runs['year'][0]['statements'])}")
    print(f"target one day < {DAY_TARGET_SECONDS:.0f} s: {'PASS' if day_ok else 'FAIL'}", end="; ")
    print(f"a year < {YEAR_TARGET_SECONDS:.0f} s: {'PASS' if year_ok else 'FAIL'}")

    def seconds(key: str) -> list[float]:
        return [round(r["wall"], 3) for r in runs[key]]

    figures: dict[str, Any] = {
        "scale": SCALE,
        "seed": SEED,
        "months": MONTHS,
        "runs": RUNS,
        "day": str(DAY),
        "year": [str(YEAR_FIRST), str(DAY)],
        "day_rows": day_rows,
        "year_rows": year_rows,
        "day_seconds_median": round(day, 3),
        "day_rerun_seconds_median": round(rerun, 3),
        "day_baseline_seconds_median": round(day_base, 3),
        "year_seconds_median": round(year, 3),
        "year_select_only_seconds_median": round(select, 3),
        "year_baseline_seconds_median": round(year_base, 3),
        "ratio_day_over_baseline": round(day / day_base, 3),
        "ratio_year_over_baseline": round(year / year_base, 3),
        "year_statements": int(runs["year"][0]["statements"]),
        "runs_seconds": {key: seconds(key) for key in runs},
        "target": {
            "day_seconds_below": DAY_TARGET_SECONDS,
            "year_seconds_below": YEAR_TARGET_SECONDS,
            "day_passed": day_ok,
            "year_passed": year_ok,
        },
    }
    write_results("metrics", info, figures, app="tutormax")


if __name__ == "__main__":
    main()
