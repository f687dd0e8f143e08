"""Re-evaluation (issue 16 item 3): once per teacher-marked question, by a different teacher,
the totals and percentage following the new mark; the family reads the requests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict
from lyceum.mathvidya.schemas.evaluations import RequestReevaluation
from lyceum.mathvidya.service import reevaluations
from lyceum.mathvidya.service.audit import SYSTEM
from lyceum.mathvidya.tasks import monitor_sla_now
from tests.mathvidya.calls import as_account, error_fields
from tests.mathvidya.evaluation_fixtures import (
    API,
    HANDED_IN,
    add_teacher,
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
from tests.mathvidya.exam_fixtures import add_student
from tests.mathvidya.rows import add_user

MARKED = HANDED_IN + timedelta(hours=2)


async def _marked(db: AsyncSession, *, second_teacher: bool = True) -> dict[str, Any]:
    """An exam marked 2+2+3+3+5 minus question 9 declared: 12 written + 3 MCQ of 20."""
    await deactivate_other_teachers(db)
    template = await paper(db)
    first = await add_teacher(db)
    student, exam = await handed_in(db, template, declare=(9,))
    row = await evaluation_row(db, exam)
    await mark_all(
        db,
        first,
        row["id"],
        started=HANDED_IN + timedelta(hours=1),
        done=MARKED,
        marks={6: 2, 7: 2, 8: 3, 10: 5},
    )
    second = await add_teacher(db) if second_teacher else None
    return {"first": first, "second": second, "student": student, "exam": exam, "id": row["id"]}


async def test_a_question_is_remarked_once_by_another_teacher_and_totals_follow(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await _marked(db_session)
    parent = await link_parent(db_session, world["student"])
    student = as_account("student", world["student"])
    url = f"{API}/exams/{world['exam']}/reevaluations"
    for body, field in (
        ({"question_number": 3, "reason": "MCQ"}, "question_number"),  # marked by the key
        ({"question_number": 9, "reason": "declared"}, "question_number"),
        ({"question_number": 10, "reason": "   "}, "reason"),
        ({"question_number": 10}, "reason"),
    ):
        refused = await client.post(url, json=body, headers=student)
        assert refused.status_code == 422 and field in error_fields(refused), refused.text
    asked = await client.post(
        url, json={"question_number": 10, "reason": "Step 3 is right."}, headers=student
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["teacher_id"] == str(world["second"]) and request["marks_before"] == "5.0"
    twice = await client.post(url, json={"question_number": 10, "reason": "Again"}, headers=student)
    assert twice.status_code == 409
    assert twice.json()["error"]["details"]["reason"] == "already_requested"
    # Another student's try is a 404, as for a missing exam.
    other = as_account("student", await add_student(db_session))
    assert (
        await client.post(url, json={"question_number": 8, "reason": "x"}, headers=other)
    ).status_code == 404
    # The first marker cannot complete it; the second can, and reads the exam's evaluation.
    done_url = f"{API}/reevaluations/{request['id']}/complete"
    first = as_account("teacher", world["first"])
    assert (await client.post(done_url, json={"marks": 3}, headers=first)).status_code == 404
    second = as_account("teacher", world["second"])
    mine = await client.get(f"{API}/reevaluations", headers=second)
    assert [r["id"] for r in mine.json()] == [request["id"]]
    assert (await client.get(f"{API}/evaluations/{world['id']}", headers=second)).status_code == 200
    bad = await client.post(done_url, json={"marks": 5.5}, headers=second)
    assert bad.status_code == 422 and error_fields(bad) == {"marks"}
    done = await client.post(
        done_url, json={"marks": 3.5, "comment": "Step 4 slips."}, headers=second
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed" and done.json()["marks_after"] == "3.5"
    evaluation = await evaluation_row(db_session, world["exam"])
    exam = await exam_row(db_session, world["exam"])
    assert evaluation["marks_awarded"] == Decimal("10.5")
    assert exam["total_score"] == Decimal("13.5") and exam["percentage"] == Decimal("67.50")
    await db_session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # the deferred checks pass
    await db_session.execute(text("SET CONSTRAINTS ALL DEFERRED"))
    messages = await outbox_to(db_session, f"mathvidya:reevaluation_completed:{request['id']}:%")
    assert {m["recipient"] for m in messages} == {
        await email_of(db_session, world["student"]),
        await email_of(db_session, parent),
    }
    # The family reads the outcome; a teacher through this route does not.
    for role, who, expected in (
        ("student", world["student"], 200),
        ("parent", parent, 200),
        ("admin", await add_user(db_session, "admin"), 200),
        ("parent", await add_user(db_session, "parent"), 404),
    ):
        answer = await client.get(url, headers=as_account(role, who))
        assert answer.status_code == expected, (role, answer.text)
        if expected == 200:
            assert [r["marks_after"] for r in answer.json()] == ["3.5"]
    assert (await client.get(url, headers=second)).status_code == 403
    again = await client.post(done_url, json={"marks": 4}, headers=second)
    assert again.status_code == 409


async def test_with_no_other_teacher_the_request_waits_for_the_monitor(
    db_session: AsyncSession,
) -> None:
    world = await _marked(db_session, second_teacher=False)
    me = student_actor(world["student"])
    asked = await reevaluations.request(
        db_session,
        me,
        SYSTEM,
        world["exam"],
        RequestReevaluation(question_number=8, reason="Please check."),
        now=MARKED + timedelta(hours=1),
    )
    assert asked.teacher_id is None
    later = await add_teacher(db_session)
    assert await monitor_sla_now(MARKED + timedelta(hours=2)) >= 1
    [request] = await reevaluations.for_exam(db_session, me, world["exam"])
    assert request.teacher_id == later
    # The window: 14 days after the result nothing more can be asked.
    late = RequestReevaluation(question_number=6, reason="Late.")
    with pytest.raises(Conflict) as closed:
        await reevaluations.request(
            db_session, me, SYSTEM, world["exam"], late, now=MARKED + timedelta(days=15)
        )
    assert closed.value.details == {"reason": "window_closed"}
