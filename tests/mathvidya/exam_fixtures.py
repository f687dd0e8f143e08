"""Building blocks for Mathvidya's exam tests: a question bank covering every unit of a class,
a student with an active subscription, and the board, MCQ-section and unit templates
(shaped as the synthetic generator shapes them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.curriculum import SYLLABUS
from lyceum.mathvidya.models import Question
from lyceum.mathvidya.service import quota
from lyceum.mathvidya.synthetic.papers import BOARD_SECTIONS, UNIT_SECTIONS
from tests.mathvidya.rows import add_subscription, add_template, add_user

XII_WEIGHTAGE = {unit.name: unit.marks for unit in SYLLABUS["XII"]}
BOARD_CONFIG = {"sections": [dict(s) for s in BOARD_SECTIONS], "unit_weightage": XII_WEIGHTAGE}
MCQ_CONFIG = {
    "sections": [dict(BOARD_SECTIONS[0])],
    "unit_weightage": XII_WEIGHTAGE,
}
CHOICES = [{"key": k, "text": f"option {k}"} for k in "ABCD"]
# (type, marks, per unit)
KINDS = (("MCQ", 1, 12), ("VSA", 2, 4), ("SA", 3, 5), ("LA", 5, 4), ("LA", 4, 3))
LEVELS = ("easy", "medium", "hard")


async def add_bank(
    db: AsyncSession,
    class_level: str = "XII",
    kinds: tuple[tuple[str, int, int], ...] = KINDS,
    units: tuple[str, ...] | None = None,
) -> int:
    """Active questions for every unit of the class: per unit, `count` of each (type, marks);
    MCQs' correct option cycles A-D. Returns how many."""
    rows: list[dict[str, Any]] = []
    for unit in SYLLABUS[class_level]:
        if units is not None and unit.name not in units:
            continue
        for kind, marks, count in kinds:
            for i in range(count):
                mcq = kind == "MCQ"
                rows.append(
                    {
                        "question_code": f"T-{uuid.uuid4().hex[:16].upper()}",
                        "class_level": class_level,
                        "unit": unit.name,
                        "chapter": unit.chapters[i % len(unit.chapters)],
                        "question_type": kind,
                        "difficulty": LEVELS[i % 3],
                        "status": "active",
                        "marks": marks,
                        "question_text": f"{unit.name} {kind} {marks} #{i}: find $x$.",
                        "mcq_choices": CHOICES if mcq else None,
                        "correct_option": "ABCD"[i % 4] if mcq else None,
                        "model_answer": None if mcq else "Worked answer.",
                        "marking_scheme": None if mcq else [{"step": "all", "marks": marks}],
                        "explanation": f"Because {i}." if mcq else None,
                        "tags": ["assertion-reason"] if mcq and i % 6 == 5 else [],
                        "reviewed_at": datetime(2026, 1, 1, tzinfo=UTC),
                        "times_used": 0,
                    }
                )
    await db.execute(insert(Question), rows)
    return len(rows)


async def add_student(
    db: AsyncSession,
    class_level: str = "XII",
    *,
    used: int = 0,
    plan: str = "basic",
    now: datetime | None = None,
) -> uuid.UUID:
    """A student with an active subscription around `now` (default: the real now), `used`
    exams spent this India month."""
    at = now or datetime.now(UTC)
    student = await add_user(db, "student", student_class=class_level)
    await add_subscription(
        db,
        plan,
        user_id=student,
        starts_at=at - timedelta(days=60),
        ends_at=at + timedelta(days=300),
        created_at=at - timedelta(days=61),
        usage_month=quota.india_month(at),
        exams_used_this_month=used,
    )
    return student


async def board_template(db: AsyncSession, config: dict[str, Any] | None = None) -> uuid.UUID:
    return await add_template(
        db, "board_exam", class_level="XII", config=config or BOARD_CONFIG, units=[]
    )


async def mcq_template(db: AsyncSession) -> uuid.UUID:
    return await add_template(
        db,
        "section_wise",
        class_level="XII",
        config=MCQ_CONFIG,
        total_marks=20,
        duration_minutes=40,
        units=[],
    )


async def unit_template(db: AsyncSession, unit: str = "Calculus") -> uuid.UUID:
    return await add_template(
        db,
        "unit_wise",
        class_level="XII",
        config={"sections": [dict(s) for s in UNIT_SECTIONS], "unit_weightage": {unit: 20}},
        total_marks=20,
        duration_minutes=45,
        units=[unit],
    )
