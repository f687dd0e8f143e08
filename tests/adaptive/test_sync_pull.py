"""The pull (issue 17, item 2, and item 4's reading side) through the HTTP API and a device's
real SQLite store: a monotone cursor paged with `has_more`, nothing new after the last page,
an entity changed twice sent once with its current state, only the student's own rows beside
the shared graph, a profile with its class and teacher, a deleted question as a delete, the
device applying a page idempotently, an epoch change emptying what was pulled (never the
queue), and a teacher's retry request bringing a dead letter back to the queue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas
from lyceum.adaptive.enums import TEACHER_ROLE, QuestionKind, SyncStatus
from lyceum.adaptive.models import (
    ChangeLog,
    Concept,
    ConceptMastery,
    Question,
    QuestionAttempt,
    StudentProfile,
    SyncOperation,
    Topic,
    User,
)
from lyceum.adaptive.sync import Clock
from tests.adaptive.rows import suffix
from tests.adaptive.sync_world import (
    Device,
    World,
    attempt_op,
    build_world,
    device,
    profile_op,
    pull_page,
    push_ops,
)
from tests.fixtures.tokens import token_for

DEVICE = "phone-1"


def page_of(response: httpx.Response) -> schemas.PullResponse:
    assert response.status_code == 200, response.text
    return schemas.PullResponse.model_validate_json(response.content)


async def pull_all(
    http: httpx.AsyncClient, student: User, cursor: int = 0, limit: int = 1_000
) -> tuple[list[schemas.PullResponse], int]:
    """Every page after `cursor`, and the cursor after the last."""
    pages = []
    while True:
        page = page_of(await pull_page(http, student, DEVICE, cursor, limit))
        pages.append(page)
        cursor = page.cursor
        if not page.has_more:
            return pages, cursor


async def practise(
    http: httpx.AsyncClient, world: World, student: User, count: int = 4
) -> list[dict[str, Any]]:
    ops = [
        attempt_op(student.id, q.id, world.answers[q.id][i % 2], DEVICE)
        for i, q in enumerate(world.questions[:count])
    ]
    response = await push_ops(http, student, DEVICE, ops)
    assert response.status_code == 200 and response.json()["applied"] == count, response.text
    return ops


async def local_count(dev: Device, model: type[Any]) -> int:
    async with dev.store._sessions() as local:
        return int(await local.scalar(select(func.count()).select_from(model)) or 0)


def retiring(world: World) -> Question:
    """A question with no attempts on the server yet, which the test will delete there."""
    return Question(concept_id=world.questions[0].concept_id, code=f"Q-{suffix()}",
                    text="Soon retired", kind=QuestionKind.NUMERIC, correct_answer="5")  # fmt: skip


async def test_pages_follow_a_monotone_cursor_until_nothing_is_new(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    ops = await practise(client, world, student)

    pages, cursor = await pull_all(client, student, limit=3)
    assert len(pages) > 3
    assert [page.has_more for page in pages] == [True] * (len(pages) - 1) + [False]
    previous = 0
    for page in pages:
        assert page.cursor > previous or (not page.has_more and not page.changes)
        assert all(previous < change.seq <= page.cursor for change in page.changes)
        previous = page.cursor
    assert len({page.epoch for page in pages}) == 1

    # The pages together carry what one page carries.
    paged = {(c.entity_type, c.entity_id) for page in pages for c in page.changes}
    (whole,), whole_cursor = await pull_all(client, student, limit=5_000)
    assert whole_cursor == cursor
    assert paged == {(c.entity_type, c.entity_id) for c in whole.changes}
    concepts = {q.concept_id for q in world.questions}
    for entity_type, ids in (
        ("question", {q.id for q in world.questions}),
        ("concept", concepts),
        ("question_attempt", {uuid.UUID(op["entity_id"]) for op in ops}),
        ("user", {student.id}),
    ):
        assert {(entity_type, i) for i in ids} <= paged, entity_type
    assert sum(1 for kind, _ in paged if kind == "concept_mastery") == 2
    assert sum(1 for kind, _ in paged if kind == "topic") >= 1

    # From the last cursor: nothing new, and the cursor stays.
    again = page_of(await pull_page(client, student, DEVICE, cursor))
    assert (again.changes, again.cursor, again.has_more) == ([], cursor, False)
    # What comes next starts after it.
    await practise(client, world, student, count=1)
    later = page_of(await pull_page(client, student, DEVICE, cursor))
    assert later.changes and later.cursor > cursor
    assert all(change.seq > cursor for change in later.changes)


async def test_an_entity_changed_twice_is_sent_once_with_its_current_state(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student, question = world.students[0], world.questions[0]
    _, cursor = await pull_all(client, student)

    for wording in ("What is 0 + 1?", "What is one plus zero?"):
        question.text = wording
        await db_session.commit()
    now_ms = int(datetime.now(UTC).timestamp() * 1000) - 60_000
    profile_ops = [
        profile_op(student.id, {"available_hours_per_week": hours},
                   Clock(now_ms + i, 0, DEVICE).encode())
        for i, hours in enumerate((7.0, 8.0))
    ]  # fmt: skip
    assert (await push_ops(client, student, DEVICE, profile_ops)).json()["applied"] == 2
    logged = await db_session.scalar(
        select(func.count()).select_from(ChangeLog)
        .where(ChangeLog.seq > cursor, ChangeLog.entity_id == question.id)
    )  # fmt: skip
    assert logged == 2  # two log entries: the page folds them

    page = page_of(await pull_page(client, student, DEVICE, cursor))
    sent = [c for c in page.changes if c.entity_id == question.id]
    assert len(sent) == 1 and sent[0].row is not None
    assert sent[0].row["text"] == "What is one plus zero?"
    profiles = [c for c in page.changes if c.entity_type == "student_profile"]
    assert len(profiles) == 1 and profiles[0].row is not None
    assert profiles[0].row["available_hours_per_week"] == 8.0


async def test_a_pull_carries_the_shared_graph_and_only_the_students_own_rows(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=2)
    student, other = world.students
    mine = await practise(client, world, student)
    theirs = await practise(client, world, other, count=6)
    stamp = Clock(int(datetime.now(UTC).timestamp() * 1000) - 1_000, 0, DEVICE).encode()
    for who in (student, other):
        op = profile_op(who.id, {"exam_date": "2027-03-01"}, stamp)
        assert (await push_ops(client, who, DEVICE, [op])).json()["applied"] == 1

    response = await pull_page(client, student, DEVICE, 0, 5_000)
    page = page_of(response)
    assert not page.has_more
    # Nothing of the other student anywhere in the answer: not an id, not a row.
    assert str(other.id) not in response.text
    for op in theirs:
        assert op["entity_id"] not in response.text
    by_type: dict[str, set[uuid.UUID]] = {}
    for change in page.changes:
        by_type.setdefault(change.entity_type, set()).add(change.entity_id)
    assert {uuid.UUID(op["entity_id"]) for op in mine} == by_type["question_attempt"]
    assert {q.id for q in world.questions} <= by_type["question"]
    assert {q.concept_id for q in world.questions} <= by_type["concept"]
    assert len(by_type["concept_mastery"]) == 2
    for change in page.changes:
        if change.row and "student_id" in change.row:
            assert change.row["student_id"] == str(student.id)

    # The profile comes after its class and the class's teacher (the device's foreign keys),
    # the teacher's row without the password hash or email.
    profile_at = next(i for i, c in enumerate(page.changes) if c.entity_type == "student_profile")
    profile = page.changes[profile_at]
    assert profile.row is not None and profile.row["user_id"] == str(student.id)
    assert profile.row["exam_date"] == "2027-03-01"
    before = page.changes[:profile_at]
    group = [c for c in before if c.entity_type == "class" and c.entity_id == world.group.id]
    teacher = [c for c in before if c.entity_type == "user" and c.entity_id == world.teacher.id]
    assert group and teacher
    assert teacher[-1].row is not None
    assert "password_hash" not in teacher[-1].row and "email" not in teacher[-1].row
    assert teacher[-1].row["role"] == "teacher"


async def test_a_question_deleted_on_the_server_arrives_as_a_delete(
    app: FastAPI, client: httpx.AsyncClient, db_session: AsyncSession, tmp_path: Path
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    extra = retiring(world)
    db_session.add(extra)
    await db_session.commit()
    async with device(app, tmp_path, student, DEVICE) as phone:
        await phone.client.sync()
        assert await local_count(phone, Question) == len(world.questions) + 1
        cursor = (await phone.store.state()).cursor

        await db_session.delete(extra)
        await db_session.commit()
        page = page_of(await pull_page(client, student, DEVICE, cursor))
        (change,) = [c for c in page.changes if c.entity_id == extra.id]
        assert (change.entity_type, change.op, change.row) == (
            "question",
            schemas.ChangeKind.DELETE,
            None,
        )

        await phone.client.sync()
        async with phone.store._sessions() as local:
            assert await local.get(Question, extra.id) is None
        assert await local_count(phone, Question) == len(world.questions)


async def test_a_question_retired_after_the_device_answered_it_offline(
    app: FastAPI, client: httpx.AsyncClient, db_session: AsyncSession, tmp_path: Path
) -> None:
    """A device answers a question offline that the server then deletes (it had no attempts
    there): the push is rejected, and the pull's delete must not wedge the device — its own
    attempt still needs the question locally."""
    world = await build_world(db_session, students=1)
    student = world.students[0]
    extra = retiring(world)
    db_session.add(extra)
    await db_session.commit()
    async with device(app, tmp_path, student, DEVICE) as phone:
        await phone.client.sync()
        await phone.answer(extra, "5")
        await db_session.delete(extra)
        await db_session.commit()

        summary = await phone.client.sync()
        assert summary.push.rejected == 1
        (dead,) = await phone.store.dead_letters()
        assert "not on the server" in (dead.last_error or "")
        state = await phone.store.state()
        assert state.cursor == (await pull_all(client, student))[1]
        # The question stays on the device while its attempt waits...
        async with phone.store._sessions() as local:
            assert await local.get(Question, extra.id) is not None
        # ...and pulling goes on afterwards.
        await practise(client, world, student, count=1)
        assert (await phone.client.sync()).pull.changes > 0

        # Published again with the same id, the dead letter retried is applied.
        db_session.add(
            Question(id=extra.id, concept_id=extra.concept_id, code=f"Q-{suffix()}",
                     text="Back again", kind=QuestionKind.NUMERIC, correct_answer="5")
        )  # fmt: skip
        await db_session.commit()
        assert await phone.store.retry() == 1
        assert (await phone.client.sync()).push.applied == 1
        async with phone.store._sessions() as local:
            back = await local.get(Question, extra.id)
            assert back is not None and back.text == "Back again"


async def test_the_device_applies_a_page_idempotently_with_its_cursor(
    app: FastAPI, client: httpx.AsyncClient, db_session: AsyncSession, tmp_path: Path
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    await practise(client, world, student)
    async with device(app, tmp_path, student, DEVICE) as phone:
        page = page_of(await pull_page(client, student, DEVICE, 0, 5_000))
        counted = []
        for _ in range(2):
            assert await phone.store.apply_pull(page) == len(page.changes)
            counted.append(
                [await local_count(phone, m) for m in
                 (Question, Concept, Topic, QuestionAttempt, ConceptMastery, StudentProfile, User)]
            )  # fmt: skip
            state = await phone.store.state()
            assert (state.cursor, state.epoch) == (page.cursor, page.epoch)
        assert counted[0] == counted[1]
        assert counted[0][:5] == [len(world.questions), 2, 1, 4, 2]
        # The student and the teacher (the class's), and nothing else of the accounts.
        assert counted[0][5:] == [1, 2]


async def test_an_epoch_change_empties_what_was_pulled_and_keeps_the_queue(
    app: FastAPI, client: httpx.AsyncClient, db_session: AsyncSession, tmp_path: Path
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    async with device(app, tmp_path, student, DEVICE) as phone:
        await phone.client.sync()
        for question in world.questions[:2]:
            await phone.answer(question, world.answers[question.id][0])
        await phone.client.sync()
        # One operation still queued when the epoch changes.
        await phone.answer(world.questions[2], world.answers[world.questions[2].id][1])
        queue_before = await phone.store.counts()
        assert (queue_before.pending, queue_before.completed) == (1, 2)
        old = await phone.store.state()

        await db_session.execute(text("UPDATE adaptive.sync_server SET epoch = gen_random_uuid()"))
        await db_session.commit()
        page = page_of(await pull_page(client, student, DEVICE, old.cursor))
        assert page.epoch != old.epoch
        assert await phone.store.apply_pull(page) is None
        state = await phone.store.state()
        assert (state.cursor, state.epoch) == (0, page.epoch)
        for model in (Question, Concept, Topic, QuestionAttempt, ConceptMastery, StudentProfile,
                      User):  # fmt: skip
            assert await local_count(phone, model) == 0, model
        assert await phone.store.counts() == queue_before

        summary = await phone.client.sync()
        assert summary.push.applied == 1
        assert await local_count(phone, Question) == len(world.questions)
        assert await local_count(phone, QuestionAttempt) == 3
        assert await local_count(phone, StudentProfile) == 1

        # The client notices by itself too, and pulls everything again.
        await db_session.execute(text("UPDATE adaptive.sync_server SET epoch = gen_random_uuid()"))
        await db_session.commit()
        pulled = await phone.client.pull()
        assert pulled.restarted
        assert await local_count(phone, QuestionAttempt) == 3
        assert (await phone.store.counts()).completed == 3


async def test_a_teachers_retry_request_sends_a_dead_letter_again(
    app: FastAPI, client: httpx.AsyncClient, db_session: AsyncSession, tmp_path: Path
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    teacher = token_for(TEACHER_ROLE, subject=str(world.teacher.id))
    unpublished = uuid.uuid4()
    async with device(app, tmp_path, student, DEVICE) as phone:
        await phone.client.sync()
        # A question the device holds but the server does not (yet).
        async with phone.store._sessions() as local:
            local.add(
                Question(id=unpublished, concept_id=world.questions[0].concept_id,
                         code=f"Q-{suffix()}", text="6 x 7?", kind=QuestionKind.NUMERIC,
                         correct_answer="42")
            )  # fmt: skip
            await local.commit()
            question = await local.get(Question, unpublished)
        assert question is not None
        await phone.answer(question, "42")
        assert (await phone.client.sync()).push.rejected == 1
        (dead,) = await phone.store.dead_letters()

        retry = await client.post(
            f"/api/adaptive/sync/dead-letters/{dead.id}/retry", headers=teacher
        )
        assert retry.status_code == 200, retry.text
        assert retry.json()["operation_id"] == str(dead.id)
        # The fix: the question is published.
        db_session.add(
            Question(id=unpublished, concept_id=world.questions[0].concept_id,
                     code=f"Q-{suffix()}", text="6 x 7?", kind=QuestionKind.NUMERIC,
                     correct_answer="42")
        )  # fmt: skip
        await db_session.commit()

        # The next sync's pull carries the request: the dead letter is queued again...
        first = await phone.client.sync()
        assert first.push.applied == 0
        assert (await phone.store.counts()).pending == 1
        assert await phone.store.dead_letters() == []
        # ...and the sync after it sends and applies it.
        second = await phone.client.sync()
        assert second.push.applied == 1
        assert (await phone.store.counts()).failed == 0
        status = await db_session.scalar(
            select(SyncOperation.status).where(SyncOperation.id == dead.id)
        )
        assert status == SyncStatus.COMPLETED
        stored = await db_session.scalar(
            select(QuestionAttempt.is_correct).where(QuestionAttempt.sync_operation_id == dead.id)
        )
        assert stored is True
        # Nothing is asked again: the request ended with the operation applied.
        page = page_of(await pull_page(client, student, DEVICE, 0, 5_000))
        assert page.retry_operations == []
        overview = await client.get("/api/adaptive/sync/status", headers=teacher)
        assert overview.status_code == 200 and overview.json()["dead_letters"] == []
