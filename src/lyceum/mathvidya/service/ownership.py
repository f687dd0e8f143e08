"""Who may read what of a student's (seed 003: "mandatory for child protection").

The rule every object route applies, in one place:

- a student reads their own work, nobody else's;
- a parent reads the work of the students linked to them (`parent_student_mappings`), and
  nothing of any other student — not even of another child of a parent they share;
- an admin reads everything;
- a teacher reads a student's exam (its paper, answers, answer sheets) only while it is, or
  was, theirs to mark: the evaluation assigned to them, or a re-evaluation request given to
  them (`may_read_exam`); nothing else of the student's.

An object a caller may not read answers 404, exactly as one that does not exist, so a
guessed id tells nothing (a 403 would confirm the object is there).
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import NotFound
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.models import Evaluation, ParentStudentMapping, ReevaluationRequest
from lyceum.mathvidya.service.audit import Actor


async def is_linked_parent(db: AsyncSession, parent_id: uuid.UUID, student_id: uuid.UUID) -> bool:
    query = select(
        exists().where(
            ParentStudentMapping.parent_user_id == parent_id,
            ParentStudentMapping.student_user_id == student_id,
        )
    )
    return bool((await db.execute(query)).scalar())


async def may_read_student(db: AsyncSession, actor: Actor, student_id: uuid.UUID) -> bool:
    """Whether `actor` may read `student_id`'s subscriptions, exams and results."""
    if actor.role is UserRole.ADMIN:
        return True
    if actor.role is UserRole.STUDENT:
        return actor.user_id == student_id
    if actor.role is UserRole.PARENT:
        return await is_linked_parent(db, actor.user_id, student_id)
    return False


async def require_student_access(
    db: AsyncSession, actor: Actor, student_id: uuid.UUID, what: str = "student"
) -> None:
    """NotFound (never Forbidden: see the module's note) unless `actor` may read the student."""
    if not await may_read_student(db, actor, student_id):
        raise NotFound(f"no such {what}", details={"reason": "not_found"})


async def marks_exam(db: AsyncSession, teacher_id: uuid.UUID, exam_id: uuid.UUID) -> bool:
    """Whether the teacher holds or held the exam's evaluation, or a re-evaluation of it."""
    held = exists().where(
        Evaluation.exam_instance_id == exam_id, Evaluation.teacher_user_id == teacher_id
    )
    remarking = (
        exists()
        .where(
            ReevaluationRequest.evaluation_id == Evaluation.id,
            Evaluation.exam_instance_id == exam_id,
            ReevaluationRequest.teacher_user_id == teacher_id,
        )
        .correlate(None)
    )
    return bool((await db.execute(select(held | remarking))).scalar())


async def may_read_exam(
    db: AsyncSession, actor: Actor, student_id: uuid.UUID, exam_id: uuid.UUID
) -> bool:
    """Whether `actor` may read the exam `exam_id` of `student_id`: the family rule, or the
    teacher who marks it."""
    if actor.role is UserRole.TEACHER:
        return await marks_exam(db, actor.user_id, exam_id)
    return await may_read_student(db, actor, student_id)


async def require_exam_access(
    db: AsyncSession, actor: Actor, student_id: uuid.UUID, exam_id: uuid.UUID
) -> None:
    """NotFound unless `actor` may read the exam (see `may_read_exam`)."""
    if not await may_read_exam(db, actor, student_id, exam_id):
        raise NotFound("no such exam", details={"reason": "not_found"})


__all__ = [
    "is_linked_parent",
    "marks_exam",
    "may_read_exam",
    "may_read_student",
    "require_exam_access",
    "require_student_access",
]
