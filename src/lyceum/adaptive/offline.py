"""Seed 004's dual-database pattern, steps 1 and 2: a local write and its `sync_operations`
row are committed in one SQLite transaction, so neither exists without the other. Steps 3
and 4 (upload when online, apply idempotently by operation id, mark completed) belong to the
sync engine; the queue's states are `SyncStatus`.

Operation ids are UUIDv7 (RFC 9562): unique without coordination, made on the device and
stored before anything is sent, so a retried upload carries the same id; time-ordered, so
the queue drains oldest first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import SyncOperationKind, SyncStatus
from lyceum.adaptive.models import QuestionAttempt, SyncOperation
from lyceum.core.ids import uuid7


@dataclass(frozen=True)
class AttemptInput:
    student_id: uuid.UUID
    question_id: uuid.UUID
    answer: str
    is_correct: bool
    time_taken_seconds: float
    confidence: int | None
    attempted_at: datetime
    device_id: str


async def record_attempt_offline(db: AsyncSession, attempt: AttemptInput) -> QuestionAttempt:
    """Write the attempt and queue its upload in `db`'s transaction (flushed, not committed):
    the edge that owns the session (`local_session()`, `get_sqlite_db`) commits both or
    neither."""
    operation_id = uuid7()
    row = QuestionAttempt(
        id=uuid7(),
        student_id=attempt.student_id,
        question_id=attempt.question_id,
        answer=attempt.answer,
        is_correct=attempt.is_correct,
        time_taken_seconds=attempt.time_taken_seconds,
        confidence=attempt.confidence,
        attempted_at=attempt.attempted_at,
        device_id=attempt.device_id,
        sync_operation_id=operation_id,
    )
    queued = SyncOperation(
        id=operation_id,
        device_id=attempt.device_id,
        student_id=attempt.student_id,
        entity_type="question_attempt",
        entity_id=row.id,
        operation=SyncOperationKind.CREATE,
        payload={
            "id": str(row.id),
            "student_id": str(attempt.student_id),
            "question_id": str(attempt.question_id),
            "answer": attempt.answer,
            "is_correct": attempt.is_correct,
            "time_taken_seconds": attempt.time_taken_seconds,
            "confidence": attempt.confidence,
            "attempted_at": attempt.attempted_at.astimezone(UTC).isoformat(),
            "device_id": attempt.device_id,
        },
        status=SyncStatus.PENDING,
    )
    db.add_all([row, queued])
    await db.flush()
    return row


__all__ = ["AttemptInput", "record_attempt_offline"]
