"""SQL for fitting the mastery model (`lyceum adaptive fit`): every attempt with its concept,
question and question kind, streamed in (concept, student, time, id) order; the fitted
parameters per concept (`concept_mastery_params`) and the individualised model's offsets per
student and per question (`mastery_student_offsets`, `mastery_question_offsets`); and the
offsets one student's update needs (`offsets_for`, the server's path). PostgreSQL only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.mastery.bkt import BktParams

_ATTEMPTS = text("""
SELECT a.student_id, q.concept_id, q.kind::text, a.attempted_at, a.is_correct, a.id,
       a.question_id
FROM adaptive.question_attempts a
JOIN adaptive.questions q ON q.id = a.question_id
ORDER BY q.concept_id, a.student_id, a.attempted_at, a.id
""")


@dataclass(frozen=True, slots=True)
class AttemptRow:
    student_id: uuid.UUID
    concept_id: uuid.UUID
    kind: str
    attempted_at: datetime
    is_correct: bool
    attempt_id: uuid.UUID
    question_id: uuid.UUID


async def all_attempts(db: AsyncSession) -> list[AttemptRow]:
    """Every attempt, ordered by (concept, student, time, id). All of them: the fit needs the
    whole history in memory anyway (about 100 bytes an attempt in its arrays). A plain query,
    not a server-side cursor, whose portal would stay open until the transaction ends."""
    return [AttemptRow(*row) for row in await db.execute(_ATTEMPTS)]


async def concept_ids(db: AsyncSession) -> list[uuid.UUID]:
    rows = await db.execute(text("SELECT id FROM adaptive.concepts ORDER BY id"))
    return list(rows.scalars())


@dataclass(frozen=True, slots=True)
class FittedParams:
    concept_id: uuid.UUID
    params: BktParams
    attempts_used: int
    students_used: int
    log_likelihood: float


_UPSERT = text("""
INSERT INTO adaptive.concept_mastery_params AS p (concept_id, p_init, p_learn, forget_per_day,
    guess_mcq, guess_numeric, slip, attempts_used, students_used, log_likelihood, fitted_at)
SELECT r.c, r.p_init, r.p_learn, r.forget, r.guess_mcq, r.guess_numeric, r.slip, r.attempts,
       r.students, r.ll, :fitted_at
FROM unnest(CAST(:concepts AS uuid[]), CAST(:p_init AS float8[]), CAST(:p_learn AS float8[]),
            CAST(:forget AS float8[]), CAST(:guess_mcq AS float8[]),
            CAST(:guess_numeric AS float8[]), CAST(:slip AS float8[]),
            CAST(:attempts AS integer[]), CAST(:students AS integer[]), CAST(:ll AS float8[]))
     AS r(c, p_init, p_learn, forget, guess_mcq, guess_numeric, slip, attempts, students, ll)
ON CONFLICT (concept_id) DO UPDATE SET
    p_init = EXCLUDED.p_init, p_learn = EXCLUDED.p_learn,
    forget_per_day = EXCLUDED.forget_per_day, guess_mcq = EXCLUDED.guess_mcq,
    guess_numeric = EXCLUDED.guess_numeric, slip = EXCLUDED.slip,
    attempts_used = EXCLUDED.attempts_used, students_used = EXCLUDED.students_used,
    log_likelihood = EXCLUDED.log_likelihood, fitted_at = EXCLUDED.fitted_at
""")


async def fitted_concepts(db: AsyncSession) -> int:
    """How many concepts have fitted parameters (0: the model was never fitted)."""
    return int(await db.scalar(text("SELECT count(*) FROM adaptive.concept_mastery_params")) or 0)


async def save_params(db: AsyncSession, fitted: Sequence[FittedParams], at: datetime) -> None:
    if not fitted:
        return
    rows = sorted(fitted, key=lambda f: f.concept_id)
    await db.execute(
        _UPSERT,
        {
            "concepts": [f.concept_id for f in rows],
            "p_init": [f.params.p_init for f in rows],
            "p_learn": [f.params.p_learn for f in rows],
            "forget": [f.params.forget_per_day for f in rows],
            "guess_mcq": [f.params.guess_mcq for f in rows],
            "guess_numeric": [f.params.guess_numeric for f in rows],
            "slip": [f.params.slip for f in rows],
            "attempts": [f.attempts_used for f in rows],
            "students": [f.students_used for f in rows],
            "ll": [f.log_likelihood for f in rows],
            "fitted_at": at,
        },
    )


# The CHECK on both offset tables (migration 0016): offsets in logits within ±OFFSET_BOUND.
OFFSET_BOUND = 6.0


@dataclass(frozen=True, slots=True)
class StudentOffsets:
    """A student's offset in logits: `prior_offset` moves P(L) before their first attempt at
    a concept (`bkt.initial_state(..., prior_offset=)`). Zero: plain BKT. No per-student
    answer offset: ability belongs in P(L) (`mastery/individual.py`)."""

    prior_offset: float = 0.0


NO_OFFSETS = StudentOffsets()


@dataclass(frozen=True, slots=True)
class FittedStudentOffsets:
    student_id: uuid.UUID
    offsets: StudentOffsets
    attempts_used: int


@dataclass(frozen=True, slots=True)
class FittedQuestionOffset:
    question_id: uuid.UUID
    answer_offset: float
    attempts_used: int


_CLEAR_OFFSETS = (
    text("DELETE FROM adaptive.mastery_student_offsets"),
    text("DELETE FROM adaptive.mastery_question_offsets"),
)
_INSERT_STUDENTS = text("""
INSERT INTO adaptive.mastery_student_offsets (student_id, prior_offset, attempts_used,
    fitted_at)
SELECT r.s, r.prior, r.attempts, :fitted_at
FROM unnest(CAST(:students AS uuid[]), CAST(:prior AS float8[]),
            CAST(:attempts AS integer[])) AS r(s, prior, attempts)
""")
_INSERT_QUESTIONS = text("""
INSERT INTO adaptive.mastery_question_offsets (question_id, answer_offset, attempts_used,
    fitted_at)
SELECT r.q, r.answer, r.attempts, :fitted_at
FROM unnest(CAST(:questions AS uuid[]), CAST(:answer AS float8[]),
            CAST(:attempts AS integer[])) AS r(q, answer, attempts)
""")


async def save_offsets(
    db: AsyncSession,
    students: Sequence[FittedStudentOffsets],
    questions: Sequence[FittedQuestionOffset],
    at: datetime,
) -> None:
    """Replace every stored offset with this fit's (a student or question the fit did not
    see has no row, i.e. zero)."""
    for statement in _CLEAR_OFFSETS:
        await db.execute(statement)
    if students:
        rows = sorted(students, key=lambda f: f.student_id)
        await db.execute(
            _INSERT_STUDENTS,
            {
                "students": [f.student_id for f in rows],
                "prior": [f.offsets.prior_offset for f in rows],
                "attempts": [f.attempts_used for f in rows],
                "fitted_at": at,
            },
        )
    if questions:
        ordered = sorted(questions, key=lambda f: f.question_id)
        await db.execute(
            _INSERT_QUESTIONS,
            {
                "questions": [f.question_id for f in ordered],
                "answer": [f.answer_offset for f in ordered],
                "attempts": [f.attempts_used for f in ordered],
                "fitted_at": at,
            },
        )


_OFFSETS_FOR = text("""
SELECT NULL::uuid, prior_offset
FROM adaptive.mastery_student_offsets WHERE student_id = :student
UNION ALL
SELECT question_id, answer_offset
FROM adaptive.mastery_question_offsets WHERE question_id = ANY(CAST(:questions AS uuid[]))
""")


async def offsets_for(
    db: AsyncSession, student_id: uuid.UUID, question_ids: Iterable[uuid.UUID]
) -> tuple[StudentOffsets, dict[uuid.UUID, float]]:
    """The student's prior offset and each question's answer offset, zero where the last fit
    had none (a new student or question: plain BKT for that part): one round trip. An
    attempt's `effect` is `questions[question_id]`."""
    wanted = sorted(set(question_ids))
    rows = await db.execute(_OFFSETS_FOR, {"student": student_id, "questions": wanted})
    student = NO_OFFSETS
    questions = dict.fromkeys(wanted, 0.0)
    for question_id, offset in rows:
        if question_id is None:
            student = StudentOffsets(prior_offset=offset)
        else:
            questions[question_id] = offset
    return student, questions


__all__ = [
    "NO_OFFSETS",
    "OFFSET_BOUND",
    "AttemptRow",
    "FittedParams",
    "FittedQuestionOffset",
    "FittedStudentOffsets",
    "StudentOffsets",
    "all_attempts",
    "concept_ids",
    "fitted_concepts",
    "offsets_for",
    "save_offsets",
    "save_params",
]
