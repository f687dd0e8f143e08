"""Seed 004's offline write path, steps 1-2: a local write and its queue row are committed in
one SQLite transaction (a failure between them leaves neither), with operation ids that are
unique, stable and time-ordered, ready for idempotent upload."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import SyncOperationKind, SyncStatus
from lyceum.adaptive.models import QuestionAttempt, SyncOperation
from lyceum.adaptive.offline import AttemptInput, record_attempt_offline
from lyceum.core.db.session import committing
from tests.adaptive.rows import add_question, add_student


async def _attempt(db: AsyncSession, **overrides: object) -> AttemptInput:
    student = await add_student(db)
    question = await add_question(db)
    await db.commit()
    values: dict[str, object] = {
        "student_id": student.id, "question_id": question.id, "answer": "1",
        "is_correct": True, "time_taken_seconds": 38.0, "confidence": 4,
        "attempted_at": datetime(2026, 11, 21, 14, 5, tzinfo=UTC), "device_id": "phone-7",
    }  # fmt: skip
    return AttemptInput(**(values | overrides))  # type: ignore[arg-type]


async def _record(db: AsyncSession, attempt: AttemptInput) -> QuestionAttempt:
    """What an edge does: one unit of work around the domain function, which only flushes."""
    async with committing(db):
        return await record_attempt_offline(db, attempt)


async def _count(db: AsyncSession, model: type[object]) -> int:
    return (await db.execute(select(func.count()).select_from(model))).scalar_one()  # type: ignore[arg-type]


async def test_a_local_write_and_its_queue_row_commit_together(
    local_session: AsyncSession,
) -> None:
    attempt = await _record(local_session, await _attempt(local_session))
    local_session.expunge_all()
    stored = await local_session.get(QuestionAttempt, attempt.id)
    assert stored is not None and stored.sync_operation_id is not None
    queued = await local_session.get(SyncOperation, stored.sync_operation_id)
    assert queued is not None
    assert (queued.status, queued.operation, queued.attempts) == (
        SyncStatus.PENDING, SyncOperationKind.CREATE, 0,
    )  # fmt: skip
    assert (queued.entity_type, queued.entity_id) == ("question_attempt", attempt.id)
    assert queued.payload["id"] == str(attempt.id)
    assert queued.payload["attempted_at"] == "2026-11-21T14:05:00+00:00"


async def test_a_failing_write_leaves_no_queue_row(local_session: AsyncSession) -> None:
    # The attempt names a question that does not exist: its foreign key fails at commit.
    bad = await _attempt(local_session, question_id=uuid.uuid4())
    before = await _count(local_session, SyncOperation)
    with pytest.raises(IntegrityError):
        await _record(local_session, bad)
    assert await _count(local_session, SyncOperation) == before
    assert await _count(local_session, QuestionAttempt) == 0


async def test_a_failing_queue_row_leaves_no_write(local_session: AsyncSession) -> None:
    good = await _attempt(local_session)

    # Make the queue insert fail after the attempt's insert went through.
    def refuse_queue(_mapper: object, _connection: object, target: SyncOperation) -> None:
        target.device_id = None  # type: ignore[assignment]  # NOT NULL

    inserted: list[uuid.UUID] = []

    def note_attempt(_mapper: object, _connection: object, target: QuestionAttempt) -> None:
        inserted.append(target.id)

    event.listen(SyncOperation, "before_insert", refuse_queue)
    event.listen(QuestionAttempt, "after_insert", note_attempt)
    try:
        with pytest.raises(IntegrityError, match="NOT NULL"):
            await _record(local_session, good)
    finally:
        event.remove(SyncOperation, "before_insert", refuse_queue)
        event.remove(QuestionAttempt, "after_insert", note_attempt)
    # The attempt's INSERT had gone through; the rollback took it back.
    assert len(inserted) == 1
    assert await _count(local_session, QuestionAttempt) == 0
    assert await _count(local_session, SyncOperation) == 0


async def test_operation_ids_are_unique_version_7_and_time_ordered(
    local_session: AsyncSession,
) -> None:
    first = await _attempt(local_session)
    ids = []
    for _ in range(20):
        attempt = await _record(local_session, first)
        ids.append(attempt.sync_operation_id)
    assert len(set(ids)) == 20
    assert all(op is not None and op.version == 7 for op in ids)
    # Millisecond timestamps in the top 48 bits never go backwards.
    stamps = [op.int >> 80 for op in ids if op is not None]
    assert stamps == sorted(stamps)
    pending = await local_session.execute(
        select(SyncOperation.id)
        .where(SyncOperation.status == SyncStatus.PENDING)
        .order_by(SyncOperation.created_at, SyncOperation.id)
    )
    assert list(pending.scalars()) == ids


async def test_the_domain_function_leaves_the_commit_to_the_edge(
    local_session: AsyncSession,
) -> None:
    attempt = await _attempt(local_session)
    written = await record_attempt_offline(local_session, attempt)
    # Flushed (the rows are visible in this transaction) but not committed: the edge decides.
    assert await _count(local_session, SyncOperation) == 1
    assert written.sync_operation_id is not None
    await local_session.rollback()
    assert await _count(local_session, SyncOperation) == 0
    assert await _count(local_session, QuestionAttempt) == 0
