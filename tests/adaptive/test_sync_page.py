"""The sync-health page (`/adaptive/sync`), the server's half: a teacher sees their own
classes' devices and dead letters and nobody else's, an admin sees everyone, a student is
refused and a signed-out visitor is sent to sign in. The browser drives it in
tests/browser/test_adaptive_sync.py."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import ADMIN_ROLE, TEACHER_ROLE
from tests.adaptive.sync_world import build_world, student_headers
from tests.adaptive.test_sync_status_api import sync_students
from tests.fixtures.tokens import token_for

PAGE = "/adaptive/sync"


async def test_a_teacher_sees_their_classes_devices_and_dead_letters_only(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    ours, theirs = await build_world(db_session), await build_world(db_session)
    dead = {**await sync_students(client, ours), **await sync_students(client, theirs)}
    teacher = token_for(TEACHER_ROLE, subject=str(ours.teacher.id))

    page = await client.get(PAGE, headers=teacher)
    assert page.status_code == 200, page.text[:300]
    html = page.text
    assert 'data-page="adaptive-sync"' in html
    for student in ours.students:
        assert student.username in html
        assert f'data-resend="{dead[student.id]}"' in html
    for student in theirs.students:
        assert student.username not in html
        assert dead[student.id] not in html
    # The class filter offers the teacher's own class only.
    assert ours.group.name in html and theirs.group.name not in html
    # The server's reason is shown beside the dead letter.
    assert "is not on the server" in html

    # Asking for another teacher's class shows nothing of it.
    foreign = await client.get(PAGE, headers=teacher, params={"class_id": str(theirs.group.id)})
    assert foreign.status_code == 200
    assert not any(s.username in foreign.text for s in ours.students + theirs.students)


async def test_an_admin_sees_every_class(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    first, second = await build_world(db_session), await build_world(db_session)
    await sync_students(client, first)
    await sync_students(client, second)
    page = await client.get(PAGE, headers=token_for(ADMIN_ROLE, subject=str(uuid.uuid4())))
    assert page.status_code == 200
    assert all(s.username in page.text for s in first.students + second.students)


async def test_students_are_refused_and_visitors_sent_to_sign_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session)
    refused = await client.get(PAGE, headers=student_headers(world.students[0]))
    assert refused.status_code == 403
    visitor = await client.get(PAGE, headers={"Accept": "text/html"})
    assert visitor.status_code in (303, 307)
    assert visitor.headers["location"].startswith("/sign-in?next=")
