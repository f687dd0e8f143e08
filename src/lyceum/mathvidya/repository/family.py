"""`parent_student_mappings`: linking parents and students, reading one side's links, the
primary contact, unlinking.

The reads are scoped by the caller's own id (a parent's links, a student's links): nothing
here answers "everyone linked to someone else", so a parent cannot reach a child's other
parents nor a child their parent's other children through these queries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import RelationshipType
from lyceum.mathvidya.models import ParentStudentMapping, User
from lyceum.mathvidya.repository.accounts import violated_constraint

PAIR_UNIQUE = "uq_parent_student_mappings_parent_user_id_student_user_id"
PRIMARY_UNIQUE = "uq_parent_student_mappings_primary_contact"


class LinkRefused(Enum):
    ALREADY_LINKED = "already_linked"


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One link, with the person on the other side of it."""

    mapping_id: uuid.UUID
    person_id: uuid.UUID
    first_name: str
    last_name: str
    student_class: str | None
    relationship_type: RelationshipType
    is_primary_contact: bool


async def has_primary_contact(db: AsyncSession, student_id: uuid.UUID) -> bool:
    query = select(
        exists().where(
            ParentStudentMapping.student_user_id == student_id,
            ParentStudentMapping.is_primary_contact,
        )
    )
    return bool((await db.execute(query)).scalar())


async def _insert(
    db: AsyncSession,
    parent_id: uuid.UUID,
    student_id: uuid.UUID,
    relationship_type: RelationshipType,
    primary: bool,
) -> uuid.UUID:
    async with db.begin_nested():
        mapping = ParentStudentMapping(
            parent_user_id=parent_id,
            student_user_id=student_id,
            relationship_type=relationship_type,
            is_primary_contact=primary,
        )
        db.add(mapping)
        await db.flush()
        return mapping.id


async def insert_link(
    db: AsyncSession,
    parent_id: uuid.UUID,
    student_id: uuid.UUID,
    relationship_type: RelationshipType,
) -> tuple[uuid.UUID, bool] | LinkRefused:
    """(mapping id, whether it is the primary contact) — the student's first parent becomes
    the primary contact — or ALREADY_LINKED. Two parents linking the same student at once
    may both see no primary contact: the partial unique index lets one win, and the other
    is retried as a secondary link."""
    primary = not await has_primary_contact(db, student_id)
    for attempt in (primary, False):
        try:
            return await _insert(db, parent_id, student_id, relationship_type, attempt), attempt
        except IntegrityError as exc:
            _, name = violated_constraint(exc)
            if name == PAIR_UNIQUE:
                return LinkRefused.ALREADY_LINKED
            if name == PRIMARY_UNIQUE and attempt:
                continue
            raise
    raise AssertionError("unreachable: the second attempt is never primary")


async def is_linked(db: AsyncSession, parent_id: uuid.UUID, student_id: uuid.UUID) -> bool:
    query = select(
        exists().where(
            ParentStudentMapping.parent_user_id == parent_id,
            ParentStudentMapping.student_user_id == student_id,
        )
    )
    return bool((await db.execute(query)).scalar())


async def mapping_by_id(db: AsyncSession, mapping_id: uuid.UUID) -> ParentStudentMapping | None:
    return await db.get(ParentStudentMapping, mapping_id)


def _rows(result: Any) -> list[LinkRow]:
    return [
        LinkRow(
            mapping_id=row[0],
            person_id=row[1],
            first_name=row[2],
            last_name=row[3],
            student_class=row[4],
            relationship_type=row[5],
            is_primary_contact=row[6],
        )
        for row in result
    ]


async def children_of(db: AsyncSession, parent_id: uuid.UUID) -> list[LinkRow]:
    """The parent's linked students (active accounts), by first name."""
    query = (
        select(
            ParentStudentMapping.id,
            User.id,
            User.first_name,
            User.last_name,
            User.student_class,
            ParentStudentMapping.relationship_type,
            ParentStudentMapping.is_primary_contact,
        )
        .join(User, User.id == ParentStudentMapping.student_user_id)
        .where(ParentStudentMapping.parent_user_id == parent_id, User.is_active)
        .order_by(User.first_name, User.last_name, ParentStudentMapping.id)
    )
    return _rows(await db.execute(query))


async def parents_of(db: AsyncSession, student_id: uuid.UUID) -> list[LinkRow]:
    """The student's linked parents, the primary contact first."""
    query = (
        select(
            ParentStudentMapping.id,
            User.id,
            User.first_name,
            User.last_name,
            User.student_class,
            ParentStudentMapping.relationship_type,
            ParentStudentMapping.is_primary_contact,
        )
        .join(User, User.id == ParentStudentMapping.parent_user_id)
        .where(ParentStudentMapping.student_user_id == student_id)
        .order_by(
            ParentStudentMapping.is_primary_contact.desc(),
            ParentStudentMapping.created_at,
            ParentStudentMapping.id,
        )
    )
    return _rows(await db.execute(query))


async def set_primary_contact(
    db: AsyncSession, student_id: uuid.UUID, mapping_id: uuid.UUID
) -> uuid.UUID | None:
    """Make `mapping_id` the student's primary contact: the old one is cleared first, then
    the new one set (the partial unique index is checked per statement). Returns the parent
    who was primary before, if any."""
    previous = (
        await db.execute(
            update(ParentStudentMapping)
            .where(
                ParentStudentMapping.student_user_id == student_id,
                ParentStudentMapping.is_primary_contact,
                ParentStudentMapping.id != mapping_id,
            )
            .values(is_primary_contact=False)
            .returning(ParentStudentMapping.parent_user_id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    await db.execute(
        update(ParentStudentMapping)
        .where(
            ParentStudentMapping.id == mapping_id,
            ParentStudentMapping.student_user_id == student_id,
        )
        .values(is_primary_contact=True)
        .execution_options(synchronize_session=False)
    )
    return previous


async def delete_link(db: AsyncSession, mapping_id: uuid.UUID) -> None:
    await db.execute(
        delete(ParentStudentMapping)
        .where(ParentStudentMapping.id == mapping_id)
        .execution_options(synchronize_session=False)
    )


async def promote_oldest(db: AsyncSession, student_id: uuid.UUID) -> uuid.UUID | None:
    """When the student has links but no primary contact, make the oldest link primary;
    the promoted mapping's id, or None."""
    if await has_primary_contact(db, student_id):
        return None
    oldest = (
        select(ParentStudentMapping.id)
        .where(ParentStudentMapping.student_user_id == student_id)
        .order_by(ParentStudentMapping.created_at, ParentStudentMapping.id)
        .limit(1)
        .scalar_subquery()
    )
    return (
        await db.execute(
            update(ParentStudentMapping)
            .where(ParentStudentMapping.id == oldest)
            .values(is_primary_contact=True)
            .returning(ParentStudentMapping.id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()


__all__ = [
    "LinkRefused",
    "LinkRow",
    "children_of",
    "delete_link",
    "has_primary_contact",
    "insert_link",
    "is_linked",
    "mapping_by_id",
    "parents_of",
    "promote_oldest",
    "set_primary_contact",
]
