"""Mathvidya exam generation at the default bank size (seed 42: about 500 active questions a
class), against a same-run baseline of the naive generator.

(a) Generation's reads and choice: `service.exams.build_paper` — the candidates of the
    template's kinds (one statement over `ix_questions_pick`), the student's last papers, the
    allocation by unit weightage and the choice (`papers.assemble`) — then the chosen rows,
    as `generate` fetches them to freeze the snapshot.
(b) The whole `service.exams.generate` of a board paper: (a) plus the quota check, the
    insert of the exam with its snapshots, `times_used` and the audit row; in a transaction
    rolled back afterwards, so every sample sees the same bank and history.
(c) Baseline: the naive generator, one `ORDER BY random() LIMIT count` SELECT of full rows
    per section (5 for the board paper): no unit weightage, no difficulty mix, no memory of
    what the student has seen.

Each sample is one CBSE board paper (38 questions, 80 marks) for a student with an active
subscription, alternating classes X and XII; (a), (b) and (c) alternate sample by sample so
they share the machine's load. A run is BENCH_GENERATION_SAMPLES (200) samples of each
after 20 warm-up ones; the figures are the median over BENCH_GENERATION_RUNS (3) runs.
Target: p95 of (b) < 50 ms.

Run: `lyceum bench mathvidya`, or `python benchmarks/mathvidya_generation.py`, with
DATABASE_URL naming any database on the server to use (else the embedded server): a scratch
database `lyceum_bench_mathvidya_generation` is created, migrated, loaded
(`lyceum generate mathvidya --scale default`) and dropped.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from _common import (
    lyceum_command,
    machine,
    percentile,
    print_machine,
    print_table,
    scratch_database,
    url_string,
    write_results,
)
from lyceum.core.db.engine import close_db
from lyceum.core.settings import reset_settings_cache
from lyceum.mathvidya.connection import get_engine
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.repository import exams as repository
from lyceum.mathvidya.service import exams as service
from lyceum.mathvidya.service.audit import SYSTEM, Actor

RUNS = int(os.environ.get("BENCH_GENERATION_RUNS", "3"))
SAMPLES = int(os.environ.get("BENCH_GENERATION_SAMPLES", "200"))
WARM_UP = 20
SCALE, SEED, MONTHS = "default", 42, 12
TARGET_P95_MS = 50.0

STUDENTS = """
SELECT u.id, u.student_class, u.first_name || ' ' || u.last_name AS name
FROM mathvidya.users u
JOIN mathvidya.subscriptions s ON s.user_id = u.id
WHERE u.role = 'student' AND u.is_active AND s.status = 'active'
  AND s.starts_at <= now() AND s.ends_at > now()
ORDER BY u.id
"""
BOARD_TEMPLATES = """
SELECT class_level, id FROM mathvidya.exam_templates
WHERE exam_type = 'board_exam' AND is_active
"""
NAIVE_SECTION = """
SELECT * FROM mathvidya.questions
WHERE status = 'active' AND class_level = :class_level
  AND question_type = CAST(:kind AS mathvidya.question_type) AND marks = :marks
ORDER BY random() LIMIT :count
"""


async def _setup(db: AsyncSession) -> tuple[list[Actor], dict[str, uuid.UUID]]:
    students = [
        Actor(row.id, UserRole.STUDENT, row.name, row.student_class)
        for row in await db.execute(text(STUDENTS))
    ]
    templates = {row.class_level: row.id for row in await db.execute(text(BOARD_TEMPLATES))}
    return students, templates


async def choose(db: AsyncSession, student: Actor, template_id: uuid.UUID, seed: int) -> int:
    template = await repository.template_by_id(db, template_id)
    assert template is not None
    paper = await service.build_paper(db, student.user_id, template, None, seed)
    rows = await repository.questions_by_id(db, [q.question.id for q in paper.questions])
    return len(rows)


async def generate(db: AsyncSession, student: Actor, template_id: uuid.UUID, seed: int) -> int:
    exam = await service.generate(db, student, SYSTEM, template_id, seed=seed)
    return exam.question_count


async def naive(db: AsyncSession, student: Actor, template_id: uuid.UUID, seed: int) -> int:
    template = await repository.template_by_id(db, template_id)
    assert template is not None
    picked = 0
    for section in template.config["sections"]:
        rows = await db.execute(
            text(NAIVE_SECTION),
            {
                "class_level": template.class_level,
                "kind": section["question_type"],
                "marks": section["marks_each"],
                "count": section["count"],
            },
        )
        picked += len(rows.all())
    return picked


Step = Callable[[AsyncSession, Actor, uuid.UUID, int], Awaitable[int]]
STEPS: dict[str, Step] = {"choose": choose, "generate": generate, "naive": naive}


async def one_run(
    students: list[Actor], templates: dict[str, uuid.UUID], rng: random.Random
) -> dict[str, list[float]]:
    engine = get_engine()
    samples: dict[str, list[float]] = {key: [] for key in STEPS}
    for i in range(WARM_UP + SAMPLES):
        student = rng.choice([s for s in students if s.student_class == ("X", "XII")[i % 2]])
        template_id = templates[str(student.student_class)]
        seed = rng.randrange(2**53)
        for key, step in STEPS.items():
            async with AsyncSession(engine, expire_on_commit=False) as db:
                started = time.perf_counter()
                count = await step(db, student, template_id, seed)
                elapsed = (time.perf_counter() - started) * 1000
                await db.rollback()
            assert count == 38, (key, count)
            if i >= WARM_UP:
                samples[key].append(elapsed)
    return samples


async def measure() -> list[dict[str, list[float]]]:
    runs = []
    try:
        async with AsyncSession(get_engine()) as db:
            students, templates = await _setup(db)
        print(f"{len(students)} students with an active subscription", flush=True)
        rng = random.Random(SEED)
        for _ in range(RUNS):
            runs.append(await one_run(students, templates, rng))
    finally:
        await close_db()
    return runs


def main() -> None:
    with scratch_database("generation", app="mathvidya") as url:
        info = machine(url)
        env = {**os.environ, "DATABASE_URL": url_string(url), "COLUMNS": "400"}
        print("loading the default-scale data (untimed) ...", flush=True)
        args = ["generate", "mathvidya", "--scale", SCALE, "--seed", str(SEED)]
        lyceum_command([*args, "--months", str(MONTHS)], env)
        os.environ["DATABASE_URL"] = url_string(url)
        reset_settings_cache()
        runs = asyncio.run(measure())

    def stat(key: str, pct: float) -> float:
        values = sorted(percentile(run[key], pct) for run in runs)
        return values[len(values) // 2]

    figures: dict[str, Any] = {
        "scale": SCALE,
        "seed": SEED,
        "runs": RUNS,
        "samples_per_run": SAMPLES,
        "paper": "CBSE board paper, 38 questions, 80 marks (classes X and XII alternating)",
    }
    rows = []
    labels = {
        "choose": "(a) reads + allocation + choice + chosen rows",
        "generate": "(b) whole generate(): + insert, times_used, audit",
        "naive": "(c) baseline: one random SELECT per section",
    }
    base_p95 = stat("naive", 95)
    for key, label in labels.items():
        p50, p95, p99 = stat(key, 50), stat(key, 95), stat(key, 99)
        figures[key] = {
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "p99_ms": round(p99, 2),
            "p95_by_run_ms": [round(percentile(run[key], 95), 2) for run in runs],
        }
        rows.append([label, f"{p50:.2f}", f"{p95:.2f}", f"{p99:.2f}", f"{p95 / base_p95:.2f}"])
    passed = stat("generate", 95) < TARGET_P95_MS
    figures["target"] = {"generate_p95_ms_below": TARGET_P95_MS, "passed": passed}

    print_machine(info)
    print(f"{SCALE} scale, seed {SEED}; {SAMPLES} papers a run, median of {RUNS} runs")
    print_table(
        "Mathvidya exam generation (ms)",
        ["", "p50", "p95", "p99", "p95 x baseline"],
        rows,
    )
    print(f"target: generation p95 < {TARGET_P95_MS:.0f} ms: {'PASS' if passed else 'FAIL'}")
    write_results("generation", info, figures, app="mathvidya")
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
