"""Mathvidya's SLA clock: deadlines per second, against a same-run baseline of the day-by-day
loop, and the cost of the forecast's two questions at the default scale.

(a) Fast path: `WorkingCalendar.add_working_hours` (two binary searches over the calendar's
    table of working days and integer arithmetic), one call per deadline.
(b) Batch: `WorkingCalendar.add_working_hours_many` (the same searches done by NumPy over
    the whole list; the conversion of datetimes in and out is most of its time).
(c) Baseline: the day-by-day loop the synthetic generator used before issue 16 (walk each
    local day, spend its working hours), written out here.
(d) `choose_teacher` for one new evaluation, 20 teachers holding 20 open evaluations each.
(e) `plan_reassignments` over those 400 open evaluations (a quarter of the teachers slow,
    so many are forecast late and moved).

Each deadline is a submission instant drawn uniformly from 2025-2026 (seed 16) plus 48 or
24 working hours (alternating: the plans' SLAs), on the seeded calendar: 09:00-18:00 IST,
Monday to Saturday, migration 0007's 26 holidays. (a), (b) and (c) compute the same
DEADLINES deadlines and must agree to the microsecond. Each run uses a new calendar, so the
first call's first table build (four years of days) is inside (a)'s time. The figures are the
median over BENCH_SLA_RUNS (3) runs. Target: (a) >= 100,000 deadlines/second.

No database: `lyceum bench mathvidya` runs it with the others, or
`python benchmarks/mathvidya_sla.py`.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import print_table, write_results
from lyceum.mathvidya.sla import (
    OpenEvaluation,
    TeacherCapacity,
    WorkingCalendar,
    choose_teacher,
    default_calendar,
    plan_reassignments,
)

RUNS = int(os.environ.get("BENCH_SLA_RUNS", "3"))
DEADLINES = int(os.environ.get("BENCH_SLA_DEADLINES", "100000"))
SEED = 16
TARGET_PER_SECOND = 100_000
FORECAST_REPEATS = 20
TEACHERS, HELD_EACH = 20, 20

# Migration 0007's holiday dates (its 26 rows; two fall on 2 October 2025).
SEEDED_HOLIDAYS = (
    date(2025, 1, 26), date(2025, 3, 14), date(2025, 3, 31), date(2025, 4, 14),
    date(2025, 4, 18), date(2025, 5, 1), date(2025, 8, 15), date(2025, 8, 16),
    date(2025, 10, 2), date(2025, 10, 2), date(2025, 10, 20), date(2025, 11, 5),
    date(2025, 12, 25), date(2026, 1, 26), date(2026, 3, 4), date(2026, 3, 21),
    date(2026, 4, 3), date(2026, 4, 14), date(2026, 5, 1), date(2026, 8, 15),
    date(2026, 9, 4), date(2026, 10, 2), date(2026, 10, 20), date(2026, 11, 8),
    date(2026, 11, 24), date(2026, 12, 25),
)  # fmt: skip


def day_by_day(calendar: WorkingCalendar, start: datetime, hours: float) -> datetime:
    """The baseline: walk the local days from the start's, spending each one's hours."""
    left = timedelta(hours=hours)
    moment = start.astimezone(calendar.timezone)
    while True:
        day = moment.date()
        if calendar.is_working_day(day):
            opening = datetime.combine(day, calendar.opens, calendar.timezone)
            closing = datetime.combine(day, calendar.closes, calendar.timezone)
            moment = max(moment, opening)
            if moment < closing:
                if left <= closing - moment:
                    return (moment + left).astimezone(UTC)
                left -= closing - moment
        moment = datetime.combine(day + timedelta(days=1), calendar.opens, calendar.timezone)


def submissions(rng: random.Random) -> list[datetime]:
    first = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(hours=5, minutes=30)
    span = int(timedelta(days=730) / timedelta(microseconds=1))
    return [first + timedelta(microseconds=rng.randrange(span)) for _ in range(DEADLINES)]


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def deadlines_run(starts: list[datetime]) -> dict[str, float]:
    calendar = default_calendar(SEEDED_HOLIDAYS)
    sla = [48 if i % 2 == 0 else 24 for i in range(len(starts))]
    pairs = list(zip(starts, sla, strict=True))
    fast_seconds, fast = timed(lambda: [calendar.add_working_hours(s, h) for s, h in pairs])
    evens, odds = starts[0::2], starts[1::2]

    def batch_step() -> list[datetime]:
        merged: list[datetime] = [calendar.add_working_hours(starts[0], 48)] * len(starts)
        merged[0::2] = calendar.add_working_hours_many(evens, 48)
        merged[1::2] = calendar.add_working_hours_many(odds, 24)
        return merged

    batch_seconds, batch = timed(batch_step)
    loop_seconds, loop = timed(lambda: [day_by_day(calendar, s, h) for s, h in pairs])
    assert fast == loop == batch, "the fast path, the batch and the loop disagree"
    # The first call's table build, on its own (a new calendar, one deadline).
    build_seconds, _ = timed(
        lambda: default_calendar(SEEDED_HOLIDAYS).add_working_hours(starts[0], 48)
    )
    count = len(starts)
    return {
        "fast": count / fast_seconds,
        "batch": count / batch_seconds,
        "loop": count / loop_seconds,
        "build_ms": build_seconds * 1000,
    }


def forecast_load(
    rng: random.Random,
) -> tuple[datetime, list[OpenEvaluation], list[TeacherCapacity]]:
    """20 teachers with 20 open evaluations each, submitted in the last 40 hours with a 24 or
    48 working-hour SLA; a quarter of the teachers take 150 minutes an evaluation (50 working
    hours of work each: many forecast late), the rest 30 minutes (room to help)."""
    calendar = default_calendar(SEEDED_HOLIDAYS)
    now = datetime(2026, 11, 16, 4, 30, tzinfo=UTC)  # Monday 10:00 IST
    teachers = [
        TeacherCapacity(uuid.UUID(int=rng.getrandbits(128)), 150.0 if i % 4 == 0 else 30.0, 25)
        for i in range(TEACHERS)
    ]
    evaluations = []
    for holder in teachers:
        for j in range(HELD_EACH):
            submitted = now - timedelta(hours=rng.uniform(0, 40))
            evaluations.append(
                OpenEvaluation(
                    uuid.UUID(int=rng.getrandbits(128)),
                    holder.teacher_id,
                    calendar.add_working_hours(submitted, rng.choice((24, 48))),
                    submitted,
                    started=j == 0,
                )
            )
    return now, evaluations, teachers


def forecast_run(rng: random.Random) -> dict[str, float]:
    now, evaluations, teachers = forecast_load(rng)
    calendar = default_calendar(SEEDED_HOLIDAYS)
    calendar.add_working_hours(now, 1)  # the table, built once as a long-lived calendar is
    due = calendar.add_working_hours(now, 48)
    choose_seconds, _ = timed(
        lambda: [
            choose_teacher(calendar, now, due, evaluations, teachers)
            for _ in range(FORECAST_REPEATS)
        ]
    )
    plan_seconds, plans = timed(
        lambda: [
            plan_reassignments(calendar, now, evaluations, teachers, 2.0)
            for _ in range(FORECAST_REPEATS)
        ]
    )
    return {
        "choose_ms": choose_seconds / FORECAST_REPEATS * 1000,
        "plan_ms": plan_seconds / FORECAST_REPEATS * 1000,
        "moves": float(len(plans[0])),
    }


def main() -> None:
    load1, load5, _ = os.getloadavg()
    info = {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "load_average_1m_5m_at_start": [round(load1, 2), round(load5, 2)],
    }
    rng = random.Random(SEED)
    runs = []
    for run in range(RUNS):
        starts = submissions(rng)
        figures = deadlines_run(starts) | forecast_run(random.Random(SEED + run))
        runs.append(figures)
        print(
            f"run {run + 1}: {figures['fast']:,.0f} deadlines/s (loop {figures['loop']:,.0f}/s)",
            flush=True,
        )

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    fast, batch, loop = median("fast"), median("batch"), median("loop")
    passed = fast >= TARGET_PER_SECOND
    results: dict[str, Any] = {
        "seed": SEED,
        "runs": RUNS,
        "deadlines_per_run": DEADLINES,
        "calendar": "09:00-18:00 Asia/Kolkata, Monday-Saturday, migration 0007's holidays",
        "deadline": "submission uniform over 2025-2026 + 48 or 24 working hours (alternating)",
        "deadlines_per_second": {
            "fast_path": round(fast),
            "batch": round(batch),
            "day_by_day_baseline": round(loop),
            "fast_by_run": [round(run["fast"]) for run in runs],
            "baseline_by_run": [round(run["loop"]) for run in runs],
        },
        "speed_up_over_baseline": round(fast / loop, 2),
        "table_build_ms": round(median("build_ms"), 2),
        "forecast": {
            "teachers": TEACHERS,
            "open_evaluations": TEACHERS * HELD_EACH,
            "choose_teacher_ms": round(median("choose_ms"), 3),
            "plan_reassignments_ms": round(median("plan_ms"), 3),
            "moves_planned": int(median("moves")),
        },
        "target": {"deadlines_per_second_at_least": TARGET_PER_SECOND, "passed": passed},
    }
    print(
        f"machine: {info['machine']}, {info['cpu_count']} cores, Python {info['python']},"
        f" load average {info['load_average_1m_5m_at_start']}"
    )
    print(f"{DEADLINES:,} deadlines a run, median of {RUNS} runs")
    print_table(
        "Mathvidya SLA deadlines",
        ["", "deadlines/s", "x baseline"],
        [
            ["(a) fast path: add_working_hours", f"{fast:,.0f}", f"{fast / loop:.2f}"],
            ["(b) batch: add_working_hours_many", f"{batch:,.0f}", f"{batch / loop:.2f}"],
            ["(c) baseline: day-by-day loop", f"{loop:,.0f}", "1.00"],
        ],
    )
    print_table(
        f"Mathvidya SLA forecast ({TEACHERS} teachers, {TEACHERS * HELD_EACH} open evaluations)",
        ["", "ms"],
        [
            ["(d) choose_teacher", f"{median('choose_ms'):.3f}"],
            [f"(e) plan_reassignments ({int(median('moves'))} moves)", f"{median('plan_ms'):.3f}"],
        ],
    )
    print(f"first table build (four years of days): {median('build_ms'):.2f} ms")
    print(f"target: >= {TARGET_PER_SECOND:,} deadlines/s: {'PASS' if passed else 'FAIL'}")
    write_results("sla", info, results, app="mathvidya")
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
