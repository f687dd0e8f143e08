"""The marking pages rendered by the real app: the teacher's queue (their evaluations only),
the marking screen (the holder marks; another teacher gets the 404 page; a student is
refused), the admin's SLA dashboard; and the family's view of the marks on the exam page
(nothing before the evaluation is complete, every mark and comment after)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures.tokens import token_for
from tests.mathvidya.evaluation_fixtures import (
    HANDED_IN,
    add_teacher,
    deactivate_other_teachers,
    evaluation_row,
    handed_in,
    link_parent,
    mark_all,
    paper,
)
from tests.mathvidya.rows import add_user

HTML = {"Accept": "text/html"}


def _as(role: str, user_id: uuid.UUID) -> dict[str, str]:
    return {**token_for(f"mathvidya:{role}", subject=str(user_id)), **HTML}


async def test_the_queue_and_the_marking_screen_belong_to_the_holder(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await deactivate_other_teachers(db_session)
    holder = await add_teacher(db_session)
    template = await paper(db_session)
    student, exam = await handed_in(db_session, template)
    other = await add_teacher(db_session)
    evaluation = await evaluation_row(db_session, exam)
    assert evaluation["teacher_user_id"] == holder
    admin = await add_user(db_session, "admin")

    queue = await client.get("/mathvidya/marking", headers=_as("teacher", holder))
    assert queue.status_code == 200, queue.text
    assert f'data-exam="{exam}"' in queue.text and 'class="countdown"' in queue.text
    # The marking is blind: the queue names the paper, not the student.
    assert str(student) not in queue.text
    empty = await client.get("/mathvidya/marking", headers=_as("teacher", other))
    assert f'data-exam="{exam}"' not in empty.text and "Nothing to mark" in empty.text

    screen = f"/mathvidya/marking/{evaluation['id']}"
    mine = await client.get(screen, headers=_as("teacher", holder))
    assert mine.status_code == 200
    assert 'id="start-marking"' in mine.text and 'data-question="6"' in mine.text
    assert (await client.get(screen, headers=_as("teacher", other))).status_code == 404
    assert (await client.get(screen, headers=_as("student", student))).status_code == 403
    read = await client.get(screen, headers=_as("admin", admin))
    assert read.status_code == 200 and 'id="start-marking"' not in read.text

    sla = await client.get("/mathvidya/admin/sla", headers=_as("admin", admin))
    assert sla.status_code == 200
    assert f'data-exam="{exam}"' in sla.text and 'id="teacher-options"' in sla.text
    assert (
        await client.get("/mathvidya/admin/sla", headers=_as("teacher", holder))
    ).status_code == 403


async def test_the_family_sees_the_marks_only_once_the_evaluation_is_complete(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await deactivate_other_teachers(db_session)
    teacher = await add_teacher(db_session)
    template = await paper(db_session)
    student, exam = await handed_in(db_session, template)
    parent = await link_parent(db_session, student)
    evaluation = await evaluation_row(db_session, exam)

    waiting = await client.get(f"/mathvidya/exams/{exam}", headers=_as("parent", parent))
    assert waiting.status_code == 200
    assert 'data-evaluation-status="assigned"' in waiting.text and "Promised by" in waiting.text
    assert "stamp-tick" not in waiting.text and "Good work." not in waiting.text

    await mark_all(
        db_session,
        teacher,
        evaluation["id"],
        started=HANDED_IN + timedelta(hours=1),
        done=HANDED_IN + timedelta(hours=2),
    )
    for reader in (_as("student", student), _as("parent", parent)):
        marked = await client.get(f"/mathvidya/exams/{exam}", headers=reader)
        assert 'data-evaluation-status="completed"' in marked.text
        assert "within the promised 48 working hours" in marked.text
        assert "Good work." in marked.text
        # Every written question shows the teacher's mark and stamp.
        assert marked.text.count('class="stamp stamp-tick"') == 5
    own = await client.get(f"/mathvidya/exams/{exam}", headers=_as("student", student))
    assert own.text.count("data-remark=") == 5
    theirs = await client.get(f"/mathvidya/exams/{exam}", headers=_as("parent", parent))
    assert "data-remark=" not in theirs.text
