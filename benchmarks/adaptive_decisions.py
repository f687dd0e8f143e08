"""The adaptive app's decisions (issue 18): a mastery update per attempt, a study plan for one
student, and the plans of a class of 40 — each beside a same-run baseline.

Setup (untimed). A scratch database `lyceum_bench_adaptive_decisions`, migrated to head with
Alembic and loaded with `lyceum generate adaptive --scale default --months 3` (300 students,
118 concepts, 944 questions); BENCH_DECISIONS_CLASS (40) students of one grade are moved into
one class, with a target of 75 marks and an exam 100 days from today (the generated world's
exams are in its past).

Measured, each run:

(a) mastery update per attempt:
    - the knowledge-tracing step alone (`mastery.bkt.update`, O(1)), over
      BENCH_DECISIONS_UPDATES (100,000) attempts; beside the baseline a model that recomputes
      mastery from every attempt pays: `bkt.replay` of the pair's whole history, at the
      history lengths the generated world has (its 95th percentile of attempts per
      student-concept pair);
    - end to end through the service (`service.mastery.submit_attempt`: the question read,
      the answer marked, the attempt inserted, the mastery row updated, the replan job
      deferred), one committed transaction per attempt, BENCH_DECISIONS_SUBMITS (300)
      attempts; beside a bare INSERT of the same rows, one transaction each. Target for the
      update: < 1 ms.
(b) a plan for one student: `planning.make_plan` (the MILP and the day-by-day schedule) for
    each of the class's students, and the whole replan through the service (read the
    learner, plan, save); beside `weightage_only_plan` on the same requests. Target < 500 ms.
(c) a class of 40: the service's replan of each student of the class in turn, each in its
    own transaction (what the worker does when the whole class practised), then the
    teacher's shortfall list read once.

Figures are medians over BENCH_DECISIONS_RUNS (3) runs (per-item figures: the median over
items within a run, then over runs).

Run: `lyceum bench adaptive` (with the sync benchmark), or `python
benchmarks/adaptive_decisions.py`, with DATABASE_URL naming any database on the server to use
(else the embedded server). BENCH_DECISIONS_SCALE/MONTHS shrink the world (a smoke test's
choice); BENCH_DECISIONS_DATABASE names the scratch database; BENCH_RESULTS_DIR the results'
directory.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from _common import (
    console,
    lyceum_command,
    machine,
    percentile,
    print_machine,
    print_table,
    scratch_database,
    url_string,
    write_results,
)
from lyceum.adaptive.connection import get_session
from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.planning.baseline import weightage_only_plan
from lyceum.adaptive.planning.optimize import make_plan
from lyceum.adaptive.planning.types import PlanRequest
from lyceum.adaptive.repository import learning as learning_repository
from lyceum.adaptive.schemas_learning import AttemptSubmission
from lyceum.adaptive.service import classes as class_service
from lyceum.adaptive.service import mastery as mastery_service
from lyceum.adaptive.service import plans as plan_service
from lyceum.adaptive.service.learner import load_learner
from lyceum.adaptive.service.sync_status import Viewer
from lyceum.apps import APPS
from lyceum.core.ids import uuid7
from lyceum.core.jobs.app import build_job_app
from lyceum.core.settings import load_settings, reset_settings_cache

RUNS = int(os.environ.get("BENCH_DECISIONS_RUNS", "3"))
UPDATES = int(os.environ.get("BENCH_DECISIONS_UPDATES", "100000"))
SUBMITS = int(os.environ.get("BENCH_DECISIONS_SUBMITS", "300"))
CLASS_SIZE = int(os.environ.get("BENCH_DECISIONS_CLASS", "40"))
SCALE = os.environ.get("BENCH_DECISIONS_SCALE", "default")
MONTHS = int(os.environ.get("BENCH_DECISIONS_MONTHS", "3"))
DATABASE = os.environ.get("BENCH_DECISIONS_DATABASE", "decisions")
SEED = 42
TARGET_UPDATE_MS = 1.0
TARGET_PLAN_MS = 500.0
BENCH_DEVICE = "bench-decisions"
# The generated world ends before its board exams; the benchmark's class sits its exam this
# far from today (a term's planning horizon).
EXAM_IN = timedelta(days=100)

STUDENTS_OF_A_GRADE = """
SELECT p.user_id, p.grade FROM adaptive.student_profiles p
JOIN adaptive.users u ON u.id = p.user_id AND u.is_active
WHERE p.grade = (SELECT grade FROM adaptive.student_profiles GROUP BY grade
                 ORDER BY count(*) DESC LIMIT 1)
ORDER BY u.username LIMIT :n
"""
PAIR_LENGTHS = """
SELECT count(*) FROM adaptive.question_attempts a
JOIN adaptive.questions q ON q.id = a.question_id
GROUP BY a.student_id, q.concept_id
"""
QUESTIONS = "SELECT id, correct_answer FROM adaptive.questions ORDER BY code"
BARE_INSERT = """
INSERT INTO adaptive.question_attempts
    (id, student_id, question_id, answer, is_correct, time_taken_seconds, attempted_at, device_id)
VALUES (:id, :student, :question, :answer, :correct, 30, :at, :device)
"""
FORGET = (
    "DELETE FROM adaptive.question_attempts WHERE device_id LIKE 'bench-%'",
    "DELETE FROM lyceum.procrastinate_jobs WHERE status = 'todo'",
)


def log(message: str) -> None:
    console.print(message, highlight=False)


@dataclass(frozen=True)
class Cohort:
    teacher: uuid.UUID
    class_id: uuid.UUID
    students: list[uuid.UUID]
    questions: list[tuple[uuid.UUID, str]]
    pair_p95: int


async def prepare() -> Cohort:
    """One class of CLASS_SIZE students of the commonest grade, each with an exam date."""
    async with get_session() as db:
        rows = (await db.execute(text(STUDENTS_OF_A_GRADE), {"n": CLASS_SIZE})).all()
        students = [row[0] for row in rows]
        teacher, class_id = (
            await db.execute(
                text(
                    "SELECT teacher_id, id FROM adaptive.classes WHERE grade = :grade"
                    " ORDER BY name LIMIT 1"
                ),
                {"grade": rows[0][1]},
            )
        ).one()
        await db.execute(
            text(
                "UPDATE adaptive.student_profiles SET class_id = :class_id, target_marks = 75,"
                " exam_date = :exam WHERE user_id = ANY(:students)"
            ),
            {"class_id": class_id, "students": students, "exam": date.today() + EXAM_IN},
        )
        lengths = sorted(row[0] for row in await db.execute(text(PAIR_LENGTHS)))
        questions = [(row[0], row[1]) for row in await db.execute(text(QUESTIONS))]
    return Cohort(teacher, class_id, students, questions, int(percentile(lengths, 95)))


async def forget() -> None:
    async with get_session() as db:
        for statement in FORGET:
            await db.execute(text(statement))


# ---- (a) updates ---------------------------------------------------------------------------


def pure_updates(count: int, rng: random.Random) -> float:
    """Microseconds per `bkt.update`."""
    params, state = bkt.DEFAULT_PARAMS, bkt.initial_state(bkt.DEFAULT_PARAMS)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    answers = [(rng.random() < 0.7, start + timedelta(hours=i)) for i in range(count)]
    began = time.perf_counter()
    for correct, at in answers:
        state = bkt.update(params, state, correct, at, "mcq")
    return (time.perf_counter() - began) / count * 1e6


def replay_baseline(history: int, repeats: int, rng: random.Random) -> float:
    """Microseconds per recomputation from a pair's whole history of `history` attempts."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    observations = [
        bkt.Observation(uuid7(), start + timedelta(hours=i), rng.random() < 0.7, "mcq")
        for i in range(history)
    ]
    began = time.perf_counter()
    for _ in range(repeats):
        bkt.replay(bkt.DEFAULT_PARAMS, observations)
    return (time.perf_counter() - began) / repeats * 1e6


async def submits(cohort: Cohort, count: int, rng: random.Random) -> list[float]:
    """Milliseconds per committed `submit_attempt`."""
    samples = []
    for i in range(count):
        student = cohort.students[i % len(cohort.students)]
        question, correct = rng.choice(cohort.questions)
        body = AttemptSubmission(
            question_id=question,
            answer=correct if rng.random() < 0.7 else f"{correct}9",
            time_taken_seconds=30.0,
            device_id=BENCH_DEVICE,
        )
        began = time.perf_counter()
        async with get_session() as db:
            await mastery_service.submit_attempt(db, student, body, datetime.now(UTC))
        samples.append((time.perf_counter() - began) * 1e3)
    return samples


async def bare_inserts(cohort: Cohort, count: int, rng: random.Random) -> list[float]:
    samples = []
    for i in range(count):
        question, correct = rng.choice(cohort.questions)
        values = {
            "id": uuid7(), "student": cohort.students[i % len(cohort.students)],
            "question": question, "answer": correct, "correct": True,
            "at": datetime.now(UTC), "device": f"{BENCH_DEVICE}-bare",
        }  # fmt: skip
        began = time.perf_counter()
        async with get_session() as db:
            await db.execute(text(BARE_INSERT), values)
        samples.append((time.perf_counter() - began) * 1e3)
    return samples


# ---- (b), (c) plans ------------------------------------------------------------------------


async def plan_requests(cohort: Cohort, now: datetime) -> list[PlanRequest]:
    requests = []
    async with get_session() as db:
        for student in cohort.students:
            profile = await learning_repository.profile(db, student)
            assert profile is not None and profile.exam_date is not None
            learner = await load_learner(db, profile)
            requests.append(
                PlanRequest(
                    now=now,
                    exam_date=profile.exam_date,
                    hours_per_week=profile.available_hours_per_week,
                    concepts=learner.concepts,
                )
            )
    return requests


def timed_plans(requests: Sequence[PlanRequest], planner: Any) -> list[float]:
    samples = []
    for request in requests:
        began = time.perf_counter()
        planner(request)
        samples.append((time.perf_counter() - began) * 1e3)
    return samples


async def class_replans(cohort: Cohort) -> tuple[list[float], float, float]:
    """Per-student replan ms through the service, the class's total s, and the shortfall read
    in ms."""
    samples = []
    began_all = time.perf_counter()
    for student in cohort.students:
        began = time.perf_counter()
        async with get_session() as db:
            await plan_service.replan(db, student, datetime.now(UTC))
        samples.append((time.perf_counter() - began) * 1e3)
    total = time.perf_counter() - began_all
    began = time.perf_counter()
    async with get_session() as db:
        await class_service.class_shortfalls(db, Viewer(teacher_id=cohort.teacher), cohort.class_id)
    return samples, total, (time.perf_counter() - began) * 1e3


@dataclass
class Run:
    update_us: float
    replay_us: float
    submit_ms: list[float]
    insert_ms: list[float]
    plan_ms: list[float]
    baseline_plan_ms: list[float]
    replan_ms: list[float]
    class_seconds: float
    shortfalls_ms: float


async def one_run(cohort: Cohort, number: int) -> Run:
    rng = random.Random(SEED + number)
    update_us = pure_updates(UPDATES, rng)
    replay_us = replay_baseline(max(cohort.pair_p95, 1), 2_000, rng)
    log(f"  (a) bkt.update {update_us:.2f} µs; replay of {cohort.pair_p95} attempts "
        f"{replay_us:.1f} µs")  # fmt: skip
    insert_ms = await bare_inserts(cohort, SUBMITS, rng)
    submit_ms = await submits(cohort, SUBMITS, rng)
    await forget()
    log(f"  (a) submit_attempt p50 {percentile(submit_ms, 50):.2f} ms; bare insert p50 "
        f"{percentile(insert_ms, 50):.2f} ms")  # fmt: skip
    requests = await plan_requests(cohort, datetime.now(UTC))
    plan_ms = timed_plans(requests, make_plan)
    baseline_ms = timed_plans(requests, weightage_only_plan)
    log(f"  (b) make_plan p50 {percentile(plan_ms, 50):.1f} ms (max {max(plan_ms):.1f});"
        f" weightage-only p50 {percentile(baseline_ms, 50):.1f} ms")  # fmt: skip
    replan_ms, class_seconds, shortfalls_ms = await class_replans(cohort)
    await forget()
    log(f"  (c) class of {len(cohort.students)}: {class_seconds:.2f} s (replan p50 "
        f"{percentile(replan_ms, 50):.1f} ms); shortfalls read {shortfalls_ms:.1f} ms")  # fmt: skip
    return Run(update_us, replay_us, submit_ms, insert_ms, plan_ms, baseline_ms, replan_ms,
               class_seconds, shortfalls_ms)  # fmt: skip


async def measure() -> tuple[Cohort, list[Run]]:
    cohort = await prepare()
    log(f"class of {len(cohort.students)} students; p95 attempts per pair {cohort.pair_p95}")
    runs = []
    for number in range(RUNS):
        log(f"run {number + 1}/{RUNS}:")
        runs.append(await one_run(cohort, number))
    return cohort, runs


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def pct(runs: Sequence[Run], field: str, q: float) -> float:
    return med([percentile(getattr(run, field), q) for run in runs])


def report(cohort: Cohort, runs: Sequence[Run]) -> dict[str, Any]:
    submit_p50 = pct(runs, "submit_ms", 50)
    plan_p50, plan_max = pct(runs, "plan_ms", 50), med([max(r.plan_ms) for r in runs])
    figures = {
        "runs": len(runs),
        "update": {
            "bkt_update_us": round(med([r.update_us for r in runs]), 3),
            "baseline_replay_us": round(med([r.replay_us for r in runs]), 2),
            "baseline_history_attempts": cohort.pair_p95,
            "submit_ms_p50": round(submit_p50, 2),
            "submit_ms_p95": round(pct(runs, "submit_ms", 95), 2),
            "bare_insert_ms_p50": round(pct(runs, "insert_ms", 50), 2),
            "submits": SUBMITS,
        },
        "plan": {
            "make_plan_ms_p50": round(plan_p50, 1),
            "make_plan_ms_p95": round(pct(runs, "plan_ms", 95), 1),
            "make_plan_ms_max": round(plan_max, 1),
            "weightage_only_ms_p50": round(pct(runs, "baseline_plan_ms", 50), 1),
            "service_replan_ms_p50": round(pct(runs, "replan_ms", 50), 1),
            "service_replan_ms_p95": round(pct(runs, "replan_ms", 95), 1),
        },
        "class": {
            "students": len(cohort.students),
            "replan_all_seconds": round(med([r.class_seconds for r in runs]), 2),
            "shortfalls_read_ms": round(med([r.shortfalls_ms for r in runs]), 1),
        },
    }
    update_us = figures["update"]["bkt_update_us"]
    figures["target"] = {
        "update_ms": TARGET_UPDATE_MS,
        "plan_ms": TARGET_PLAN_MS,
        "passed": update_us / 1000 < TARGET_UPDATE_MS and plan_max < TARGET_PLAN_MS,
    }
    u, p, c = figures["update"], figures["plan"], figures["class"]
    print_table(
        "Decisions (median of runs)",
        ["figure", "ours", "same-run baseline"],
        [
            ["mastery update, µs", u["bkt_update_us"],
             f"{u['baseline_replay_us']} (replay of {cohort.pair_p95} attempts)"],
            ["submit an attempt, ms p50", u["submit_ms_p50"],
             f"{u['bare_insert_ms_p50']} (bare INSERT)"],
            ["plan one student, ms p50 / max", f"{p['make_plan_ms_p50']} / {p['make_plan_ms_max']}",
             f"{p['weightage_only_ms_p50']} (weightage only)"],
            ["replan through the service, ms p50", p["service_replan_ms_p50"], ""],
            [f"class of {c['students']}, s", c["replan_all_seconds"], ""],
        ],
    )  # fmt: skip
    return figures


def main() -> None:
    with scratch_database(DATABASE, app="adaptive") as url:
        info = machine(url)
        print_machine(info)
        env = {**os.environ, "DATABASE_URL": url_string(url), "COLUMNS": "400"}
        log(f"generating the {SCALE}-scale world, {MONTHS} months (untimed) ...")
        args = ["generate", "adaptive", "--scale", SCALE, "--seed", str(SEED)]
        lyceum_command([*args, "--months", str(MONTHS)], env)
        os.environ["DATABASE_URL"] = url_string(url)
        reset_settings_cache()
        # The registry `defer` looks the replan job up in, as the app's startup builds it.
        build_job_app(load_settings(), [APPS["adaptive"]])
        cohort, runs = asyncio.run(measure())
    figures = report(cohort, runs)
    write_results("decisions", info, figures, app="adaptive")
    if not figures["target"]["passed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
