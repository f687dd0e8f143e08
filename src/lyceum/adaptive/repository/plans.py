"""Study plans in SQL: a student's active plan and its progress events, and saving a new plan
in place of the active one. PostgreSQL only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import StudyPlanStatus


@dataclass(frozen=True, slots=True)
class PlanRow:
    id: uuid.UUID
    student_id: uuid.UUID
    status: str
    starts_on: date
    ends_on: date
    schedule: list[dict[str, Any]]
    generated_at: datetime
    expected_marks: float | None
    baseline_marks: float | None
    method: str | None
    exam_date: date | None
    hours_per_week: float | None


_COLUMNS = """id, student_id, status, starts_on, ends_on, schedule, generated_at, expected_marks,
    baseline_marks, method, exam_date, hours_per_week"""


async def active_plan(db: AsyncSession, student_id: uuid.UUID) -> PlanRow | None:
    """The student's active plan (the newest, should there ever be two)."""
    row = (
        await db.execute(
            text(
                f"SELECT {_COLUMNS} FROM adaptive.study_plans"  # noqa: S608 - our constant
                " WHERE student_id = :student AND status = :active"
                " ORDER BY generated_at DESC, id DESC LIMIT 1"
            ),
            {"student": student_id, "active": StudyPlanStatus.ACTIVE.value},
        )
    ).first()
    return None if row is None else PlanRow(*row)


@dataclass(frozen=True, slots=True)
class EventRow:
    kind: str
    day: date
    concept_code: str | None
    minutes: int


async def plan_events(db: AsyncSession, plan_id: uuid.UUID) -> list[EventRow]:
    rows = await db.execute(
        text(
            "SELECT kind, day, concept_code, minutes FROM adaptive.study_plan_events"
            " WHERE plan_id = :plan ORDER BY occurred_at, id"
        ),
        {"plan": plan_id},
    )
    return [EventRow(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class NewPlan:
    student_id: uuid.UUID
    starts_on: date
    ends_on: date
    schedule: list[dict[str, Any]]
    topic_codes: list[str]
    expected_marks: float
    baseline_marks: float
    method: str
    exam_date: date
    hours_per_week: float


async def replace_active_plan(db: AsyncSession, plan: NewPlan) -> uuid.UUID:
    """Archive the student's active plans and insert `plan` as the active one; its id. The
    caller holds the student's profile row lock, so two replans cannot both stay active."""
    await db.execute(
        text(
            "UPDATE adaptive.study_plans SET status = :archived"
            " WHERE student_id = :student AND status = :active"
        ),
        {
            "student": plan.student_id,
            "archived": StudyPlanStatus.ARCHIVED.value,
            "active": StudyPlanStatus.ACTIVE.value,
        },
    )
    plan_id = uuid.uuid4()
    await db.execute(
        text(
            "INSERT INTO adaptive.study_plans (id, student_id, status, starts_on, ends_on,"
            " schedule, topic_codes, generated_at, expected_marks, baseline_marks, method,"
            " exam_date, hours_per_week) VALUES (:id, :student, :active, :starts_on, :ends_on,"
            " CAST(:schedule AS jsonb), CAST(:topics AS text[]), clock_timestamp(), :expected,"
            " :baseline, :method, :exam_date, :hours)"
        ),
        {
            "id": plan_id,
            "student": plan.student_id,
            "active": StudyPlanStatus.ACTIVE.value,
            "starts_on": plan.starts_on,
            "ends_on": plan.ends_on,
            "schedule": orjson.dumps(plan.schedule).decode(),
            "topics": plan.topic_codes,
            "expected": plan.expected_marks,
            "baseline": plan.baseline_marks,
            "method": plan.method,
            "exam_date": plan.exam_date,
            "hours": plan.hours_per_week,
        },
    )
    return plan_id


@dataclass(frozen=True, slots=True)
class PlanFigures:
    plan_id: uuid.UUID
    expected_marks: float | None
    generated_at: datetime
    exam_date: date | None


async def active_figures(
    db: AsyncSession, student_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, PlanFigures]:
    """Each student's active plan's promise (one query for a class)."""
    rows = await db.execute(
        text(
            "SELECT DISTINCT ON (student_id) student_id, id, expected_marks, generated_at,"
            " exam_date FROM adaptive.study_plans"
            " WHERE student_id = ANY(CAST(:students AS uuid[])) AND status = :active"
            " ORDER BY student_id, generated_at DESC, id DESC"
        ),
        {"students": list(student_ids), "active": StudyPlanStatus.ACTIVE.value},
    )
    return {row[0]: PlanFigures(*row[1:]) for row in rows}


__all__ = [
    "EventRow",
    "NewPlan",
    "PlanFigures",
    "PlanRow",
    "active_figures",
    "active_plan",
    "plan_events",
    "replace_active_plan",
]
