"""The change feed, in SQL: the log rows a device has not pulled, and the current state of the
rows they name, in the shape the device stores (`device/store.py` writes them).

A pull reads the log and the rows in one statement each, under READ COMMITTED: the log's
rows a snapshot shows are a prefix of `seq` (the writers' advisory lock, migration 0015), so
a cursor never skips a row that commits later. A row may be newer than its log entry; its
newer entry then comes in a later page, and sending the same state twice is harmless.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.models import (
    Class,
    Concept,
    ConceptMastery,
    Question,
    QuestionAttempt,
    StudentProfile,
    StudyPlan,
    StudyPlanEvent,
    Topic,
    TopicPrerequisite,
    User,
)

# Entity type -> (table, columns a device holds, the column scoping it to a student or None).
ENTITIES: dict[str, tuple[Any, tuple[str, ...], str | None]] = {
    "topic": (
        Topic.__table__,
        ("id", "code", "name", "parent_id", "grade", "syllabus_weightage", "sort_order"),
        None,
    ),
    "concept": (
        Concept.__table__,
        ("id", "topic_id", "code", "name", "description", "difficulty"),
        None,
    ),
    "question": (
        Question.__table__,
        (
            "id",
            "concept_id",
            "code",
            "text",
            "kind",
            "options",
            "correct_answer",
            "difficulty",
            "discrimination",
            "explanation",
        ),
        None,
    ),
    # Never the password hash or the email.
    "user": (
        User.__table__,
        ("id", "username", "full_name", "role", "is_active", "created_at", "updated_at"),
        "id",
    ),
    "class": (Class.__table__, ("id", "name", "grade", "teacher_id", "created_at"), None),
    "student_profile": (
        StudentProfile.__table__,
        (
            "id",
            "user_id",
            "grade",
            "exam_date",
            "available_hours_per_week",
            "target_marks",
            "class_id",
            "focus_topics",
            "field_clocks",
            "created_at",
            "updated_at",
        ),
        "user_id",
    ),
    "question_attempt": (
        QuestionAttempt.__table__,
        (
            "id",
            "student_id",
            "question_id",
            "answer",
            "is_correct",
            "time_taken_seconds",
            "confidence",
            "attempted_at",
            "device_id",
            "sync_operation_id",
        ),
        "student_id",
    ),
    "concept_mastery": (
        ConceptMastery.__table__,
        (
            "id",
            "student_id",
            "concept_id",
            "mastery",
            "confidence",
            "attempts_count",
            "correct_count",
            "last_practiced_at",
            "updated_at",
        ),
        "student_id",
    ),
    "study_plan": (
        StudyPlan.__table__,
        (
            "id",
            "student_id",
            "status",
            "starts_on",
            "ends_on",
            "schedule",
            "topic_codes",
            "generated_at",
            "expected_marks",
            "baseline_marks",
            "method",
            "exam_date",
            "hours_per_week",
        ),
        "student_id",
    ),
    "study_plan_event": (
        StudyPlanEvent.__table__,
        (
            "id",
            "plan_id",
            "student_id",
            "kind",
            "day",
            "concept_code",
            "minutes",
            "occurred_at",
            "device_id",
            "sync_operation_id",
        ),
        "student_id",
    ),
}
PREREQUISITES = "topic_prerequisites"


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    entity_type: str
    entity_id: uuid.UUID


_PAGE = text("""
SELECT seq, entity_type, entity_id FROM (
    (SELECT seq, entity_type, entity_id FROM adaptive.change_log
     WHERE student_id = :student AND seq > :cursor ORDER BY seq LIMIT :limit)
    UNION ALL
    (SELECT seq, entity_type, entity_id FROM adaptive.change_log
     WHERE student_id IS NULL AND seq > :cursor ORDER BY seq LIMIT :limit)
) AS page ORDER BY seq LIMIT :limit
""")


async def log_page(
    db: AsyncSession, student_id: uuid.UUID, cursor: int, limit: int
) -> list[LogEntry]:
    rows = await db.execute(_PAGE, {"student": student_id, "cursor": cursor, "limit": limit})
    return [LogEntry(*row) for row in rows]


async def changes_behind(db: AsyncSession, student_id: uuid.UUID, cursor: int) -> int:
    row = await db.execute(
        text(
            "SELECT count(*) FROM adaptive.change_log WHERE seq > :cursor"
            " AND (student_id = :student OR student_id IS NULL)"
        ),
        {"student": student_id, "cursor": cursor},
    )
    return int(row.scalar_one())


async def epoch(db: AsyncSession) -> uuid.UUID:
    return (await db.execute(text("SELECT epoch FROM adaptive.sync_server"))).scalar_one()  # type: ignore[no-any-return]


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if hasattr(value, "value"):  # a StrEnum
        return value.value
    return value


async def current_rows(
    db: AsyncSession, entity_type: str, ids: Iterable[uuid.UUID], student_id: uuid.UUID | None
) -> dict[uuid.UUID, dict[str, Any]]:
    """The rows of `entity_type` with these ids as a device stores them (JSON values); ids
    missing from the result were deleted. Student-scoped rows of another student are never
    returned."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    if entity_type == PREREQUISITES:
        edges = await db.execute(
            select(TopicPrerequisite.topic_id, TopicPrerequisite.prerequisite_id)
            .where(TopicPrerequisite.topic_id.in_(wanted))
            .order_by(TopicPrerequisite.topic_id, TopicPrerequisite.prerequisite_id)
        )
        found: dict[uuid.UUID, dict[str, Any]] = {
            topic: {"topic_id": str(topic), "prerequisite_ids": []} for topic in wanted
        }
        for topic, prerequisite in edges:
            found[topic]["prerequisite_ids"].append(str(prerequisite))
        return found
    table, columns, scope = ENTITIES[entity_type]
    query = select(*(table.c[name] for name in columns)).where(table.c.id.in_(wanted))
    if scope is not None and student_id is not None:
        query = query.where(table.c[scope] == student_id)
    result = await db.execute(query)
    return {row.id: {k: _json(v) for k, v in row._mapping.items()} for row in result}


async def retry_requests(
    db: AsyncSession, student_id: uuid.UUID, device_id: str
) -> list[uuid.UUID]:
    rows = await db.execute(
        text(
            "SELECT id FROM adaptive.sync_operations WHERE student_id = :student"
            " AND device_id = :device AND status = 'failed' AND retry_requested_at IS NOT NULL"
            " ORDER BY created_at, id"
        ),
        {"student": student_id, "device": device_id},
    )
    return [row[0] for row in rows]


async def compact(db: AsyncSession) -> int:
    """Delete log rows a later row of the same entity supersedes (a pull sends the current
    state, so only the newest entry of each entity is ever needed)."""
    result = await db.execute(
        text("""
            DELETE FROM adaptive.change_log c USING (
                SELECT entity_type, entity_id, max(seq) AS newest FROM adaptive.change_log
                GROUP BY entity_type, entity_id HAVING count(*) > 1
            ) n
            WHERE c.entity_type = n.entity_type AND c.entity_id = n.entity_id AND c.seq < n.newest
        """)
    )
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = [
    "ENTITIES",
    "PREREQUISITES",
    "LogEntry",
    "changes_behind",
    "compact",
    "current_rows",
    "epoch",
    "log_page",
    "retry_requests",
]
