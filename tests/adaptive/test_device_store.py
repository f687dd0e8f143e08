"""The device's side of the sync on a real SQLite file (`device/store.py`): the queue's
states, the dead letters, local profile edits, and pulled pages applied atomically with their
cursor. The client (`SyncClient`) and the server are left out: these are the store's own
guarantees, which the end-to-end tests rely on."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from lyceum.adaptive import schemas
from lyceum.adaptive.device import DeviceStore
from lyceum.adaptive.device.store import NO_PASSWORD, PULLED_TABLES
from lyceum.adaptive.enums import SyncOperationKind, SyncStatus, UserRole
from lyceum.adaptive.local import create_local_engine, local_sessionmaker, sync_state
from lyceum.adaptive.models import (
    Concept,
    ConceptMastery,
    Question,
    QuestionAttempt,
    StudentProfile,
    SyncOperation,
    Topic,
    TopicPrerequisite,
    User,
)
from lyceum.adaptive.sync import PROFILE, Clock, ProfilePayload, parse_payload

DEVICE = "phone-1"
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
OUTCOME = schemas.OperationOutcome


@pytest.fixture
async def store(local_engine: AsyncEngine) -> DeviceStore:
    device = DeviceStore(local_engine)
    await device.state(DEVICE)
    return device


# ---- the queue ---------------------------------------------------------------------------


async def queue(engine: AsyncEngine, count: int) -> list[uuid.UUID]:
    """`count` pending operations, returned oldest first; inserted in a shuffled order with
    random ids, so neither insertion order nor id order is the queue's order."""
    ids = [uuid.uuid4() for _ in range(count)]
    rows = [
        {
            "id": op_id,
            "device_id": DEVICE,
            "student_id": uuid.UUID(int=1),
            "entity_type": "question_attempt",
            "entity_id": uuid.uuid4(),
            "operation": SyncOperationKind.CREATE,
            "payload": {"n": index},
            "status": SyncStatus.PENDING,
            "created_at": T0 + timedelta(seconds=index),
            "updated_at": T0 + timedelta(seconds=index),
        }
        for index, op_id in enumerate(ids)
    ]
    random.Random(count).shuffle(rows)
    async with local_sessionmaker(engine)() as db, db.begin():
        await db.execute(insert(SyncOperation), rows)
    return ids


async def operations(engine: AsyncEngine) -> dict[uuid.UUID, SyncOperation]:
    async with local_sessionmaker(engine)() as db:
        return {op.id: op for op in (await db.execute(select(SyncOperation))).scalars()}


async def test_take_batch_takes_the_oldest_and_marks_them_sent(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    ids = await queue(local_engine, 5)
    batch = await store.take_batch(3)
    assert [op.id for op in batch.operations] == ids[:3]
    assert [op.payload for op in batch.operations] == [{"n": 0}, {"n": 1}, {"n": 2}]
    # What the push reports to the server: two more waiting behind it, no dead letter.
    assert (batch.waiting_after, batch.dead_letters) == (2, 0)
    rows = await operations(local_engine)
    assert [rows[i].status for i in ids] == [SyncStatus.IN_PROGRESS] * 3 + [SyncStatus.PENDING] * 2
    assert [rows[i].attempts for i in ids] == [1, 1, 1, 0, 0]
    counts = await store.counts()
    assert (counts.pending, counts.in_progress, counts.waiting) == (2, 3, 5)


async def test_a_batch_whose_answer_was_lost_is_sent_again_first_after_a_crash(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    ids = await queue(local_engine, 4)
    assert [op.id for op in (await store.take_batch(2)).operations] == ids[:2]
    # The process dies before the server's answer arrives: a fresh engine on the same file.
    await local_engine.dispose()
    restarted = create_local_engine(local_engine.url)
    try:
        again = await DeviceStore(restarted).take_batch(3)
        assert [op.id for op in again.operations] == ids[:3]
        rows = await operations(restarted)
        assert [rows[i].attempts for i in ids] == [2, 2, 1, 0]
    finally:
        await restarted.dispose()


async def test_empty_queue_takes_nothing(store: DeviceStore) -> None:
    assert (await store.take_batch(10)).operations == []
    counts = await store.counts()
    assert (counts.pending, counts.in_progress, counts.completed, counts.failed) == (0, 0, 0, 0)


def _result(op_id: uuid.UUID, status: schemas.OperationOutcome, reason: str | None = None) -> Any:
    return schemas.OperationResult(id=op_id, status=status, reason=reason)


async def test_settle_completes_applied_and_duplicates_and_dead_letters_rejections(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    ids = await queue(local_engine, 4)
    await store.take_batch(4)
    await store.settle(
        [
            _result(ids[0], OUTCOME.APPLIED),
            _result(ids[1], OUTCOME.DUPLICATE),
            _result(ids[2], OUTCOME.REJECTED, "question_id: no such question"),
        ]
    )
    rows = await operations(local_engine)
    for op_id in ids[:2]:
        assert rows[op_id].status == SyncStatus.COMPLETED
        assert rows[op_id].synced_at is not None and rows[op_id].last_error is None
    assert rows[ids[2]].status == SyncStatus.FAILED
    assert rows[ids[2]].last_error == "question_id: no such question"
    assert rows[ids[2]].synced_at is None
    # No answer for the last one: still sent-but-unanswered, not failed.
    assert rows[ids[3]].status == SyncStatus.IN_PROGRESS
    counts = await store.counts()
    assert (counts.completed, counts.failed, counts.in_progress) == (2, 1, 1)
    assert [op.id for op in await store.dead_letters()] == [ids[2]]
    assert (await store.state()).last_push_at is not None
    # A dead letter does not hold up the queue: the next batch skips it.
    assert [op.id for op in (await store.take_batch(10)).operations] == [ids[3]]


async def test_a_late_rejection_never_undoes_a_completion(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    ids = await queue(local_engine, 1)
    await store.take_batch(1)
    await store.settle([_result(ids[0], OUTCOME.APPLIED)])
    completed = (await operations(local_engine))[ids[0]]
    # A stale answer to an earlier copy of the batch arrives afterwards.
    await store.settle([_result(ids[0], OUTCOME.REJECTED, "stale")])
    await store.settle([_result(ids[0], OUTCOME.DUPLICATE)])
    after = (await operations(local_engine))[ids[0]]
    assert after.status == SyncStatus.COMPLETED
    assert after.last_error is None
    assert after.synced_at == completed.synced_at


async def test_retry_moves_dead_letters_back_to_the_queue(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    ids = await queue(local_engine, 4)
    await store.take_batch(4)
    await store.settle(
        [_result(ids[0], OUTCOME.APPLIED)]
        + [_result(i, OUTCOME.REJECTED, f"bad {n}") for n, i in enumerate(ids[1:])]
    )
    # Only failed ones move: a completed id, an unknown id are ignored.
    assert await store.retry([ids[1], ids[0], uuid.uuid4()]) == 1
    rows = await operations(local_engine)
    assert rows[ids[1]].status == SyncStatus.PENDING
    assert rows[ids[0]].status == SyncStatus.COMPLETED
    assert [op.id for op in await store.dead_letters()] == ids[2:]
    assert await store.retry() == 2
    assert await store.dead_letters() == []
    assert await store.retry() == 0
    # Retried operations go out again, oldest first; one that is then applied is completed.
    batch = await store.take_batch(10)
    assert [op.id for op in batch.operations] == ids[1:]
    await store.settle([_result(ids[1], OUTCOME.APPLIED)])
    assert (await operations(local_engine))[ids[1]].status == SyncStatus.COMPLETED


# ---- local profile edits -----------------------------------------------------------------


async def add_local_student(engine: AsyncEngine) -> tuple[uuid.UUID, uuid.UUID]:
    """A student and their profile in the device's database: (student id, profile id)."""
    student, profile = uuid.uuid4(), uuid.uuid4()
    async with local_sessionmaker(engine)() as db, db.begin():
        db.add(User(id=student, username=f"s-{student.hex[:8]}", role=UserRole.STUDENT,
                    password_hash=NO_PASSWORD))  # fmt: skip
        await db.flush()
        db.add(StudentProfile(id=profile, user_id=student, grade=10, available_hours_per_week=6))
    return student, profile


async def local_profile(engine: AsyncEngine, profile_id: uuid.UUID) -> StudentProfile:
    async with local_sessionmaker(engine)() as db:
        profile: StudentProfile = (
            await db.execute(select(StudentProfile).where(StudentProfile.id == profile_id))
        ).scalar_one()
        return profile


async def test_a_profile_change_is_written_locally_and_queued_with_a_rising_clock(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    student, profile_id = await add_local_student(local_engine)
    first = await store.record_profile_change(student, {"available_hours_per_week": 9.5})
    second = await store.record_profile_change(
        student, {"exam_date": date(2027, 3, 1), "available_hours_per_week": 10.0}
    )
    profile = await local_profile(local_engine, profile_id)
    assert profile.available_hours_per_week == 10.0
    assert profile.exam_date == date(2027, 3, 1)
    rows = await operations(local_engine)
    one, two = rows[first.operation_id], rows[second.operation_id]
    stamp_one, stamp_two = one.payload["clock"], two.payload["clock"]
    assert (first.clock, second.clock) == (stamp_one, stamp_two)
    # Two changes within the same millisecond still order (the hybrid clock's counter).
    assert stamp_two > stamp_one
    assert Clock.decode(stamp_two).node == DEVICE
    assert profile.field_clocks == {"exam_date": stamp_two, "available_hours_per_week": stamp_two}
    assert (await store.state()).clock == stamp_two
    assert (two.entity_type, two.operation, two.status) == (
        "student_profile",
        SyncOperationKind.UPDATE,
        SyncStatus.PENDING,
    )
    assert two.entity_id == profile_id and two.student_id == student
    assert two.payload["fields"] == {"exam_date": "2027-03-01", "available_hours_per_week": 10.0}
    # What the device queues is what the server accepts.
    parsed = parse_payload(*PROFILE, two.entity_id, DEVICE, student, two.payload, datetime.now(UTC))
    assert isinstance(parsed, ProfilePayload)
    assert parsed.written() == {"exam_date": date(2027, 3, 1), "available_hours_per_week": 10.0}


async def test_the_clock_keeps_rising_after_a_stamp_from_the_future_was_stored(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    student, _ = await add_local_student(local_engine)
    # The device's stored clock is ahead of its wall clock (it was, and then was corrected).
    ahead = Clock(int((datetime.now(UTC) + timedelta(hours=2)).timestamp() * 1000), 7, DEVICE)
    async with local_sessionmaker(local_engine)() as db, db.begin():
        await db.execute(sync_state.update().values(clock=ahead.encode()))
    change = await store.record_profile_change(student, {"available_hours_per_week": 3.0})
    assert (await operations(local_engine))[change.operation_id].payload["clock"] > ahead.encode()


async def test_a_field_a_device_may_not_change_is_refused_and_nothing_queued(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    student, profile_id = await add_local_student(local_engine)
    with pytest.raises(ValueError, match="grade"):
        await store.record_profile_change(student, {"grade": 11})
    assert await operations(local_engine) == {}
    assert (await local_profile(local_engine, profile_id)).grade == 10


async def test_a_profile_change_before_the_first_pull_is_still_queued(store: DeviceStore) -> None:
    student = uuid.uuid4()
    change = await store.record_profile_change(student, {"available_hours_per_week": 4.0})
    assert [op.id for op in (await store.take_batch(5)).operations] == [change.operation_id]


# ---- pulled pages ------------------------------------------------------------------------

EPOCH = uuid.UUID("018f0000-0000-7000-8000-0000000e0001")


class Graph:
    """A small server world as pull rows (JSON values, as `repository/changes.py` sends)."""

    def __init__(self) -> None:
        self.teacher, self.student, self.group = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.profile, self.topic, self.concept = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.question, self.attempt, self.mastery = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.operation = uuid.uuid4()
        self.stamp = T0.isoformat()

    def user(self, user_id: uuid.UUID, role: str) -> dict[str, Any]:
        return {"id": str(user_id), "username": f"{role}-{user_id.hex[:6]}", "full_name": None,
                "role": role, "is_active": True, "created_at": self.stamp,
                "updated_at": self.stamp}  # fmt: skip

    def profile_row(self, **changes: Any) -> dict[str, Any]:
        row = {"id": str(self.profile), "user_id": str(self.student), "grade": 10,
               "exam_date": None, "available_hours_per_week": 6.0, "class_id": str(self.group),
               "focus_topics": [], "field_clocks": {}, "created_at": self.stamp,
               "updated_at": self.stamp}  # fmt: skip
        row.update(changes)
        return row

    def rows(self) -> list[tuple[str, uuid.UUID, dict[str, Any]]]:
        """Children before parents: the page's order is the change log's, not the FKs'."""
        return [
            ("concept_mastery", self.mastery, {
                "id": str(self.mastery), "student_id": str(self.student),
                "concept_id": str(self.concept), "mastery": 0.62, "attempts_count": 1,
                "correct_count": 1, "last_practiced_at": self.stamp, "updated_at": self.stamp}),
            ("question_attempt", self.attempt, {
                "id": str(self.attempt), "student_id": str(self.student),
                "question_id": str(self.question), "answer": "1/2", "is_correct": True,
                "time_taken_seconds": 30.0, "confidence": 3, "attempted_at": self.stamp,
                "device_id": DEVICE, "sync_operation_id": str(self.operation)}),
            ("question", self.question, {
                "id": str(self.question), "concept_id": str(self.concept), "code": "Q-1",
                "text": "Half of one?", "kind": "numeric", "options": None,
                "correct_answer": "1/2", "difficulty": 0.0, "discrimination": 1.0,
                "explanation": None}),
            ("concept", self.concept, {
                "id": str(self.concept), "topic_id": str(self.topic), "code": "C-1",
                "name": "Fractions", "description": None, "difficulty": 0.5}),
            ("topic", self.topic, {
                "id": str(self.topic), "code": "T-1", "name": "Numbers", "parent_id": None,
                "grade": 10, "syllabus_weightage": 6.0, "sort_order": 0}),
            ("student_profile", self.profile, self.profile_row()),
            ("class", self.group, {
                "id": str(self.group), "name": "10-A", "grade": 10,
                "teacher_id": str(self.teacher), "created_at": self.stamp}),
            ("user", self.student, self.user(self.student, "student")),
            ("user", self.teacher, self.user(self.teacher, "teacher")),
        ]  # fmt: skip


def upsert(seq: int, entity_type: str, entity_id: uuid.UUID, row: dict[str, Any]) -> Any:
    return schemas.Change(
        seq=seq, entity_type=entity_type, entity_id=entity_id, op=schemas.ChangeKind.UPSERT,
        row=row,
    )  # fmt: skip


def remove(seq: int, entity_type: str, entity_id: uuid.UUID) -> Any:
    return schemas.Change(
        seq=seq, entity_type=entity_type, entity_id=entity_id, op=schemas.ChangeKind.DELETE,
        row=None,
    )  # fmt: skip


def page(
    changes: list[schemas.Change],
    cursor: int,
    epoch: uuid.UUID = EPOCH,
    retry: list[uuid.UUID] | None = None,
) -> schemas.PullResponse:
    return schemas.PullResponse(
        epoch=epoch, cursor=cursor, has_more=False, changes=changes, retry_operations=retry or []
    )


def first_page(graph: Graph) -> schemas.PullResponse:
    return page([upsert(i + 1, *change) for i, change in enumerate(graph.rows())], cursor=20)


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every pulled table's rows and the device's state: what "unchanged" compares."""
    async with local_sessionmaker(engine)() as db:
        out = {
            table.name: sorted((tuple(row) for row in await db.execute(select(table))), key=repr)
            for table in PULLED_TABLES
        }
        out["sync_state"] = [tuple(row) for row in await db.execute(select(sync_state))]
        return out


async def count(engine: AsyncEngine, model: Any) -> int:
    async with local_sessionmaker(engine)() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_page_applies_in_any_foreign_key_order_with_its_cursor(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    graph = Graph()
    assert await store.apply_pull(first_page(graph)) == 9
    state = await store.state()
    assert (state.epoch, state.cursor) == (EPOCH, 20)
    assert state.last_pull_at is not None
    async with local_sessionmaker(local_engine)() as db:
        attempt = await db.get(QuestionAttempt, graph.attempt)
        assert attempt is not None and attempt.answer == "1/2" and attempt.is_correct
        assert attempt.attempted_at == T0
        question = await db.get(Question, graph.question)
        assert question is not None and question.kind == "numeric"
        student = await db.get(User, graph.student)
        # A pulled account cannot sign in here and carries no email.
        assert student is not None
        assert student.password_hash == NO_PASSWORD and student.email is None
        fk_problems = (await db.execute(text("PRAGMA foreign_key_check"))).all()
        assert fk_problems == []


async def test_applying_the_same_page_twice_changes_nothing(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    graph = Graph()
    await store.apply_pull(first_page(graph))
    before = await snapshot(local_engine)
    assert await store.apply_pull(first_page(graph)) == 9
    after = await snapshot(local_engine)
    # Only the time of the last pull moves.
    before.pop("sync_state"), after.pop("sync_state")
    assert after == before


async def test_upserts_update_and_deletes_remove(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    graph = Graph()
    await store.apply_pull(first_page(graph))
    renamed = dict(graph.rows()[4][2], name="Number systems")
    second = page(
        [
            upsert(21, "topic", graph.topic, renamed),
            remove(22, "concept_mastery", graph.mastery),
            remove(23, "question_attempt", uuid.uuid4()),  # never pulled: nothing to do
            upsert(24, "a_future_type", uuid.uuid4(), {"id": str(uuid.uuid4())}),  # not kept
        ],
        cursor=24,
    )
    assert await store.apply_pull(second) == 4
    async with local_sessionmaker(local_engine)() as db:
        topic = await db.get(Topic, graph.topic)
        assert topic is not None and topic.name == "Number systems"
    assert await count(local_engine, Concept) == 1
    assert (await store.state()).cursor == 24
    assert await count(local_engine, ConceptMastery) == 0


async def test_prerequisites_are_replaced_as_a_set(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    graph = Graph()
    await store.apply_pull(first_page(graph))
    basics = uuid.uuid4()
    basics_row = {"id": str(basics), "code": "T-0", "name": "Counting", "parent_id": None,
                  "grade": 9, "syllabus_weightage": 1.0, "sort_order": 0}  # fmt: skip
    edges = {"topic_id": str(graph.topic), "prerequisite_ids": [str(basics)]}
    # The edge before the topic it names: foreign keys are checked at commit.
    await store.apply_pull(
        page([upsert(21, "topic_prerequisites", graph.topic, edges),
              upsert(22, "topic", basics, basics_row)], cursor=22)
    )  # fmt: skip
    assert await count(local_engine, TopicPrerequisite) == 1
    cleared = {"topic_id": str(graph.topic), "prerequisite_ids": []}
    await store.apply_pull(page([upsert(23, "topic_prerequisites", graph.topic, cleared)], 23))
    assert await count(local_engine, TopicPrerequisite) == 0


async def test_a_pulled_profile_keeps_a_local_field_with_a_newer_clock(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    graph = Graph()
    await store.apply_pull(first_page(graph))
    # Offline, the student sets the exam date (not pushed yet).
    await store.record_profile_change(graph.student, {"exam_date": date(2027, 3, 1)})
    mine = (await local_profile(local_engine, graph.profile)).field_clocks["exam_date"]
    # The server's profile: an older exam-date write, a newer hours write.
    old = Clock(int(T0.timestamp() * 1000), 0, "laptop").encode()
    newer = Clock.decode(mine)
    newer_stamp = Clock(newer.wall_ms + 1, 0, "laptop").encode()
    server_row = graph.profile_row(
        exam_date="2027-05-01",
        available_hours_per_week=12.0,
        field_clocks={"exam_date": old, "available_hours_per_week": newer_stamp},
    )
    await store.apply_pull(page([upsert(21, "student_profile", graph.profile, server_row)], 21))
    profile = await local_profile(local_engine, graph.profile)
    assert profile.exam_date == date(2027, 3, 1)
    assert profile.available_hours_per_week == 12.0
    assert profile.field_clocks == {"exam_date": mine, "available_hours_per_week": newer_stamp}
    # Once the server has the device's write (its clock comes back), the server's row stands.
    server_row = graph.profile_row(
        exam_date="2027-03-01",
        available_hours_per_week=12.0,
        field_clocks={"exam_date": mine, "available_hours_per_week": newer_stamp},
    )
    await store.apply_pull(page([upsert(22, "student_profile", graph.profile, server_row)], 22))
    assert (await local_profile(local_engine, graph.profile)).exam_date == date(2027, 3, 1)


async def test_a_pulled_account_keeps_its_local_password(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    graph = Graph()
    await store.apply_pull(first_page(graph))
    async with local_sessionmaker(local_engine)() as db, db.begin():
        user = await db.get(User, graph.student)
        assert user is not None
        user.password_hash = "$argon2id$local"
    renamed = dict(graph.user(graph.student, "student"), full_name="Asha Rao")
    await store.apply_pull(page([upsert(21, "user", graph.student, renamed)], 21))
    async with local_sessionmaker(local_engine)() as db:
        user = await db.get(User, graph.student)
        assert user is not None
        assert (user.full_name, user.password_hash) == ("Asha Rao", "$argon2id$local")


async def test_a_new_epoch_empties_what_was_pulled_but_keeps_the_queue(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    graph = Graph()
    await store.apply_pull(first_page(graph))
    ids = await queue(local_engine, 2)
    await store.take_batch(1)
    regenerated = uuid.uuid4()
    assert await store.apply_pull(page([], cursor=5, epoch=regenerated)) is None
    state = await store.state()
    assert (state.epoch, state.cursor) == (regenerated, 0)
    for table in PULLED_TABLES:
        assert await count(local_engine, table) == 0, table.name
    rows = await operations(local_engine)
    assert set(rows) == set(ids)
    assert rows[ids[0]].status == SyncStatus.IN_PROGRESS
    # Pulling again from 0 in the new epoch fills it.
    refill = first_page(graph).model_copy(update={"epoch": regenerated})
    assert await store.apply_pull(refill) == 9
    assert (await store.state()).cursor == 20


async def test_a_page_names_dead_letters_a_teacher_asked_to_retry(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    ids = await queue(local_engine, 3)
    await store.take_batch(3)
    await store.settle(
        [_result(ids[0], OUTCOME.APPLIED)]
        + [_result(i, OUTCOME.REJECTED, "no such question") for i in ids[1:]]
    )
    await store.apply_pull(page([], cursor=0, retry=[ids[0], ids[1]]))
    rows = await operations(local_engine)
    assert rows[ids[0]].status == SyncStatus.COMPLETED  # not failed: left alone
    assert rows[ids[1]].status == SyncStatus.PENDING
    assert rows[ids[2]].status == SyncStatus.FAILED


@pytest.mark.parametrize("fault", ["malformed value", "missing parent"])
async def test_a_failing_page_leaves_rows_and_cursor_unchanged(
    store: DeviceStore, local_engine: AsyncEngine, fault: str
) -> None:
    graph = Graph()
    await store.apply_pull(first_page(graph))
    before = await snapshot(local_engine)
    renamed = dict(graph.rows()[4][2], name="Changed")
    new_topic = uuid.uuid4()
    if fault == "malformed value":
        # Fails in Python half way through the page.
        bad = upsert(22, "topic", new_topic, {"id": str(new_topic), "code": "T-9",
                     "name": "x", "parent_id": "not-a-uuid", "grade": 10,
                     "syllabus_weightage": 1.0})  # fmt: skip
        expected: type[Exception] = ValueError
    else:
        # Fails only at commit: the deferred foreign key check finds no such topic.
        bad = upsert(22, "concept", uuid.uuid4(), {"id": str(uuid.uuid4()),
                     "topic_id": str(uuid.uuid4()), "code": "C-9", "name": "x"})  # fmt: skip
        expected = IntegrityError
    with pytest.raises(expected):
        await store.apply_pull(page([upsert(21, "topic", graph.topic, renamed), bad], cursor=22))
    assert await snapshot(local_engine) == before
    assert (await store.state()).cursor == 20


# ---- two processes on one file -----------------------------------------------------------


async def test_a_second_connection_waits_for_the_writer_instead_of_failing(
    store: DeviceStore, local_engine: AsyncEngine
) -> None:
    """Every transaction begins IMMEDIATE: another process's read-then-write (take_batch)
    waits out the first writer (busy timeout) and then sees its commit, rather than failing
    half way with SQLITE_BUSY or working on a stale read."""
    other = create_local_engine(local_engine.url)
    try:
        async with other.begin() as writer:
            mode = (await writer.execute(text("PRAGMA journal_mode"))).scalar_one()
            assert mode == "wal"
            await writer.execute(
                insert(SyncOperation).values(
                    id=uuid.uuid4(), device_id=DEVICE, entity_type="question_attempt",
                    entity_id=uuid.uuid4(), operation=SyncOperationKind.CREATE, payload={},
                    status=SyncStatus.PENDING,
                )
            )  # fmt: skip
            waiting = asyncio.create_task(store.take_batch(10))
            await asyncio.sleep(0.3)
            # Even the reading half of take_batch has not run: the write lock is held.
            assert not waiting.done()
        batch = await asyncio.wait_for(waiting, timeout=5)
        assert len(batch.operations) == 1
        assert (await store.counts()).in_progress == 1
        async with local_sessionmaker(local_engine)() as db:
            assert (await db.execute(text("PRAGMA integrity_check"))).scalar_one() == "ok"
    finally:
        await other.dispose()
