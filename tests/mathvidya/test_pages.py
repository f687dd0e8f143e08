"""Mathvidya's pages, rendered by the real app: each role's home with its data, the exam page
before, during and after (maths drawn as MathML, the answer key only once handed in), the
question bank for staff only, and the child-protection rule on pages (an unlinked parent and
another student see the 404 page)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures.tokens import DEMO, token_for
from tests.mathvidya.exam_fixtures import add_bank, add_student, mcq_template
from tests.mathvidya.rows import add, add_subscription, add_user

API = "/api/mathvidya"
HTML = {"Accept": "text/html"}


def _as(role: str, user_id: uuid.UUID) -> dict[str, str]:
    return {**token_for(f"mathvidya:{role}", subject=str(user_id)), **HTML}


async def _link(db: AsyncSession, parent: uuid.UUID, student: uuid.UUID) -> None:
    await add(
        db,
        "parent_student_mappings",
        parent_user_id=parent,
        student_user_id=student,
        relationship_type="mother",
        is_primary_contact=True,
    )


async def _started_mcq_exam(
    client: httpx.AsyncClient, db: AsyncSession
) -> tuple[uuid.UUID, dict[str, Any]]:
    await add_bank(db)
    student = await add_student(db)
    template = await mcq_template(db)
    headers = token_for("mathvidya:student", subject=str(student))
    made = await client.post(f"{API}/exams", json={"template_id": str(template)}, headers=headers)
    assert made.status_code == 201, made.text
    started = await client.post(f"{API}/exams/{made.json()['id']}/start", headers=headers)
    assert started.status_code == 200, started.text
    return student, started.json()


async def test_the_open_pages_need_no_account(client: httpx.AsyncClient) -> None:
    for path, words in (
        ("/mathvidya/sign-up", "Create my account"),
        ("/mathvidya/reset-password", "Send me a reset link"),
        ("/mathvidya/reset-password?token=abc", "Set the new password"),
    ):
        page = await client.get(path, headers=HTML)
        assert page.status_code == 200, path
        assert words in page.text


async def test_an_operator_is_told_how_mathvidya_signs_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/mathvidya/", headers={**DEMO, **HTML})
    assert page.status_code == 200
    assert "Mathvidya has accounts of its own" in page.text
    # In development the demo accounts are named.
    assert "demo.student@example.com" in page.text


async def test_a_students_home_shows_plan_papers_and_a_parent_code_button(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session)
    student = await add_student(db_session, used=2)
    await mcq_template(db_session)
    page = await client.get("/mathvidya/", headers=_as("student", student))
    assert page.status_code == 200, page.text
    assert "Exams left this month" in page.text
    # Basic plan: 5 a month, 2 used.
    assert "data-remaining>3<" in page.text
    assert "data-start-template=" in page.text and 'id="invite"' in page.text
    assert "Premium Plan" in page.text  # the plans on sale


async def test_the_exam_page_takes_then_shows_the_result_with_the_key(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student, exam = await _started_mcq_exam(client, db_session)
    headers = _as("student", student)
    taking = await client.get(f"/mathvidya/exams/{exam['id']}", headers=headers)
    assert taking.status_code == 200
    assert 'id="timer"' in taking.text and 'id="submit-exam"' in taking.text
    assert taking.text.count('class="question') == exam["question_count"]
    # The key is not on the page while the exam runs.
    assert "Correct answer" not in taking.text and 'class="option key"' not in taking.text

    api = token_for("mathvidya:student", subject=str(student))
    first = exam["questions"][0]
    saved = await client.put(
        f"{API}/exams/{exam['id']}/answers/{first['number']}",
        json={"selected_option": "A", "answered_at": "2026-01-01T00:00:00Z"},
        headers=api,
    )
    assert saved.status_code in (200, 422), saved.text
    handed = await client.post(f"{API}/exams/{exam['id']}/submit", headers=api)
    assert handed.status_code == 200, handed.text

    result = await client.get(f"/mathvidya/exams/{exam['id']}", headers=headers)
    assert result.status_code == 200
    assert 'id="result"' in result.text and "Correct answer" in result.text
    assert 'id="timer"' not in result.text
    assert result.text.count('class="option key"') == exam["question_count"]


async def test_maths_in_a_question_is_drawn_as_mathml(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await add_bank(db_session)
    student = await add_student(db_session)
    template = await mcq_template(db_session)
    api = token_for("mathvidya:student", subject=str(student))
    made = await client.post(f"{API}/exams", json={"template_id": str(template)}, headers=api)
    exam_id = made.json()["id"]
    # Before the start the snapshot may still change (a trigger freezes it at the start).
    await db_session.execute(
        text(
            "UPDATE mathvidya.exam_instances SET questions_snapshot = jsonb_set(jsonb_set("
            "questions_snapshot, '{0,text}', to_jsonb(CAST(:stem AS text))),"
            " '{0,choices,1,text}', to_jsonb(CAST(:choice AS text))) WHERE id = :id"
        ),
        {"stem": "If A = [[2, -1], [0, 3]], find |A|.", "choice": "√3/2", "id": uuid.UUID(exam_id)},
    )
    started = await client.post(f"{API}/exams/{exam_id}/start", headers=api)
    assert started.status_code == 200, started.text
    page = await client.get(f"/mathvidya/exams/{exam_id}", headers=_as("student", student))
    assert page.status_code == 200
    assert '<math aria-label="[[2, -1], [0, 3]]">' in page.text
    assert page.text.count("<mtr>") >= 2
    assert "<mfrac><msqrt><mn>3</mn></msqrt><mn>2</mn></mfrac>" in page.text


async def test_a_linked_parent_reads_the_childs_paper_and_an_unlinked_one_gets_404(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student, exam = await _started_mcq_exam(client, db_session)
    linked = await add_user(db_session, "parent")
    stranger = await add_user(db_session, "parent")
    other_student = await add_user(db_session, "student", student_class="XII")
    await _link(db_session, linked, student)

    home = await client.get("/mathvidya/", headers=_as("parent", linked))
    assert home.status_code == 200
    assert f"/mathvidya/exams/{exam['id']}" in home.text
    assert (
        await client.get(f"/mathvidya/exams/{exam['id']}", headers=_as("parent", linked))
    ).status_code == 200

    for role, who in (("parent", stranger), ("student", other_student)):
        page = await client.get(f"/mathvidya/exams/{exam['id']}", headers=_as(role, who))
        assert page.status_code == 404, role
        assert exam["name"] not in page.text
    stranger_home = await client.get("/mathvidya/", headers=_as("parent", stranger))
    assert f"/mathvidya/exams/{exam['id']}" not in stranger_home.text


async def test_the_question_bank_is_for_staff_and_previews_maths(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    teacher = await add_user(db_session, "teacher")
    student = await add_user(db_session, "student")
    created = await client.post(
        f"{API}/questions",
        json={
            "class_level": "X",
            "unit": "Algebra",
            "chapter": "Quadratic Equations",
            "question_type": "MCQ",
            "difficulty": "easy",
            "question_text": "Which of these equals √3/2?",
            "mcq_choices": [
                {"key": "A", "text": "1/2"},
                {"key": "B", "text": "√3/2"},
                {"key": "C", "text": "1"},
                {"key": "D", "text": "0"},
            ],
            "correct_option": "B",
        },
        headers=token_for("mathvidya:teacher", subject=str(teacher)),
    )
    assert created.status_code == 201, created.text
    question_id = created.json()["id"]

    listing = await client.get("/mathvidya/questions?q=equals", headers=_as("teacher", teacher))
    assert listing.status_code == 200 and f"/mathvidya/questions/{question_id}" in listing.text
    editor = await client.get(
        f"/mathvidya/questions/{question_id}", headers=_as("teacher", teacher)
    )
    assert editor.status_code == 200
    assert "<mfrac><msqrt><mn>3</mn></msqrt><mn>2</mn></mfrac>" in editor.text
    # The author cannot approve their own question: no button for them.
    assert 'data-action="approve"' not in editor.text

    refused = await client.get("/mathvidya/questions", headers=_as("student", student))
    assert refused.status_code == 403


async def test_an_admin_sees_the_activation_queue_and_a_teacher_does_not(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin = await add_user(db_session, "admin")
    teacher = await add_user(db_session, "teacher")
    student = await add_user(db_session, "student", first_name="Pending", last_name="Learner")
    await add_subscription(db_session, "premium", user_id=student, status="pending")
    page = await client.get("/mathvidya/admin/subscriptions", headers=_as("admin", admin))
    assert page.status_code == 200
    assert "Pending Learner" in page.text and "data-activate=" in page.text
    queue = await client.get(
        f"{API}/admin/subscriptions/pending",
        headers=token_for("mathvidya:admin", subject=str(admin)),
    )
    assert any(item["student_id"] == str(student) for item in queue.json())
    assert (
        await client.get("/mathvidya/admin/subscriptions", headers=_as("teacher", teacher))
    ).status_code == 403
    home = await client.get("/mathvidya/", headers=_as("admin", admin))
    assert home.status_code == 200 and "Activations" in home.text


async def test_pages_send_a_browser_without_a_session_to_sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/mathvidya/", headers=HTML)
    assert page.status_code in (302, 303, 307)
    assert page.headers["location"].startswith("/sign-in")
