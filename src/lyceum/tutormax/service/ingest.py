"""Feeding TutorMax: tutors, students, sessions, ratings and events from a marketplace.

A batch is written whole or not at all. Pydantic has checked each row's shape and the rules
inside it (a completed session has its actual start, …); this module checks what needs the
database or the rest of the batch — a key sent twice, a tutor or student nobody sent, a rating
naming the wrong tutor, a session moved to another tutor, an email another tutor uses — and
reports every bad row with its reason before anything is written: a 409, as the batch is
well formed but clashes with what is stored (a 422 means the document's rules were broken).
Sending the same rows again changes nothing (rows answer `unchanged`): a client retries
a batch freely.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict
from lyceum.tutormax import schemas
from lyceum.tutormax.repository import ingest as repository

# Problems spelled out in the error's message; `details` lists them all.
_MESSAGE_PROBLEMS = 3

Problem = dict[str, Any]
AnyTutor = schemas.CurrentTutorIn | schemas.ChurnedTutorIn
AnySession = schemas.OpenSessionIn | schemas.CompletedSessionIn | schemas.NoShowSessionIn


def _problem(row: int, key: str, problem: str) -> Problem:
    return {"row": row, "id": key, "problem": problem}


def _duplicates(keys: Sequence[str], noun: str) -> list[Problem]:
    counts = Counter(keys)
    first: dict[str, int] = {}
    problems = []
    for row, key in enumerate(keys):
        if counts[key] < 2:
            continue
        if key in first:
            problems.append(
                _problem(row, key, f"{noun} {key} is also row {first[key]} of this batch")
            )
        else:
            first[key] = row
    return problems


def _refuse(problems: list[Problem], received: int, noun: str) -> None:
    if not problems:
        return
    problems.sort(key=lambda problem: problem["row"])
    rows = len({problem["row"] for problem in problems})
    described = "; ".join(
        f"row {problem['row']} ({problem['id']}): {problem['problem']}"
        for problem in problems[:_MESSAGE_PROBLEMS]
    )
    more = len(problems) - _MESSAGE_PROBLEMS
    message = f"{rows} of {received} {noun} cannot be stored, so none was: {described}" + (
        f" (and {more} more)" if more > 0 else ""
    )
    raise Conflict(message, details=problems)


def _report(keys: Sequence[str], written: dict[str, bool]) -> schemas.IngestReport:
    rows = []
    for key in keys:
        outcome: schemas.IngestOutcome
        if key not in written:
            outcome = "unchanged"
        elif written[key]:
            outcome = "created"
        else:
            outcome = "updated"
        rows.append(schemas.IngestedRow(id=key, outcome=outcome))
    counts = Counter(row.outcome for row in rows)
    return schemas.IngestReport(
        received=len(rows),
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        rows=rows,
    )


def _values(items: Sequence[BaseModel]) -> list[dict[str, Any]]:
    return [item.model_dump() for item in items]


def _tutor_row(item: AnyTutor) -> dict[str, Any]:
    return {"churned_at": None, **item.model_dump()}


async def _unknown(
    items: Sequence[Any],
    key: Callable[[Any], str],
    column: str,
    known: set[str],
    noun: str,
) -> list[Problem]:
    return [
        _problem(row, key(item), f"{noun} {getattr(item, column)} is unknown: send it first")
        for row, item in enumerate(items)
        if getattr(item, column) not in known
    ]


async def ingest_tutors(db: AsyncSession, items: Sequence[AnyTutor]) -> schemas.IngestReport:
    keys = [item.tutor_id for item in items]
    problems = _duplicates(keys, "tutor")
    emails = [item.email for item in items]
    taken = await repository.tutors_by_email(db, emails)
    seen_email: dict[str, str] = {}
    for row, item in enumerate(items):
        owner = taken.get(item.email)
        if owner is not None and owner != item.tutor_id:
            problems.append(
                _problem(row, item.tutor_id, f"email {item.email} belongs to tutor {owner}")
            )
        other = seen_email.setdefault(item.email, item.tutor_id)
        if other != item.tutor_id:
            problems.append(
                _problem(row, item.tutor_id, f"email {item.email} is also tutor {other}'s here")
            )
    _refuse(problems, len(items), "tutors")
    table, key = repository.TABLES["tutors"]
    rows = [_tutor_row(item) for item in items]
    return _report(keys, await repository.upsert(db, table, key, rows))


async def ingest_students(
    db: AsyncSession, items: Sequence[schemas.StudentIn]
) -> schemas.IngestReport:
    keys = [item.student_id for item in items]
    _refuse(_duplicates(keys, "student"), len(items), "students")
    table, key = repository.TABLES["students"]
    return _report(keys, await repository.upsert(db, table, key, _values(items)))


async def ingest_sessions(db: AsyncSession, items: Sequence[AnySession]) -> schemas.IngestReport:
    keys = [item.session_id for item in items]
    problems = _duplicates(keys, "session")
    tutors = await repository.existing_tutors(db, (item.tutor_id for item in items))
    students = await repository.existing_students(db, (item.student_id for item in items))
    stored = await repository.session_parties(db, keys)

    def session_key(item: AnySession) -> str:
        return item.session_id

    problems += await _unknown(items, session_key, "tutor_id", tutors, "tutor")
    problems += await _unknown(items, session_key, "student_id", students, "student")
    for row, item in enumerate(items):
        parties = stored.get(item.session_id)
        if parties is not None and parties != (item.tutor_id, item.student_id):
            problems.append(
                _problem(
                    row,
                    item.session_id,
                    f"session {item.session_id} is between tutor {parties[0]} and student "
                    f"{parties[1]}; a session cannot change hands (book a new one)",
                )
            )
    _refuse(problems, len(items), "sessions")
    table, key = repository.TABLES["sessions"]
    rows = [schemas.session_row(item) for item in items]
    return _report(keys, await repository.upsert(db, table, key, rows))


async def ingest_feedback(
    db: AsyncSession, items: Sequence[schemas.FeedbackIn]
) -> schemas.IngestReport:
    keys = [item.session_id for item in items]
    problems = _duplicates(keys, "a rating of session")
    stored = await repository.session_parties(db, keys)
    for row, item in enumerate(items):
        parties = stored.get(item.session_id)
        if parties is None:
            problems.append(
                _problem(
                    row, item.session_id, f"session {item.session_id} is unknown: send it first"
                )
            )
        elif parties != (item.tutor_id, item.student_id):
            problems.append(
                _problem(
                    row,
                    item.session_id,
                    f"session {item.session_id} is between tutor {parties[0]} and student "
                    f"{parties[1]}, not {item.tutor_id} and {item.student_id}",
                )
            )
    _refuse(problems, len(items), "ratings")
    table, key = repository.TABLES["feedback"]
    return _report(keys, await repository.upsert(db, table, key, _values(items)))


async def ingest_events(db: AsyncSession, items: Sequence[schemas.EventIn]) -> schemas.IngestReport:
    keys = [str(item.event_id) for item in items]
    problems = _duplicates(keys, "event")
    tutors = await repository.existing_tutors(db, (item.tutor_id for item in items))

    def event_key(item: schemas.EventIn) -> str:
        return str(item.event_id)

    problems += await _unknown(items, event_key, "tutor_id", tutors, "tutor")
    _refuse(problems, len(items), "events")
    inserted = await repository.insert_new_events(db, _values(items))
    return _report(keys, dict.fromkeys(inserted, True))


__all__ = [
    "ingest_events",
    "ingest_feedback",
    "ingest_sessions",
    "ingest_students",
    "ingest_tutors",
]
