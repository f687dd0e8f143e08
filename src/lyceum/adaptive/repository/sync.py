"""The server's side of a push, in SQL: the ledger of received operations
(`sync_operations`), applying attempts, plan events and profile changes in bulk (mastery:
`mastery.py`). Every statement takes whole arrays (`unnest`), so a batch of 500
operations is a handful of round trips.

PostgreSQL only: the device's side is `device/store.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import QuestionKind

# The key every writer of the change log holds until commit (migration 0015's trigger takes
# the same); a push takes it first, before any row lock, so pushes cannot deadlock with it.
CHANGE_LOG_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('adaptive.change_log', 0))")


async def lock_change_log(db: AsyncSession) -> None:
    await db.execute(CHANGE_LOG_LOCK)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: uuid.UUID
    entity_type: str
    entity_id: uuid.UUID
    operation: str
    payload: dict[str, Any]


_REGISTER = text("""
INSERT INTO adaptive.sync_operations AS s
    (id, device_id, student_id, entity_type, entity_id, operation, payload, status, attempts)
SELECT r.id, :device_id, :student_id, r.entity_type, r.entity_id, r.operation,
       r.payload::jsonb, 'in_progress', 1
FROM unnest(CAST(:ids AS uuid[]), CAST(:entity_types AS text[]), CAST(:entity_ids AS uuid[]),
            CAST(:operations AS text[]), CAST(:payloads AS text[]))
     AS r(id, entity_type, entity_id, operation, payload)
ON CONFLICT (id) DO UPDATE SET
    attempts = s.attempts + 1, payload = EXCLUDED.payload, entity_type = EXCLUDED.entity_type,
    entity_id = EXCLUDED.entity_id, operation = EXCLUDED.operation,
    status = 'in_progress', last_error = NULL, retry_requested_at = NULL, updated_at = now()
WHERE s.status <> 'completed' AND s.student_id = EXCLUDED.student_id
  AND s.device_id = EXCLUDED.device_id
RETURNING s.id
""")


async def register_operations(
    db: AsyncSession, device_id: str, student_id: uuid.UUID, entries: Sequence[LedgerEntry]
) -> set[uuid.UUID]:
    """Record the operations as received; returns those to process now: new ones, and ones
    this device sent before that were rejected (sent again after a fix). The rest were
    applied already, or belong to another device."""
    if not entries:
        return set()
    rows = await db.execute(
        _REGISTER,
        {
            "device_id": device_id,
            "student_id": student_id,
            "ids": [e.id for e in entries],
            "entity_types": [e.entity_type for e in entries],
            "entity_ids": [e.entity_id for e in entries],
            "operations": [e.operation for e in entries],
            "payloads": [orjson.dumps(e.payload).decode() for e in entries],
        },
    )
    return {row[0] for row in rows}


async def ledger_owners(
    db: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, uuid.UUID | None, str]]:
    """(status, student, device) of received operations."""
    rows = await db.execute(
        text(
            "SELECT id, status, student_id, device_id FROM adaptive.sync_operations"
            " WHERE id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": list(ids)},
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


_SETTLE = text("""
UPDATE adaptive.sync_operations AS s
SET status = r.status, last_error = r.reason, updated_at = now(),
    synced_at = CASE WHEN r.status = 'completed' THEN now() END
FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:reasons AS text[]))
     AS r(id, status, reason)
WHERE s.id = r.id
""")


async def settle_operations(
    db: AsyncSession, outcomes: Sequence[tuple[uuid.UUID, str | None]]
) -> None:
    """Mark processed operations: completed (reason None) or failed with the reason."""
    if not outcomes:
        return
    await db.execute(
        _SETTLE,
        {
            "ids": [op_id for op_id, _ in outcomes],
            "statuses": ["completed" if reason is None else "failed" for _, reason in outcomes],
            "reasons": [reason for _, reason in outcomes],
        },
    )


# ---- lookups the checks need -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionFacts:
    kind: QuestionKind
    correct_answer: str
    concept_id: uuid.UUID
    # The question's fitted emission offset (`lyceum adaptive fit`; 0 before any fit).
    answer_offset: float = 0.0


async def questions_by_id(
    db: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, QuestionFacts]:
    rows = await db.execute(
        text(
            "SELECT q.id, q.kind, q.correct_answer, q.concept_id, coalesce(o.answer_offset, 0)"
            " FROM adaptive.questions q"
            " LEFT JOIN adaptive.mastery_question_offsets o ON o.question_id = q.id"
            " WHERE q.id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": list(set(ids))},
    )
    return {row[0]: QuestionFacts(QuestionKind(row[1]), row[2], row[3], row[4]) for row in rows}


async def plan_owners(db: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = await db.execute(
        text(
            "SELECT id, student_id FROM adaptive.study_plans WHERE id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": list(set(ids))},
    )
    return {row[0]: row[1] for row in rows}


async def student_account(db: AsyncSession, user_id: uuid.UUID) -> tuple[str, bool] | None:
    """(role, is_active) of an account, or None."""
    row = (
        await db.execute(
            text("SELECT role, is_active FROM adaptive.users WHERE id = :id"), {"id": user_id}
        )
    ).first()
    return None if row is None else (row[0], row[1])


# ---- writing facts -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttemptRow:
    id: uuid.UUID
    student_id: uuid.UUID
    question_id: uuid.UUID
    answer: str
    is_correct: bool
    time_taken_seconds: float
    confidence: int | None
    attempted_at: datetime
    device_id: str
    sync_operation_id: uuid.UUID


_INSERT_ATTEMPTS = text("""
INSERT INTO adaptive.question_attempts (id, student_id, question_id, answer, is_correct,
    time_taken_seconds, confidence, attempted_at, device_id, sync_operation_id)
SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:students AS uuid[]), CAST(:questions AS uuid[]),
    CAST(:answers AS text[]), CAST(:correct AS boolean[]), CAST(:times AS float8[]),
    CAST(:confidences AS smallint[]), CAST(:attempted AS timestamptz[]),
    CAST(:devices AS text[]), CAST(:operations AS uuid[]))
ON CONFLICT DO NOTHING
RETURNING id
""")


async def insert_attempts(db: AsyncSession, rows: Sequence[AttemptRow]) -> set[uuid.UUID]:
    """Insert attempts whose id (and operation) are new; returns the ids inserted."""
    if not rows:
        return set()
    result = await db.execute(
        _INSERT_ATTEMPTS,
        {
            "ids": [r.id for r in rows],
            "students": [r.student_id for r in rows],
            "questions": [r.question_id for r in rows],
            "answers": [r.answer for r in rows],
            "correct": [r.is_correct for r in rows],
            "times": [r.time_taken_seconds for r in rows],
            "confidences": [r.confidence for r in rows],
            "attempted": [r.attempted_at for r in rows],
            "devices": [r.device_id for r in rows],
            "operations": [r.sync_operation_id for r in rows],
        },
    )
    return {row[0] for row in result}


async def existing_attempts(
    db: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, str, datetime]]:
    """(student, question, answer, attempted_at) of attempts already stored."""
    rows = await db.execute(
        text(
            "SELECT id, student_id, question_id, answer, attempted_at"
            " FROM adaptive.question_attempts WHERE id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": list(ids)},
    )
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


@dataclass(frozen=True, slots=True)
class PlanEventRow:
    id: uuid.UUID
    plan_id: uuid.UUID
    student_id: uuid.UUID
    kind: str
    day: date
    concept_code: str | None
    minutes: int
    occurred_at: datetime
    device_id: str
    # None for progress recorded online (the web page, the API).
    sync_operation_id: uuid.UUID | None


_INSERT_PLAN_EVENTS = text("""
INSERT INTO adaptive.study_plan_events (id, plan_id, student_id, kind, day, concept_code,
    minutes, occurred_at, device_id, sync_operation_id)
SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:plans AS uuid[]), CAST(:students AS uuid[]),
    CAST(:kinds AS text[]), CAST(:days AS date[]), CAST(:concepts AS text[]),
    CAST(:minutes AS integer[]), CAST(:occurred AS timestamptz[]), CAST(:devices AS text[]),
    CAST(:operations AS uuid[]))
ON CONFLICT DO NOTHING
RETURNING id
""")


async def insert_plan_events(db: AsyncSession, rows: Sequence[PlanEventRow]) -> set[uuid.UUID]:
    if not rows:
        return set()
    result = await db.execute(
        _INSERT_PLAN_EVENTS,
        {
            "ids": [r.id for r in rows],
            "plans": [r.plan_id for r in rows],
            "students": [r.student_id for r in rows],
            "kinds": [r.kind for r in rows],
            "days": [r.day for r in rows],
            "concepts": [r.concept_code for r in rows],
            "minutes": [r.minutes for r in rows],
            "occurred": [r.occurred_at for r in rows],
            "devices": [r.device_id for r in rows],
            "operations": [r.sync_operation_id for r in rows],
        },
    )
    return {row[0] for row in result}


async def existing_plan_events(
    db: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, str, datetime]]:
    rows = await db.execute(
        text(
            "SELECT id, plan_id, student_id, kind, occurred_at FROM adaptive.study_plan_events"
            " WHERE id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": list(ids)},
    )
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


# ---- profiles ------------------------------------------------------------------------------


async def profile_for_update(
    db: AsyncSession, student_id: uuid.UUID
) -> tuple[uuid.UUID, dict[str, Any], dict[str, str]] | None:
    """(profile id, device-changeable fields, their clocks), the row locked."""
    row = (
        await db.execute(
            text(
                "SELECT id, exam_date, available_hours_per_week, field_clocks"
                " FROM adaptive.student_profiles WHERE user_id = :student FOR UPDATE"
            ),
            {"student": student_id},
        )
    ).first()
    if row is None:
        return None
    fields = {"exam_date": row[1], "available_hours_per_week": row[2]}
    return row[0], fields, dict(row[3] or {})


async def update_profile(
    db: AsyncSession, profile_id: uuid.UUID, changed: dict[str, Any], clocks: dict[str, str]
) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in changed)
    sql = "UPDATE adaptive.student_profiles SET field_clocks = CAST(:clocks AS jsonb), "
    sql += f"{assignments + ', ' if assignments else ''}updated_at = now() WHERE id = :id"
    await db.execute(
        text(sql), {"id": profile_id, "clocks": orjson.dumps(clocks).decode(), **changed}
    )


# ---- the device register -------------------------------------------------------------------


async def record_push(
    db: AsyncSession,
    student_id: uuid.UUID,
    device_id: str,
    applied: int,
    pending: int,
    dead_letters: int,
) -> None:
    await db.execute(
        text("""
            INSERT INTO adaptive.sync_devices AS d (student_id, device_id, last_push_at,
                pending_operations, dead_letters, operations_applied)
            VALUES (:student, :device, now(), :pending, :dead, :applied)
            ON CONFLICT (student_id, device_id) DO UPDATE SET last_push_at = now(),
                pending_operations = EXCLUDED.pending_operations,
                dead_letters = EXCLUDED.dead_letters,
                operations_applied = d.operations_applied + EXCLUDED.operations_applied
        """),
        {
            "student": student_id,
            "device": device_id,
            "pending": pending,
            "dead": dead_letters,
            "applied": applied,
        },
    )


async def record_pull(db: AsyncSession, student_id: uuid.UUID, device_id: str, cursor: int) -> None:
    await db.execute(
        text("""
            INSERT INTO adaptive.sync_devices AS d (student_id, device_id, last_pull_at, cursor)
            VALUES (:student, :device, now(), :cursor)
            ON CONFLICT (student_id, device_id) DO UPDATE SET last_pull_at = now(),
                cursor = GREATEST(d.cursor, EXCLUDED.cursor)
        """),
        {"student": student_id, "device": device_id, "cursor": cursor},
    )


__all__ = [
    "CHANGE_LOG_LOCK",
    "AttemptRow",
    "LedgerEntry",
    "PlanEventRow",
    "QuestionFacts",
    "existing_attempts",
    "existing_plan_events",
    "insert_attempts",
    "insert_plan_events",
    "ledger_owners",
    "lock_change_log",
    "plan_owners",
    "profile_for_update",
    "record_pull",
    "record_push",
    "register_operations",
    "settle_operations",
    "student_account",
    "update_profile",
]
