"""The push (issue 17, items 1 and 3) through the HTTP API on PostgreSQL: every operation is
applied once by its id whatever is sent again; the answers come in the request's order; a
rejected operation — for any reason — is a dead letter in the server's ledger that holds up
nothing else and is applied when sent again after the fix; the server decides correctness
and recomputes mastery whatever order attempts arrive in; plan events are append-only;
profile fields are last-writer-wins by clock, field by field; the batch and body limits."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import QuestionKind, SyncStatus
from lyceum.adaptive.models import (
    ConceptMastery,
    Question,
    QuestionAttempt,
    StudentProfile,
    StudyPlan,
    StudyPlanEvent,
    SyncOperation,
)
from lyceum.adaptive.sync import Clock
from tests.adaptive.rows import suffix
from tests.adaptive.sync_world import (
    PUSH_URL,
    World,
    attempt_op,
    build_world,
    plan_event_op,
    profile_op,
    push_ops,
    student_headers,
)

DEVICE = "phone-1"


def statuses(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [result["status"] for result in response.json()["results"]]


async def ledger(
    db: AsyncSession, op_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[SyncStatus, str | None, int]]:
    """(status, reason, times received) of operations in the server's ledger."""
    rows = await db.execute(
        select(SyncOperation.id, SyncOperation.status, SyncOperation.last_error,
               SyncOperation.attempts).where(SyncOperation.id.in_(op_ids))
    )  # fmt: skip
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


async def attempt_ids(db: AsyncSession, student_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await db.scalars(
        select(QuestionAttempt.id).where(QuestionAttempt.student_id == student_id)
    )
    return set(rows)


async def mastery_of(
    db: AsyncSession, student_id: uuid.UUID
) -> dict[uuid.UUID, tuple[float, int, int, datetime | None]]:
    rows = await db.execute(
        select(ConceptMastery.concept_id, ConceptMastery.mastery, ConceptMastery.attempts_count,
               ConceptMastery.correct_count, ConceptMastery.last_practiced_at)
        .where(ConceptMastery.student_id == student_id)
    )  # fmt: skip
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


def op_id(op: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(op["id"])


async def test_each_operation_is_applied_once_whatever_is_sent_again(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student, questions = world.students[0], world.questions
    first = attempt_op(student.id, questions[0].id, "1", DEVICE)
    second = attempt_op(student.id, questions[1].id, "9", DEVICE)

    assert statuses(await push_ops(client, student, DEVICE, [first, second])) == [
        "applied",
        "applied",
    ]
    # The same batch again (its answer was lost): nothing changes, and it is a success.
    again = await push_ops(client, student, DEVICE, [first, second])
    assert statuses(again) == ["duplicate", "duplicate"]
    assert again.json()["duplicates"] == 2 and again.json()["applied"] == 0
    # The same operation twice in one batch: one attempt, the same answer for both.
    third = attempt_op(student.id, questions[2].id, "3", DEVICE)
    assert statuses(await push_ops(client, student, DEVICE, [third, third])) == [
        "applied",
        "applied",
    ]
    # The same attempt id under another operation id: the same content is the same fact...
    copy = {**first, "id": str(uuid.uuid4())}
    # ...other content under a stored attempt's id is a conflict, not an overwrite.
    clash = {**first, "id": str(uuid.uuid4()), "payload": {**first["payload"], "answer": "7"}}
    assert statuses(await push_ops(client, student, DEVICE, [copy])) == ["duplicate"]
    response = await push_ops(client, student, DEVICE, [clash])
    assert statuses(response) == ["rejected"]
    assert "already stored with other content" in response.json()["results"][0]["reason"]
    # Both in one batch: the second is refused as a repeat within the batch.
    twice = [{**first, "id": str(uuid.uuid4())}, {**first, "id": str(uuid.uuid4())}]
    response = await push_ops(client, student, DEVICE, twice)
    assert statuses(response) == ["duplicate", "rejected"]
    assert "twice in this batch" in response.json()["results"][1]["reason"]

    stored = await attempt_ids(db_session, student.id)
    assert stored == {uuid.UUID(op["entity_id"]) for op in (first, second, third)}
    answer = await db_session.scalar(
        select(QuestionAttempt.answer).where(QuestionAttempt.id == uuid.UUID(first["entity_id"]))
    )
    assert answer == "1"
    book = await ledger(db_session, [op_id(op) for op in (first, second, third, copy, clash)])
    assert book[op_id(first)][:2] == (SyncStatus.COMPLETED, None)
    assert book[op_id(copy)][:2] == (SyncStatus.COMPLETED, None)
    assert book[op_id(clash)][0] == SyncStatus.FAILED
    assert "other content" in (book[op_id(clash)][1] or "")


async def test_rejected_operations_hold_up_nothing_and_answers_keep_the_request_order(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student, questions = world.students[0], world.questions
    good = [attempt_op(student.id, q.id, "1", DEVICE) for q in questions[:5]]
    unknown_question = attempt_op(student.id, uuid.uuid4(), "1", DEVICE)
    bad_confidence = attempt_op(student.id, questions[0].id, "1", DEVICE, confidence=9)
    unknown_type = {**attempt_op(student.id, questions[0].id, "1", DEVICE),
                    "entity_type": "widget"}  # fmt: skip
    unknown_operation = {**attempt_op(student.id, questions[0].id, "1", DEVICE),
                         "operation": "frobnicate"}  # fmt: skip
    future = attempt_op(
        student.id, questions[0].id, "1", DEVICE, attempted_at=datetime.now(UTC) + timedelta(days=2)
    )
    wrong_entity = {**attempt_op(student.id, questions[0].id, "1", DEVICE),
                    "entity_id": str(uuid.uuid4())}  # fmt: skip
    other_device = attempt_op(student.id, questions[0].id, "1", "tablet-9")
    batch = [
        good[0], unknown_question, good[1], bad_confidence, unknown_type, good[2],
        unknown_operation, future, good[3], wrong_entity, other_device, good[4],
    ]  # fmt: skip
    expected = {
        op_id(unknown_question): "is not on the server",
        op_id(bad_confidence): "confidence",
        op_id(unknown_type): "unsupported operation",
        op_id(unknown_operation): "unknown operation",
        op_id(future): "in the future",
        op_id(wrong_entity): "entity_id",
        op_id(other_device): "another device",
    }

    response = await push_ops(client, student, DEVICE, batch)
    body = response.json()
    assert [r["id"] for r in body["results"]] == [op["id"] for op in batch]
    for op, result in zip(batch, body["results"], strict=True):
        if op in good:
            assert result == {"id": op["id"], "status": "applied", "reason": None}
        else:
            assert result["status"] == "rejected"
            assert expected[op_id(op)] in result["reason"], result
    assert (body["applied"], body["duplicates"], body["rejected"]) == (5, 0, 7)

    assert await attempt_ids(db_session, student.id) == {uuid.UUID(op["entity_id"]) for op in good}
    mastery = await mastery_of(db_session, student.id)
    assert sum(attempts for _, attempts, _, _ in mastery.values()) == 5
    # The ledger holds every operation it could store: applied ones completed, the others
    # failed with the reason the device was given (the teachers' dead-letter list).
    book = await ledger(db_session, [op_id(op) for op in batch])
    for op in good:
        assert book[op_id(op)][:2] == (SyncStatus.COMPLETED, None)
    for rejected, words in expected.items():
        if rejected == op_id(unknown_operation):
            continue  # not an operation kind the ledger's column can hold
        status, reason, _ = book[rejected]
        assert status == SyncStatus.FAILED and words in (reason or ""), (status, reason)


async def test_a_rejected_operation_sent_again_after_the_fix_is_applied(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    missing = uuid.uuid4()
    op = attempt_op(student.id, missing, "42", DEVICE)
    assert statuses(await push_ops(client, student, DEVICE, [op])) == ["rejected"]
    assert (await ledger(db_session, [op_id(op)]))[op_id(op)][0] == SyncStatus.FAILED

    # The fix: the question is published with the id the device knew.
    db_session.add(
        Question(id=missing, concept_id=world.questions[0].concept_id, code=f"Q-{suffix()}",
                 text="6 x 7?", kind=QuestionKind.NUMERIC, correct_answer="42")
    )  # fmt: skip
    await db_session.commit()
    assert statuses(await push_ops(client, student, DEVICE, [op])) == ["applied"]

    status, reason, times = (await ledger(db_session, [op_id(op)]))[op_id(op)]
    assert (status, reason, times) == (SyncStatus.COMPLETED, None, 2)
    row = (
        await db_session.execute(
            select(QuestionAttempt.sync_operation_id, QuestionAttempt.is_correct)
            .where(QuestionAttempt.id == uuid.UUID(op["entity_id"]))
        )
    ).one()  # fmt: skip
    assert tuple(row) == (op_id(op), True)
    # And sending it once more is a duplicate, not a second attempt.
    assert statuses(await push_ops(client, student, DEVICE, [op])) == ["duplicate"]
    assert len(await attempt_ids(db_session, student.id)) == 1


async def test_the_server_decides_correctness_from_the_question(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student, question = world.students[0], world.questions[0]  # numeric, answer "1"
    assert question.correct_answer == "1"
    base = datetime.now(UTC) - timedelta(hours=2)
    claims = [("1", False), ("2", True), ("1.0", False), (" 1 ", False)]
    ops = [
        attempt_op(student.id, question.id, answer, DEVICE, is_correct=claim,
                   attempted_at=base + timedelta(minutes=i))
        for i, (answer, claim) in enumerate(claims)
    ]  # fmt: skip
    assert statuses(await push_ops(client, student, DEVICE, ops)) == ["applied"] * 4

    stored = dict(
        (
            await db_session.execute(
                select(QuestionAttempt.answer, QuestionAttempt.is_correct)
                .where(QuestionAttempt.student_id == student.id)
            )
        ).all()
    )  # fmt: skip
    assert stored == {"1": True, "2": False, "1.0": True, " 1 ": True}
    mastery = (await mastery_of(db_session, student.id))[question.concept_id]
    assert mastery[1:3] == (4, 3)


def _practice(world: World, student_id: uuid.UUID, device: str) -> list[dict[str, Any]]:
    """Twelve attempts at fixed times over both concepts, right and wrong mixed."""
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    ops = []
    for i in range(12):
        question = world.questions[i % len(world.questions)]
        right, wrong = world.answers[question.id]
        answer = right if i % 3 != 1 else wrong
        ops.append(attempt_op(student_id, question.id, answer, device,
                              attempted_at=start + timedelta(minutes=7 * i)))  # fmt: skip
    return ops


async def test_mastery_is_recomputed_from_all_attempts_whatever_their_order_of_arrival(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=2)
    first, second = world.students
    in_order = _practice(world, first.id, DEVICE)
    # The first student's device sends everything at once, oldest first.
    assert statuses(await push_ops(client, first, DEVICE, in_order)) == ["applied"] * 12

    # The second's sends the same practice newest first, in three batches, one sent twice.
    reversed_ops = _practice(world, second.id, DEVICE)[::-1]
    partial: dict[uuid.UUID, tuple[float, int, int, datetime | None]] = {}
    for index in range(0, 12, 4):
        assert statuses(await push_ops(client, second, DEVICE, reversed_ops[index : index + 4]))
        if index == 0:
            partial = await mastery_of(db_session, second.id)
    assert statuses(await push_ops(client, second, DEVICE, reversed_ops[4:8])) == ["duplicate"] * 4

    mine, theirs = await mastery_of(db_session, first.id), await mastery_of(db_session, second.id)
    assert mine == theirs
    assert set(mine) == {q.concept_id for q in world.questions}
    # Recomputed from every attempt, not from the first batch: counts match the attempts.
    for concept, (_, attempts, correct, last) in mine.items():
        rows = (
            await db_session.execute(
                select(QuestionAttempt.is_correct, QuestionAttempt.attempted_at)
                .join(Question, Question.id == QuestionAttempt.question_id)
                .where(QuestionAttempt.student_id == first.id, Question.concept_id == concept)
            )
        ).all()  # fmt: skip
        assert attempts == len(rows) == 6
        assert correct == sum(1 for ok, _ in rows if ok)
        assert last == max(when for _, when in rows)
    assert partial != theirs  # the first batch alone gave other values, since replaced
    assert any(value != 0.5 for value, *_ in mine.values())


async def test_plan_events_are_appended_once_and_only_to_the_students_own_plan(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=2)
    student, other = world.students
    plans = [
        StudyPlan(student_id=owner.id, starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 1),
                  schedule=[])
        for owner in (student, other)
    ]  # fmt: skip
    db_session.add_all(plans)
    await db_session.commit()
    mine, theirs = plans

    started = plan_event_op(student.id, mine.id, DEVICE, kind="started", minutes=0)
    done = plan_event_op(student.id, mine.id, DEVICE, kind="completed", minutes=40)
    assert statuses(await push_ops(client, student, DEVICE, [started, done])) == ["applied"] * 2
    copy = {**done, "id": str(uuid.uuid4())}
    clash = {**done, "id": str(uuid.uuid4()), "payload": {**done["payload"], "kind": "skipped"}}
    not_mine = plan_event_op(student.id, theirs.id, DEVICE)
    response = await push_ops(client, student, DEVICE, [started, copy, not_mine])
    assert statuses(response) == ["duplicate", "duplicate", "rejected"]
    assert "not one of this student's" in response.json()["results"][2]["reason"]
    response = await push_ops(client, student, DEVICE, [clash])
    assert statuses(response) == ["rejected"]
    assert "other content" in response.json()["results"][0]["reason"]

    events = (
        await db_session.execute(
            select(StudyPlanEvent.plan_id, StudyPlanEvent.kind, StudyPlanEvent.minutes)
            .where(StudyPlanEvent.student_id.in_([student.id, other.id]))
        )
    ).all()  # fmt: skip
    assert sorted((str(kind), minutes) for plan, kind, minutes in events if plan == mine.id) == [
        ("completed", 40),
        ("started", 0),
    ]
    assert all(plan == mine.id for plan, _, _ in events)


def _stamp(at: datetime, node: str, counter: int = 0) -> str:
    return Clock(int(at.timestamp() * 1000), counter, node).encode()


async def _profile(db: AsyncSession, student_id: uuid.UUID) -> tuple[Any, ...]:
    row = (
        await db.execute(
            select(StudentProfile.exam_date, StudentProfile.available_hours_per_week,
                   StudentProfile.field_clocks).where(StudentProfile.user_id == student_id)
        )
    ).one()  # fmt: skip
    return tuple(row)


async def test_profile_fields_are_last_writer_wins_by_clock_in_either_order(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=2)
    now = datetime.now(UTC)
    early, late = now - timedelta(minutes=10), now - timedelta(minutes=1)

    def writes(student_id: uuid.UUID) -> list[dict[str, Any]]:
        return [
            # Early, from the phone: both fields.
            profile_op(student_id, {"exam_date": "2027-03-01", "available_hours_per_week": 10.0},
                       _stamp(early, "phone-1")),
            # Later, from the laptop: the hours only.
            profile_op(student_id, {"available_hours_per_week": 12.5}, _stamp(late, "laptop-1")),
            # Two writes of the exam date at the same instant: the device id breaks the tie.
            profile_op(student_id, {"exam_date": "2027-04-01"}, _stamp(late, "alpha", 3)),
            profile_op(student_id, {"exam_date": "2027-05-01"}, _stamp(late, "zeta", 3)),
        ]  # fmt: skip

    first, second = world.students
    for op in writes(first.id):
        assert statuses(await push_ops(client, first, DEVICE, [op])) == ["applied"]
    for op in writes(second.id)[::-1]:
        assert statuses(await push_ops(client, second, DEVICE, [op])) == ["applied"]

    one, two = await _profile(db_session, first.id), await _profile(db_session, second.id)
    assert one == two
    assert one[:2] == (date(2027, 5, 1), 12.5)
    assert one[2] == {
        "exam_date": _stamp(late, "zeta", 3),
        "available_hours_per_week": _stamp(late, "laptop-1"),
    }


async def test_profile_fields_merge_independently_and_a_clock_far_ahead_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    now = datetime.now(UTC)
    t1, t2 = now - timedelta(minutes=5), now - timedelta(minutes=2)
    laptop_date = profile_op(student.id, {"exam_date": "2027-02-15"}, _stamp(t2, "laptop-1"))
    # An older stamp, but on another field: it still wins that field.
    phone_hours = profile_op(student.id, {"available_hours_per_week": 9.0}, _stamp(t1, "phone-1"))
    # An older stamp on the field the laptop wrote later: it loses.
    phone_date = profile_op(student.id, {"exam_date": "2027-01-10"}, _stamp(t1, "phone-1", 1))
    response = await push_ops(client, student, DEVICE, [laptop_date, phone_hours, phone_date])
    assert statuses(response) == ["applied"] * 3
    assert (await _profile(db_session, student.id))[:2] == (date(2027, 2, 15), 9.0)

    ahead = profile_op(
        student.id, {"available_hours_per_week": 40.0}, _stamp(now + timedelta(days=2), "broken")
    )
    malformed = profile_op(student.id, {"available_hours_per_week": 41.0}, "x" * 30)
    no_fields = profile_op(student.id, {}, _stamp(now, "phone-1", 9))
    response = await push_ops(client, student, DEVICE, [ahead, malformed, no_fields])
    assert statuses(response) == ["rejected"] * 3
    reasons = [r["reason"] for r in response.json()["results"]]
    assert "more than a day in the future" in reasons[0]
    assert "not a clock stamp" in reasons[1]
    assert "at least one field" in reasons[2]
    assert (await _profile(db_session, student.id))[:2] == (date(2027, 2, 15), 9.0)


async def test_a_batch_of_more_than_500_operations_is_refused_whole(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student, question = world.students[0], world.questions[0]
    ops = [attempt_op(student.id, question.id, "1", DEVICE) for _ in range(501)]
    response = await push_ops(client, student, DEVICE, ops)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "operations" in error["message"] and "500" in error["message"], error
    assert await attempt_ids(db_session, student.id) == set()
    assert await ledger(db_session, [op_id(op) for op in ops]) == {}


async def test_a_push_over_a_mebibyte_is_accepted_up_to_its_own_limit(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """The push route's body limit is 4 MiB, above the platform's 1 MiB default: a full batch
    of 500 attempts with the longest answers allowed, sent pretty-printed and padded past one
    mebibyte (as some JSON writers do), is applied; a body over 4 MiB is 413."""
    world = await build_world(db_session, students=1)
    student, question = world.students[0], world.questions[0]
    ops = [attempt_op(student.id, question.id, f"{i:03d}" + "x" * 197, DEVICE) for i in range(500)]
    body = orjson.dumps({"device_id": DEVICE, "operations": ops}, option=orjson.OPT_INDENT_2)
    padded = body + b" " * (1_200_000 - len(body))
    assert 1024 * 1024 < len(padded) < 4 * 1024 * 1024
    headers = {**student_headers(student), "Content-Type": "application/json"}
    response = await client.post(PUSH_URL, content=padded, headers=headers)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["applied"] == 500
    assert len(await attempt_ids(db_session, student.id)) == 500
    mastery = (await mastery_of(db_session, student.id))[question.concept_id]
    assert mastery[1:3] == (500, 0)

    too_big = body + b" " * (4 * 1024 * 1024 + 1 - len(body))
    response = await client.post(PUSH_URL, content=too_big, headers=headers)
    assert response.status_code == 413
    assert len(await attempt_ids(db_session, student.id)) == 500
