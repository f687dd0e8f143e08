"""Helpers for the learning API tests (not tests): URLs, tokens, answers, and what the
database holds of a student's attempts, mastery and replan jobs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import TEACHER_ROLE
from lyceum.adaptive.models import (
    ConceptMastery,
    Question,
    QuestionAttempt,
    StudentProfile,
    User,
)
from lyceum.adaptive.service.replanning import replan_key
from tests.adaptive.sync_world import World
from tests.fixtures.tokens import token_for

BASE = "/api/adaptive"
EXAM = (datetime.now(UTC) + timedelta(days=30)).date()


def staff_headers(user: User, role: str = TEACHER_ROLE) -> dict[str, str]:
    return token_for(role, subject=str(user.id))


def student_url(student: User, path: str) -> str:
    return f"{BASE}/students/{student.id}/{path}"


async def mastery_rows(db: AsyncSession, student_id: uuid.UUID) -> list[tuple[Any, ...]]:
    rows = await db.execute(
        select(ConceptMastery.concept_id, ConceptMastery.mastery, ConceptMastery.confidence,
               ConceptMastery.attempts_count, ConceptMastery.correct_count)
        .where(ConceptMastery.student_id == student_id).order_by(ConceptMastery.concept_id)
    )  # fmt: skip
    return [tuple(row) for row in rows]


async def attempts_of(db: AsyncSession, student_id: uuid.UUID) -> int:
    found = await db.scalar(
        select(func.count()).select_from(QuestionAttempt)
        .where(QuestionAttempt.student_id == student_id)
    )  # fmt: skip
    return int(found or 0)


async def replan_jobs(db: AsyncSession, student_id: uuid.UUID) -> list[tuple[str, Any]]:
    rows = await db.execute(
        text(
            "SELECT status::text, args FROM lyceum.procrastinate_jobs"
            " WHERE task_name = 'adaptive:replan_student' AND queueing_lock = :key"
        ),
        {"key": replan_key(student_id)},
    )
    return [(row[0], row[1]) for row in rows]


def answer(world: World, question: Question, right: bool = True, **extra: Any) -> dict[str, Any]:
    correct, wrong = world.answers[question.id]
    return {"question_id": str(question.id), "answer": correct if right else wrong,
            "time_taken_seconds": 40, **extra}  # fmt: skip


async def set_exam(db: AsyncSession, world: World, target: float | None = None) -> None:
    for student in world.students:
        profile = await db.scalar(
            select(StudentProfile).where(StudentProfile.user_id == student.id)
        )
        assert profile is not None
        profile.exam_date = EXAM
        profile.target_marks = target
    await db.commit()
