"""The learning pages (issue 18), the server's half: each renders for its role with the
signed-in person's own data, the forms change what they say they change (an answer is
recorded and moves mastery, a profile change replans), and everyone else is refused — a
student cannot open staff pages or point a page at someone else, a teacher sees only their
own classes. The browser drives them in tests/browser/test_adaptive_learning.py."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import (
    ADMIN_ROLE,
    STUDENT_ROLE,
    SyncOperationKind,
    SyncStatus,
    UserRole,
    account_role,
)
from lyceum.adaptive.models import (
    ConceptMastery,
    QuestionAttempt,
    StudentProfile,
    StudyPlan,
    StudyPlanEvent,
    SyncDevice,
    SyncOperation,
)
from lyceum.adaptive.pages.layout import TopicSpec, draw
from lyceum.core.sessions import SESSION_COOKIE, issue_session
from tests.adaptive.pages_world import (
    PagesWorld,
    answer_for,
    build_pages_world,
    headers,
)
from tests.fixtures.app import asgi_client
from tests.fixtures.tokens import token_for

HTML = {"Accept": "text/html"}
STUDENT_PAGES = ("/adaptive/mastery", "/adaptive/plan", "/adaptive/practice", "/adaptive/my-sync")


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


def shown_percent(html: str, element_id: str) -> float:
    found = re.search(rf'id="{element_id}">([0-9.]+) %<', html)
    assert found, f"no #{element_id}"
    return float(found.group(1))


async def make_plan(client: httpx.AsyncClient, world: PagesWorld, student: int = 0) -> None:
    exam = (datetime.now(UTC) + timedelta(days=45)).date().isoformat()
    saved = await client.post(
        "/adaptive/plan/profile",
        headers=headers(world.students[student]),
        data={"exam_date": exam, "hours_per_week": "5", "target_marks": "95"},
    )
    assert saved.status_code == 303, saved.text[:500]


async def test_a_student_sees_each_of_their_pages(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_pages_world(db_session)
    me = headers(world.students[0])
    home = await client.get("/adaptive/", headers=me)
    assert home.status_code == 200, home.text[:500]
    assert 'data-page="adaptive-home"' in home.text
    assert "Algebra" in home.text  # the unit's summary
    mastery = await client.get("/adaptive/mastery", headers=me)
    assert mastery.status_code == 200, mastery.text[:500]
    # The map draws both chapters, the arrow from the prerequisite, and every concept.
    for chapter in world.chapters:
        assert f'data-topic="{chapter.code}"' in mastery.text
    assert f'data-from="{world.chapters[0].code}" data-to="{world.chapters[1].code}"' in (
        mastery.text
    )
    for concept in world.concepts:
        assert concept.name in mastery.text
    # Nothing answered yet: the first chapter is ready, the second locked by it.
    assert "Not started" in mastery.text and "Locked" in mastery.text
    assert 'class="small muted needs-first">first: ' in mastery.text
    plan = await client.get("/adaptive/plan", headers=me)
    assert plan.status_code == 200 and "Make my plan now" in plan.text
    practice = await client.get("/adaptive/practice", headers=me)
    assert practice.status_code == 200
    assert 'id="answer-form"' in practice.text and "Why this one:" in practice.text
    devices = await client.get("/adaptive/my-sync", headers=me)
    assert devices.status_code == 200 and 'id="no-devices"' in devices.text


async def test_an_answer_is_recorded_once_and_moves_the_concepts_mastery(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_pages_world(db_session)
    student = world.students[0]
    me = headers(student)
    page = (await client.get("/adaptive/practice", headers=me)).text
    question_id = uuid.UUID(hidden(page, "question_id"))
    form = {
        "question_id": str(question_id),
        "attempt_id": hidden(page, "attempt_id"),
        "shown_at": hidden(page, "shown_at"),
        "answer": answer_for(world, question_id, right=True),
    }
    answered = await client.post("/adaptive/practice", headers=me, data=form)
    assert answered.status_code == 200, answered.text[:500]
    assert 'data-correct="true"' in answered.text
    before = shown_percent(answered.text, "mastery-before")
    after = shown_percent(answered.text, "mastery-after")
    assert after > before
    assert "Add " in answered.text  # the question's explanation
    # The same form again (a reload): one attempt, nothing changes.
    again = await client.post("/adaptive/practice", headers=me, data=form)
    assert again.status_code == 200 and "already recorded" in again.text
    attempts = await db_session.scalar(
        select(func.count()).where(QuestionAttempt.student_id == student.id)
    )
    assert attempts == 1
    stored = await db_session.scalar(
        select(ConceptMastery.mastery).where(ConceptMastery.student_id == student.id)
    )
    assert stored is not None and stored * 100 == pytest.approx(after, abs=0.06)
    # A wrong answer is judged by the server, whatever the form says.
    page = (await client.get("/adaptive/practice", headers=me)).text
    question_id = uuid.UUID(hidden(page, "question_id"))
    wrong = await client.post(
        "/adaptive/practice",
        headers=me,
        data={
            "question_id": str(question_id), "attempt_id": hidden(page, "attempt_id"),
            "shown_at": hidden(page, "shown_at"),
            "answer": answer_for(world, question_id, right=False),
        },
    )  # fmt: skip
    assert 'data-correct="false"' in wrong.text and "the right answer:" in wrong.text
    # An empty answer is asked for again, not recorded.
    empty = await client.post("/adaptive/practice", headers=me, data={**form, "answer": ""})
    assert empty.status_code == 422 and "type or choose an answer" in empty.text


async def test_the_profile_form_replans_and_the_plan_shows_its_worth(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_pages_world(db_session)
    student = world.students[0]
    await make_plan(client, world)
    profile = await db_session.scalar(
        select(StudentProfile).where(StudentProfile.user_id == student.id)
    )
    assert profile is not None and profile.target_marks == 95
    await db_session.refresh(profile)
    assert profile.available_hours_per_week == 5
    plans = await db_session.scalar(select(func.count()).where(StudyPlan.student_id == student.id))
    assert plans == 1
    page = await client.get("/adaptive/plan?saved=1", headers=headers(student))
    assert page.status_code == 200
    html = page.text
    assert "Saved: your plan is made" in html
    assert 'id="plan-expected"' in html and 'id="compare-baseline"' in html
    assert "Same hours, shared by weightage" in html
    assert 'id="today-items"' in html and "expected marks" in html
    # A wrong field is said, and nothing changes.
    past = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    refused = await client.post(
        "/adaptive/plan/profile",
        headers=headers(student),
        data={"exam_date": past, "hours_per_week": "5", "target_marks": ""},
    )
    assert refused.status_code == 422
    assert "the exam date must be after today" in refused.text
    nonsense = await client.post(
        "/adaptive/plan/profile",
        headers=headers(student),
        data={"exam_date": "2099-01-01", "hours_per_week": "lots"},
    )
    assert nonsense.status_code == 422 and "must be numbers" in nonsense.text


async def test_forms_from_a_browser_need_the_pages_csrf_token(
    app: FastAPI, db_session: AsyncSession
) -> None:
    world = await build_pages_world(db_session)
    student = world.students[0]
    cookie, session = issue_session(
        str(student.id), [STUDENT_ROLE], app.state.settings, display_name="Asha"
    )
    async with asgi_client(app) as browser:
        browser.cookies.set(SESSION_COOKIE, cookie)
        page = await browser.get("/adaptive/plan", headers=HTML)
        assert page.status_code == 200
        assert hidden(page.text, "csrf_token") == session.csrf
        data = {"exam_date": "2099-01-01", "hours_per_week": "4"}
        forged = await browser.post("/adaptive/plan/profile", headers=HTML, data=data)
        assert forged.status_code == 403 and "CSRF token" in forged.text
        made = await browser.post(
            "/adaptive/plan/profile", headers=HTML, data={**data, "csrf_token": session.csrf}
        )
        assert made.status_code == 303
        forged = await browser.post("/adaptive/practice", headers=HTML, data={"answer": "1"})
        assert forged.status_code == 403


async def test_a_teacher_sees_their_class_and_who_falls_short_and_nobody_elses(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_pages_world(db_session)
    await make_plan(client, world)  # Asha: target 95, far above what 45 days can give
    teacher = headers(world.teacher)
    home = await client.get("/adaptive/", headers=teacher)
    assert home.status_code == 200
    assert world.group.name in home.text and world.other_group.name not in home.text
    page = await client.get(f"/adaptive/classes/{world.group.id}", headers=teacher)
    assert page.status_code == 200, page.text[:500]
    html = page.text
    assert 'id="heatmap"' in html
    for chapter in world.chapters:
        assert chapter.name in html
    assert "Asha Student" in html and "Ravi Student" in html
    assert "Outside Student" not in html
    shortfalls = html[html.index('id="shortfalls"') : html.index('id="heatmap-panel"')]
    assert "Asha Student" in shortfalls and "Ravi Student" not in shortfalls
    # Another teacher's class is not there for them.
    foreign = await client.get(
        f"/adaptive/classes/{world.other_group.id}", headers={**teacher, **HTML}
    )
    assert foreign.status_code == 404 and "Page not found" in foreign.text
    other = headers(world.other_teacher)
    assert (
        await client.get(f"/adaptive/classes/{world.group.id}", headers=other)
    ).status_code == 404
    # An adaptive admin sees both.
    admin = token_for(ADMIN_ROLE, subject=str(uuid.uuid4()))
    for group in (world.group, world.other_group):
        assert (await client.get(f"/adaptive/classes/{group.id}", headers=admin)).status_code == 200


async def test_roles_are_kept_apart_and_visitors_sent_to_sign_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_pages_world(db_session)
    student, teacher = headers(world.students[0]), headers(world.teacher)
    for path in ("/adaptive/sync", f"/adaptive/classes/{world.group.id}"):
        assert (await client.get(path, headers=student)).status_code == 403
    for path in STUDENT_PAGES:
        assert (await client.get(path, headers=teacher)).status_code == 403
    for path in (*STUDENT_PAGES, "/adaptive/", f"/adaptive/classes/{world.group.id}"):
        visitor = await client.get(path, headers=HTML)
        assert visitor.status_code == 303
        assert visitor.headers["location"].startswith("/sign-in?next=/adaptive/")
    # A student token for someone with no adaptive account behind it finds no data.
    nobody = token_for(account_role(UserRole.STUDENT), subject="not-an-account")
    assert (await client.get("/adaptive/mastery", headers=nobody)).status_code == 404


async def test_my_sync_shows_the_students_own_devices_and_dead_letters_only(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_pages_world(db_session)
    me, other = world.students[0], world.students[1]
    now = datetime.now(UTC)
    for student, device in ((me, "asha-tablet"), (other, "ravi-phone")):
        db_session.add(
            SyncDevice(student_id=student.id, device_id=device, last_push_at=now,
                       last_pull_at=now, pending_operations=3, dead_letters=1)
        )  # fmt: skip
        db_session.add(
            SyncOperation(
                id=uuid.uuid4(), device_id=device, student_id=student.id,
                entity_type="question_attempt", entity_id=uuid.uuid4(),
                operation=SyncOperationKind.CREATE, status=SyncStatus.FAILED, payload={},
                attempts=1, last_error=f"question of {device} is not on the server",
            )
        )  # fmt: skip
    await db_session.commit()
    page = await client.get("/adaptive/my-sync", headers=headers(me))
    assert page.status_code == 200
    html = page.text
    assert "asha-tablet" in html and "question of asha-tablet is not on the server" in html
    assert "ravi-phone" not in html
    assert re.search(r'id="waiting-count">3<', html)


async def test_make_my_plan_now_saves_a_plan_from_the_profile_as_it_is(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_pages_world(db_session)
    student = world.students[1]
    made = await client.post("/adaptive/plan/replan", headers=headers(student))
    assert made.status_code == 303 and made.headers["location"] == "/adaptive/plan?planned=1"
    plan = await db_session.scalar(select(StudyPlan).where(StudyPlan.student_id == student.id))
    assert plan is not None and plan.expected_marks is not None
    page = await client.get("/adaptive/plan?planned=1", headers=headers(student))
    assert f'data-plan="{plan.id}"' in page.text
    assert "Make my plan now" not in page.text


async def test_mark_done_records_todays_item_and_the_plan_shows_it_done(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_pages_world(db_session)
    student = world.students[1]
    await client.post("/adaptive/plan/replan", headers=headers(student))
    page = await client.get("/adaptive/plan", headers=headers(student))
    today = datetime.now(UTC).date().isoformat()
    codes = re.findall(r'name="concept_code" value="([^"]+)"', page.text)
    assert codes, "today's items each have a Mark done button"
    done = await client.post(
        "/adaptive/plan/done",
        headers=headers(student),
        data={"day": today, "concept_code": codes[0]},
    )
    assert done.status_code == 303 and done.headers["location"] == "/adaptive/plan?done=1"
    page = await client.get("/adaptive/plan?done=1", headers=headers(student))
    assert "Marked done." in page.text
    assert codes[0] not in re.findall(r'name="concept_code" value="([^"]+)"', page.text)
    assert re.search(rf'<li class="done" data-concept="{re.escape(codes[0])}"', page.text)
    events = await db_session.scalar(
        select(func.count()).where(StudyPlanEvent.student_id == student.id)
    )
    assert events == 1
    # An item not in today's plan is refused with a sentence, and nothing is recorded.
    refused = await client.post(
        "/adaptive/plan/done", headers=headers(student), data={"day": today, "concept_code": "X"}
    )
    assert refused.status_code == 422 and "the plan has no X" in refused.text


def test_the_map_puts_each_topic_below_its_prerequisites_and_keeps_boxes_apart() -> None:
    # A diamond (A -> B, A -> C, B + C -> D), one topic on its own, one from another grade.
    specs = [
        TopicSpec("A", "Real Numbers", "NS", 0, ()),
        TopicSpec("B", "Polynomials", "ALG", 1, ("A",)),
        TopicSpec("C", "Pair of Linear Equations in Two Variables", "ALG", 2, ("A", "X")),
        TopicSpec("D", "Quadratic Equations", "ALG", 3, ("B", "C")),
        TopicSpec("E", "Statistics", "SP", 4, ()),
        TopicSpec("X", "Earlier Topic", "", -1, (), outside=True),
    ]
    drawing = draw(specs)
    box = {b.code: b for b in drawing.boxes}
    for spec in specs:
        for needed in spec.prerequisites:
            assert box[needed].y + box[needed].height < box[spec.code].y
    assert box["A"].y == box["E"].y == box["X"].y  # no prerequisites: the top layer
    assert {(a.source, a.target) for a in drawing.arrows} == {
        ("A", "B"), ("A", "C"), ("X", "C"), ("B", "D"), ("C", "D"),
    }  # fmt: skip
    ordered = sorted(drawing.boxes, key=lambda b: (b.y, b.x))
    for left, right in pairwise(ordered):
        if left.y == right.y:
            assert left.x + left.width < right.x
    assert all(b.x >= 0 and b.x + b.width <= drawing.width for b in drawing.boxes)
    assert max(b.y + b.height for b in drawing.boxes) <= drawing.height
    assert len(box["C"].lines) == 2 and box["X"].outside
