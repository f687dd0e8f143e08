"""The standing pages rendered by the real app: the leaderboard (the reader highlighted, a
sentence for plans without it), a student's progress, a child's progress with the report
link for a parent (404 for a stranger), and the admin's teacher analytics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.appspec import GenerateOptions
from lyceum.mathvidya.calendar_ist import ist_month_start
from lyceum.mathvidya.generate import generate
from lyceum.mathvidya.service import analytics
from tests.fixtures.tokens import token_for
from tests.mathvidya.exam_fixtures import add_student
from tests.mathvidya.rows import add, add_user

HTML = {"Accept": "text/html"}
NOW = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)


def _as(role: str, user_id: uuid.UUID) -> dict[str, str]:
    return {**token_for(f"mathvidya:{role}", subject=str(user_id)), **HTML}


async def test_the_leaderboard_page_highlights_the_reader_and_explains_a_refusal(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    premium = await add_student(db_session, "X", plan="premium")
    basic = await add_student(db_session, "X", plan="basic")
    await db_session.execute(
        text(
            "INSERT INTO mathvidya.leaderboard_entries (month, student_class, student_user_id,"
            " rank, display_name, score, exams_counted, refreshed_at)"
            " VALUES (:month, 'X', :student, 1, 'Asha R.', 88.5, 3, now())"
        ),
        {"month": ist_month_start(datetime.now(UTC)), "student": premium},
    )
    page = await client.get("/mathvidya/leaderboard", headers=_as("student", premium))
    assert page.status_code == 200, page.text
    assert "Class X leaderboard" in page.text
    assert 'aria-current="true"' in page.text and "Asha R." in page.text
    assert 'data-your-rank="1"' in page.text
    home = await client.get("/mathvidya/", headers=_as("student", premium))
    assert (
        'href="/mathvidya/progress"' in home.text and 'href="/mathvidya/leaderboard"' in home.text
    )

    refused = await client.get("/mathvidya/leaderboard", headers=_as("student", basic))
    assert refused.status_code == 200
    assert "data-leaderboard-refused" in refused.text
    assert "Premium" in refused.text and "Asha R." not in refused.text


async def test_progress_pages_for_the_student_the_parent_and_not_a_stranger(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    with Progress(disable=True) as progress:
        await generate(GenerateOptions(seed=11, scale="small", months=12), progress)
    await analytics.aggregate(db_session, NOW)
    student, parent = (
        await db_session.execute(
            text(
                "SELECT m.student_user_id, m.parent_user_id"
                " FROM mathvidya.parent_student_mappings m WHERE EXISTS (SELECT 1"
                " FROM mathvidya.exam_instances e WHERE e.status = 'evaluated'"
                " AND e.student_user_id = m.student_user_id) ORDER BY 1 LIMIT 1"
            )
        )
    ).one()
    own = await client.get("/mathvidya/progress", headers=_as("student", student))
    assert own.status_code == 200, own.text
    for words in (
        "Predicted board band",
        "Strengths",
        "Weaknesses",
        "Month by month",
        "unit-chart",
    ):
        assert words in own.text
    assert "plotly" in own.text and "mathvidya/standing.js" in own.text

    children = await client.get("/mathvidya/progress", headers=_as("parent", parent))
    assert children.status_code == 200 and f"/mathvidya/progress/{student}" in children.text
    child = await client.get(f"/mathvidya/progress/{student}", headers=_as("parent", parent))
    assert child.status_code == 200
    assert f"/api/mathvidya/reports/monthly/{student}?month=" in child.text

    stranger = await add_user(db_session, "parent")
    hidden = await client.get(f"/mathvidya/progress/{student}", headers=_as("parent", stranger))
    assert hidden.status_code == 404

    admin = await add_user(db_session, "admin")
    teachers = await client.get("/mathvidya/admin/teachers", headers=_as("admin", admin))
    assert teachers.status_code == 200
    assert "SLA met %" in teachers.text and "throughput-chart" in teachers.text
    assert teachers.text.count("data-teacher=") == 5
    teacher = await add_user(db_session, "teacher")
    assert (
        await client.get("/mathvidya/admin/teachers", headers=_as("teacher", teacher))
    ).status_code == 403


async def test_a_parent_sees_the_childs_class_board(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    child = await add_student(db_session, "XII", plan="centum")
    parent = await add_user(db_session, "parent")
    await add(db_session, "parent_student_mappings", parent_user_id=parent, student_user_id=child)
    page = await client.get("/mathvidya/leaderboard", headers=_as("parent", parent))
    assert page.status_code == 200
    assert "Class XII leaderboard" in page.text and "Nobody in class XII" in page.text
