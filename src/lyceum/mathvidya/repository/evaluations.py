"""`evaluations` and `question_marks`, and what the workflow reads
around them (teachers, their marking history, the exam's family, uploaded pages);
re-evaluation requests are `repository/reevaluations.py`, the SLA report's rows
`repository/sla_report.py`.

The writes that must not race:

- every load-based decision (hand-in assignment, the monitor, an admin's reassignment, a
  re-evaluation's teacher) first takes one transaction-level advisory lock
  (`lock_assignment`), so two decisions never both see a teacher's last free slot;
- the monitor takes a second, try-only advisory lock (`try_lock_monitor`): a second worker
  that finds it taken skips the run instead of moving the same evaluations again;
- the rows the monitor changes are re-read `FOR UPDATE SKIP LOCKED` (`lock_open`), so a row a
  teacher's request is writing at that moment is left for the next run.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import EvaluationStatus, UserRole
from lyceum.mathvidya.models import (
    AnswerSheetUpload,
    Evaluation,
    ExamInstance,
    ParentStudentMapping,
    Question,
    QuestionMark,
    User,
)

# Keys of pg_advisory_xact_lock (any two bigints unique in the database's use).
ASSIGNMENT_LOCK = 16_0002
MONITOR_LOCK = 16_0004
# Completed evaluations per teacher that measure their marking rate (the latest).
RATE_HISTORY = 50
OPEN = (EvaluationStatus.PENDING, EvaluationStatus.ASSIGNED, EvaluationStatus.IN_PROGRESS)
HELD = (EvaluationStatus.ASSIGNED, EvaluationStatus.IN_PROGRESS)


async def lock_assignment(db: AsyncSession) -> None:
    """Serialise load-based decisions until the transaction ends."""
    await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSIGNMENT_LOCK})


async def try_lock_monitor(db: AsyncSession) -> bool:
    """Whether this transaction now runs the SLA monitor (False: another worker is)."""
    got = await db.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": MONITOR_LOCK})
    return bool(got.scalar_one())


# ---- people ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    name: str
    email: str


def _person(user: User) -> Person:
    return Person(user.id, f"{user.first_name} {user.last_name}".strip(), user.email)


async def active_teachers(db: AsyncSession) -> list[Person]:
    query = (
        select(User)
        .where(User.role == UserRole.TEACHER, User.is_active, User.deleted_at.is_(None))
        .order_by(User.id)
    )
    return [_person(u) for u in (await db.execute(query)).scalars()]


async def person(db: AsyncSession, user_id: uuid.UUID) -> Person | None:
    user = await db.get(User, user_id)
    return _person(user) if user is not None else None


async def linked_parents(db: AsyncSession, student_id: uuid.UUID) -> list[Person]:
    query = (
        select(User)
        .join(ParentStudentMapping, ParentStudentMapping.parent_user_id == User.id)
        .where(ParentStudentMapping.student_user_id == student_id, User.is_active)
        .order_by(User.id)
    )
    return [_person(u) for u in (await db.execute(query)).scalars()]


async def work_durations(
    db: AsyncSession, teacher_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[datetime, datetime]]]:
    """(started_at, completed_at) of each teacher's latest `RATE_HISTORY` completed
    evaluations (over `ix_evaluations_teacher_completed`)."""
    if not teacher_ids:
        return {}
    statement = text(
        """
        SELECT teacher_user_id, started_at, completed_at FROM (
            SELECT teacher_user_id, started_at, completed_at,
                   row_number() OVER (PARTITION BY teacher_user_id
                                      ORDER BY completed_at DESC) AS latest
            FROM mathvidya.evaluations
            WHERE status = 'completed' AND teacher_user_id = ANY(CAST(:teachers AS uuid[]))
        ) AS done
        WHERE latest <= :history
        """
    )
    rows = await db.execute(statement, {"teachers": list(teacher_ids), "history": RATE_HISTORY})
    found: dict[uuid.UUID, list[tuple[datetime, datetime]]] = {}
    for row in rows:
        found.setdefault(row.teacher_user_id, []).append((row.started_at, row.completed_at))
    return found


# ---- evaluations -----------------------------------------------------------------------


async def insert_evaluation(db: AsyncSession, **values: Any) -> Evaluation:
    evaluation = Evaluation(**values)
    db.add(evaluation)
    await db.flush()
    return evaluation


async def evaluation_by_id(
    db: AsyncSession, evaluation_id: uuid.UUID, *, lock: bool = False
) -> Evaluation | None:
    query = select(Evaluation).where(Evaluation.id == evaluation_id)
    if lock:
        query = query.with_for_update()
    query = query.execution_options(populate_existing=True)
    return (await db.execute(query)).scalar_one_or_none()


async def evaluation_of_exam(db: AsyncSession, exam_id: uuid.UUID) -> Evaluation | None:
    query = (
        select(Evaluation)
        .where(Evaluation.exam_instance_id == exam_id)
        .execution_options(populate_existing=True)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def lock_open(db: AsyncSession, evaluation_id: uuid.UUID) -> Evaluation | None:
    """The open evaluation, locked; None when it is closed or another transaction holds it."""
    query = (
        select(Evaluation)
        .where(Evaluation.id == evaluation_id, Evaluation.status.in_(OPEN))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return (await db.execute(query)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class OpenRow:
    id: uuid.UUID
    teacher_user_id: uuid.UUID | None
    status: EvaluationStatus
    submitted_at: datetime
    sla_deadline: datetime
    claim_expires_at: datetime | None
    sla_breached: bool
    # Share of the written marks already given (in-progress evaluations).
    marked_share: float


async def open_evaluations(db: AsyncSession) -> list[OpenRow]:
    """Every open evaluation, most urgent first, with how much of it is marked."""
    statement = text(
        """
        SELECT e.id, e.teacher_user_id, e.status::text AS status, e.submitted_at,
               e.sla_deadline, e.claim_expires_at, e.sla_breached,
               CASE WHEN e.max_marks > 0
                    THEN coalesce((SELECT sum(q.max_marks) FROM mathvidya.question_marks q
                                   WHERE q.evaluation_id = e.id), 0) / e.max_marks
                    ELSE 0 END AS marked_share
        FROM mathvidya.evaluations e
        WHERE e.status IN ('pending', 'assigned', 'in_progress')
        ORDER BY e.sla_deadline, e.id
        """
    )
    return [
        OpenRow(
            row.id,
            row.teacher_user_id,
            EvaluationStatus(row.status),
            row.submitted_at,
            row.sla_deadline,
            row.claim_expires_at,
            bool(row.sla_breached),
            float(row.marked_share),
        )
        for row in await db.execute(statement)
    ]


async def update_evaluation(db: AsyncSession, evaluation_id: uuid.UUID, **values: Any) -> None:
    await db.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def held_by(db: AsyncSession, teacher_id: uuid.UUID | None) -> list[Evaluation]:
    """Held evaluations (of one teacher, or all when None), by deadline."""
    query = select(Evaluation).where(Evaluation.status.in_(HELD))
    if teacher_id is not None:
        query = query.where(Evaluation.teacher_user_id == teacher_id)
    query = query.order_by(Evaluation.sla_deadline, Evaluation.id)
    return list((await db.execute(query)).scalars())


async def list_evaluations(
    db: AsyncSession,
    *,
    status: EvaluationStatus | None,
    teacher_id: uuid.UUID | None,
    breached: bool | None,
    limit: int,
    offset: int,
) -> tuple[int, list[Evaluation]]:
    conditions: list[Any] = []
    if status is not None:
        conditions.append(Evaluation.status == status)
    if teacher_id is not None:
        conditions.append(Evaluation.teacher_user_id == teacher_id)
    if breached is not None:
        conditions.append(Evaluation.sla_breached.is_(breached))
    total = (await db.execute(select(func.count()).where(*conditions))).scalar_one()
    query = (
        select(Evaluation)
        .where(*conditions)
        .order_by(Evaluation.sla_deadline.desc(), Evaluation.id)
        .limit(limit)
        .offset(offset)
    )
    return int(total), list((await db.execute(query)).scalars())


async def store_forecasts(
    db: AsyncSession, forecasts: dict[uuid.UUID, datetime], at: datetime
) -> int:
    """Store each open evaluation's forecast completion (one statement); a forecast equal to
    the stored one is left alone, with the time it was first made. How many changed."""
    if not forecasts:
        return 0
    ids = list(forecasts)
    statement = text(
        """
        UPDATE mathvidya.evaluations AS e
        SET predicted_completion_at = f.predicted, predicted_at = :at
        FROM unnest(CAST(:ids AS uuid[]), CAST(:predicted AS timestamptz[])) AS f(id, predicted)
        WHERE e.id = f.id AND e.status IN ('assigned', 'in_progress')
          AND e.predicted_completion_at IS DISTINCT FROM f.predicted
        RETURNING e.id
        """
    )
    changed = await db.execute(
        statement, {"ids": ids, "predicted": [forecasts[i] for i in ids], "at": at}
    )
    return len(changed.all())


async def mark_breaches(db: AsyncSession, now: datetime) -> list[tuple[uuid.UUID, datetime]]:
    """Flag open evaluations past their deadline, once each: (id, deadline) of those flagged
    now (an already flagged one no longer matches)."""
    statement = text(
        """
        UPDATE mathvidya.evaluations SET sla_breached = true
        WHERE status IN ('pending', 'assigned', 'in_progress') AND NOT sla_breached
          AND sla_deadline < :now
        RETURNING id, sla_deadline
        """
    )
    return [(row.id, row.sla_deadline) for row in await db.execute(statement, {"now": now})]


# ---- marks -----------------------------------------------------------------------------


async def marked_counts(
    db: AsyncSession, evaluation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Questions marked so far, per evaluation: one statement for a whole queue."""
    if not evaluation_ids:
        return {}
    query = (
        select(QuestionMark.evaluation_id, func.count())
        .where(QuestionMark.evaluation_id.in_(evaluation_ids))
        .group_by(QuestionMark.evaluation_id)
    )
    return {row[0]: int(row[1]) for row in (await db.execute(query)).all()}


async def question_marks(db: AsyncSession, evaluation_id: uuid.UUID) -> dict[int, QuestionMark]:
    query = (
        select(QuestionMark)
        .where(QuestionMark.evaluation_id == evaluation_id)
        .execution_options(populate_existing=True)
    )
    return {row.question_number: row for row in (await db.execute(query)).scalars()}


async def save_mark(
    db: AsyncSession,
    evaluation_id: uuid.UUID,
    *,
    question_id: uuid.UUID,
    question_type: str,
    unit: str,
    question_number: int,
    marks_awarded: Decimal,
    max_marks: Decimal,
    stamp: str | None,
    teacher_comment: str | None,
) -> None:
    """Insert or replace the mark of one question (one statement: a retried PUT is a no-op)."""
    statement = text(
        """
        INSERT INTO mathvidya.question_marks
            (evaluation_id, question_id, question_type, unit, question_number, marks_awarded,
             max_marks, stamp, teacher_comment)
        VALUES (:evaluation, :question, CAST(:kind AS mathvidya.question_type), :unit, :number,
                :marks, :max_marks, :stamp, :comment)
        ON CONFLICT (evaluation_id, question_number) DO UPDATE
        SET marks_awarded = EXCLUDED.marks_awarded, stamp = EXCLUDED.stamp,
            teacher_comment = EXCLUDED.teacher_comment
        WHERE (question_marks.marks_awarded, question_marks.stamp, question_marks.teacher_comment)
              IS DISTINCT FROM (EXCLUDED.marks_awarded, EXCLUDED.stamp, EXCLUDED.teacher_comment)
        """
    )
    await db.execute(
        statement,
        {
            "evaluation": evaluation_id,
            "question": question_id,
            "kind": question_type,
            "unit": unit,
            "number": question_number,
            "marks": marks_awarded,
            "max_marks": max_marks,
            "stamp": stamp,
            "comment": teacher_comment,
        },
    )


async def set_question_mark(
    db: AsyncSession, question_mark_id: uuid.UUID, marks: Decimal, comment: str | None
) -> None:
    await db.execute(
        update(QuestionMark)
        .where(QuestionMark.id == question_mark_id)
        .values(marks_awarded=marks, teacher_comment=comment)
        .execution_options(synchronize_session=False)
    )


async def write_totals(db: AsyncSession, evaluation_id: uuid.UUID, at: datetime) -> Decimal:
    """Make the evaluation's written marks the sum of its questions' marks and its exam's
    total the MCQ score plus them, with the percentage PostgreSQL's CHECK computes (one
    rounding rule); the exam becomes `evaluated` at `at` unless it already is. The written
    marks."""
    written = (
        await db.execute(
            text(
                "UPDATE mathvidya.evaluations SET marks_awarded = (SELECT"
                " coalesce(sum(marks_awarded), 0) FROM mathvidya.question_marks"
                " WHERE evaluation_id = :e) WHERE id = :e RETURNING marks_awarded"
            ),
            {"e": evaluation_id},
        )
    ).scalar_one()
    await db.execute(
        text(
            """
            UPDATE mathvidya.exam_instances AS x
            SET total_score = coalesce(x.mcq_score, 0) + :written,
                percentage = round((coalesce(x.mcq_score, 0) + :written) * 100 / x.total_marks, 2),
                status = 'evaluated',
                evaluated_at = coalesce(x.evaluated_at, greatest(:at, x.submitted_at))
            FROM mathvidya.evaluations e
            WHERE e.id = :e AND x.id = e.exam_instance_id
            """
        ),
        {"e": evaluation_id, "written": written, "at": at},
    )
    return Decimal(written)


# ---- the exam around it ----------------------------------------------------------------


async def set_exam_status(db: AsyncSession, exam_id: uuid.UUID, status: str) -> None:
    await db.execute(
        text(
            "UPDATE mathvidya.exam_instances SET status = CAST(:s AS mathvidya.exam_status)"
            " WHERE id = :x AND status IN ('submitted', 'under_evaluation')"
        ),
        {"s": status, "x": exam_id},
    )


async def exam_by_id(db: AsyncSession, exam_id: uuid.UUID) -> ExamInstance | None:
    query = (
        select(ExamInstance)
        .where(ExamInstance.id == exam_id)
        .execution_options(populate_existing=True)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def plan_of_subscription(db: AsyncSession, subscription_id: uuid.UUID) -> tuple[str, int]:
    """The plan type and the SLA hours the subscription was bought with."""
    row = (
        await db.execute(
            text(
                "SELECT p.plan_type::text AS plan_type, s.sla_hours FROM mathvidya.subscriptions s"
                " JOIN mathvidya.subscription_plans p ON p.id = s.plan_id WHERE s.id = :s"
            ),
            {"s": subscription_id},
        )
    ).one()
    return str(row.plan_type), int(row.sla_hours)


async def marking_schemes(
    db: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, list[dict[str, Any]] | None]]:
    """Model answer and marking scheme of the questions (a question version never changes
    once a paper uses it, so the bank's row is the paper's)."""
    if not ids:
        return {}
    query = select(Question.id, Question.model_answer, Question.marking_scheme).where(
        Question.id.in_(list(ids))
    )
    return {row.id: (row.model_answer, row.marking_scheme) for row in await db.execute(query)}


async def uploaded_pages(db: AsyncSession, exam_id: uuid.UUID) -> list[AnswerSheetUpload]:
    query = (
        select(AnswerSheetUpload)
        .where(AnswerSheetUpload.exam_instance_id == exam_id)
        .order_by(AnswerSheetUpload.page_number)
    )
    return list((await db.execute(query)).scalars())


async def mcq_result(db: AsyncSession, exam_id: uuid.UUID) -> tuple[int, int]:
    """(answered, correct) MCQs of the exam."""
    row = (
        await db.execute(
            text(
                "SELECT count(*) AS answered, count(*) FILTER (WHERE is_correct) AS correct"
                " FROM mathvidya.student_mcq_answers WHERE exam_instance_id = :x"
            ),
            {"x": exam_id},
        )
    ).one()
    return int(row.answered), int(row.correct)


__all__ = [
    "HELD",
    "OPEN",
    "OpenRow",
    "Person",
    "active_teachers",
    "evaluation_by_id",
    "evaluation_of_exam",
    "exam_by_id",
    "held_by",
    "insert_evaluation",
    "linked_parents",
    "list_evaluations",
    "lock_assignment",
    "lock_open",
    "mark_breaches",
    "marking_schemes",
    "mcq_result",
    "open_evaluations",
    "person",
    "plan_of_subscription",
    "question_marks",
    "save_mark",
    "set_exam_status",
    "set_question_mark",
    "store_forecasts",
    "try_lock_monitor",
    "update_evaluation",
    "uploaded_pages",
    "work_durations",
]
