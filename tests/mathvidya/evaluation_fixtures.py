"""Building blocks for the evaluation tests: handed-in unit papers (5 MCQs, then written
questions 6-10: two VSA of 2, two SA of 3, one LA of 5 — 15 written marks of 20), teachers,
linked parents, and readers of the rows the workflow writes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.service import exams as exam_service
from lyceum.mathvidya.service.audit import SYSTEM, Actor
from tests.mathvidya.exam_fixtures import add_bank, add_student, unit_template
from tests.mathvidya.rows import add, add_user

API = "/api/mathvidya"
# Friday 4 December 2026, 10:30 in India: a working day, before the real clock of the suite.
HANDED_IN = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)
WRITTEN = (6, 7, 8, 9, 10)
WRITTEN_MAX = {6: 2, 7: 2, 8: 3, 9: 3, 10: 5}


def student_actor(student: uuid.UUID) -> Actor:
    return Actor(student, UserRole.STUDENT, "Asha Verma", "XII")


def teacher_actor(teacher: uuid.UUID) -> Actor:
    return Actor(teacher, UserRole.TEACHER, "Ravi Iyer")


def admin_actor(admin: uuid.UUID) -> Actor:
    return Actor(admin, UserRole.ADMIN, "Meera Rao")


async def paper(db: AsyncSession) -> uuid.UUID:
    """A Calculus bank and the unit template (call once per test)."""
    await add_bank(db, units=("Calculus",))
    return await unit_template(db)


async def handed_in(
    db: AsyncSession,
    template: uuid.UUID,
    *,
    at: datetime = HANDED_IN,
    plan: str = "basic",
    declare: tuple[int, ...] = (),
    correct_mcqs: int = 3,
    student: uuid.UUID | None = None,
) -> tuple[uuid.UUID, uuid.UUID]:
    """(student, exam): a student on `plan` who started the paper 30 minutes before `at`,
    answered `correct_mcqs` MCQs right, declared `declare` unanswered and handed in at `at`."""
    started = at - timedelta(minutes=30)
    owner = student or await add_student(db, plan=plan, now=started)
    me = student_actor(owner)
    exam = await exam_service.generate(db, me, SYSTEM, template, now=started)
    await exam_service.start(db, me, SYSTEM, exam.id, now=started)
    snapshot = (await exam_row(db, exam.id))["questions_snapshot"]
    for item in snapshot[:correct_mcqs]:
        await exam_service.save_answer(
            db, me, exam.id, item["number"], item["correct_option"], started, now=started
        )
    for number in declare:
        await exam_service.declare_unanswered(db, me, exam.id, number, started, now=started)
    await exam_service.submit(db, me, SYSTEM, exam.id, now=at)
    return owner, exam.id


async def add_teacher(db: AsyncSession, **overrides: Any) -> uuid.UUID:
    return await add_user(db, "teacher", **overrides)


async def link_parent(db: AsyncSession, student: uuid.UUID) -> uuid.UUID:
    parent = await add_user(db, "parent")
    await add(db, "parent_student_mappings", parent_user_id=parent, student_user_id=student)
    return parent


async def exam_row(db: AsyncSession, exam_id: uuid.UUID | str) -> dict[str, Any]:
    row = await db.execute(
        text("SELECT *, status::text AS status_text FROM mathvidya.exam_instances WHERE id = :id"),
        {"id": str(exam_id)},
    )
    return dict(row.mappings().one())


async def evaluation_row(db: AsyncSession, exam_id: uuid.UUID | str) -> dict[str, Any]:
    row = await db.execute(
        text(
            "SELECT *, status::text AS status_text FROM mathvidya.evaluations"
            " WHERE exam_instance_id = :id"
        ),
        {"id": str(exam_id)},
    )
    return dict(row.mappings().one())


async def audit_of(db: AsyncSession, entity_id: uuid.UUID | str) -> list[dict[str, Any]]:
    rows = await db.execute(
        text(
            "SELECT action, actor_user_id, details FROM mathvidya.audit_logs"
            " WHERE entity_id = :id ORDER BY occurred_at, xmin::text::bigint"
        ),
        {"id": str(entity_id)},
    )
    return [dict(r._mapping) for r in rows]


async def outbox_to(db: AsyncSession, like: str) -> list[dict[str, Any]]:
    rows = await db.execute(
        text(
            "SELECT recipient, subject, dedupe_key FROM lyceum.outbox"
            " WHERE dedupe_key LIKE :k ORDER BY created_at, recipient"
        ),
        {"k": like},
    )
    return [dict(r._mapping) for r in rows]


async def email_of(db: AsyncSession, user_id: uuid.UUID) -> str:
    return str(
        (
            await db.execute(
                text("SELECT email FROM mathvidya.users WHERE id = :u"), {"u": user_id}
            )
        ).scalar_one()
    )


async def deactivate_other_teachers(db: AsyncSession) -> None:
    """Teachers the database already holds (seed or demo data) play no part in a test."""
    await db.execute(
        text("UPDATE mathvidya.users SET is_active = false WHERE role = 'teacher' AND is_active")
    )


async def mark_all(
    db: AsyncSession,
    teacher: uuid.UUID,
    evaluation_id: uuid.UUID,
    *,
    started: datetime,
    done: datetime,
    marks: dict[int, float] | None = None,
    skip: tuple[int, ...] = (),
) -> Any:
    """Start, mark every written question (full marks unless `marks` says), complete."""
    from lyceum.mathvidya.schemas import evaluations as schemas
    from lyceum.mathvidya.service import evaluation_marking as marking

    me = teacher_actor(teacher)
    await marking.start(db, me, SYSTEM, evaluation_id, now=started)
    given = marks if marks is not None else {n: float(m) for n, m in WRITTEN_MAX.items()}
    for number, value in given.items():
        if number in skip:
            continue
        await marking.save_mark(
            db, me, evaluation_id, number, schemas.SaveMark(marks=value, stamp="tick"), now=started
        )
    return await marking.complete(
        db, me, SYSTEM, evaluation_id, schemas.CompleteEvaluation(comment="Good work."), now=done
    )
