"""Writing what a marketplace sends: one upsert statement per batch and table.

Each statement inserts the new rows and updates the stored ones whose values differ, and
returns the key of every row it touched with whether it was inserted (`xmax = 0` on a row
version this statement created by insert). A row it did not return was already stored as
sent. Events are facts: an event id already stored is left alone (a retried delivery).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.models import Session, Student, StudentFeedback, Tutor, TutorEvent

TABLES: dict[str, tuple[Table, str]] = {
    "tutors": (Tutor.__table__, "tutor_id"),  # type: ignore[dict-item]
    "students": (Student.__table__, "student_id"),  # type: ignore[dict-item]
    "sessions": (Session.__table__, "session_id"),  # type: ignore[dict-item]
    "feedback": (StudentFeedback.__table__, "session_id"),  # type: ignore[dict-item]
    "events": (TutorEvent.__table__, "event_id"),  # type: ignore[dict-item]
}

# Columns the database fills, never taken from a client.
_SERVER_COLUMNS = frozenset({"created_at", "updated_at"})


async def upsert(
    db: AsyncSession,
    table: Table,
    key: str,
    rows: Sequence[Mapping[str, Any]],
) -> dict[str, bool]:
    """Insert or update `rows` by the unique column `key`; returns {key: inserted} for the
    rows written (inserted or changed). Unchanged rows are not in the answer."""
    if not rows:
        return {}
    values = insert(table).values(list(rows))
    excluded = values.excluded
    changing = [name for name in rows[0] if name != key and name not in _SERVER_COLUMNS]
    differs: ColumnElement[bool] = tuple_(*(table.c[name] for name in changing)).is_distinct_from(
        tuple_(*(excluded[name] for name in changing))
    )
    statement = values.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={name: excluded[name] for name in changing},
        where=differs,
    ).returning(table.c[key], literal_column("xmax = 0").label("inserted"))
    result = await db.execute(statement)
    return {str(row[0]): bool(row[1]) for row in result}


async def insert_new_events(db: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert the events whose ids are not stored yet; returns the ids inserted."""
    if not rows:
        return set()
    table = TABLES["events"][0]
    statement = (
        insert(table)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=[table.c.event_id])
        .returning(table.c.event_id)
    )
    return {str(event_id) for event_id in (await db.execute(statement)).scalars()}


async def existing_tutors(db: AsyncSession, tutor_ids: Iterable[str]) -> set[str]:
    ids = sorted(set(tutor_ids))
    found = await db.execute(select(Tutor.tutor_id).where(Tutor.tutor_id.in_(ids)))
    return set(found.scalars())


async def existing_students(db: AsyncSession, student_ids: Iterable[str]) -> set[str]:
    ids = sorted(set(student_ids))
    found = await db.execute(select(Student.student_id).where(Student.student_id.in_(ids)))
    return set(found.scalars())


async def session_parties(
    db: AsyncSession, session_ids: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """{session_id: (tutor_id, student_id)} of the stored sessions among `session_ids`."""
    ids = sorted(set(session_ids))
    found = await db.execute(
        select(Session.session_id, Session.tutor_id, Session.student_id).where(
            Session.session_id.in_(ids)
        )
    )
    return {session_id: (tutor_id, student_id) for session_id, tutor_id, student_id in found}


async def tutors_by_email(db: AsyncSession, emails: Iterable[str]) -> dict[str, str]:
    """{email: tutor_id} of the stored tutors using any of `emails`."""
    wanted = sorted(set(emails))
    found = await db.execute(select(Tutor.email, Tutor.tutor_id).where(Tutor.email.in_(wanted)))
    return {email: tutor_id for email, tutor_id in found}


__all__ = [
    "TABLES",
    "existing_students",
    "existing_tutors",
    "insert_new_events",
    "session_parties",
    "tutors_by_email",
    "upsert",
]
