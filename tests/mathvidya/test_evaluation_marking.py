"""Marking (issue 16 item 3): only the holder marks (anyone else meets 404), marks in half
steps up to the question's maximum with known stamps, completion needs every answered question
marked (declared ones score 0), totals and percentage are right and the database refuses ones
that do not add up, and the student and both linked parents are told."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.mathvidya.calls import as_account, error_fields
from tests.mathvidya.evaluation_fixtures import (
    API,
    add_teacher,
    audit_of,
    deactivate_other_teachers,
    email_of,
    evaluation_row,
    exam_row,
    handed_in,
    link_parent,
    outbox_to,
    paper,
)
from tests.mathvidya.rows import add, add_user


async def _assigned(db: AsyncSession, **kwargs: Any) -> dict[str, Any]:
    await deactivate_other_teachers(db)
    template = await paper(db)
    teacher = await add_teacher(db)
    student, exam = await handed_in(db, template, **kwargs)
    row = await evaluation_row(db, exam)
    assert row["teacher_user_id"] == teacher
    return {"teacher": teacher, "student": student, "exam": exam, "id": row["id"]}


async def test_another_teacher_meets_404_everywhere(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await _assigned(db_session)
    url = f"{API}/evaluations/{world['id']}"
    stranger = as_account("teacher", await add_teacher(db_session))
    for method, path, body in (
        ("GET", url, None),
        ("POST", f"{url}/start", None),
        ("PUT", f"{url}/marks/6", {"marks": 1}),
        ("PUT", f"{url}/annotations", {"annotations": []}),
        ("POST", f"{url}/complete", {}),
    ):
        answer = await client.request(method, path, json=body, headers=stranger)
        assert answer.status_code == 404, (method, path, answer.text)
    # The holder and an admin read it; a student may not.
    holder = await client.get(url, headers=as_account("teacher", world["teacher"]))
    assert holder.status_code == 200, holder.text
    body = holder.json()
    assert [q["number"] for q in body["written_questions"]] == [6, 7, 8, 9, 10]
    assert body["written_questions"][0]["marking_scheme"] == [{"step": "all", "marks": 2}]
    assert body["written_questions"][0]["model_answer"] == "Worked answer."
    assert body["mcq"] == {"questions": 5, "answered": 3, "correct": 3, "score": "3.0"}
    assert body["stamps"] == ["tick", "cross", "half", "circle", "star"]
    admin = as_account("admin", await add_user(db_session, "admin"))
    assert (await client.get(url, headers=admin)).status_code == 200
    student = as_account("student", world["student"])
    assert (await client.get(url, headers=student)).status_code == 403


async def test_marks_are_validated_naming_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await _assigned(db_session)
    url = f"{API}/evaluations/{world['id']}"
    headers = as_account("teacher", world["teacher"])
    early = await client.put(f"{url}/marks/6", json={"marks": 1}, headers=headers)
    assert early.status_code == 409 and early.json()["error"]["details"]["reason"] == "not_started"
    started = await client.post(f"{url}/start", headers=headers)
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    for number, body, field in (
        (6, {"marks": 1.25}, "marks"),
        (6, {"marks": 2.5}, "marks"),  # question 6 is worth 2
        (6, {"marks": -1}, "marks"),
        (6, {"marks": "2"}, "marks"),
        (6, {"marks": 1, "stamp": "smiley"}, "stamp"),
        (6, {"marks": 1, "comment": "x" * 2001}, "comment"),
        (6, {"marks": 1, "colour": "red"}, "colour"),
        (3, {"marks": 1}, "question_number"),  # an MCQ
        (11, {"marks": 1}, "question_number"),
    ):
        answer = await client.put(f"{url}/marks/{number}", json=body, headers=headers)
        assert answer.status_code == 422, (number, body, answer.text)
        assert field in error_fields(answer), (number, body, answer.json())
    saved = await client.put(
        f"{url}/marks/10",
        json={"marks": 3.5, "stamp": "half", "comment": "Step 3?"},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["marks_awarded"] == "3.5" and saved.json()["max_marks"] == "5"
    again = await client.put(
        f"{url}/marks/10",
        json={"marks": 3.5, "stamp": "half", "comment": "Step 3?"},
        headers=headers,
    )
    assert again.status_code == 200
    marks = await db_session.execute(
        text(
            "SELECT question_number, marks_awarded, stamp FROM mathvidya.question_marks"
            " WHERE evaluation_id = :e"
        ),
        {"e": world["id"]},
    )
    assert [tuple(r) for r in marks] == [(10, Decimal("3.5"), "half")]
    row = await evaluation_row(db_session, world["exam"])
    assert row["claim_expires_at"] > row["started_at"]


async def test_stamps_go_on_uploaded_pages_only(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await _assigned(db_session)
    for page in (1, 2):
        await add(
            db_session, "answer_sheet_uploads", exam_instance_id=world["exam"], page_number=page
        )
    url = f"{API}/evaluations/{world['id']}"
    headers = as_account("teacher", world["teacher"])
    await client.post(f"{url}/start", headers=headers)
    stamp = {"page": 2, "x": 0.5, "y": 0.25, "stamp": "tick"}
    for bad, field in (
        ({**stamp, "page": 3}, "page"),
        ({**stamp, "x": 1.5}, "x"),
        ({**stamp, "stamp": "smiley"}, "stamp"),
    ):
        answer = await client.put(
            f"{url}/annotations", json={"annotations": [bad]}, headers=headers
        )
        assert answer.status_code == 422 and field in error_fields(answer), answer.text
    saved = await client.put(f"{url}/annotations", json={"annotations": [stamp]}, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["annotations"] == [stamp]
    assert [p["page_number"] for p in saved.json()["pages"]] == [1, 2]
    assert (await evaluation_row(db_session, world["exam"]))["annotations"] == [stamp]


async def test_completion_needs_every_mark_and_adds_up(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await _assigned(db_session, declare=(9,))
    parents = [await link_parent(db_session, world["student"]) for _ in range(2)]
    url = f"{API}/evaluations/{world['id']}"
    headers = as_account("teacher", world["teacher"])
    await client.post(f"{url}/start", headers=headers)
    for number, marks in ((6, 2), (7, 1.5), (8, 3)):
        answer = await client.put(
            f"{url}/marks/{number}", json={"marks": marks, "stamp": "tick"}, headers=headers
        )
        assert answer.status_code == 200, answer.text
    short = await client.post(f"{url}/complete", json={}, headers=headers)
    assert short.status_code == 409, short.text
    # Question 9 was declared unanswered: only 10 is missing.
    assert short.json()["error"]["details"]["questions"] == [10]
    await client.put(f"{url}/marks/10", json={"marks": 4}, headers=headers)
    done = await client.post(f"{url}/complete", json={"comment": "Neat."}, headers=headers)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed" and body["marks_awarded"] == "10.5"
    assert body["sla_breached"] is False and body["teacher_comments"] == "Neat."
    [declared] = [q for q in body["written_questions"] if q["number"] == 9]
    assert declared["marks_awarded"] == "0.0" and declared["declared_unanswered"] is True
    exam = await exam_row(db_session, world["exam"])
    # 3 MCQs right + 10.5 written, of 20.
    assert exam["status_text"] == "evaluated"
    assert exam["total_score"] == Decimal("13.5") and exam["percentage"] == Decimal("67.50")
    # The deferred checks pass for what the service wrote.
    await db_session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    await db_session.execute(text("SET CONSTRAINTS ALL DEFERRED"))
    actions = [a["action"] for a in await audit_of(db_session, world["id"])]
    assert actions[-1] == "evaluation.completed"
    messages = await outbox_to(db_session, f"mathvidya:evaluation_completed:{world['id']}:%")
    expected = {await email_of(db_session, u) for u in (world["student"], *parents)}
    assert {m["recipient"] for m in messages} == expected and len(messages) == 3
    # Completed: no more marks.
    late = await client.put(f"{url}/marks/10", json={"marks": 5}, headers=headers)
    assert late.status_code == 409


async def test_the_database_refuses_totals_that_do_not_add_up(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await _assigned(db_session)
    url = f"{API}/evaluations/{world['id']}"
    headers = as_account("teacher", world["teacher"])
    await client.post(f"{url}/start", headers=headers)
    for number in (6, 7, 8, 9, 10):
        await client.put(f"{url}/marks/{number}", json={"marks": 1}, headers=headers)
    assert (await client.post(f"{url}/complete", json={}, headers=headers)).status_code == 200
    for statement, constraint in (
        (
            "UPDATE mathvidya.evaluations SET marks_awarded = 4 WHERE id = :e",
            "awards 4.0 written marks but its questions add up to 5.0",
        ),
        (
            "UPDATE mathvidya.question_marks SET marks_awarded = 2 WHERE evaluation_id = :e"
            " AND question_number = 6",
            "awards 5.0 written marks but its questions add up to 6.0",
        ),
        (
            "UPDATE mathvidya.exam_instances SET total_score = 9, percentage = 45"
            " WHERE id = (SELECT exam_instance_id FROM mathvidya.evaluations WHERE id = :e)",
            "totals 9.0 but its MCQ score 3.0 and written marks 5.0 add up to 8.0",
        ),
    ):
        savepoint = await db_session.begin_nested()
        await db_session.execute(text(statement), {"e": world["id"]})
        with pytest.raises(DBAPIError) as refused:
            # What COMMIT does: run the deferred checks now.
            await db_session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        assert constraint in str(refused.value), str(refused.value)
        await savepoint.rollback()
        await db_session.execute(text("SET CONSTRAINTS ALL DEFERRED"))
    # Rolled back: what the service wrote still adds up.
    await db_session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    await db_session.execute(text("SET CONSTRAINTS ALL DEFERRED"))
