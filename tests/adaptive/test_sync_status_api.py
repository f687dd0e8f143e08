"""The teachers' and admins' view of the sync (issue 17, items 1 and 4) through the HTTP API:
a teacher sees the devices and dead letters of their own classes' students only, and can ask
for a retry of those dead letters only; an adaptive admin and a platform admin see everyone;
what a device reports (cursor, changes not yet pulled, its queue) is what the view shows."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import ADMIN_ROLE, TEACHER_ROLE, QuestionKind, SyncStatus
from lyceum.adaptive.models import Question, SyncOperation, User
from tests.adaptive.rows import suffix
from tests.adaptive.sync_world import (
    PUSH_URL,
    World,
    attempt_op,
    build_world,
    pull_page,
    student_headers,
)
from tests.fixtures.tokens import token_for

STATUS_URL = "/api/adaptive/sync/status"


def retry_url(operation_id: str | uuid.UUID) -> str:
    return f"/api/adaptive/sync/dead-letters/{operation_id}/retry"


def teacher_of(world: World) -> dict[str, str]:
    return token_for(TEACHER_ROLE, subject=str(world.teacher.id))


async def sync_students(client: httpx.AsyncClient, world: World) -> dict[uuid.UUID, str]:
    """Each student's device pushes one good and one bad attempt (reporting a queue behind
    them) and pulls to the end; returns each student's dead letter's operation id."""
    dead: dict[uuid.UUID, str] = {}
    for index, student in enumerate(world.students):
        device = f"phone-{index}"
        good = attempt_op(student.id, world.questions[0].id, "1", device)
        bad = attempt_op(student.id, uuid.uuid4(), "1", device)
        body = {"device_id": device, "operations": [good, bad], "pending_operations": 7 + index,
                "dead_letters": 1}  # fmt: skip
        response = await client.post(PUSH_URL, json=body, headers=student_headers(student))
        assert response.json()["rejected"] == 1, response.text
        cursor = 0
        while True:
            page = (await pull_page(client, student, device, cursor)).json()
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        dead[student.id] = bad["id"]
    return dead


async def overview(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(STATUS_URL, headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def students_in(body: dict[str, Any]) -> tuple[set[str], set[str]]:
    return (
        {device["student_id"] for device in body["devices"]},
        {letter["student_id"] for letter in body["dead_letters"]},
    )


async def test_a_teacher_sees_only_their_own_classes(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    ours, theirs = await build_world(db_session), await build_world(db_session)
    dead = {**await sync_students(client, ours), **await sync_students(client, theirs)}
    mine = {str(s.id) for s in ours.students}
    others = {str(s.id) for s in theirs.students}

    body = await overview(client, teacher_of(ours))
    assert students_in(body) == (mine, mine)
    assert {letter["operation_id"] for letter in body["dead_letters"]} == {
        dead[s.id] for s in ours.students
    }
    letter = body["dead_letters"][0]
    assert "is not on the server" in letter["reason"]
    assert letter["times_received"] == 1 and letter["retry_requested_at"] is None
    assert letter["device_id"].startswith("phone-") and letter["entity_type"] == "question_attempt"
    assert students_in(await overview(client, teacher_of(theirs))) == (others, others)

    # Filters cannot reach past the teacher's own classes.
    foreign_class = await overview(client, teacher_of(ours), class_id=str(theirs.group.id))
    assert foreign_class == {"devices": [], "dead_letters": []}
    foreign_student = theirs.students[0].id
    assert (await overview(client, teacher_of(ours), student_id=str(foreign_student))) == {
        "devices": [],
        "dead_letters": [],
    }
    one = await overview(client, teacher_of(ours), student_id=str(ours.students[1].id))
    assert students_in(one) == ({str(ours.students[1].id)},) * 2

    # A teacher token whose subject is not an account id names no classes at all.
    stranger = token_for(TEACHER_ROLE, subject="teacher@example.com")
    assert (await client.get(STATUS_URL, headers=stranger)).status_code == 404
    # A teacher of no class sees nobody.
    loner = token_for(TEACHER_ROLE, subject=str(uuid.uuid4()))
    assert (await overview(client, loner)) == {"devices": [], "dead_letters": []}


async def test_admins_see_every_class(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    first, second = await build_world(db_session), await build_world(db_session)
    await sync_students(client, first)
    await sync_students(client, second)
    everyone = {str(s.id) for s in first.students + second.students}
    for headers in (
        token_for(ADMIN_ROLE, subject=str(uuid.uuid4())),
        token_for("admin", subject="operator@example.com"),
    ):
        devices, letters = students_in(await overview(client, headers))
        assert everyone <= devices and everyone <= letters
        by_class = await overview(client, headers, class_id=str(second.group.id))
        assert students_in(by_class) == ({str(s.id) for s in second.students},) * 2


async def test_the_device_view_shows_what_devices_reported_and_what_they_have_not_pulled(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session)
    await sync_students(client, world)
    devices = {d["student_id"]: d for d in (await overview(client, teacher_of(world)))["devices"]}
    for index, student in enumerate(world.students):
        device = devices[str(student.id)]
        assert device["device_id"] == f"phone-{index}"
        assert (device["pending_operations"], device["dead_letters"]) == (7 + index, 1)
        assert device["operations_applied"] == 1
        assert device["changes_behind"] == 0 and device["cursor"] > 0
        assert device["last_push_at"] and device["last_pull_at"]

    # A new question is a change every device has yet to pull.
    db_session.add(
        Question(concept_id=world.questions[0].concept_id, code=f"Q-{suffix()}", text="New",
                 kind=QuestionKind.NUMERIC, correct_answer="3")
    )  # fmt: skip
    await db_session.commit()
    devices = {d["student_id"]: d for d in (await overview(client, teacher_of(world)))["devices"]}
    assert all(d["changes_behind"] == 1 for d in devices.values())


async def test_a_retry_is_asked_only_of_a_dead_letter_the_caller_may_see(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    ours, theirs = await build_world(db_session), await build_world(db_session)
    dead = {**await sync_students(client, ours), **await sync_students(client, theirs)}
    our_letter, their_letter = dead[ours.students[0].id], dead[theirs.students[0].id]

    refused = await client.post(retry_url(their_letter), headers=teacher_of(ours))
    assert refused.status_code == 404
    letters = (await overview(client, teacher_of(theirs)))["dead_letters"]
    assert all(letter["retry_requested_at"] is None for letter in letters)
    # Nor a stranger's id, nor an applied operation's.
    assert (await client.post(retry_url(uuid.uuid4()), headers=teacher_of(ours))).status_code == 404
    applied = await db_session.scalar(
        select(SyncOperation.id).where(
            SyncOperation.student_id == ours.students[0].id,
            SyncOperation.status == SyncStatus.COMPLETED,
        )
    )
    assert applied is not None
    assert (await client.post(retry_url(applied), headers=teacher_of(ours))).status_code == 404

    accepted = await client.post(retry_url(our_letter), headers=teacher_of(ours))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["operation_id"] == our_letter
    letters = {
        letter["operation_id"]: letter
        for letter in (await overview(client, teacher_of(ours)))["dead_letters"]
    }
    assert letters[our_letter]["retry_requested_at"] is not None
    # Only that student's device hears of it, on its next pull.
    student, other = ours.students
    asked = (await pull_page(client, student, "phone-0")).json()["retry_operations"]
    assert asked == [our_letter]
    assert (await pull_page(client, other, "phone-1")).json()["retry_operations"] == []
    assert (await pull_page(client, student, "tablet-0")).json()["retry_operations"] == []

    admin = token_for(ADMIN_ROLE, subject=str(uuid.uuid4()))
    assert (await client.post(retry_url(their_letter), headers=admin)).status_code == 200


async def test_a_deactivated_student_stays_listed_for_their_teacher(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """Deactivating a student does not hide their devices' dead letters from the teacher
    (they may still need resolving)."""
    world = await build_world(db_session)
    dead = await sync_students(client, world)
    student = await db_session.get(User, world.students[0].id)
    assert student is not None
    student.is_active = False
    await db_session.commit()
    letters = (await overview(client, teacher_of(world)))["dead_letters"]
    assert dead[student.id] in {letter["operation_id"] for letter in letters}
