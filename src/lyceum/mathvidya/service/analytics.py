"""Student and teacher analytics (issue 16, item 6): the nightly aggregation and the reads.

The nightly job (02:00 India time, `analytics.refresh_schedule`) computes every active
student's and teacher's analytics from the whole marked history and upserts one snapshot per
person for the India-time day: a rerun the same day overwrites the day's rows with the same
figures, never adds. Reads serve the latest snapshot; a person with none yet (a new account
before its first night) is computed on the spot and marked `live`, not stored.

Who reads: a student's analytics — the student, a linked parent, an admin (anyone else: 404,
`service.ownership`); a teacher's — the teacher themselves and admins (another teacher: 404);
the list of all teachers — admins.

The figures and their rules are in `lyceum.mathvidya.analytics` (students, teachers).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import NotFound
from lyceum.mathvidya.analytics.students import MarkedItem, UnitWeight, student_analytics
from lyceum.mathvidya.analytics.teachers import (
    EvaluationRecord,
    QuestionMarkRecord,
    teacher_analytics,
)
from lyceum.mathvidya.calendar_ist import ist_date
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.models import User
from lyceum.mathvidya.repository import standing as repository
from lyceum.mathvidya.repository.standing import ItemRow
from lyceum.mathvidya.schemas import standing as schemas
from lyceum.mathvidya.service.audit import Actor
from lyceum.mathvidya.service.ownership import require_student_access

DEFAULT_DRIFT_THRESHOLD = 0.15


@dataclass(frozen=True, slots=True)
class AggregateSummary:
    day: date
    students: int
    teachers: int


async def board_units(db: AsyncSession, student_class: str) -> list[UnitWeight]:
    """The board paper's units and marks for a class (system_config curriculum.units_class_*)."""
    key = f"curriculum.units_class_{student_class.lower()}"
    units = await repository.setting(db, key, [])
    return [UnitWeight(str(unit["name"]), int(unit["marks"])) for unit in units]


def _items(rows: list[ItemRow], student_class: str) -> list[MarkedItem]:
    # Only papers of the student's current class: X's "Algebra" is not XII's.
    return [
        MarkedItem(
            str(row.exam_id),
            row.unit,
            row.question_type,
            float(row.awarded),
            float(row.maximum),
            row.at,
        )
        for row in rows
        if row.student_class == student_class
    ]


async def compute_student(
    db: AsyncSession, student: User, rows: list[ItemRow] | None = None
) -> dict[str, Any]:
    student_class = student.student_class or ""
    if rows is None:
        rows = await repository.marked_items(db, student.id)
    return student_analytics(_items(rows, student_class), await board_units(db, student_class))


async def drift_threshold(db: AsyncSession) -> float:
    return float(await repository.setting(db, "analytics.drift_threshold", DEFAULT_DRIFT_THRESHOLD))


async def compute_teachers(db: AsyncSession, now: datetime) -> dict[str, dict[str, Any]]:
    evaluations = [
        EvaluationRecord(str(r.teacher_user_id), r.completed_at, r.sla_deadline, r.sla_breached)
        for r in await repository.evaluation_rows(db)
    ]
    marks = [
        QuestionMarkRecord(
            str(r.teacher_user_id), str(r.question_id), float(r.awarded), float(r.maximum)
        )
        for r in await repository.mark_rows(db)
    ]
    return teacher_analytics(evaluations, marks, threshold=await drift_threshold(db), now=now)


def _empty_teacher() -> dict[str, Any]:
    return {
        "completed": 0,
        "open": 0,
        "weeks": [],
        "per_week": 0.0,
        "sla_met": 0,
        "sla_met_percent": None,
        "marks": {"questions": 0},
        "drift": {"flagged": False},
    }


async def aggregate(db: AsyncSession, now: datetime) -> AggregateSummary:
    """The nightly run: every active student's and teacher's snapshot for India's day."""
    day = ist_date(now)
    rows_by_student: dict[uuid.UUID, list[ItemRow]] = defaultdict(list)
    for row in await repository.marked_items(db):
        rows_by_student[row.student_user_id].append(row)
    snapshots: list[dict[str, Any]] = []
    people = await repository.students(db)
    for student in people:
        payload = await compute_student(db, student, rows_by_student.get(student.id, []))
        snapshots.append(_snapshot("student", student.id, day, payload, now))
    by_teacher = await compute_teachers(db, now)
    staff = await repository.teachers(db)
    for teacher in staff:
        payload = by_teacher.get(str(teacher.id)) or _empty_teacher()
        snapshots.append(_snapshot("teacher", teacher.id, day, payload, now))
    await repository.upsert_snapshots(db, snapshots)
    return AggregateSummary(day, len(people), len(staff))


def _snapshot(
    kind: str, user_id: uuid.UUID, day: date, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "subject_kind": kind,
        "subject_user_id": user_id,
        "computed_for": day,
        "payload": payload,
        "computed_at": now,
    }


async def student_view(
    db: AsyncSession, actor: Actor, student_id: uuid.UUID
) -> schemas.StudentAnalytics:
    await require_student_access(db, actor, student_id)
    student = await repository.user(db, student_id)
    if student is None or student.role is not UserRole.STUDENT:
        raise NotFound("no such student", details={"reason": "not_found"})
    snapshot = await repository.latest_snapshot(db, "student", student_id)
    if snapshot is None:
        return schemas.StudentAnalytics(
            student_id=student.id,
            name=student.full_name,
            student_class=student.student_class or "",
            computed_for=None,
            computed_at=None,
            live=True,
            analytics=await compute_student(db, student),
        )
    return schemas.StudentAnalytics(
        student_id=student.id,
        name=student.full_name,
        student_class=student.student_class or "",
        computed_for=snapshot.computed_for,
        computed_at=snapshot.computed_at,
        live=False,
        analytics=snapshot.payload,
    )


async def teacher_list(db: AsyncSession, now: datetime) -> list[schemas.TeacherAnalytics]:
    """Every active teacher's latest analytics (admins; the route's guard says so)."""
    stored = {s.subject_user_id: s for s in await repository.latest_snapshots(db, "teacher")}
    live: dict[str, dict[str, Any]] | None = None
    answers = []
    for teacher in await repository.teachers(db):
        snapshot = stored.get(teacher.id)
        if snapshot is None and live is None:
            live = await compute_teachers(db, now)
        answers.append(_teacher_answer(teacher, snapshot, live))
    return answers


def _teacher_answer(
    teacher: User, snapshot: Any, live: dict[str, dict[str, Any]] | None
) -> schemas.TeacherAnalytics:
    if snapshot is not None:
        return schemas.TeacherAnalytics(
            teacher_id=teacher.id,
            name=teacher.full_name,
            computed_for=snapshot.computed_for,
            computed_at=snapshot.computed_at,
            live=False,
            analytics=snapshot.payload,
        )
    return schemas.TeacherAnalytics(
        teacher_id=teacher.id,
        name=teacher.full_name,
        computed_for=None,
        computed_at=None,
        live=True,
        analytics=(live or {}).get(str(teacher.id)) or _empty_teacher(),
    )


async def teacher_view(
    db: AsyncSession, actor: Actor, teacher_id: uuid.UUID, now: datetime
) -> schemas.TeacherAnalytics:
    """One teacher's analytics: an admin's to read, and the teacher's own (404 otherwise)."""
    allowed = actor.role is UserRole.ADMIN or (
        actor.role is UserRole.TEACHER and actor.user_id == teacher_id
    )
    teacher = await repository.user(db, teacher_id) if allowed else None
    if teacher is None or teacher.role is not UserRole.TEACHER:
        raise NotFound("no such teacher", details={"reason": "not_found"})
    snapshot = await repository.latest_snapshot(db, "teacher", teacher_id)
    live = None if snapshot is not None else await compute_teachers(db, now)
    return _teacher_answer(teacher, snapshot, live)


__all__ = [
    "AggregateSummary",
    "aggregate",
    "board_units",
    "compute_student",
    "compute_teachers",
    "drift_threshold",
    "student_view",
    "teacher_list",
    "teacher_view",
]
