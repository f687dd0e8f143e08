"""Assignment (issue 16 item 2): an exam with written questions gets its evaluation at hand-in,
with the plan's SLA counted in working hours, and goes at once to the teacher forecast to
finish it first (least loaded, then fastest); with nobody free it waits and the monitor
assigns it later. The teacher's queue, an admin's list and reassignment."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lyceum.mathvidya.repository.sla import load_calendar
from lyceum.mathvidya.service import exams as exam_service
from lyceum.mathvidya.service.audit import SYSTEM
from lyceum.mathvidya.tasks import monitor_sla_now
from tests.mathvidya.calls import as_account, error_fields
from tests.mathvidya.evaluation_fixtures import (
    API,
    HANDED_IN,
    add_teacher,
    audit_of,
    deactivate_other_teachers,
    email_of,
    evaluation_row,
    exam_row,
    handed_in,
    link_parent,
    mark_all,
    outbox_to,
    paper,
    student_actor,
)
from tests.mathvidya.exam_fixtures import add_bank, add_student, mcq_template
from tests.mathvidya.rows import add_user


async def test_hand_in_creates_the_evaluation_and_the_least_loaded_teacher_gets_it(
    db_session: AsyncSession,
) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    busy = await add_teacher(db_session)
    _, first = await handed_in(db_session, template)
    assert (await evaluation_row(db_session, first))["teacher_user_id"] == busy
    idle = await add_teacher(db_session)
    _, second = await handed_in(db_session, template, at=HANDED_IN + timedelta(minutes=5))
    row = await evaluation_row(db_session, second)
    assert row["teacher_user_id"] == idle and row["status_text"] == "assigned"
    calendar = await load_calendar(db_session)
    at = HANDED_IN + timedelta(minutes=5)
    assert row["max_marks"] == Decimal(15) and row["sla_hours"] == 48
    assert row["submitted_at"] == at
    assert row["sla_deadline"] == calendar.add_working_hours(at, 48)
    assert row["assigned_at"] == at
    assert row["claim_expires_at"] == calendar.add_working_hours(at, 8)
    assert (await exam_row(db_session, second))["status_text"] == "under_evaluation"
    actions = [a["action"] for a in await audit_of(db_session, row["id"])]
    assert actions == ["evaluation.created", "evaluation.assigned"]
    [message] = await outbox_to(db_session, f"mathvidya:evaluation_assigned:{row['id']}:%")
    assert message["recipient"] == await email_of(db_session, idle)


async def test_centum_is_marked_within_24_working_hours(db_session: AsyncSession) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    _, exam = await handed_in(db_session, template, plan="centum")
    row = await evaluation_row(db_session, exam)
    calendar = await load_calendar(db_session)
    assert row["sla_hours"] == 24
    assert row["sla_deadline"] == calendar.add_working_hours(HANDED_IN, 24)
    # Nobody to mark it: pending, the exam still `submitted`.
    assert row["status_text"] == "pending" and row["teacher_user_id"] is None
    assert row["claim_expires_at"] is None
    assert (await exam_row(db_session, exam))["status_text"] == "submitted"


async def test_the_fastest_teacher_wins_when_queues_are_equal(db_session: AsyncSession) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    fast = await add_teacher(db_session)
    # Two evaluations marked in 10 working minutes each: faster than the 40-minute prior.
    for minutes in (0, 30):
        at = HANDED_IN + timedelta(minutes=minutes)
        _, exam = await handed_in(db_session, template, at=at)
        row = await evaluation_row(db_session, exam)
        assert row["teacher_user_id"] == fast
        await mark_all(
            db_session,
            fast,
            row["id"],
            started=at + timedelta(minutes=1),
            done=at + timedelta(minutes=11),
        )
    await add_teacher(db_session)  # a new colleague: the prior's 40 minutes
    _, exam = await handed_in(db_session, template, at=HANDED_IN + timedelta(hours=2))
    assert (await evaluation_row(db_session, exam))["teacher_user_id"] == fast


async def test_with_nobody_free_it_waits_and_the_monitor_assigns_it_later(
    db_session: AsyncSession,
) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    _, exam = await handed_in(db_session, template)
    assert (await evaluation_row(db_session, exam))["status_text"] == "pending"
    teacher = await add_teacher(db_session)
    assert await monitor_sla_now(HANDED_IN + timedelta(minutes=5)) >= 1
    row = await evaluation_row(db_session, exam)
    assert row["status_text"] == "assigned" and row["teacher_user_id"] == teacher
    assert row["reassignment_count"] == 0
    assert (await exam_row(db_session, exam))["status_text"] == "under_evaluation"
    # Nothing more to do at the same moment.
    assert await monitor_sla_now(HANDED_IN + timedelta(minutes=5)) == 0


async def test_an_mcq_only_exam_needs_no_teacher(db_session: AsyncSession) -> None:
    await deactivate_other_teachers(db_session)
    await add_teacher(db_session)
    await add_bank(db_session)
    mcq = await mcq_template(db_session)
    student = await add_student(db_session, now=HANDED_IN)
    me = student_actor(student)
    exam = await exam_service.generate(db_session, me, SYSTEM, mcq, now=HANDED_IN)
    await exam_service.start(db_session, me, SYSTEM, exam.id, now=HANDED_IN)
    await exam_service.submit(db_session, me, SYSTEM, exam.id, now=HANDED_IN)
    count = await db_session.execute(
        text("SELECT count(*) FROM mathvidya.evaluations WHERE exam_instance_id = :e"),
        {"e": exam.id},
    )
    assert count.scalar_one() == 0


async def test_the_queue_holds_the_callers_evaluations_by_deadline(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    mine = await add_teacher(db_session)
    _, later = await handed_in(db_session, template, at=HANDED_IN + timedelta(hours=1))
    _, sooner = await handed_in(db_session, template, at=HANDED_IN)
    other = await add_teacher(db_session)
    _, theirs = await handed_in(db_session, template, at=HANDED_IN + timedelta(hours=2))
    assert (await evaluation_row(db_session, theirs))["teacher_user_id"] == other
    answer = await client.get(f"{API}/evaluations/queue", headers=as_account("teacher", mine))
    assert answer.status_code == 200, answer.text
    items = answer.json()
    assert [i["exam_id"] for i in items] == [str(sooner), str(later)]
    # The deadlines (Thursday) are days away on the real clock (Sunday): no warning yet.
    assert all(i["working_hours_left"] > 6 and i["warning"] is False for i in items)
    others = await client.get(f"{API}/evaluations/queue", headers=as_account("teacher", other))
    assert [i["exam_id"] for i in others.json()] == [str(theirs)]
    student = await client.get(
        f"{API}/evaluations/queue", headers=as_account("student", await add_user(db_session))
    )
    assert student.status_code == 403


async def test_an_admin_lists_and_reassigns(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    first = await add_teacher(db_session)
    _, exam = await handed_in(db_session, template)
    second = await add_teacher(db_session)
    retired = await add_teacher(db_session, is_active=False)
    admin = await add_user(db_session, "admin")
    headers = as_account("admin", admin)
    row = await evaluation_row(db_session, exam)
    listed = await client.get(
        f"{API}/evaluations",
        params={"status": "assigned", "teacher_id": str(first)},
        headers=headers,
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 1
    assert [i["id"] for i in listed.json()["items"]] == [str(row["id"])]
    url = f"{API}/evaluations/{row['id']}/reassign"
    for teacher in (first, retired, uuid.uuid4()):
        refused = await client.post(url, json={"teacher_id": str(teacher)}, headers=headers)
        assert refused.status_code == 422 and error_fields(refused) == {"teacher_id"}
    moved = await client.post(url, json={"teacher_id": str(second)}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["teacher_id"] == str(second)
    assert moved.json()["reassignment_count"] == 1
    reassigned = [
        a for a in await audit_of(db_session, row["id"]) if a["action"] == "evaluation.reassigned"
    ]
    assert len(reassigned) == 1 and reassigned[0]["actor_user_id"] == admin
    assert reassigned[0]["details"]["previous_teacher_id"] == str(first)
    assert await outbox_to(db_session, f"mathvidya:evaluation_moved:{row['id']}:{first}:%")
    # A teacher may not reassign, nor list everyone's.
    teacher_headers = as_account("teacher", second)
    assert (
        await client.post(url, json={"teacher_id": str(first)}, headers=teacher_headers)
    ).status_code == 403
    assert (await client.get(f"{API}/evaluations", headers=teacher_headers)).status_code == 403
    breached = await client.get(f"{API}/evaluations", params={"breached": "true"}, headers=headers)
    assert breached.status_code == 200 and breached.json()["total"] == 0


async def test_every_evaluation_route_admits_exactly_whom_the_rule_says(
    client: httpx.AsyncClient, db_session: AsyncSession, db_connection: AsyncConnection
) -> None:
    """The object-access matrix (as tests/mathvidya/test_object_access.py) for this area's
    object routes: the holder teacher, another teacher, the student, a linked and an unlinked
    parent, another student, an admin."""
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    holder = await add_teacher(db_session)
    student, exam = await handed_in(db_session, template)
    row = await evaluation_row(db_session, exam)
    other_teacher = await add_teacher(db_session)
    people = {
        "holder": ("teacher", holder),
        "other teacher": ("teacher", other_teacher),
        "owner": ("student", student),
        "linked parent": ("parent", await link_parent(db_session, student)),
        "unlinked parent": ("parent", await add_user(db_session, "parent")),
        "other student": ("student", await add_student(db_session)),
        "admin": ("admin", await add_user(db_session, "admin")),
    }
    await db_session.flush()
    url = f"{API}/evaluations/{row['id']}"
    family = {"owner", "linked parent", "admin"}
    calls: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
        ("GET", url, None, {"holder", "admin"}),
        ("POST", f"{url}/start", None, {"holder"}),
        ("PUT", f"{url}/marks/6", {"marks": 1}, {"holder"}),
        ("PUT", f"{url}/annotations", {"annotations": []}, {"holder"}),
        ("POST", f"{url}/complete", {}, {"holder"}),
        ("POST", f"{url}/reassign", {"teacher_id": str(other_teacher)}, {"admin"}),
        ("GET", f"{API}/exams/{exam}/reevaluations", None, family),
        (
            "POST",
            f"{API}/exams/{exam}/reevaluations",
            {"question_number": 6, "reason": "Please."},
            {"owner"},
        ),
    ]
    unexpected: list[str] = []
    for method, path, body, allowed in calls:
        for person, (role, who) in people.items():
            savepoint = await db_connection.begin_nested()
            try:
                answer = await client.request(
                    method, path, json=body, headers=as_account(role, who)
                )
            finally:
                await savepoint.rollback()
            assert answer.status_code < 500, (method, path, answer.text)
            reached = answer.status_code not in (401, 403, 404)
            if reached != (person in allowed):
                unexpected.append(f"{person} {method} {path}: {answer.status_code}")
    assert unexpected == [], "\n".join(unexpected)
