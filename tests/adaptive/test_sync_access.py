"""Who may push and pull (issue 17, item 4) through the HTTP API: a device acts only for the
student its token names — an operation naming anyone else is rejected and nothing of it is
applied; staff tokens, tokens naming no adaptive account, deactivated students and callers
without a token are refused; and an adaptive student signs in through the platform's
`POST /api/auth/login` with a real Argon2 hash and then pulls with the token it gets."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import ADMIN_ROLE, STUDENT_ROLE, TEACHER_ROLE, UserRole
from lyceum.adaptive.models import (
    ConceptMastery,
    QuestionAttempt,
    StudentProfile,
    StudyPlan,
    StudyPlanEvent,
    SyncOperation,
    User,
)
from lyceum.adaptive.sync import Clock
from lyceum.core.auth import hash_password, verify_token
from lyceum.core.settings import load_settings
from tests.adaptive.rows import suffix
from tests.adaptive.sync_world import (
    PULL_URL,
    PUSH_URL,
    World,
    attempt_op,
    build_world,
    plan_event_op,
    profile_op,
    pull_page,
    push_ops,
)
from tests.fixtures.tokens import token_for

DEVICE = "phone-1"


async def footprint(db: AsyncSession, student_id: uuid.UUID) -> dict[str, Any]:
    """Everything the server holds of a student that a push could change."""
    attempts = await db.execute(
        select(QuestionAttempt.id, QuestionAttempt.answer, QuestionAttempt.is_correct)
        .where(QuestionAttempt.student_id == student_id)
    )  # fmt: skip
    ledger = await db.execute(
        select(SyncOperation.id, SyncOperation.status, SyncOperation.attempts,
               SyncOperation.payload, SyncOperation.last_error, SyncOperation.device_id)
        .where(SyncOperation.student_id == student_id)
    )  # fmt: skip
    mastery = await db.execute(
        select(ConceptMastery.concept_id, ConceptMastery.mastery, ConceptMastery.attempts_count)
        .where(ConceptMastery.student_id == student_id)
    )  # fmt: skip
    profile = await db.execute(
        select(StudentProfile.exam_date, StudentProfile.available_hours_per_week,
               StudentProfile.field_clocks).where(StudentProfile.user_id == student_id)
    )  # fmt: skip
    events = await db.execute(
        select(StudyPlanEvent.id).where(StudyPlanEvent.student_id == student_id)
    )
    return {
        "attempts": sorted(map(tuple, attempts.all())),
        "ledger": sorted((tuple(r) for r in ledger.all()), key=lambda r: str(r[0])),
        "mastery": sorted(map(tuple, mastery.all())),
        "profile": tuple(profile.one()),
        "events": sorted(events.scalars()),
    }


def valid_push(world: World) -> dict[str, Any]:
    student, question = world.students[0], world.questions[0]
    return {"device_id": DEVICE, "operations": [attempt_op(student.id, question.id, "1", DEVICE)]}


async def test_an_operation_naming_another_student_is_rejected_and_nothing_of_it_applied(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=2)
    student, other = world.students
    plan = StudyPlan(student_id=other.id, starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 1),
                     schedule=[])  # fmt: skip
    db_session.add(plan)
    await db_session.commit()
    # The other student's own history: an applied attempt and a dead letter.
    theirs_applied = attempt_op(other.id, world.questions[1].id, "2", "tablet-2")
    theirs_dead = attempt_op(other.id, uuid.uuid4(), "2", "tablet-2")
    response = await push_ops(client, other, "tablet-2", [theirs_applied, theirs_dead])
    assert [r["status"] for r in response.json()["results"]] == ["applied", "rejected"]
    before = await footprint(db_session, other.id)
    assert before["attempts"] and before["mastery"] and len(before["ledger"]) == 2

    stamp = Clock(int(datetime.now(UTC).timestamp() * 1000) - 1_000, 0, DEVICE).encode()
    own = attempt_op(student.id, world.questions[0].id, "1", DEVICE)
    hostile = [
        # An attempt in the other's name, right answer and all.
        attempt_op(other.id, world.questions[0].id, "1", DEVICE),
        # Their profile, with a winning clock.
        profile_op(other.id, {"available_hours_per_week": 0.0, "exam_date": "2030-01-01"}, stamp),
        # Progress on their plan, in their name.
        plan_event_op(other.id, plan.id, DEVICE),
        # My attempt under their operation ids (replacing the applied one, reviving the dead).
        attempt_op(student.id, world.questions[2].id, "3", DEVICE, op_id=uuid.UUID(
            theirs_applied["id"])),
        attempt_op(student.id, world.questions[2].id, "3", DEVICE, op_id=uuid.UUID(
            theirs_dead["id"])),
    ]  # fmt: skip
    response = await push_ops(client, student, DEVICE, [hostile[0], own, *hostile[1:]])
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"] + ["rejected"] * 4
    for result in results[:1] + results[2:4]:
        assert "names another student" in result["reason"], result
    for result in results[4:]:
        assert "another device" in result["reason"], result

    assert await footprint(db_session, other.id) == before
    # What was rejected is the pushing student's dead letter, not the other's.
    owners = dict(
        (
            await db_session.execute(
                select(SyncOperation.id, SyncOperation.student_id).where(
                    SyncOperation.id.in_([uuid.UUID(op["id"]) for op in hostile[:3]])
                )
            )
        ).all()
    )
    assert set(owners.values()) == {student.id} and len(owners) == 3
    mine = await footprint(db_session, student.id)
    assert [a[0] for a in mine["attempts"]] == [uuid.UUID(own["entity_id"])]


async def test_staff_tokens_neither_push_nor_pull(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    for headers in (
        token_for(TEACHER_ROLE, subject=str(world.teacher.id)),
        token_for(ADMIN_ROLE, subject=str(uuid.uuid4())),
        token_for("admin", subject=str(uuid.uuid4())),
    ):
        pushed = await client.post(PUSH_URL, json=valid_push(world), headers=headers)
        assert pushed.status_code == 403, pushed.text
        pulled = await pull_page(client, student, DEVICE, headers=headers)
        assert pulled.status_code == 403, pulled.text
    assert (await footprint(db_session, student.id))["attempts"] == []


async def test_a_student_token_reads_no_status_and_retries_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    headers = token_for(STUDENT_ROLE, subject=str(student.id))
    dead = attempt_op(student.id, uuid.uuid4(), "1", DEVICE)
    assert (await push_ops(client, student, DEVICE, [dead])).json()["rejected"] == 1
    assert (await client.get("/api/adaptive/sync/status", headers=headers)).status_code == 403
    retry = await client.post(
        f"/api/adaptive/sync/dead-letters/{dead['id']}/retry", headers=headers
    )
    assert retry.status_code == 403
    requested = await db_session.scalar(
        select(SyncOperation.retry_requested_at).where(SyncOperation.id == uuid.UUID(dead["id"]))
    )
    assert requested is None


async def test_tokens_naming_no_active_student_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    body = valid_push(world)

    # Unauthenticated: 401 everywhere.
    assert (await client.post(PUSH_URL, json=body)).status_code == 401
    assert (await client.get(PULL_URL, params={"device_id": DEVICE})).status_code == 401
    assert (await client.get("/api/adaptive/sync/status")).status_code == 401
    assert (
        await client.post(f"/api/adaptive/sync/dead-letters/{uuid.uuid4()}/retry")
    ).status_code == 401
    # A student role whose subject is no adaptive account id (an operator's email).
    not_an_id = token_for(STUDENT_ROLE, subject="someone@example.com")
    # Its role is admitted, so not 401/403: 404, the account it names does not exist here.
    response = await client.post(PUSH_URL, json=body, headers=not_an_id)
    assert response.status_code == 404
    assert "adaptive account" in response.json()["error"]["message"]
    assert (await pull_page(client, student, DEVICE, headers=not_an_id)).status_code == 404
    # A student role naming an account that is not a student's (the teacher's id).
    teacher_as_student = token_for(STUDENT_ROLE, subject=str(world.teacher.id))
    assert (await client.post(PUSH_URL, json=body, headers=teacher_as_student)).status_code == 403
    pulled = await pull_page(client, student, DEVICE, headers=teacher_as_student)
    assert pulled.status_code == 403
    # A well-formed id of no account at all (deleted since the token was issued).
    nobody = token_for(STUDENT_ROLE, subject=str(uuid.uuid4()))
    assert (await client.post(PUSH_URL, json=body, headers=nobody)).status_code == 403
    assert (await pull_page(client, student, DEVICE, headers=nobody)).status_code == 403

    # A deactivated student's token, still unexpired, pushes nothing.
    await db_session.execute(update(User).where(User.id == student.id).values(is_active=False))
    await db_session.commit()
    response = await push_ops(client, student, DEVICE, body["operations"])
    assert response.status_code == 403
    assert (await pull_page(client, student, DEVICE)).status_code == 403
    footprint_after = await footprint(db_session, student.id)
    assert footprint_after["attempts"] == [] and footprint_after["ledger"] == []


async def test_an_adaptive_student_signs_in_and_pulls_with_the_token(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    email, password = f"ravi.{suffix()}@school.example", "a long enough passphrase 42"
    student = User(username=f"ravi-{suffix()}", email=email, role=UserRole.STUDENT,
                   password_hash=hash_password(password), full_name="Ravi S")  # fmt: skip
    db_session.add(student)
    await db_session.flush()
    db_session.add(StudentProfile(user_id=student.id, grade=10, available_hours_per_week=5.0,
                                  class_id=world.group.id))  # fmt: skip
    await db_session.commit()

    wrong = await client.post("/api/auth/login", json={"email": email, "password": "not it"})
    assert wrong.status_code == 401
    assert "access_token" not in wrong.text
    # The address as typed, in another case: the same account.
    response = await client.post(
        "/api/auth/login", json={"email": email.upper(), "password": password}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    settings = load_settings()
    principal = verify_token(
        token, secret=settings.effective_secret_key, audience=settings.jwt_audience
    )
    assert principal.subject == str(student.id)
    assert principal.roles == frozenset({STUDENT_ROLE})

    bearer = {"Authorization": f"Bearer {token}"}
    pulled = await pull_page(client, student, DEVICE, 0, 5_000, headers=bearer)
    assert pulled.status_code == 200, pulled.text
    kinds = {(c["entity_type"], c["entity_id"]) for c in pulled.json()["changes"]}
    assert ("user", str(student.id)) in kinds
    assert ("question", str(world.questions[0].id)) in kinds
    op = attempt_op(student.id, world.questions[0].id, "1", DEVICE)
    pushed = await push_ops(client, student, DEVICE, [op], headers=bearer)
    assert pushed.status_code == 200 and pushed.json()["applied"] == 1

    # Deactivated, the same password opens nothing.
    await db_session.execute(update(User).where(User.id == student.id).values(is_active=False))
    await db_session.commit()
    refused = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert refused.status_code == 401
