"""The device's local database as the sync sees it: the queue of operations (seed 004's
`sync_operations`), the cursor and clock (`sync_state`), and the rows pulled from the server.

Every method is one SQLite transaction (`BEGIN IMMEDIATE`, see `local.py`), so a process
killed at any point leaves the database as it was before the method or after it:

- sending a batch marks it `in_progress` first; an answer not received leaves it so, and the
  batch is sent again (the server answers "duplicate" for what it applied);
- an answer is recorded in one transaction: `completed`, or `failed` with the reason (the
  dead letter); a network failure changes nothing;
- a page of pulled changes and the cursor after it are written together.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Row, Table, Uuid, delete, func, insert, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.adaptive import schemas
from lyceum.adaptive.enums import SyncOperationKind, SyncStatus
from lyceum.adaptive.local import local_sessionmaker, sync_state
from lyceum.adaptive.models import (
    Class,
    Concept,
    ConceptMastery,
    Question,
    QuestionAttempt,
    StudentProfile,
    StudyPlan,
    StudyPlanEvent,
    SyncOperation,
    Topic,
    TopicPrerequisite,
    User,
)
from lyceum.adaptive.offline import AttemptInput, record_attempt_offline
from lyceum.adaptive.sync import Clock, HybridClock
from lyceum.adaptive.sync.merge import DEVICE_FIELDS
from lyceum.adaptive.types import UTCDateTime
from lyceum.core.db.session import committing
from lyceum.core.ids import uuid7

# Entity type -> table, for rows the server sends (keyed by `id`).
TABLES: dict[str, Any] = {
    "topic": Topic.__table__,
    "concept": Concept.__table__,
    "question": Question.__table__,
    "user": User.__table__,
    "class": Class.__table__,
    "student_profile": StudentProfile.__table__,
    "question_attempt": QuestionAttempt.__table__,
    "concept_mastery": ConceptMastery.__table__,
    "study_plan": StudyPlan.__table__,
    "study_plan_event": StudyPlanEvent.__table__,
}
# What an epoch change empties, children first (the queue is kept: it is the device's own).
PULLED_TABLES: tuple[Any, ...] = (
    StudyPlanEvent.__table__,
    StudyPlan.__table__,
    ConceptMastery.__table__,
    QuestionAttempt.__table__,
    Question.__table__,
    Concept.__table__,
    TopicPrerequisite.__table__,
    Topic.__table__,
    StudentProfile.__table__,
    Class.__table__,
    User.__table__,
)
# A pulled account row has no password here: the device never signs in locally with it.
NO_PASSWORD = "!"  # noqa: S105 - a marker that no Argon2 hash can equal
OPEN = (SyncStatus.PENDING.value, SyncStatus.IN_PROGRESS.value)


@dataclass(frozen=True, slots=True)
class DeviceState:
    device_id: str
    student_id: uuid.UUID | None
    server_url: str | None
    token: str | None
    epoch: uuid.UUID | None
    cursor: int
    clock: str | None
    last_push_at: datetime | None
    last_pull_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True, slots=True)
class Batch:
    """Operations taken for one push, and what stays behind them (reported to the server)."""

    operations: list[schemas.PushedOperation]
    waiting_after: int
    dead_letters: int


@dataclass(frozen=True, slots=True)
class QueuedChange:
    """A profile change queued for upload: its operation and the clock stamp it carries."""

    operation_id: uuid.UUID
    clock: str


@dataclass(frozen=True, slots=True)
class QueueCounts:
    pending: int
    in_progress: int
    completed: int
    failed: int

    @property
    def waiting(self) -> int:
        return self.pending + self.in_progress


def default_device_id() -> str:
    host = "".join(ch for ch in socket.gethostname() if ch.isalnum() or ch in "-._")[:60]
    return f"{host or 'device'}-{uuid.uuid4().hex[:8]}"


def _from_json(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A pulled row's JSON values as the columns' Python types."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name not in table.c:
            continue
        column_type = table.c[name].type
        if value is None:
            out[name] = None
        elif isinstance(column_type, Uuid):
            out[name] = uuid.UUID(value)
        elif isinstance(column_type, UTCDateTime):
            out[name] = datetime.fromisoformat(value)
        elif isinstance(column_type, Date):
            out[name] = date.fromisoformat(value)
        else:
            out[name] = value
    return out


async def _state_row(db: AsyncSession, device_id: str | None = None) -> Row[Any]:
    """The device's state row, inserted on first use, in `db`'s transaction."""
    row = (await db.execute(select(sync_state))).first()
    if row is None:
        await db.execute(
            insert(sync_state).values(id=1, device_id=device_id or default_device_id())
        )
        row = (await db.execute(select(sync_state))).one()
    return row


class DeviceStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = local_sessionmaker(engine)

    def _session(self) -> Any:
        return committing(self._sessions())

    # ---- state ------------------------------------------------------------------------------

    async def state(self, device_id: str | None = None) -> DeviceState:
        """The device's state row, made on first use (with `device_id`, or one from the host
        name)."""
        async with self._session() as db:
            row = await _state_row(db, device_id)
        values = dict(row._mapping)
        values.pop("id")
        return DeviceState(**values)

    async def sign_in(self, server_url: str, token: str, student_id: uuid.UUID) -> None:
        await self.state()
        async with self._session() as db:
            await db.execute(
                update(sync_state).values(server_url=server_url, token=token, student_id=student_id)
            )

    async def note_error(self, message: str | None) -> None:
        async with self._session() as db:
            await db.execute(
                update(sync_state).values(
                    last_error=message, last_error_at=datetime.now(UTC) if message else None
                )
            )

    # ---- local writes (steps 1-2 of seed 004's pattern) -----------------------------------

    async def record_attempt(self, attempt: AttemptInput) -> uuid.UUID:
        async with self._session() as db:
            row = await record_attempt_offline(db, attempt)
            return row.id

    async def record_profile_change(
        self, student_id: uuid.UUID, fields: dict[str, Any]
    ) -> QueuedChange:
        """Change profile fields locally and queue the change, stamped by the device's clock.
        The clock is read and advanced in the change's own (immediate) transaction, so two
        processes on one device never issue the same stamp."""
        for name in fields:
            if name not in DEVICE_FIELDS:
                raise ValueError(f"{name} is not a field a device may change")
        async with self._session() as db:
            state = await _state_row(db)
            clock = HybridClock(state.device_id, Clock.decode(state.clock) if state.clock else None)
            stamp = clock.now(int(datetime.now(UTC).timestamp() * 1000)).encode()
            profile = (
                await db.execute(select(StudentProfile).where(StudentProfile.user_id == student_id))
            ).scalar_one_or_none()
            if profile is not None:
                for name, value in fields.items():
                    setattr(profile, name, value)
                profile.field_clocks = {**profile.field_clocks, **dict.fromkeys(fields, stamp)}
            operation_id = uuid7()
            db.add(
                SyncOperation(
                    id=operation_id,
                    device_id=state.device_id,
                    student_id=student_id,
                    entity_type="student_profile",
                    entity_id=profile.id if profile is not None else student_id,
                    operation=SyncOperationKind.UPDATE,
                    payload={
                        "student_id": str(student_id),
                        "fields": {
                            k: v.isoformat() if isinstance(v, date) else v
                            for k, v in fields.items()
                        },
                        "clock": stamp,
                    },
                    status=SyncStatus.PENDING,
                )
            )
            await db.execute(update(sync_state).values(clock=stamp))
        return QueuedChange(operation_id=operation_id, clock=stamp)

    # ---- the queue --------------------------------------------------------------------------

    async def counts(self) -> QueueCounts:
        async with self._session() as db:
            rows = dict(
                (
                    await db.execute(
                        select(SyncOperation.status, func.count()).group_by(SyncOperation.status)
                    )
                ).all()
            )
        return QueueCounts(
            pending=rows.get(SyncStatus.PENDING, 0),
            in_progress=rows.get(SyncStatus.IN_PROGRESS, 0),
            completed=rows.get(SyncStatus.COMPLETED, 0),
            failed=rows.get(SyncStatus.FAILED, 0),
        )

    async def take_batch(self, limit: int) -> Batch:
        """The oldest operations not yet acknowledged (a batch sent before whose answer was
        lost comes first), marked `in_progress` and counted as tried; with the queue's counts
        read in the same transaction."""
        async with self._session() as db:
            rows = (
                (
                    await db.execute(
                        select(SyncOperation)
                        .where(SyncOperation.status.in_(OPEN))
                        .order_by(SyncOperation.created_at, SyncOperation.id)
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                return Batch(operations=[], waiting_after=0, dead_letters=0)
            await db.execute(
                update(SyncOperation)
                .where(SyncOperation.id.in_([row.id for row in rows]))
                .values(
                    status=SyncStatus.IN_PROGRESS,
                    attempts=SyncOperation.attempts + 1,
                    updated_at=datetime.now(UTC),
                )
            )
            counts = dict(
                (
                    await db.execute(
                        select(SyncOperation.status, func.count()).group_by(SyncOperation.status)
                    )
                ).all()
            )
            waiting = counts.get(SyncStatus.PENDING, 0) + counts.get(SyncStatus.IN_PROGRESS, 0)
            return Batch(
                operations=[
                    schemas.PushedOperation(
                        id=row.id,
                        entity_type=row.entity_type,
                        entity_id=row.entity_id,
                        operation=row.operation.value,
                        payload=row.payload,
                    )
                    for row in rows
                ],
                waiting_after=max(waiting - len(rows), 0),
                dead_letters=counts.get(SyncStatus.FAILED, 0),
            )

    async def settle(self, results: Sequence[schemas.OperationResult]) -> None:
        """Record the server's answers: applied or duplicate → completed; rejected → the dead
        letter, with the reason."""
        now = datetime.now(UTC)
        done = [r.id for r in results if r.status != schemas.OperationOutcome.REJECTED]
        rejected = [r for r in results if r.status == schemas.OperationOutcome.REJECTED]
        async with self._session() as db:
            if done:
                await db.execute(
                    update(SyncOperation)
                    .where(SyncOperation.id.in_(done), SyncOperation.status != SyncStatus.COMPLETED)
                    .values(
                        status=SyncStatus.COMPLETED, synced_at=now, last_error=None, updated_at=now
                    )
                )
            for result in rejected:
                await db.execute(
                    update(SyncOperation)
                    .where(
                        SyncOperation.id == result.id, SyncOperation.status != SyncStatus.COMPLETED
                    )
                    .values(status=SyncStatus.FAILED, last_error=result.reason, updated_at=now)
                )
            await db.execute(update(sync_state).values(last_push_at=now, last_error=None))

    async def dead_letters(self) -> list[SyncOperation]:
        async with self._session() as db:
            return list(
                (
                    await db.execute(
                        select(SyncOperation)
                        .where(SyncOperation.status == SyncStatus.FAILED)
                        .order_by(SyncOperation.created_at, SyncOperation.id)
                    )
                ).scalars()
            )

    async def retry(self, operation_ids: Iterable[uuid.UUID] | None = None) -> int:
        """Move dead letters (these, or all) back to the queue; returns how many moved."""
        async with self._session() as db:
            query = update(SyncOperation).where(SyncOperation.status == SyncStatus.FAILED)
            if operation_ids is not None:
                query = query.where(SyncOperation.id.in_(list(operation_ids)))
            result = await db.execute(
                query.values(status=SyncStatus.PENDING, updated_at=datetime.now(UTC))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    # ---- pulled changes ---------------------------------------------------------------------

    async def apply_pull(self, page: schemas.PullResponse) -> int | None:
        """Apply a page of the server's changes and store the cursor after it, in one
        transaction; returns the changes applied. A page of another epoch than the device's
        (the server's data was regenerated) is not applied: what was pulled is emptied (not
        the queue), the cursor goes back to 0, and None says to pull again."""
        state = await self.state()
        async with self._session() as db:
            await db.execute(text("PRAGMA defer_foreign_keys = ON"))
            if state.epoch is not None and state.epoch != page.epoch:
                for table in PULLED_TABLES:
                    await db.execute(delete(table))
                await db.execute(update(sync_state).values(epoch=page.epoch, cursor=0))
                return None
            await self._apply_changes(db, page.changes)
            if page.retry_operations:
                await db.execute(
                    update(SyncOperation)
                    .where(
                        SyncOperation.id.in_(page.retry_operations),
                        SyncOperation.status == SyncStatus.FAILED,
                    )
                    .values(status=SyncStatus.PENDING, updated_at=datetime.now(UTC))
                )
            await db.execute(
                update(sync_state).values(
                    epoch=page.epoch, cursor=page.cursor, last_pull_at=datetime.now(UTC)
                )
            )
        return len(page.changes)

    async def _apply_changes(self, db: AsyncSession, changes: Sequence[schemas.Change]) -> None:
        """Upserts go in one statement per table (and set of columns), executed for all its
        rows at once; prerequisite sets and deletes follow, in the page's order. The order
        between entities does not matter: a page names each entity once, and foreign keys are
        checked at commit (`defer_foreign_keys`)."""
        upserts: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
        others: list[schemas.Change] = []
        for change in changes:
            table = TABLES.get(change.entity_type)
            if change.entity_type == "topic_prerequisites" or (
                table is not None and (change.op == schemas.ChangeKind.DELETE or change.row is None)
            ):
                others.append(change)
                continue
            if table is None or change.row is None:
                continue  # a type this device version does not keep
            values = _from_json(table, change.row)
            if change.entity_type == "student_profile":
                values = await self._merge_profile(db, values)
            if change.entity_type == "user":
                values.setdefault("password_hash", NO_PASSWORD)
            upserts.setdefault((change.entity_type, tuple(values)), []).append(values)
        for (entity_type, columns), rows in upserts.items():
            table = TABLES[entity_type]
            keys = ["student_id", "concept_id"] if entity_type == "concept_mastery" else ["id"]
            statement = sqlite_insert(table)
            updates = {
                k: statement.excluded[k] for k in columns if k not in keys and k != "password_hash"
            }
            await db.execute(
                statement.on_conflict_do_update(index_elements=keys, set_=updates), rows
            )
        for change in others:
            await self._apply_other(db, change)

    async def _apply_other(self, db: AsyncSession, change: schemas.Change) -> None:
        """A topic's prerequisite set (replaced whole), or a deleted row."""
        if change.entity_type == "topic_prerequisites":
            await db.execute(
                delete(TopicPrerequisite).where(TopicPrerequisite.topic_id == change.entity_id)
            )
            prerequisites = (change.row or {}).get("prerequisite_ids", [])
            if prerequisites:
                await db.execute(
                    insert(TopicPrerequisite),
                    [
                        {"topic_id": change.entity_id, "prerequisite_id": uuid.UUID(p)}
                        for p in prerequisites
                    ],
                )
            return
        table = TABLES[change.entity_type]
        if not await self._needed_by_own_attempts(db, change.entity_type, change.entity_id):
            await db.execute(delete(table).where(table.c.id == change.entity_id))

    async def _needed_by_own_attempts(
        self, db: AsyncSession, entity_type: str, entity_id: uuid.UUID
    ) -> bool:
        """Whether a question (or its concept or topic) the server deleted is still answered
        by an attempt on this device. Such an attempt is the device's own, never applied by
        the server (one there would have kept the question from being deleted), so it is in
        the queue or a dead letter; deleting the question under it would fail the page's
        foreign keys at commit and wedge every later pull. The row stays until the attempt is
        resolved (the question may be published again, and the dead letter retried)."""
        query = select(QuestionAttempt.id).join(
            Question, Question.id == QuestionAttempt.question_id
        )
        if entity_type == "question":
            query = query.where(Question.id == entity_id)
        elif entity_type == "concept":
            query = query.where(Question.concept_id == entity_id)
        elif entity_type == "topic":
            query = query.join(Concept, Concept.id == Question.concept_id).where(
                Concept.topic_id == entity_id
            )
        else:
            return False
        return await db.scalar(query.limit(1)) is not None

    async def _merge_profile(self, db: AsyncSession, incoming: dict[str, Any]) -> dict[str, Any]:
        """Keep a local field whose clock is newer than the server's (a change not yet pushed,
        or pushed after the server wrote this row)."""
        local = (
            await db.execute(
                select(
                    StudentProfile.exam_date,
                    StudentProfile.available_hours_per_week,
                    StudentProfile.field_clocks,
                ).where(StudentProfile.id == incoming["id"])
            )
        ).first()
        if local is None:
            return incoming
        clocks = dict(incoming.get("field_clocks") or {})
        local_fields = {"exam_date": local[0], "available_hours_per_week": local[1]}
        for name in DEVICE_FIELDS:
            mine = (local[2] or {}).get(name, "")
            if mine > clocks.get(name, ""):
                incoming[name] = local_fields[name]
                clocks[name] = mine
        incoming["field_clocks"] = clocks
        return incoming


__all__ = [
    "Batch",
    "DeviceState",
    "DeviceStore",
    "QueueCounts",
    "QueuedChange",
    "default_device_id",
]
