"""Exam templates, the candidate questions of a paper, exam instances, MCQ answers,
declared-unanswered questions and the monthly exam counter.

The writes that must not race are single statements:

- the quota is spent by one `UPDATE subscriptions … RETURNING` (`consume_exam`);
- an answer is saved by one `INSERT … ON CONFLICT DO UPDATE … WHERE EXCLUDED.answered_at >
  student_mcq_answers.answered_at` (`save_answer`), so a repeated or older save changes
  nothing, and a declaration by the same rule on `declared_at`;
- the job finds overdue exams with `FOR UPDATE SKIP LOCKED` (`overdue_exam_ids`), so two
  workers never take the same exam.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, delete, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import ExamStatus, QuestionStatus, QuestionType, SubscriptionStatus
from lyceum.mathvidya.models import (
    ExamInstance,
    ExamTemplate,
    Question,
    StudentMCQAnswer,
    Subscription,
    UnansweredQuestion,
)

ASSERTION_REASON_TAG = "assertion-reason"

# ---- templates ---------------------------------------------------------------------------


async def active_templates(db: AsyncSession, class_level: str) -> list[ExamTemplate]:
    query = (
        select(ExamTemplate)
        .where(ExamTemplate.is_active, ExamTemplate.class_level == class_level)
        .order_by(ExamTemplate.exam_type, ExamTemplate.name)
    )
    return list((await db.execute(query)).scalars())


async def template_by_id(db: AsyncSession, template_id: uuid.UUID) -> ExamTemplate | None:
    return await db.get(ExamTemplate, template_id)


async def template_names(db: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    query = select(ExamTemplate.id, ExamTemplate.name).where(ExamTemplate.id.in_(list(ids)))
    return {row.id: row.name for row in await db.execute(query)}


# ---- the bank ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CandidateRow:
    id: uuid.UUID
    unit: str
    chapter: str
    question_type: str
    difficulty: str
    marks: int
    times_used: int
    assertion_reason: bool


async def candidates(
    db: AsyncSession,
    class_level: str,
    kinds: Sequence[tuple[str, int]],
    units: Sequence[str],
) -> list[CandidateRow]:
    """Active questions of the class, of the paper's (type, marks) kinds, in `units` (any unit
    when empty): one statement over `ix_questions_pick`."""
    types = sorted({kind for kind, _ in kinds})
    marks = sorted({mark for _, mark in kinds})
    query = select(
        Question.id,
        Question.unit,
        Question.chapter,
        Question.question_type,
        Question.difficulty,
        Question.marks,
        Question.times_used,
        Question.tags.contains([ASSERTION_REASON_TAG]).label("paired"),
    ).where(
        Question.status == QuestionStatus.ACTIVE,
        Question.class_level == class_level,
        Question.question_type.in_(types),
        Question.marks.in_(marks),
    )
    if units:
        query = query.where(Question.unit.in_(list(units)))
    rows = (await db.execute(query)).all()
    wanted = set(kinds)
    return [
        CandidateRow(
            row.id,
            row.unit,
            row.chapter,
            str(row.question_type),
            str(row.difficulty),
            int(row.marks),
            int(row.times_used),
            bool(row.paired),
        )
        for row in rows
        if (str(row.question_type), int(row.marks)) in wanted
    ]


async def seen_questions(
    db: AsyncSession, student_id: uuid.UUID, class_level: str, recent_papers: int, memory: int
) -> dict[uuid.UUID, tuple[datetime, bool]]:
    """Questions in the student's last `memory` papers of the class: when they last had each,
    and whether it was in one of the last `recent_papers`."""
    statement = text(
        """
        WITH papers AS (
            SELECT questions_snapshot, created_at,
                   row_number() OVER (ORDER BY created_at DESC, id) AS age
            FROM mathvidya.exam_instances
            WHERE student_user_id = :student AND student_class = :class_level
            ORDER BY created_at DESC, id
            LIMIT :memory
        )
        SELECT (item ->> 'question_id')::uuid AS question_id, max(created_at) AS last_seen,
               min(age) AS age
        FROM papers, jsonb_array_elements(questions_snapshot) AS item
        WHERE item ? 'question_id'
        GROUP BY 1
        """
    )
    rows = await db.execute(
        statement, {"student": student_id, "class_level": class_level, "memory": memory}
    )
    return {row.question_id: (row.last_seen, row.age <= recent_papers) for row in rows}


async def questions_by_id(db: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Question]:
    rows = (await db.execute(select(Question).where(Question.id.in_(list(ids))))).scalars()
    return {question.id: question for question in rows}


async def count_use(db: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    """One more exam has included each of `ids` (in id order: concurrent generations that
    share questions lock them in the same order)."""
    await db.execute(
        update(Question)
        .where(Question.id.in_(sorted(ids)))
        .values(times_used=Question.times_used + 1)
        .execution_options(synchronize_session=False)
    )


async def correct_options(db: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    query = select(Question.id, Question.correct_option).where(
        Question.id.in_(list(ids)), Question.correct_option.is_not(None)
    )
    return {row.id: str(row.correct_option) for row in await db.execute(query)}


# ---- subscriptions and the monthly counter ------------------------------------------------


def _current(student_id: uuid.UUID, now: datetime) -> list[Any]:
    return [
        Subscription.user_id == student_id,
        Subscription.status == SubscriptionStatus.ACTIVE,
        Subscription.starts_at <= now,
        Subscription.ends_at > now,
    ]


async def current_subscription(
    db: AsyncSession, student_id: uuid.UUID, now: datetime
) -> Subscription | None:
    """The student's active subscription whose period holds `now` (the exclusion constraint
    allows one at most)."""
    query = select(Subscription).where(*_current(student_id, now)).limit(1)
    return (await db.execute(query)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class Consumed:
    subscription_id: uuid.UUID
    used: int
    quota: int
    usage_month: date


async def consume_exam(
    db: AsyncSession, student_id: uuid.UUID, now: datetime, month: date
) -> Consumed | None:
    """Spend one exam of `month` (the first day of the current India month) on the student's
    current subscription, in one UPDATE: a counter of an earlier month restarts at 1, and the
    row matches only while the month's count is under the quota. None: nothing was spent.

    Concurrent calls queue on the row lock and each re-checks the condition against the row
    the previous one committed (READ COMMITTED re-evaluation), so exactly the remaining quota
    succeeds.
    """
    statement = text(
        """
        UPDATE mathvidya.subscriptions
        SET exams_used_this_month = CASE WHEN usage_month < :month THEN 1
                                         ELSE exams_used_this_month + 1 END,
            usage_month = greatest(usage_month, :month)
        WHERE user_id = :student AND status = 'active'
          AND starts_at <= :now AND ends_at > :now
          AND (usage_month < :month OR exams_used_this_month < exams_per_month)
        RETURNING id, exams_used_this_month, exams_per_month, usage_month
        """
    )
    row = (
        await db.execute(statement, {"month": month, "student": student_id, "now": now})
    ).one_or_none()
    if row is None:
        return None
    return Consumed(
        row.id, int(row.exams_used_this_month), int(row.exams_per_month), row.usage_month
    )


# ---- exam instances -----------------------------------------------------------------------


async def insert_exam(db: AsyncSession, **values: Any) -> ExamInstance:
    exam = ExamInstance(**values)
    db.add(exam)
    await db.flush()
    return exam


async def exam_by_id(
    db: AsyncSession, exam_id: uuid.UUID, *, lock: bool = False
) -> ExamInstance | None:
    query = select(ExamInstance).where(ExamInstance.id == exam_id)
    if lock:
        query = query.with_for_update()
    # populate_existing: a row read earlier in the session is refreshed (the lock's read).
    query = query.execution_options(populate_existing=True)
    return (await db.execute(query)).scalar_one_or_none()


async def count_unstarted(db: AsyncSession, student_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        ExamInstance.student_user_id == student_id, ExamInstance.status == ExamStatus.CREATED
    )
    return int((await db.execute(query)).scalar_one())


async def start_exam(
    db: AsyncSession, exam_id: uuid.UUID, at: datetime, subscription_id: uuid.UUID | None
) -> None:
    await db.execute(
        update(ExamInstance)
        .where(ExamInstance.id == exam_id)
        .values(status=ExamStatus.IN_PROGRESS, started_at=at, subscription_id=subscription_id)
        .execution_options(synchronize_session=False)
    )


async def student_exams(
    db: AsyncSession, student_id: uuid.UUID, limit: int, offset: int
) -> list[ExamInstance]:
    query = (
        select(ExamInstance)
        .where(ExamInstance.student_user_id == student_id)
        .order_by(ExamInstance.created_at.desc(), ExamInstance.id)
        .limit(limit)
        .offset(offset)
    )
    return list((await db.execute(query)).scalars())


async def overdue_exam_ids(
    db: AsyncSession, now: datetime, grace: timedelta, shortest: timedelta, limit: int
) -> list[uuid.UUID]:
    """In-progress exams whose time (plus `grace`) ran out before `now`, oldest first, locked;
    rows another transaction holds are skipped (that worker is submitting them)."""
    deadline = ExamInstance.started_at + func.make_interval(
        0, 0, 0, 0, 0, ExamInstance.duration_minutes
    )
    query = (
        select(ExamInstance.id)
        .where(
            ExamInstance.status == ExamStatus.IN_PROGRESS,
            # The partial index's column: no exam shorter than `shortest` can be overdue later.
            ExamInstance.started_at < now - grace - shortest,
            deadline + grace <= now,
        )
        .order_by(ExamInstance.started_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await db.execute(query)).scalars())


# ---- answers and declarations -------------------------------------------------------------


async def answer_for(db: AsyncSession, exam_id: uuid.UUID, number: int) -> StudentMCQAnswer | None:
    query = select(StudentMCQAnswer).where(
        StudentMCQAnswer.exam_instance_id == exam_id, StudentMCQAnswer.question_number == number
    )
    return (await db.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def declaration_for(
    db: AsyncSession, exam_id: uuid.UUID, number: int
) -> UnansweredQuestion | None:
    query = select(UnansweredQuestion).where(
        UnansweredQuestion.exam_instance_id == exam_id,
        UnansweredQuestion.question_number == number,
    )
    return (await db.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def save_answer(
    db: AsyncSession,
    exam_id: uuid.UUID,
    number: int,
    question_id: uuid.UUID,
    unit: str,
    option: str,
    at: datetime,
) -> bool:
    """Upsert the choice unless the stored one is as new or newer; whether it was written."""
    statement = pg_insert(StudentMCQAnswer).values(
        exam_instance_id=exam_id,
        question_id=question_id,
        question_type=QuestionType.MCQ,
        unit=unit,
        question_number=number,
        selected_option=option,
        answered_at=at,
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[StudentMCQAnswer.exam_instance_id, StudentMCQAnswer.question_number],
        set_={
            "selected_option": statement.excluded.selected_option,
            "answered_at": statement.excluded.answered_at,
        },
        where=statement.excluded.answered_at > StudentMCQAnswer.answered_at,
    ).returning(StudentMCQAnswer.id)
    return (await db.execute(upsert)).first() is not None


async def delete_answer(db: AsyncSession, exam_id: uuid.UUID, number: int) -> None:
    await db.execute(
        delete(StudentMCQAnswer).where(
            StudentMCQAnswer.exam_instance_id == exam_id,
            StudentMCQAnswer.question_number == number,
        )
    )


async def declare_unanswered(
    db: AsyncSession,
    exam_id: uuid.UUID,
    number: int,
    question_id: uuid.UUID,
    question_type: str,
    unit: str,
    at: datetime,
) -> bool:
    statement = pg_insert(UnansweredQuestion).values(
        exam_instance_id=exam_id,
        question_id=question_id,
        question_type=QuestionType(question_type),
        unit=unit,
        question_number=number,
        declared_at=at,
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[UnansweredQuestion.exam_instance_id, UnansweredQuestion.question_number],
        set_={"declared_at": statement.excluded.declared_at},
        where=statement.excluded.declared_at > UnansweredQuestion.declared_at,
    ).returning(UnansweredQuestion.id)
    return (await db.execute(upsert)).first() is not None


async def delete_declaration(db: AsyncSession, exam_id: uuid.UUID, number: int) -> None:
    await db.execute(
        delete(UnansweredQuestion).where(
            UnansweredQuestion.exam_instance_id == exam_id,
            UnansweredQuestion.question_number == number,
        )
    )


async def answers(db: AsyncSession, exam_id: uuid.UUID) -> dict[int, StudentMCQAnswer]:
    query = (
        select(StudentMCQAnswer)
        .where(StudentMCQAnswer.exam_instance_id == exam_id)
        .execution_options(populate_existing=True)
    )
    return {row.question_number: row for row in (await db.execute(query)).scalars()}


async def declarations(db: AsyncSession, exam_id: uuid.UUID) -> dict[int, UnansweredQuestion]:
    query = (
        select(UnansweredQuestion)
        .where(UnansweredQuestion.exam_instance_id == exam_id)
        .execution_options(populate_existing=True)
    )
    return {row.question_number: row for row in (await db.execute(query)).scalars()}


async def mark_answers(db: AsyncSession, exam_id: uuid.UUID, key: dict[int, str]) -> Decimal:
    """Mark every saved MCQ of the exam against `key` (question number → correct option) in
    one UPDATE: 1 mark when right, 0 when wrong (no negative marking); the MCQ score."""
    if not key:
        return Decimal(0)
    numbers = sorted(key)
    statement = text(
        """
        UPDATE mathvidya.student_mcq_answers AS a
        SET is_correct = (a.selected_option = k.correct),
            marks_awarded = CASE WHEN a.selected_option = k.correct THEN 1 ELSE 0 END
        FROM unnest(CAST(:numbers AS smallint[]), CAST(:options AS text[])) AS k(number, correct)
        WHERE a.exam_instance_id = :exam AND a.question_number = k.number
        RETURNING a.marks_awarded
        """
    )
    params = {"exam": exam_id, "numbers": numbers, "options": [key[n] for n in numbers]}
    marks = (await db.execute(statement, params)).scalars().all()
    return sum((Decimal(m) for m in marks), Decimal(0))


async def finish_exam(
    db: AsyncSession,
    exam_id: uuid.UUID,
    at: datetime,
    mcq_score: Decimal,
    evaluated: bool,
) -> None:
    """Hand the exam in; an MCQ-only exam is evaluated at once, its percentage computed by
    PostgreSQL's round (halves away from zero, as the CHECK computes it)."""
    values: dict[str, Any] = {"submitted_at": at, "mcq_score": mcq_score}
    if evaluated:
        score = literal(mcq_score, Numeric(5, 1))
        values.update(
            status=ExamStatus.EVALUATED,
            evaluated_at=at,
            total_score=score,
            percentage=func.round(score * 100 / ExamInstance.total_marks, 2),
        )
    else:
        values["status"] = ExamStatus.SUBMITTED
    await db.execute(
        update(ExamInstance)
        .where(ExamInstance.id == exam_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


__all__ = [
    "ASSERTION_REASON_TAG",
    "CandidateRow",
    "Consumed",
    "active_templates",
    "answer_for",
    "answers",
    "candidates",
    "consume_exam",
    "correct_options",
    "count_unstarted",
    "count_use",
    "current_subscription",
    "declaration_for",
    "declarations",
    "declare_unanswered",
    "delete_answer",
    "delete_declaration",
    "exam_by_id",
    "finish_exam",
    "insert_exam",
    "mark_answers",
    "overdue_exam_ids",
    "questions_by_id",
    "save_answer",
    "seen_questions",
    "start_exam",
    "student_exams",
    "template_by_id",
    "template_names",
]
