"""SQL for the standing features (issue 16): leaderboard entries, analytics snapshots, and the
marked work, evaluations and family links they are computed from.

Months are India-time months; callers pass them as UTC bounds ([start, end)). An exam belongs
to the month its result came back in (`evaluated_at`), the same rule for the leaderboard, the
analytics trend and the monthly report.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import ExamStatus, SubscriptionStatus, UserRole
from lyceum.mathvidya.models import (
    AnalyticsSnapshot,
    ExamInstance,
    LeaderboardEntry,
    ParentStudentMapping,
    Subscription,
    SubscriptionPlan,
    User,
)
from lyceum.mathvidya.repository.subscriptions import config_value

# One board refresh at a time: two concurrent DELETE + INSERTs of a month would collide on
# the primary key of the rows the other just wrote.
BOARD_LOCK = "mathvidya:leaderboard_refresh"


@dataclass(frozen=True, slots=True)
class BoardCandidate:
    student_class: str
    student_user_id: uuid.UUID
    first_name: str
    last_name: str
    score: Decimal
    exams_counted: int


@dataclass(frozen=True, slots=True)
class ItemRow:
    student_user_id: uuid.UUID
    student_class: str
    exam_id: uuid.UUID
    unit: str
    question_type: str
    awarded: Decimal
    maximum: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class EvaluationRow:
    teacher_user_id: uuid.UUID
    completed_at: datetime | None
    sla_deadline: datetime
    sla_breached: bool


@dataclass(frozen=True, slots=True)
class MarkRow:
    teacher_user_id: uuid.UUID
    question_id: uuid.UUID
    awarded: Decimal
    maximum: Decimal


@dataclass(frozen=True, slots=True)
class ReportExamRow:
    exam_id: uuid.UUID
    name: str
    exam_type: str
    evaluated_at: datetime
    score: Decimal
    total_marks: int
    percentage: Decimal
    teacher_comments: str | None


@dataclass(frozen=True, slots=True)
class FamilyLink:
    parent_user_id: uuid.UUID
    parent_email: str
    parent_first_name: str
    student_user_id: uuid.UUID
    student_first_name: str
    student_last_name: str


async def setting(db: AsyncSession, key: str, default: Any) -> Any:
    """A `system_config` value, or `default` when the key is absent."""
    value = await config_value(db, key)
    return default if value is None else value


# ---- leaderboard ----------------------------------------------------------------------------


async def board_candidates(
    db: AsyncSession, start: datetime, end: datetime, as_of: datetime, min_exams: int
) -> list[BoardCandidate]:
    """Per class, each active student with a leaderboard plan at `as_of` (a subscription that
    ran — active, or expired since — covering that moment, whose terms include the
    leaderboard) and at least `min_exams` exams evaluated in [start, end): their mean
    percentage, rounded to the two decimals the board stores (so ties are ties as shown)."""
    holds_plan = (
        select(Subscription.id)
        .where(
            Subscription.user_id == ExamInstance.student_user_id,
            Subscription.leaderboard_access.is_(True),
            Subscription.status.in_([SubscriptionStatus.ACTIVE, SubscriptionStatus.EXPIRED]),
            Subscription.starts_at <= as_of,
            Subscription.ends_at > as_of,
        )
        .exists()
    )
    score = func.round(func.avg(ExamInstance.percentage), 2)
    query = (
        select(
            ExamInstance.student_class,
            ExamInstance.student_user_id,
            User.first_name,
            User.last_name,
            score.label("score"),
            func.count().label("exams"),
        )
        .join(User, User.id == ExamInstance.student_user_id)
        .where(
            ExamInstance.status == ExamStatus.EVALUATED,
            ExamInstance.percentage.is_not(None),
            ExamInstance.evaluated_at >= start,
            ExamInstance.evaluated_at < end,
            User.is_active.is_(True),
            holds_plan,
        )
        .group_by(
            ExamInstance.student_class,
            ExamInstance.student_user_id,
            User.first_name,
            User.last_name,
        )
        .having(func.count() >= min_exams)
    )
    return [
        BoardCandidate(row[0], row[1], row[2], row[3], Decimal(row[4]), int(row[5]))
        for row in await db.execute(query)
    ]


async def replace_month(db: AsyncSession, month: date, rows: Sequence[dict[str, Any]]) -> None:
    """The month's boards, all classes, rewritten whole in the caller's transaction."""
    await db.execute(select(func.pg_advisory_xact_lock(func.hashtext(BOARD_LOCK))))
    await db.execute(delete(LeaderboardEntry).where(LeaderboardEntry.month == month))
    if rows:
        await db.execute(insert(LeaderboardEntry), list(rows))


async def board(db: AsyncSession, month: date, student_class: str) -> list[LeaderboardEntry]:
    query = (
        select(LeaderboardEntry)
        .where(LeaderboardEntry.month == month, LeaderboardEntry.student_class == student_class)
        .order_by(LeaderboardEntry.rank, LeaderboardEntry.display_name)
    )
    return list((await db.scalars(query)).all())


async def has_leaderboard_plan(db: AsyncSession, student_id: uuid.UUID, at: datetime) -> bool:
    """Whether the student's subscription in force at `at` includes the leaderboard."""
    query = select(
        select(Subscription.id)
        .where(
            Subscription.user_id == student_id,
            Subscription.status == SubscriptionStatus.ACTIVE,
            Subscription.leaderboard_access.is_(True),
            Subscription.starts_at <= at,
            Subscription.ends_at > at,
        )
        .exists()
    )
    return bool(await db.scalar(query))


async def leaderboard_plan_names(db: AsyncSession) -> list[str]:
    query = (
        select(SubscriptionPlan.display_name)
        .where(SubscriptionPlan.leaderboard_access.is_(True), SubscriptionPlan.is_active.is_(True))
        .order_by(SubscriptionPlan.sort_order)
    )
    return list((await db.scalars(query)).all())


async def linked_children(db: AsyncSession, parent_id: uuid.UUID) -> list[User]:
    query = (
        select(User)
        .join(ParentStudentMapping, ParentStudentMapping.student_user_id == User.id)
        .where(ParentStudentMapping.parent_user_id == parent_id, User.is_active.is_(True))
        .order_by(User.first_name, User.id)
    )
    return list((await db.scalars(query)).all())


async def user(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await db.get(User, user_id)


# ---- analytics inputs ---------------------------------------------------------------------

# Every MCQ of every evaluated paper, answered or not (an unanswered one is 0 of its marks),
# and every written answer of a completed evaluation: (unit, type, awarded, max, when).
_ITEMS = """
SELECT e.student_user_id, e.student_class, e.id AS exam_id, q->>'unit' AS unit,
       'MCQ' AS question_type, coalesce(a.marks_awarded, 0) AS awarded,
       (q->>'marks')::numeric AS maximum, e.evaluated_at AS at
FROM mathvidya.exam_instances e
CROSS JOIN LATERAL jsonb_array_elements(e.questions_snapshot) AS q
LEFT JOIN mathvidya.student_mcq_answers a
       ON a.exam_instance_id = e.id AND a.question_number = (q->>'number')::int
WHERE e.status = 'evaluated' AND e.evaluated_at IS NOT NULL AND q->>'type' = 'MCQ'
  AND (CAST(:student AS uuid) IS NULL OR e.student_user_id = CAST(:student AS uuid))
UNION ALL
SELECT e.student_user_id, e.student_class, e.id, m.unit, m.question_type::text,
       m.marks_awarded, m.max_marks, e.evaluated_at
FROM mathvidya.question_marks m
JOIN mathvidya.evaluations v ON v.id = m.evaluation_id AND v.status = 'completed'
JOIN mathvidya.exam_instances e ON e.id = v.exam_instance_id
WHERE e.status = 'evaluated' AND e.evaluated_at IS NOT NULL
  AND (CAST(:student AS uuid) IS NULL OR e.student_user_id = CAST(:student AS uuid))
"""


async def marked_items(db: AsyncSession, student_id: uuid.UUID | None = None) -> list[ItemRow]:
    """Every marked answer of one student, or of all students (None)."""
    result = await db.execute(text(_ITEMS), {"student": str(student_id) if student_id else None})
    return [ItemRow(*row) for row in result]


async def students(db: AsyncSession) -> list[User]:
    query = select(User).where(User.role == UserRole.STUDENT, User.is_active.is_(True))
    return list((await db.scalars(query.order_by(User.id))).all())


async def teachers(db: AsyncSession) -> list[User]:
    query = select(User).where(User.role == UserRole.TEACHER, User.is_active.is_(True))
    return list((await db.scalars(query.order_by(User.first_name, User.id))).all())


async def evaluation_rows(db: AsyncSession) -> list[EvaluationRow]:
    query = text(
        "SELECT teacher_user_id, completed_at, sla_deadline, sla_breached"
        " FROM mathvidya.evaluations"
        " WHERE teacher_user_id IS NOT NULL AND status <> 'cancelled'"
    )
    return [EvaluationRow(*row) for row in await db.execute(query)]


async def mark_rows(db: AsyncSession) -> list[MarkRow]:
    query = text(
        "SELECT v.teacher_user_id, m.question_id, m.marks_awarded, m.max_marks"
        " FROM mathvidya.question_marks m"
        " JOIN mathvidya.evaluations v ON v.id = m.evaluation_id"
        " WHERE v.status = 'completed' AND v.teacher_user_id IS NOT NULL"
    )
    return [MarkRow(*row) for row in await db.execute(query)]


# ---- snapshots -------------------------------------------------------------------------------


async def upsert_snapshots(db: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Write (or overwrite) snapshots keyed by (kind, user, day): a rerun replaces, never adds."""
    if not rows:
        return
    statement = pg_insert(AnalyticsSnapshot)
    statement = statement.on_conflict_do_update(
        index_elements=["subject_kind", "subject_user_id", "computed_for"],
        set_={"payload": statement.excluded.payload, "computed_at": statement.excluded.computed_at},
    )
    await db.execute(statement, list(rows))


async def latest_snapshot(
    db: AsyncSession, kind: str, user_id: uuid.UUID
) -> AnalyticsSnapshot | None:
    query = (
        select(AnalyticsSnapshot)
        .where(AnalyticsSnapshot.subject_kind == kind, AnalyticsSnapshot.subject_user_id == user_id)
        .order_by(AnalyticsSnapshot.computed_for.desc())
        .limit(1)
    )
    return (await db.scalars(query)).first()


async def latest_snapshots(db: AsyncSession, kind: str) -> list[AnalyticsSnapshot]:
    """Every subject's snapshot of the latest day any was computed for."""
    newest = (
        select(func.max(AnalyticsSnapshot.computed_for))
        .where(AnalyticsSnapshot.subject_kind == kind)
        .scalar_subquery()
    )
    query = select(AnalyticsSnapshot).where(
        AnalyticsSnapshot.subject_kind == kind, AnalyticsSnapshot.computed_for == newest
    )
    return list((await db.scalars(query)).all())


async def count_snapshots(db: AsyncSession, day: date) -> int:
    query = select(func.count()).where(AnalyticsSnapshot.computed_for == day)
    return int(await db.scalar(query.select_from(AnalyticsSnapshot)) or 0)


# ---- monthly report --------------------------------------------------------------------------


async def report_exams(
    db: AsyncSession, student_id: uuid.UUID, start: datetime, end: datetime
) -> list[ReportExamRow]:
    """The student's exams whose results came back in [start, end), oldest first."""
    query = text(
        "SELECT e.id, coalesce(e.template_snapshot->>'name', t.name), e.exam_type::text,"
        "       e.evaluated_at, e.total_score, e.total_marks, e.percentage, v.teacher_comments"
        " FROM mathvidya.exam_instances e"
        " JOIN mathvidya.exam_templates t ON t.id = e.template_id"
        " LEFT JOIN mathvidya.evaluations v ON v.exam_instance_id = e.id AND v.status = 'completed'"
        " WHERE e.student_user_id = :student AND e.status = 'evaluated'"
        "   AND e.evaluated_at >= :start AND e.evaluated_at < :end"
        "   AND e.total_score IS NOT NULL AND e.percentage IS NOT NULL"
        " ORDER BY e.evaluated_at, e.id"
    )
    result = await db.execute(query, {"student": student_id, "start": start, "end": end})
    return [ReportExamRow(*row) for row in result]


async def question_comments(
    db: AsyncSession, exam_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, int, str]]:
    """(exam, question number, comment) of the teachers' per-question comments."""
    if not exam_ids:
        return []
    query = text(
        "SELECT v.exam_instance_id, m.question_number, m.teacher_comment"
        " FROM mathvidya.question_marks m JOIN mathvidya.evaluations v ON v.id = m.evaluation_id"
        " WHERE v.exam_instance_id = ANY(:exams) AND v.status = 'completed'"
        "   AND m.teacher_comment IS NOT NULL AND btrim(m.teacher_comment) <> ''"
        " ORDER BY v.exam_instance_id, m.question_number"
    )
    return [
        (row[0], int(row[1]), str(row[2]))
        for row in await db.execute(query, {"exams": list(exam_ids)})
    ]


async def family_links(db: AsyncSession) -> list[FamilyLink]:
    """Every link between an active parent and an active student."""
    query = text(
        "SELECT p.id, p.email, p.first_name, s.id, s.first_name, s.last_name"
        " FROM mathvidya.parent_student_mappings m"
        " JOIN mathvidya.users p ON p.id = m.parent_user_id AND p.is_active"
        " JOIN mathvidya.users s ON s.id = m.student_user_id AND s.is_active"
        " ORDER BY s.id, p.id"
    )
    return [FamilyLink(*row) for row in await db.execute(query)]


__all__ = [
    "BOARD_LOCK",
    "BoardCandidate",
    "EvaluationRow",
    "FamilyLink",
    "ItemRow",
    "MarkRow",
    "ReportExamRow",
    "board",
    "board_candidates",
    "count_snapshots",
    "evaluation_rows",
    "family_links",
    "has_leaderboard_plan",
    "latest_snapshot",
    "latest_snapshots",
    "leaderboard_plan_names",
    "linked_children",
    "mark_rows",
    "marked_items",
    "question_comments",
    "replace_month",
    "report_exams",
    "setting",
    "students",
    "teachers",
    "upsert_snapshots",
    "user",
]
