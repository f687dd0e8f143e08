"""What teachers and admins read of the sync: each device's state and the dead letters (the
server's ledger rows it rejected), limited to one teacher's classes when asked."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Students a viewer may see: a teacher's (the classes they teach), or everyone (:teacher null).
_VISIBLE = """
    SELECT u.id, u.username, u.full_name FROM adaptive.users u
    JOIN adaptive.student_profiles p ON p.user_id = u.id
    LEFT JOIN adaptive.classes c ON c.id = p.class_id
    WHERE u.role = 'student'
      AND (CAST(:teacher AS uuid) IS NULL OR c.teacher_id = CAST(:teacher AS uuid))
      AND (CAST(:class_id AS uuid) IS NULL OR p.class_id = CAST(:class_id AS uuid))
      AND (CAST(:student AS uuid) IS NULL OR u.id = CAST(:student AS uuid))
"""


def _scope(
    teacher: uuid.UUID | None, class_id: uuid.UUID | None, student: uuid.UUID | None
) -> dict[str, Any]:
    return {"teacher": teacher, "class_id": class_id, "student": student}


async def devices(
    db: AsyncSession,
    teacher: uuid.UUID | None,
    class_id: uuid.UUID | None,
    student: uuid.UUID | None,
    limit: int,
) -> list[dict[str, Any]]:
    rows = await db.execute(
        text(f"""
            WITH visible AS ({_VISIBLE})
            SELECT v.id AS student_id, v.username, v.full_name, d.device_id, d.last_push_at,
                   d.last_pull_at, d.cursor, d.pending_operations, d.dead_letters,
                   d.operations_applied,
                   (SELECT count(*) FROM adaptive.change_log l WHERE l.seq > d.cursor
                      AND (l.student_id = v.id OR l.student_id IS NULL)) AS changes_behind
            FROM visible v JOIN adaptive.sync_devices d ON d.student_id = v.id
            ORDER BY d.dead_letters DESC, d.pending_operations DESC,
                     GREATEST(d.last_push_at, d.last_pull_at) NULLS FIRST, v.username
            LIMIT :limit
        """),  # noqa: S608 - _VISIBLE is this module's constant
        {**_scope(teacher, class_id, student), "limit": limit},
    )
    return [dict(row._mapping) for row in rows]


async def dead_letters(
    db: AsyncSession,
    teacher: uuid.UUID | None,
    class_id: uuid.UUID | None,
    student: uuid.UUID | None,
    limit: int,
) -> list[dict[str, Any]]:
    rows = await db.execute(
        text(f"""
            WITH visible AS ({_VISIBLE})
            SELECT s.id AS operation_id, v.id AS student_id, v.username, v.full_name,
                   s.device_id, s.entity_type, s.operation, s.last_error AS reason,
                   s.attempts AS times_received, s.created_at AS first_received_at,
                   s.updated_at AS last_received_at, s.retry_requested_at
            FROM visible v JOIN adaptive.sync_operations s
                 ON s.student_id = v.id AND s.status = 'failed'
            ORDER BY s.updated_at DESC, s.id
            LIMIT :limit
        """),  # noqa: S608 - _VISIBLE is this module's constant
        {**_scope(teacher, class_id, student), "limit": limit},
    )
    return [dict(row._mapping) for row in rows]


async def request_retry(
    db: AsyncSession, teacher: uuid.UUID | None, operation_id: uuid.UUID
) -> Any:
    """Stamp a visible dead letter as to be sent again; its stamp, or None when the viewer
    cannot see such a dead letter."""
    row = await db.execute(
        text(f"""
            WITH visible AS ({_VISIBLE})
            UPDATE adaptive.sync_operations s SET retry_requested_at = now()
            FROM visible v
            WHERE s.id = :operation AND s.status = 'failed' AND s.student_id = v.id
            RETURNING s.retry_requested_at
        """),  # noqa: S608 - _VISIBLE is this module's constant
        {**_scope(teacher, None, None), "operation": operation_id},
    )
    return row.scalar_one_or_none()


async def visible_classes(
    db: AsyncSession, teacher: uuid.UUID | None
) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the classes a viewer may filter by: a teacher's own, or all."""
    rows = await db.execute(
        text(
            "SELECT id, name FROM adaptive.classes"
            " WHERE CAST(:teacher AS uuid) IS NULL OR teacher_id = CAST(:teacher AS uuid)"
            " ORDER BY grade, name"
        ),
        {"teacher": teacher},
    )
    return [(row[0], row[1]) for row in rows]


__all__ = ["dead_letters", "devices", "request_retry", "visible_classes"]
