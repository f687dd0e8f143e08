"""The question bank's SQL: versions of a code, whether exams have used a question, search
(trigram text, filters, tags), and the curriculum units the bank checks against."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, insert, literal, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from lyceum.mathvidya.curriculum import SYLLABUS
from lyceum.mathvidya.enums import QuestionDifficulty, QuestionStatus, QuestionType
from lyceum.mathvidya.models import (
    ExamInstance,
    Question,
    QuestionMark,
    StudentMCQAnswer,
    SystemConfig,
    UnansweredQuestion,
)

# system_config keys of the curriculum's units, by class (migration 0007).
CURRICULUM_KEYS = {"X": "curriculum.units_class_x", "XII": "curriculum.units_class_xii"}


async def curriculum_units(db: AsyncSession) -> dict[str, list[str]]:
    """Class level → unit names, from system_config (an admin may have changed them); a class
    whose setting is missing or malformed falls back to `curriculum.py`."""
    rows = await db.execute(
        select(SystemConfig.config_key, SystemConfig.config_value).where(
            SystemConfig.config_key.in_(CURRICULUM_KEYS.values())
        )
    )
    stored: dict[str, Any] = {key: value for key, value in rows}
    units: dict[str, list[str]] = {}
    for level, key in CURRICULUM_KEYS.items():
        value = stored.get(key)
        names = (
            [item["name"] for item in value if isinstance(item, dict) and "name" in item]
            if isinstance(value, list)
            else []
        )
        units[level] = names or [unit.name for unit in SYLLABUS[level]]
    return units


async def get(db: AsyncSession, question_id: uuid.UUID, *, lock: bool = False) -> Question | None:
    query = select(Question).where(Question.id == question_id)
    if lock:
        query = query.with_for_update()
    return (await db.execute(query)).scalar_one_or_none()


async def versions(db: AsyncSession, code: str, *, lock: bool = False) -> list[Question]:
    """Every version of `code`, oldest first; `lock` takes their row locks in that order (so
    two edits or approvals of one question queue instead of both building on the same view)."""
    query = select(Question).where(Question.question_code == code).order_by(Question.version)
    if lock:
        # Fresh values for rows this session already holds: another transaction may have
        # changed them before the lock was granted.
        query = query.with_for_update().execution_options(populate_existing=True)
    return list((await db.execute(query)).scalars())


async def existing_codes(db: AsyncSession, codes: Iterable[str]) -> set[str]:
    wanted = sorted(set(codes))
    if not wanted:
        return set()
    query = select(Question.question_code).where(Question.question_code.in_(wanted)).distinct()
    return set((await db.execute(query)).scalars())


async def is_used(db: AsyncSession, question: Question) -> bool:
    """Whether any exam has used this version: counted (`times_used`), answered, declared
    unanswered, marked, or frozen into an exam's paper (`questions_snapshot` items carry
    `question_id`)."""
    if question.times_used > 0:
        return True
    snapshot_item = func.jsonb_build_array(
        func.jsonb_build_object(literal("question_id"), literal(str(question.id)))
    )
    query = select(
        or_(
            exists().where(StudentMCQAnswer.question_id == question.id),
            exists().where(UnansweredQuestion.question_id == question.id),
            exists().where(QuestionMark.question_id == question.id),
            exists().where(ExamInstance.questions_snapshot.contains(snapshot_item)),
        )
    )
    return bool((await db.execute(query)).scalar())


async def add(db: AsyncSession, values: dict[str, Any]) -> Question:
    question = Question(**values)
    db.add(question)
    await db.flush()
    await db.refresh(question)
    return question


async def add_many(db: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[tuple[uuid.UUID, str]]:
    """Insert `rows` (each with the same keys) in one statement; their (id, code), in order."""
    if not rows:
        return []
    result = await db.execute(
        insert(Question).returning(
            Question.id, Question.question_code, sort_by_parameter_order=True
        ),
        list(rows),
    )
    return [(row_id, code) for row_id, code in result]


async def refresh(db: AsyncSession, question: Question) -> Question:
    await db.flush()
    await db.refresh(question)
    return question


@dataclass(frozen=True)
class SearchFilters:
    text: str | None = None
    question_code: str | None = None
    class_level: str | None = None
    unit: str | None = None
    chapter: str | None = None
    question_type: QuestionType | None = None
    difficulty: QuestionDifficulty | None = None
    status: QuestionStatus | None = None
    tags_all: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    db: AsyncSession, filters: SearchFilters, *, limit: int, offset: int
) -> tuple[list[Question], int]:
    """Questions matching every filter, and how many match in all.

    Text: a substring (ILIKE) or a word-similarity match (pg_trgm `<%`, so a typo still
    finds the question), both served by `ix_questions_text_trgm`; ranked by
    `word_similarity`, best first. The order always ends in (question_code, version), which
    is unique, so pages never overlap."""
    conditions: list[ColumnElement[bool]] = []
    rank: ColumnElement[Any] | None = None
    if filters.text:
        words = literal(filters.text, String)
        conditions.append(
            or_(
                Question.question_text.ilike(f"%{_escape_like(filters.text)}%", escape="\\"),
                words.op("<%")(Question.question_text),
            )
        )
        rank = func.word_similarity(words, Question.question_text)
    for column, value in (
        (Question.question_code, filters.question_code),
        (Question.class_level, filters.class_level),
        (Question.unit, filters.unit),
        (Question.chapter, filters.chapter),
        (Question.question_type, filters.question_type),
        (Question.difficulty, filters.difficulty),
        (Question.status, filters.status),
    ):
        if value is not None:
            conditions.append(column == value)
    tags_type = ARRAY(String(50))
    if filters.tags_all:
        conditions.append(Question.tags.op("@>")(literal(list(filters.tags_all), tags_type)))
    if filters.tags_any:
        conditions.append(Question.tags.op("&&")(literal(list(filters.tags_any), tags_type)))
    total_query = select(func.count()).select_from(Question).where(*conditions)
    total = int((await db.execute(total_query)).scalar_one())
    order: list[Any] = [Question.question_code, Question.version]
    if rank is not None:
        order = [rank.desc(), *order]
    query = select(Question).where(*conditions).order_by(*order).limit(limit).offset(offset)
    return list((await db.execute(query)).scalars()), total


async def set_word_similarity_threshold(db: AsyncSession, threshold: float) -> None:
    """pg_trgm's `<%` threshold for this transaction (default 0.6)."""
    await db.execute(
        text("SELECT set_config('pg_trgm.word_similarity_threshold', :value, true)"),
        {"value": str(threshold)},
    )


__all__ = [
    "CURRICULUM_KEYS",
    "SearchFilters",
    "add",
    "add_many",
    "curriculum_units",
    "existing_codes",
    "get",
    "is_used",
    "refresh",
    "search",
    "set_word_similarity_threshold",
    "versions",
]
