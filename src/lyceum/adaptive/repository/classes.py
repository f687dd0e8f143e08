"""Classes as teachers see them: the classes a viewer may open, a class's students, and their
stored mastery (one query for a whole class). PostgreSQL only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.mastery.bkt import MasteryState


@dataclass(frozen=True, slots=True)
class ClassRow:
    id: uuid.UUID
    name: str
    grade: int
    teacher_id: uuid.UUID
    students: int


_CLASSES = """
SELECT c.id, c.name, c.grade, c.teacher_id,
       (SELECT count(*) FROM adaptive.student_profiles p WHERE p.class_id = c.id)
FROM adaptive.classes c
WHERE (CAST(:teacher AS uuid) IS NULL OR c.teacher_id = CAST(:teacher AS uuid))
"""


async def classes(db: AsyncSession, teacher_id: uuid.UUID | None) -> list[ClassRow]:
    """A teacher's classes, or every class (None), by grade and name."""
    rows = await db.execute(text(_CLASSES + " ORDER BY c.grade, c.name"), {"teacher": teacher_id})
    return [ClassRow(*row) for row in rows]


async def visible_class(
    db: AsyncSession, teacher_id: uuid.UUID | None, class_id: uuid.UUID
) -> ClassRow | None:
    """The class, if the viewer (a teacher, or everyone: None) may open it."""
    row = (
        await db.execute(
            text(_CLASSES + " AND c.id = :class_id"), {"teacher": teacher_id, "class_id": class_id}
        )
    ).first()
    return None if row is None else ClassRow(*row)


@dataclass(frozen=True, slots=True)
class Member:
    student_id: uuid.UUID
    username: str
    full_name: str | None
    grade: int
    target_marks: float | None


async def members(db: AsyncSession, class_id: uuid.UUID) -> list[Member]:
    rows = await db.execute(
        text(
            "SELECT u.id, u.username, u.full_name, p.grade, p.target_marks"
            " FROM adaptive.student_profiles p JOIN adaptive.users u ON u.id = p.user_id"
            " WHERE p.class_id = :class_id AND u.role = 'student' ORDER BY u.username"
        ),
        {"class_id": class_id},
    )
    return [Member(*row) for row in rows]


async def states_of(
    db: AsyncSession, student_ids: Iterable[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], MasteryState]:
    """Stored states by (student, concept), for many students at once."""
    rows = await db.execute(
        text(
            "SELECT student_id, concept_id, mastery, attempts_count, correct_count,"
            " last_practiced_at FROM adaptive.concept_mastery"
            " WHERE student_id = ANY(CAST(:students AS uuid[]))"
        ),
        {"students": list(student_ids)},
    )
    return {(row[0], row[1]): MasteryState(*row[2:]) for row in rows}


__all__ = ["ClassRow", "Member", "classes", "members", "states_of", "visible_class"]
