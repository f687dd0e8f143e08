"""The learning API (issue 18, item 5) over HTTP on PostgreSQL: students see and change only
their own data; teachers only their classes; answering writes the attempt and its mastery in
one transaction (and queues the replan), idempotently by attempt id, never showing an answer
before it is given. Plans, the profile and class views: test_learning_plans_api.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import ADMIN_ROLE, UserRole
from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.models import (
    QuestionAttempt,
    StudyPlan,
    User,
)
from tests.adaptive.learning_api_world import (
    BASE,
    answer,
    attempts_of,
    mastery_rows,
    replan_jobs,
    set_exam,
    staff_headers,
    student_url,
)
from tests.adaptive.rows import ARGON2ID, suffix
from tests.adaptive.sync_world import build_world, student_headers
from tests.fixtures.tokens import token_for

# ---- who sees what -------------------------------------------------------------------------


async def test_a_student_sees_and_changes_only_their_own_learning_data(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=2)
    await set_exam(db_session, world)
    me, other = world.students
    mine = student_headers(me)
    for path in ("mastery", "next-question", "profile"):
        response = await client.get(student_url(me, path), headers=mine)
        assert response.status_code == 200, (path, response.text)
    assert (await client.post(student_url(me, "plan"), headers=mine)).status_code == 200
    assert (await client.get(student_url(me, "plan"), headers=mine)).status_code == 200

    before = (await mastery_rows(db_session, other.id), await attempts_of(db_session, other.id))
    calls = [
        ("GET", "mastery", None), ("GET", "next-question", None), ("GET", "plan", None),
        ("POST", "plan", None), ("GET", "profile", None),
        ("PATCH", "profile", {"available_hours_per_week": 1.0}),
        ("POST", "attempts", answer(world, world.questions[0])),
    ]  # fmt: skip
    for method, path, body in calls:
        response = await client.request(method, student_url(other, path), headers=mine, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["message"] == (
            "a student sees and changes only their own learning data"
        )
    after = (await mastery_rows(db_session, other.id), await attempts_of(db_session, other.id))
    assert before == after
    profile = await client.get(student_url(other, "profile"), headers=student_headers(other))
    assert profile.json()["available_hours_per_week"] == 6.0
    assert await db_session.scalar(
        select(func.count()).select_from(StudyPlan).where(StudyPlan.student_id == other.id)
    ) == 0  # fmt: skip
    # A student token naming no adaptive account, and no token at all.
    stray = token_for("adaptive:student", subject="someone@example.com")
    assert (await client.get(student_url(me, "mastery"), headers=stray)).status_code == 404
    assert (await client.get(student_url(me, "mastery"))).status_code == 401


async def test_a_teacher_sees_only_their_classes_and_an_admin_everyone(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    elsewhere = await build_world(db_session, students=1)
    teacher, student, stranger = world.teacher, world.students[0], elsewhere.students[0]
    headers = staff_headers(teacher)
    assert (await client.get(student_url(student, "mastery"), headers=headers)).status_code == 200
    for path in ("mastery", "profile", "next-question"):
        refused = await client.get(student_url(stranger, path), headers=headers)
        assert refused.status_code == 404, path
        assert refused.json()["error"]["message"] == "no student with this id in your classes"
    # Answering is the student's own act.
    sent = await client.post(student_url(student, "attempts"), headers=headers,
                             json=answer(world, world.questions[0]))  # fmt: skip
    assert sent.status_code == 403

    listed = (await client.get(f"{BASE}/classes", headers=headers)).json()
    assert [c["class_id"] for c in listed] == [str(world.group.id)]
    assert listed[0]["students"] == 1
    for path in ("mastery", "shortfalls"):
        url = f"{BASE}/classes/{elsewhere.group.id}/{path}"
        refused = await client.get(url, headers=headers)
        assert refused.status_code == 404
        assert refused.json()["error"]["message"] == "no class with this id among your classes"

    admin = User(username=f"admin-{suffix()}", role=UserRole.ADMIN, password_hash=ARGON2ID)
    db_session.add(admin)
    await db_session.commit()
    everyone = staff_headers(admin, ADMIN_ROLE)
    assert (await client.get(student_url(stranger, "mastery"), headers=everyone)).status_code == 200
    classes = {
        c["class_id"] for c in (await client.get(f"{BASE}/classes", headers=everyone)).json()
    }
    assert {str(world.group.id), str(elsewhere.group.id)} <= classes
    missing = await client.get(f"{BASE}/students/{uuid.uuid4()}/mastery", headers=everyone)
    assert missing.status_code == 404
    # Students have no class views.
    student_view = await client.get(f"{BASE}/classes", headers=student_headers(student))
    assert student_view.status_code == 403


# ---- answering -----------------------------------------------------------------------------


async def test_an_answer_updates_mastery_in_its_transaction_and_queues_the_replan(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student, question = world.students[0], world.questions[0]
    headers = student_headers(student)
    nxt = await client.get(student_url(student, "next-question"), headers=headers)
    assert nxt.status_code == 200
    offered = nxt.json()
    # Never the answer before it is given.
    assert "correct_answer" not in offered and "explanation" not in offered
    assert not any(str(v) == world.answers[uuid.UUID(offered["question_id"])][0]
                   for k, v in offered.items() if k not in ("code", "text"))  # fmt: skip
    assert offered["reason"] and 0 < offered["predicted_success"] < 1

    response = await client.post(student_url(student, "attempts"), headers=headers,
                                 json=answer(world, question))  # fmt: skip
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["is_correct"] is True and result["duplicate"] is False
    assert result["correct_answer"] == world.answers[question.id][0]
    assert result["mastery"] > result["mastery_before"]
    [(concept, mastery, confidence, attempts, correct)] = await mastery_rows(db_session, student.id)
    assert concept == question.concept_id and (attempts, correct) == (1, 1)
    assert mastery == pytest.approx(result["mastery"], abs=1e-6)
    assert confidence == pytest.approx(bkt.confidence(mastery))
    [(status, args)] = await replan_jobs(db_session, student.id)
    assert status == "todo" and args == {"student_id": str(student.id)}

    # A wrong answer lowers it; still one waiting replan job.
    wrong = await client.post(student_url(student, "attempts"), headers=headers,
                              json=answer(world, world.questions[2], right=False))  # fmt: skip
    assert wrong.json()["is_correct"] is False
    assert wrong.json()["mastery"] < wrong.json()["mastery_before"]
    assert len(await replan_jobs(db_session, student.id)) == 1


async def test_a_refused_answer_changes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    headers = student_headers(student)
    first = await client.post(student_url(student, "attempts"), headers=headers,
                              json=answer(world, world.questions[0]))  # fmt: skip
    assert first.status_code == 200
    before = (await mastery_rows(db_session, student.id), await attempts_of(db_session, student.id))
    refused = {
        "unknown question": ({**answer(world, world.questions[0]),
                              "question_id": str(uuid.uuid4())}, 422),
        "a future time": (answer(world, world.questions[1], attempted_at=(
            datetime.now(UTC) + timedelta(hours=2)).isoformat()), 422),
        "an extra field": (answer(world, world.questions[1], is_correct=True), 422),
        "a string for a number": ({**answer(world, world.questions[1]),
                                   "time_taken_seconds": "40"}, 422),
    }  # fmt: skip
    for name, (body, status) in refused.items():
        response = await client.post(student_url(student, "attempts"), headers=headers, json=body)
        assert response.status_code == status, (name, response.text)
        assert response.json()["error"]["message"], name
    after = (await mastery_rows(db_session, student.id), await attempts_of(db_session, student.id))
    assert after == before


async def test_the_attempt_is_not_kept_when_its_mastery_cannot_be_written(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """One transaction: a failure writing mastery (injected by a trigger of the test's own,
    rolled back with it) takes the attempt and the replan job with it."""
    world = await build_world(db_session, students=1)
    student, question = world.students[0], world.questions[0]
    await db_session.execute(text("""
        CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'mastery write refused by the test'; END $$
    """))  # fmt: skip
    await db_session.execute(text(
        "CREATE TRIGGER refuse_mastery BEFORE INSERT OR UPDATE ON adaptive.concept_mastery"
        " FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse()"
    ))  # fmt: skip
    response = await client.post(
        student_url(student, "attempts"),
        headers=student_headers(student),
        json=answer(world, question),
    )
    assert response.status_code == 500
    assert await attempts_of(db_session, student.id) == 0
    assert await mastery_rows(db_session, student.id) == []
    assert await replan_jobs(db_session, student.id) == []


async def test_an_attempt_id_makes_answering_idempotent(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=2)
    student, other = world.students
    attempt_id = str(uuid.uuid4())
    body = answer(world, world.questions[0], attempt_id=attempt_id, device_id="tablet-7")
    url, headers = student_url(student, "attempts"), student_headers(student)
    first = (await client.post(url, headers=headers, json=body)).json()
    again = await client.post(url, headers=headers, json=body)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["attempt_id"] == attempt_id
    assert again.json()["mastery"] == pytest.approx(first["mastery"])
    assert await attempts_of(db_session, student.id) == 1
    stored = await db_session.get(QuestionAttempt, uuid.UUID(attempt_id))
    assert stored is not None and stored.device_id == "tablet-7"
    rows = await mastery_rows(db_session, student.id)
    assert rows[0][3] == 1
    # The same id with another answer, or by another student: a conflict, nothing changes.
    changed = await client.post(
        url, headers=headers, json={**body, "answer": world.answers[world.questions[0].id][1]}
    )
    assert changed.status_code == 409
    theirs = await client.post(student_url(other, "attempts"), headers=student_headers(other),
                               json=body)  # fmt: skip
    assert theirs.status_code == 409
    assert await mastery_rows(db_session, student.id) == rows
    assert await attempts_of(db_session, other.id) == 0
