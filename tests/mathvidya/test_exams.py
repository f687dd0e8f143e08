"""Exams through the API and the service, on a real question bank in the test database:
generating papers (counts, marks, unit weightage, seen questions avoided, the stored seed,
the shortage message), starting (the quota), saving answers (idempotent, out of order),
declaring questions unanswered, handing in (MCQ marking, MCQ-only results), the deadline,
the job that hands in overdue exams, who may read an exam, and bad input."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from lyceum.core.errors import Conflict, Forbidden, InvalidInput
from lyceum.core.settings import async_url
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.repository import exams as repository
from lyceum.mathvidya.repository.sla import load_calendar
from lyceum.mathvidya.service import exams as service
from lyceum.mathvidya.service import quota
from lyceum.mathvidya.service.audit import SYSTEM, Actor
from lyceum.mathvidya.synthetic.papers import BOARD_SECTIONS, UNIT_SECTIONS
from lyceum.mathvidya.tasks import submit_overdue_exams_now
from tests.mathvidya.calls import as_account, error_fields
from tests.mathvidya.exam_fixtures import (
    BOARD_CONFIG,
    CHOICES,
    XII_WEIGHTAGE,
    add_bank,
    add_student,
    board_template,
    mcq_template,
    unit_template,
)
from tests.mathvidya.rows import ARGON2ID_HASH, add, add_template, add_user

API = "/api/mathvidya"


def actor(student: uuid.UUID) -> Actor:
    return Actor(student, UserRole.STUDENT, "Asha Verma", "XII")


async def exam_row(db: AsyncSession, exam_id: uuid.UUID | str) -> dict[str, Any]:
    row = await db.execute(
        text("SELECT *, status::text AS status_text FROM mathvidya.exam_instances WHERE id = :id"),
        {"id": str(exam_id)},
    )
    return dict(row.mappings().one())


async def audit_actions(db: AsyncSession, exam_id: uuid.UUID | str) -> list[dict[str, Any]]:
    rows = await db.execute(
        text(
            "SELECT action, actor_user_id, details FROM mathvidya.audit_logs"
            # Requests of one test share its transaction's now(): xmin orders them (see
            # test_questions.audit_actions).
            " WHERE entity_id = :id ORDER BY occurred_at, xmin::text::bigint"
        ),
        {"id": str(exam_id)},
    )
    return [dict(r._mapping) for r in rows]


async def used_this_month(db: AsyncSession, student: uuid.UUID) -> int:
    return int(
        (
            await db.execute(
                text(
                    "SELECT exams_used_this_month FROM mathvidya.subscriptions"
                    " WHERE user_id = :u AND status = 'active'"
                ),
                {"u": student},
            )
        ).scalar_one()
    )


# ---- templates and generation --------------------------------------------------------------


async def test_a_student_sees_the_active_templates_of_their_class(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    mine = await board_template(db_session)
    retired = await add_template(db_session, "unit_wise", class_level="XII", is_active=False)
    other_class = await add_template(db_session, "board_exam", class_level="X")
    student = await add_student(db_session)
    answer = await client.get(
        f"{API}/exam-templates/available", headers=as_account("student", student)
    )
    assert answer.status_code == 200, answer.text
    ids = {t["id"] for t in answer.json()}
    assert str(mine) in ids
    assert str(retired) not in ids and str(other_class) not in ids
    [board] = [t for t in answer.json() if t["id"] == str(mine)]
    assert [s["count"] for s in board["sections"]] == [20, 5, 6, 4, 3]
    assert board["unit_weightage"]["Calculus"] == 35


async def test_a_board_paper_from_the_bank_meets_its_template(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session)
    template = await board_template(db_session)
    student = await add_student(db_session)
    answer = await client.post(
        f"{API}/exams", json={"template_id": str(template)}, headers=as_account("student", student)
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "created" and body["question_count"] == 38
    assert body["total_marks"] == 80 and body["duration_minutes"] == 180
    # The paper is shown once started (the quota is spent then), not before.
    assert body["questions_shown"] is False and body["questions"] == []
    row = await exam_row(db_session, body["id"])
    paper = row["questions_snapshot"]
    assert [q["number"] for q in paper] == list(range(1, 39))
    assert len({q["question_id"] for q in paper}) == 38
    by_section = Counter(q["section"] for q in paper)
    assert by_section == {"A": 20, "B": 5, "C": 6, "D": 4, "E": 3}
    for section in BOARD_SECTIONS:
        mine = [q for q in paper if q["section"] == section["name"]]
        assert {(q["type"], q["marks"]) for q in mine} == {
            (section["question_type"], section["marks_each"])
        }
    marks_per_unit: Counter[str] = Counter()
    for q in paper:
        marks_per_unit[q["unit"]] += q["marks"]
    assert dict(marks_per_unit) == XII_WEIGHTAGE
    # The answer key is kept for marking.
    assert all(q["correct_option"] in "ABCD" for q in paper if q["type"] == "MCQ")
    snapshot = row["template_snapshot"]
    assert isinstance(snapshot["seed"], int) and snapshot["tolerance"] == 0
    assert snapshot["config"] == BOARD_CONFIG
    used = await db_session.execute(
        text("SELECT count(*) FROM mathvidya.questions WHERE times_used = 1")
    )
    assert used.scalar_one() == 38
    [generated] = await audit_actions(db_session, body["id"])
    assert generated["action"] == "exam.generated" and generated["actor_user_id"] == student
    assert generated["details"]["seed"] == snapshot["seed"]
    # Nothing is spent until the start.
    assert await used_this_month(db_session, student) == 0


async def test_a_short_bank_is_refused_naming_section_unit_and_type(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    # Calculus (35 marks) has 2 SA questions and one of each other kind: 18 marks at most.
    others = tuple(u for u in XII_WEIGHTAGE if u != "Calculus")
    await add_bank(db_session, units=others)
    thin = (("MCQ", 1, 1), ("VSA", 2, 1), ("SA", 3, 2), ("LA", 5, 1), ("LA", 4, 1))
    await add_bank(db_session, kinds=thin, units=("Calculus",))
    template = await board_template(db_session)
    student = await add_student(db_session)
    before = await db_session.execute(text("SELECT count(*) FROM mathvidya.exam_instances"))
    answer = await client.post(
        f"{API}/exams", json={"template_id": str(template)}, headers=as_account("student", student)
    )
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["message"].startswith("the question bank cannot set this paper: ")
    assert (
        "section C needs 6 SA questions of 3 marks; unit 'Calculus' should give"
        in (error["message"])
    )
    assert "has 2 active for class XII" in error["message"]
    [short] = [
        s for s in error["details"]["shortfalls"] if s["unit"] == "Calculus" and s["section"] == "C"
    ]
    assert short["section"] == "C" and short["available"] == 2 and short["short"] >= 1
    after = await db_session.execute(text("SELECT count(*) FROM mathvidya.exam_instances"))
    assert after.scalar_one() == before.scalar_one()


async def test_a_unit_paper_short_of_a_type_says_by_how_many(db_session: AsyncSession) -> None:
    await add_bank(db_session, kinds=(("MCQ", 1, 10), ("VSA", 2, 4), ("SA", 3, 1), ("LA", 5, 2)))
    template = await unit_template(db_session)
    student = await add_student(db_session)
    with pytest.raises(Conflict) as raised:
        await service.generate(db_session, actor(student), SYSTEM, template)
    assert raised.value.message == (
        "the question bank cannot set this paper: section C needs 2 SA questions of 3 marks;"
        " the bank has 1 active ones for class XII in the paper's units, 1 short"
    )


async def test_a_second_paper_avoids_the_questions_of_the_first(db_session: AsyncSession) -> None:
    await add_bank(db_session, units=("Calculus",))
    template = await unit_template(db_session)
    student = await add_student(db_session)
    first = await service.generate(db_session, actor(student), SYSTEM, template, seed=1)
    second = await service.generate(db_session, actor(student), SYSTEM, template, seed=1)
    one = {q["question_id"] for q in (await exam_row(db_session, first.id))["questions_snapshot"]}
    two = {q["question_id"] for q in (await exam_row(db_session, second.id))["questions_snapshot"]}
    assert len(one) == len(two) == 10
    assert not one & two
    # Another student, same seed and a fresh history: the bank's least-used questions, not
    # the first student's avoidance.
    assert (await exam_row(db_session, second.id))["template_snapshot"]["repeated"] == 0


async def test_the_stored_seed_rebuilds_the_same_paper(db_session: AsyncSession) -> None:
    await add_bank(db_session)
    template = await board_template(db_session)
    student = await add_student(db_session)
    savepoint = await db_session.begin_nested()
    exam = await service.generate(db_session, actor(student), SYSTEM, template)
    row = await exam_row(db_session, exam.id)
    seed = row["template_snapshot"]["seed"]
    paper = [(q["number"], q["question_id"]) for q in row["questions_snapshot"]]
    await savepoint.rollback()
    # The bank as it stood: the same seed gives the same paper, question for question.
    again = await service.generate(db_session, actor(student), SYSTEM, template, seed=seed)
    rebuilt = await exam_row(db_session, again.id)
    assert [(q["number"], q["question_id"]) for q in rebuilt["questions_snapshot"]] == paper
    assert rebuilt["template_snapshot"]["seed"] == seed


# ---- starting, answering, handing in -------------------------------------------------------


async def _started(
    client: httpx.AsyncClient, db: AsyncSession, template: uuid.UUID, student: uuid.UUID
) -> dict[str, Any]:
    headers = as_account("student", student)
    created = await client.post(
        f"{API}/exams", json={"template_id": str(template)}, headers=headers
    )
    assert created.status_code == 201, created.text
    started = await client.post(f"{API}/exams/{created.json()['id']}/start", headers=headers)
    assert started.status_code == 200, started.text
    body: dict[str, Any] = started.json()
    return body


async def test_starting_spends_the_quota_and_shows_the_paper_without_answers(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session)
    template = await board_template(db_session)
    student = await add_student(db_session, used=2)
    body = await _started(client, db_session, template, student)
    assert body["status"] == "in_progress" and body["questions_shown"] is True
    started = datetime.fromisoformat(body["started_at"])
    assert datetime.fromisoformat(body["deadline"]) == started + timedelta(minutes=180)
    assert len(body["questions"]) == 38
    first = body["questions"][0]
    assert first["choices"] and first["text"] and first["question_type"] == "MCQ"
    assert all(q["correct_option"] is None and q["explanation"] is None for q in body["questions"])
    assert await used_this_month(db_session, student) == 3
    # (One transaction in a test: the rows share a timestamp, so compare them unordered.)
    actions = sorted(a["action"] for a in await audit_actions(db_session, body["id"]))
    assert actions == ["exam.generated", "exam.started"]
    again = await client.post(
        f"{API}/exams/{body['id']}/start", headers=as_account("student", student)
    )
    assert again.status_code == 409
    assert await used_this_month(db_session, student) == 3


async def test_a_used_up_quota_refuses_the_start_with_the_reset_date(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session, units=("Calculus",))
    template = await unit_template(db_session)
    student = await add_student(db_session, used=4)
    headers = as_account("student", student)
    first = await client.post(f"{API}/exams", json={"template_id": str(template)}, headers=headers)
    second = await client.post(f"{API}/exams", json={"template_id": str(template)}, headers=headers)
    assert (
        await client.post(f"{API}/exams/{first.json()['id']}/start", headers=headers)
    ).is_success
    refused = await client.post(f"{API}/exams/{second.json()['id']}/start", headers=headers)
    assert refused.status_code == 403, refused.text
    resets = quota.next_month(quota.india_month(datetime.now(UTC)))
    assert refused.json()["error"]["message"] == (
        "You have used all 5 exams of your plan this month; your quota resets on"
        f" {quota.spoken_date(resets)}."
    )
    assert refused.json()["error"]["details"]["resets_on"] == str(resets)
    assert (await exam_row(db_session, second.json()["id"]))["status_text"] == "created"
    # No further paper is set either, with the same sentence.
    third = await client.post(f"{API}/exams", json={"template_id": str(template)}, headers=headers)
    assert third.status_code == 403 and "resets on" in third.json()["error"]["message"]


async def test_without_a_subscription_nothing_starts(db_session: AsyncSession) -> None:
    await add_bank(db_session, units=("Calculus",))
    template = await unit_template(db_session)
    student = await add_user(db_session, "student", student_class="XII")
    with pytest.raises(Forbidden) as raised:
        await service.generate(db_session, actor(student), SYSTEM, template)
    assert "no active subscription" in raised.value.message
    assert "subscribe" in raised.value.message


async def test_saves_are_idempotent_and_an_older_save_never_wins(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session)
    template = await mcq_template(db_session)
    student = await add_student(db_session)
    exam = await _started(client, db_session, template, student)
    headers = as_account("student", student)
    url = f"{API}/exams/{exam['id']}/answers/3"
    t = datetime.now(UTC)

    async def save(option: str, at: datetime) -> dict[str, Any]:
        answer = await client.put(
            url, json={"selected_option": option, "answered_at": at.isoformat()}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    assert (await save("B", t))["applied"] is True
    late_old = await save("A", t - timedelta(seconds=5))
    assert late_old["applied"] is False and late_old["selected_option"] == "B"
    repeated = await save("B", t)
    assert repeated["applied"] is False and repeated["selected_option"] == "B"
    newer = await save("C", t + timedelta(seconds=5))
    assert newer["applied"] is True and newer["selected_option"] == "C"
    rows = await db_session.execute(
        text(
            "SELECT selected_option FROM mathvidya.student_mcq_answers WHERE exam_instance_id = :e"
        ),
        {"e": exam["id"]},
    )
    assert rows.scalars().all() == ["C"]


async def test_a_declaration_and_an_answer_the_newer_wins(db_session: AsyncSession) -> None:
    await add_bank(db_session)
    template = await mcq_template(db_session)
    student = await add_student(db_session)
    me = actor(student)
    exam = await service.generate(db_session, me, SYSTEM, template)
    await service.start(db_session, me, SYSTEM, exam.id)
    t = datetime.now(UTC)
    declared = await service.declare_unanswered(db_session, me, exam.id, 4, t)
    assert declared.applied and declared.declared_unanswered
    # An answer chosen before the declaration, arriving late, does not undo it.
    stale = await service.save_answer(db_session, me, exam.id, 4, "A", t - timedelta(seconds=1))
    assert not stale.applied and stale.declared_unanswered and stale.selected_option is None
    # A later answer clears the declaration.
    later = await service.save_answer(db_session, me, exam.id, 4, "D", t + timedelta(seconds=1))
    assert later.applied and not later.declared_unanswered and later.selected_option == "D"
    # And a later declaration removes the answer (0 marks, no penalty).
    last = await service.declare_unanswered(db_session, me, exam.id, 4, t + timedelta(seconds=2))
    assert last.applied and last.declared_unanswered and last.selected_option is None
    detail = await service.read(db_session, me, exam.id)
    assert detail.declared_unanswered == 1 and detail.answered == 0


async def test_after_the_deadline_answers_are_refused(db_session: AsyncSession) -> None:
    await add_bank(db_session)
    template = await mcq_template(db_session)
    start_at = datetime.now(UTC) - timedelta(hours=2)
    student = await add_student(db_session)
    me = actor(student)
    exam = await service.generate(db_session, me, SYSTEM, template, now=start_at)
    await service.start(db_session, me, SYSTEM, exam.id, now=start_at)
    in_time = start_at + timedelta(minutes=39)
    saved = await service.save_answer(db_session, me, exam.id, 1, "A", in_time, now=in_time)
    assert saved.applied
    late = start_at + timedelta(minutes=41)
    with pytest.raises(Conflict) as raised:
        await service.save_answer(db_session, me, exam.id, 2, "A", late, now=late)
    deadline = (start_at + timedelta(minutes=40)).astimezone(quota.INDIA)
    assert raised.value.message == (
        f"The time for this exam ended at {deadline:%H:%M} on"
        f" {quota.spoken_date(deadline.date())} (India time); answers can no longer be saved."
    )
    with pytest.raises(Conflict):
        await service.declare_unanswered(db_session, me, exam.id, 2, late, now=late)


async def test_handing_in_an_mcq_paper_marks_it_and_gives_the_result(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session)
    template = await mcq_template(db_session)
    student = await add_student(db_session)
    exam = await _started(client, db_session, template, student)
    headers = as_account("student", student)
    key = {
        q["number"]: q["correct_option"]
        for q in (await exam_row(db_session, exam["id"]))["questions_snapshot"]
    }
    wrong = {"A": "B", "B": "C", "C": "D", "D": "A"}
    # 1-13 right, 14-17 wrong, 18 declared unanswered, 19-20 left blank.
    t = datetime.now(UTC).isoformat()
    for number in range(1, 18):
        option = key[number] if number <= 13 else wrong[key[number]]
        saved = await client.put(
            f"{API}/exams/{exam['id']}/answers/{number}",
            json={"selected_option": option, "answered_at": t},
            headers=headers,
        )
        assert saved.status_code == 200, saved.text
    declared = await client.put(
        f"{API}/exams/{exam['id']}/unanswered/18", json={"declared_at": t}, headers=headers
    )
    assert declared.status_code == 200, declared.text
    submitted = await client.post(f"{API}/exams/{exam['id']}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "evaluated"
    assert Decimal(body["mcq_score"]) == Decimal(13) == Decimal(body["total_score"])
    expected = (Decimal(13) * 100 / 20).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(body["percentage"]) == expected
    questions = {q["number"]: q for q in body["questions"]}
    assert questions[1]["is_correct"] is True and Decimal(questions[1]["marks_awarded"]) == 1
    assert questions[14]["is_correct"] is False and Decimal(questions[14]["marks_awarded"]) == 0
    assert questions[14]["correct_option"] == key[14]
    assert questions[18]["declared_unanswered"] is True and questions[18]["is_correct"] is None
    assert all(q["correct_option"] for q in body["questions"])
    rows = await db_session.execute(
        text(
            "SELECT count(*) FILTER (WHERE is_correct), count(*) FILTER (WHERE NOT is_correct),"
            " count(*) FILTER (WHERE is_correct IS NULL)"
            " FROM mathvidya.student_mcq_answers WHERE exam_instance_id = :e"
        ),
        {"e": exam["id"]},
    )
    assert tuple(rows.one()) == (13, 4, 0)
    audit = {a["action"]: a for a in await audit_actions(db_session, exam["id"])}
    assert sorted(audit) == ["exam.generated", "exam.started", "exam.submitted"]
    assert Decimal(audit["exam.submitted"]["details"]["mcq_score"]) == 13
    # Handing in again changes nothing and writes nothing.
    again = await client.post(f"{API}/exams/{exam['id']}/submit", headers=headers)
    assert again.status_code == 200 and again.json()["percentage"] == body["percentage"]
    assert len(await audit_actions(db_session, exam["id"])) == 3
    late = await client.put(
        f"{API}/exams/{exam['id']}/answers/19",
        json={"selected_option": "A", "answered_at": t},
        headers=headers,
    )
    assert late.status_code == 409


async def test_a_board_paper_waits_for_the_teacher_after_its_mcqs_are_marked(
    db_session: AsyncSession,
) -> None:
    await add_bank(db_session)
    template = await board_template(db_session)
    student = await add_student(db_session)
    me = actor(student)
    exam = await service.generate(db_session, me, SYSTEM, template)
    await service.start(db_session, me, SYSTEM, exam.id)
    key = {
        q["number"]: q["correct_option"]
        for q in (await exam_row(db_session, exam.id))["questions_snapshot"]
        if q["type"] == "MCQ"
    }
    now = datetime.now(UTC)
    for number in (1, 2, 3):
        await service.save_answer(db_session, me, exam.id, number, key[number], now)
    with pytest.raises(InvalidInput) as written:
        await service.save_answer(db_session, me, exam.id, 21, "A", now)
    assert written.value.details == {"field": "question_number"}
    done = await service.submit(db_session, me, SYSTEM, exam.id)
    assert done.mcq_score == 3
    assert done.total_score is None and done.percentage is None
    # The written answers go to the teachers: one evaluation, promised within the plan's SLA
    # in working hours; given to a teacher at once when one is free.
    held = (
        await db_session.execute(
            text(
                "SELECT status, sla_hours, sla_deadline, submitted_at, teacher_user_id"
                " FROM mathvidya.evaluations WHERE exam_instance_id = :e"
            ),
            {"e": exam.id},
        )
    ).one()
    assigned = held.teacher_user_id is not None
    assert done.status == ("under_evaluation" if assigned else "submitted")
    assert held.status == ("assigned" if assigned else "pending")
    calendar = await load_calendar(db_session)
    assert held.sla_deadline == calendar.add_working_hours(held.submitted_at, held.sla_hours)
    # The family sees the promise, and no marks until the whole evaluation is done.
    assert done.evaluation is not None
    assert done.evaluation.status == held.status
    assert done.evaluation.sla_deadline == held.sla_deadline
    assert done.evaluation.written_marks is None and done.evaluation.sla_met is None
    assert all(q.teacher_comment is None for q in done.questions)


async def test_the_job_hands_in_overdue_exams_once(db_session: AsyncSession) -> None:
    await add_bank(db_session)
    template = await mcq_template(db_session)
    now = datetime.now(UTC)
    # Started 56 minutes ago: its 40 minutes and 15 of grace are over.
    long_ago = now - timedelta(minutes=56)
    late_student = await add_student(db_session)
    late = actor(late_student)
    overdue = await service.generate(db_session, late, SYSTEM, template, now=long_ago)
    await service.start(db_session, late, SYSTEM, overdue.id, now=long_ago)
    key = (await exam_row(db_session, overdue.id))["questions_snapshot"][0]["correct_option"]
    answered = long_ago + timedelta(minutes=1)
    await service.save_answer(db_session, late, overdue.id, 1, key, answered, now=answered)
    running_student = await add_student(db_session)
    running = await service.generate(db_session, actor(running_student), SYSTEM, template)
    await service.start(db_session, actor(running_student), SYSTEM, running.id)
    # The job's function, as the worker runs it (its session joins this test's transaction).
    assert await submit_overdue_exams_now() == 1
    row = await exam_row(db_session, overdue.id)
    assert row["status_text"] == "evaluated" and row["mcq_score"] == 1
    assert row["percentage"] == Decimal("5.00")
    assert (await exam_row(db_session, running.id))["status_text"] == "in_progress"
    [submitted] = [
        a for a in await audit_actions(db_session, overdue.id) if a["action"] == "exam.submitted"
    ]
    assert submitted["actor_user_id"] is None and submitted["details"]["automatic"] is True
    # Idempotent: nothing is left to hand in, and nothing is handed in twice.
    assert await submit_overdue_exams_now() == 0
    assert len(await audit_actions(db_session, overdue.id)) == 3


async def test_the_job_leaves_exams_within_their_grace(db_session: AsyncSession) -> None:
    await add_bank(db_session)
    template = await mcq_template(db_session)
    started = datetime.now(UTC) - timedelta(minutes=50)
    student = await add_student(db_session)
    exam = await service.generate(db_session, actor(student), SYSTEM, template, now=started)
    await service.start(db_session, actor(student), SYSTEM, exam.id, now=started)
    # 40 minutes + 15 of grace: still 5 minutes to go; the job as the worker runs it.
    assert await submit_overdue_exams_now() == 0
    assert (await exam_row(db_session, exam.id))["status_text"] == "in_progress"
    assert await service.submit_overdue(db_session, now=started + timedelta(minutes=55)) == 1
    assert (await exam_row(db_session, exam.id))["status_text"] == "evaluated"


# ---- who may read, and bad input -----------------------------------------------------------


async def test_only_the_student_a_linked_parent_and_admins_read_an_exam(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session, units=("Calculus",))
    template = await unit_template(db_session)
    student = await add_student(db_session)
    exam = await service.generate(db_session, actor(student), SYSTEM, template)
    linked = await add_user(db_session, "parent")
    await add(db_session, "parent_student_mappings", parent_user_id=linked, student_user_id=student)
    unlinked = await add_user(db_session, "parent")
    other = await add_student(db_session)
    admin = await add_user(db_session, "admin")
    teacher = await add_user(db_session, "teacher")
    url = f"{API}/exams/{exam.id}"
    for role, who, expected in (
        ("student", student, 200),
        ("parent", linked, 200),
        ("admin", admin, 200),
        ("student", other, 404),
        ("parent", unlinked, 404),
        ("teacher", teacher, 403),
    ):
        answer = await client.get(url, headers=as_account(role, who))
        assert answer.status_code == expected, (role, answer.text)
        listed = await client.get(
            f"{API}/exams", params={"student_id": str(student)}, headers=as_account(role, who)
        )
        assert listed.status_code == expected, (role, listed.text)
        if expected == 200:
            assert [e["id"] for e in listed.json()] == [str(exam.id)]
    # Another student cannot start, answer or hand in the exam: 404, as for a missing one.
    headers = as_account("student", other)
    assert (await client.post(f"{url}/start", headers=headers)).status_code == 404
    assert (await client.post(f"{url}/submit", headers=headers)).status_code == 404
    put = await client.put(
        f"{url}/answers/1",
        json={"selected_option": "A", "answered_at": datetime.now(UTC).isoformat()},
        headers=headers,
    )
    assert put.status_code == 404
    assert (await exam_row(db_session, exam.id))["status_text"] == "created"
    # A parent lists a child's exams only by naming the child.
    unnamed = await client.get(f"{API}/exams", headers=as_account("parent", linked))
    assert unnamed.status_code == 422 and error_fields(unnamed) == {"student_id"}


async def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session)
    template = await board_template(db_session)
    student = await add_student(db_session)
    headers = as_account("student", student)
    for body, field in (
        ({"template_id": "not-a-uuid"}, "template_id"),
        ({}, "template_id"),
        ({"template_id": str(template), "colour": "red"}, "colour"),
        ({"template_id": str(template), "units": []}, "units"),
        ({"template_id": str(template), "units": ["Calculus"]}, "units"),
        ({"template_id": str(uuid.uuid4())}, "template_id"),
    ):
        answer = await client.post(f"{API}/exams", json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert field in error_fields(answer), (body, answer.json())
    count = await db_session.execute(
        text("SELECT count(*) FROM mathvidya.exam_instances WHERE student_user_id = :s"),
        {"s": student},
    )
    assert count.scalar_one() == 0
    exam = await _started(client, db_session, template, student)
    now = datetime.now(UTC).isoformat()
    for number, body, field in (
        (1, {"selected_option": "E", "answered_at": now}, "selected_option"),
        (1, {"selected_option": "A"}, "answered_at"),
        (1, {"selected_option": "A", "answered_at": "yesterday"}, "answered_at"),
        (1, {"selected_option": "A", "answered_at": "2020-01-01T00:00:00Z"}, "answered_at"),
        (0, {"selected_option": "A", "answered_at": now}, "question_number"),
        (39, {"selected_option": "A", "answered_at": now}, "question_number"),
        (25, {"selected_option": "A", "answered_at": now}, "question_number"),
    ):
        answer = await client.put(
            f"{API}/exams/{exam['id']}/answers/{number}", json=body, headers=headers
        )
        assert answer.status_code == 422, (number, body, answer.text)
        assert field in error_fields(answer), (number, body, answer.json())
    declared = await client.put(
        f"{API}/exams/{exam['id']}/unanswered/2", json={"declared_at": 5}, headers=headers
    )
    assert declared.status_code == 422 and "declared_at" in error_fields(declared)
    bad_id = await client.get(f"{API}/exams/not-a-uuid", headers=headers)
    assert bad_id.status_code == 422 and "exam_id" in error_fields(bad_id)
    written = await db_session.execute(
        text(
            "SELECT (SELECT count(*) FROM mathvidya.student_mcq_answers"
            " WHERE exam_instance_id = :e) + (SELECT count(*)"
            " FROM mathvidya.unanswered_questions WHERE exam_instance_id = :e)"
        ),
        {"e": exam["id"]},
    )
    assert written.scalar_one() == 0


# ---- two workers ----------------------------------------------------------------------------


@pytest.fixture
async def own_engine(database_url: URL) -> AsyncIterator[AsyncEngine]:
    """Separate connections to the test database: committed work, not the test's transaction."""
    engine = create_async_engine(async_url(database_url), pool_size=3, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _committed_overdue_exam(engine: AsyncEngine) -> dict[str, uuid.UUID]:
    ids = {name: uuid.uuid4() for name in ("student", "template", "question", "exam")}
    started = datetime.now(UTC) - timedelta(hours=2)
    item = {"number": 1, "section": "A", "question_id": str(ids["question"]), "type": "MCQ",
            "marks": 1, "unit": "Calculus", "text": "Find x.", "choices": CHOICES,
            "correct_option": "B"}  # fmt: skip
    async with engine.begin() as connection:
        for statement, params in (
            (
                "INSERT INTO mathvidya.users (id, email, password_hash, role, first_name,"
                " last_name, student_class) VALUES (:id, :email, :hash, 'student', 'Two',"
                " 'Workers', 'XII')",
                {"id": ids["student"], "email": f"w-{ids['student'].hex}@example.com",
                 "hash": ARGON2ID_HASH},
            ),
            (
                "INSERT INTO mathvidya.exam_templates (id, name, class_level, exam_type,"
                " total_marks, duration_minutes, config) VALUES (:id, :name, 'XII',"
                " 'section_wise', 1, 40, CAST(:config AS jsonb))",
                {"id": ids["template"], "name": f"Two workers {ids['template'].hex}",
                 "config": json.dumps({"sections": [{"name": "A", "question_type": "MCQ",
                                                      "count": 1, "marks_each": 1}]})},
            ),
            (
                "INSERT INTO mathvidya.questions (id, question_code, class_level, unit, chapter,"
                " question_type, difficulty, status, marks, question_text, mcq_choices,"
                " correct_option, reviewed_at) VALUES (:id, :code, 'XII', 'Calculus',"
                " 'Integrals', 'MCQ', 'easy', 'archived', 1, 'Find x.', CAST(:choices AS jsonb),"
                " 'B', now())",
                {"id": ids["question"], "code": f"W-{ids['question'].hex[:12].upper()}",
                 "choices": json.dumps(CHOICES)},
            ),
            (
                "INSERT INTO mathvidya.exam_instances (id, student_user_id, template_id,"
                " student_class, exam_type, status, template_snapshot, questions_snapshot,"
                " total_marks, duration_minutes, started_at, created_at) VALUES (:id, :student,"
                " :template, 'XII', 'section_wise', 'in_progress', '{}', CAST(:paper AS jsonb),"
                " 1, 40, :started, :started)",
                {"id": ids["exam"], "student": ids["student"], "template": ids["template"],
                 "paper": json.dumps([item]), "started": started},
            ),
            (
                "INSERT INTO mathvidya.student_mcq_answers (exam_instance_id, question_id, unit,"
                " question_number, selected_option) VALUES (:exam, :question, 'Calculus', 1, 'B')",
                {"exam": ids["exam"], "question": ids["question"]},
            ),
        ):  # fmt: skip
            await connection.execute(text(statement), params)
    return ids


async def _remove(engine: AsyncEngine, ids: dict[str, uuid.UUID]) -> None:
    async with engine.begin() as connection:
        for table, key in (("exam_instances", "exam"), ("questions", "question"),
                           ("exam_templates", "template"), ("users", "student")):  # fmt: skip
            await connection.execute(
                text(f"DELETE FROM mathvidya.{table} WHERE id = :id"),  # noqa: S608
                {"id": ids[key]},
            )


async def test_two_workers_never_hand_in_one_exam_twice(own_engine: AsyncEngine) -> None:
    ids = await _committed_overdue_exam(own_engine)
    now = datetime.now(UTC)
    try:
        async with AsyncSession(own_engine) as first, AsyncSession(own_engine) as second:
            # The first worker has taken the exam (its row is locked)...
            taken = await repository.overdue_exam_ids(
                first, now, service.GRACE, timedelta(minutes=5), 10
            )
            assert ids["exam"] in taken
            # ... so the second skips it at once instead of waiting or handing it in too.
            skipped = await asyncio.wait_for(service.submit_overdue(second, now=now), 10)
            assert skipped == 0
            await second.commit()
            assert await service.submit_overdue(first, now=now) == 1
            await first.commit()
        async with AsyncSession(own_engine) as third:
            assert await service.submit_overdue(third, now=now) == 0
            row = (
                await third.execute(
                    text(
                        "SELECT status::text, mcq_score, percentage"
                        " FROM mathvidya.exam_instances WHERE id = :id"
                    ),
                    {"id": ids["exam"]},
                )
            ).one()
            assert tuple(row) == ("evaluated", Decimal(1), Decimal("100.00"))
            audits = await third.execute(
                text(
                    "SELECT count(*) FROM mathvidya.audit_logs"
                    " WHERE entity_id = :id AND action = 'exam.submitted'"
                ),
                {"id": ids["exam"]},
            )
            assert audits.scalar_one() == 1
    finally:
        await _remove(own_engine, ids)


async def test_unit_practice_on_chosen_units(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session, units=("Calculus", "Probability"))
    template = await add_template(
        db_session,
        "unit_wise",
        class_level="XII",
        config={
            "sections": [dict(s) for s in UNIT_SECTIONS],
            "unit_weightage": {"Calculus": 35, "Probability": 8},
        },
        total_marks=20,
        duration_minutes=45,
        units=["Calculus", "Probability"],
    )
    student = await add_student(db_session)
    headers = as_account("student", student)
    chosen = await client.post(
        f"{API}/exams",
        json={"template_id": str(template), "units": ["Probability"]},
        headers=headers,
    )
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["units"] == ["Probability"]
    paper = (await exam_row(db_session, chosen.json()["id"]))["questions_snapshot"]
    assert {q["unit"] for q in paper} == {"Probability"} and len(paper) == 10
    unknown = await client.post(
        f"{API}/exams",
        json={"template_id": str(template), "units": ["Probability", "Astrology"]},
        headers=headers,
    )
    assert unknown.status_code == 422 and error_fields(unknown) == {"units"}
    assert "'Astrology'" in unknown.json()["error"]["message"]
    listed = await client.get(f"{API}/exams", headers=headers)
    assert [e["id"] for e in listed.json()] == [chosen.json()["id"]]
    assert listed.json()[0]["name"] == chosen.json()["name"]
