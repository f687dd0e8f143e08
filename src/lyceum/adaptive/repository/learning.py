"""What the learning services read and write for one student: the knowledge graph as the
planner takes it, the profile, questions, recent answers, attempts made through the API, and
access checks (is this a student; is this student in one of this teacher's classes).
PostgreSQL only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.planning.graph import TopicRow

# ---- the knowledge graph -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphConcept:
    id: uuid.UUID
    code: str
    name: str
    topic_code: str
    grade: int


@dataclass(frozen=True, slots=True)
class LearningGraph:
    topics: list[TopicRow]
    # (topic code, prerequisite topic code)
    edges: list[tuple[str, str]]
    concepts: list[GraphConcept]


async def learning_graph(db: AsyncSession) -> LearningGraph:
    """Every topic, prerequisite edge and concept (three queries; the graph is small)."""
    topics = await db.execute(
        text(
            "SELECT t.code, p.code, t.syllabus_weightage, t.sort_order, t.grade, t.name"
            " FROM adaptive.topics t LEFT JOIN adaptive.topics p ON p.id = t.parent_id"
            " ORDER BY t.grade, t.sort_order, t.code"
        )
    )
    edges = await db.execute(
        text(
            "SELECT t.code, p.code FROM adaptive.topic_prerequisites e"
            " JOIN adaptive.topics t ON t.id = e.topic_id"
            " JOIN adaptive.topics p ON p.id = e.prerequisite_id ORDER BY t.code, p.code"
        )
    )
    concepts = await db.execute(
        text(
            "SELECT c.id, c.code, c.name, t.code, t.grade FROM adaptive.concepts c"
            " JOIN adaptive.topics t ON t.id = c.topic_id ORDER BY t.grade, t.sort_order, c.code"
        )
    )
    return LearningGraph(
        topics=[TopicRow(*row) for row in topics],
        edges=[(row[0], row[1]) for row in edges],
        concepts=[GraphConcept(*row) for row in concepts],
    )


# ---- accounts and profiles -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileRow:
    id: uuid.UUID
    student_id: uuid.UUID
    grade: int
    exam_date: date | None
    available_hours_per_week: float
    target_marks: float | None
    class_id: uuid.UUID | None
    field_clocks: dict[str, str]
    updated_at: datetime


_PROFILE = """
SELECT p.id, p.user_id, p.grade, p.exam_date, p.available_hours_per_week, p.target_marks,
       p.class_id, p.field_clocks, p.updated_at
FROM adaptive.student_profiles p JOIN adaptive.users u ON u.id = p.user_id
WHERE p.user_id = :student AND u.role = 'student'
"""


async def profile(
    db: AsyncSession, student_id: uuid.UUID, *, for_update: bool = False
) -> ProfileRow | None:
    """A student's profile (None: no such student, or no profile); `for_update` locks it."""
    sql = _PROFILE + (" FOR UPDATE OF p" if for_update else "")
    row = (await db.execute(text(sql), {"student": student_id})).first()
    if row is None:
        return None
    return ProfileRow(
        id=row[0],
        student_id=row[1],
        grade=row[2],
        exam_date=row[3],
        available_hours_per_week=row[4],
        target_marks=row[5],
        class_id=row[6],
        field_clocks=dict(row[7] or {}),
        updated_at=row[8],
    )


async def write_profile(
    db: AsyncSession, profile_id: uuid.UUID, values: dict[str, Any], clocks: dict[str, str]
) -> None:
    """Set these columns (names are the caller's constants) and the field clocks."""
    assignments = "".join(f"{name} = :{name}, " for name in values)
    await db.execute(
        text(
            f"UPDATE adaptive.student_profiles SET {assignments}"  # noqa: S608 - column names are ours
            "field_clocks = CAST(:clocks AS jsonb), updated_at = now() WHERE id = :id"
        ),
        {"id": profile_id, "clocks": orjson.dumps(clocks).decode(), **values},
    )


async def teaches(db: AsyncSession, teacher_id: uuid.UUID, student_id: uuid.UUID) -> bool:
    """Whether the student is in one of the teacher's classes."""
    found = await db.scalar(
        text(
            "SELECT 1 FROM adaptive.student_profiles p JOIN adaptive.classes c ON c.id = p.class_id"
            " WHERE p.user_id = :student AND c.teacher_id = :teacher"
        ),
        {"student": student_id, "teacher": teacher_id},
    )
    return found is not None


# ---- questions and answers -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionRow:
    id: uuid.UUID
    concept_id: uuid.UUID
    code: str
    text: str
    kind: str
    options: list[str] | None
    correct_answer: str
    explanation: str | None
    difficulty: float
    concept_code: str
    # The question's fitted emission offset (`lyceum adaptive fit`; None before any fit).
    fitted_offset: float | None

    @property
    def answer_offset(self) -> float:
        return self.fitted_offset or 0.0


_QUESTIONS = """
SELECT q.id, q.concept_id, q.code, q.text, q.kind, q.options, q.correct_answer, q.explanation,
       q.difficulty, c.code, o.answer_offset
FROM adaptive.questions q JOIN adaptive.concepts c ON c.id = q.concept_id
LEFT JOIN adaptive.mastery_question_offsets o ON o.question_id = q.id
"""


async def question(db: AsyncSession, question_id: uuid.UUID) -> QuestionRow | None:
    row = (await db.execute(text(_QUESTIONS + " WHERE q.id = :id"), {"id": question_id})).first()
    return None if row is None else QuestionRow(*row)


async def questions_of(db: AsyncSession, concept_ids: list[uuid.UUID]) -> list[QuestionRow]:
    rows = await db.execute(
        text(_QUESTIONS + " WHERE q.concept_id = ANY(CAST(:ids AS uuid[])) ORDER BY q.code"),
        {"ids": concept_ids},
    )
    return [QuestionRow(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class AnswerRow:
    attempt_id: uuid.UUID
    student_id: uuid.UUID
    question_id: uuid.UUID
    concept_id: uuid.UUID
    answer: str
    is_correct: bool
    attempted_at: datetime


_ANSWERS = """
SELECT a.id, a.student_id, a.question_id, q.concept_id, a.answer, a.is_correct, a.attempted_at
FROM adaptive.question_attempts a JOIN adaptive.questions q ON q.id = a.question_id
"""


async def recent_answers(db: AsyncSession, student_id: uuid.UUID, limit: int) -> list[AnswerRow]:
    """The student's latest answers, newest first (`idx_attempts_student_timestamp`)."""
    rows = await db.execute(
        text(_ANSWERS + " WHERE a.student_id = :student ORDER BY a.attempted_at DESC LIMIT :n"),
        {"student": student_id, "n": limit},
    )
    return [AnswerRow(*row) for row in rows]


async def answer_by_id(db: AsyncSession, attempt_id: uuid.UUID) -> AnswerRow | None:
    row = (await db.execute(text(_ANSWERS + " WHERE a.id = :id"), {"id": attempt_id})).first()
    return None if row is None else AnswerRow(*row)


async def insert_attempt(
    db: AsyncSession,
    row: AnswerRow,
    time_taken_seconds: float,
    confidence: int | None,
    device_id: str,
) -> bool:
    """Insert an attempt made online (no queued operation); False if its id is taken."""
    inserted = await db.execute(
        text(
            "INSERT INTO adaptive.question_attempts (id, student_id, question_id, answer,"
            " is_correct, time_taken_seconds, confidence, attempted_at, device_id)"
            " VALUES (:id, :student, :question, :answer, :correct, :taken, :confidence,"
            " :at, :device) ON CONFLICT (id) DO NOTHING RETURNING id"
        ),
        {
            "id": row.attempt_id,
            "student": row.student_id,
            "question": row.question_id,
            "answer": row.answer,
            "correct": row.is_correct,
            "taken": time_taken_seconds,
            "confidence": confidence,
            "at": row.attempted_at,
            "device": device_id,
        },
    )
    return inserted.first() is not None


__all__ = [
    "AnswerRow",
    "GraphConcept",
    "LearningGraph",
    "ProfileRow",
    "QuestionRow",
    "answer_by_id",
    "insert_attempt",
    "learning_graph",
    "profile",
    "questions_of",
    "recent_answers",
    "teaches",
    "write_profile",
]
