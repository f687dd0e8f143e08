"""The Adaptive engine's sync health page in Chromium (issue 17), on the small generated world:
a student's tablet syncs with the live server through the real client — three answers applied
and one operation the server rejects (its question is not on the server) — and the student's
teacher finds the tablet and the dead letter with its reason on /adaptive/sync, asks the
device to resend it, and sees the request recorded; the tablet's next sync carries it back,
and the server rejects it again, counted."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.engine import make_url

from lyceum.adaptive.demo import demo_email
from lyceum.adaptive.device import commands as device
from lyceum.adaptive.enums import SyncOperationKind, SyncStatus, UserRole
from lyceum.adaptive.models import Question, SyncOperation
from lyceum.adaptive.offline import AttemptInput
from lyceum.core.operators import demo_password
from tests.browser.conftest import Site
from tests.fixtures.browser import Visit

STUDENT = demo_email(UserRole.STUDENT)
MISSING_QUESTION = uuid.UUID("00000000-0000-4000-8000-00000000dead")


async def _tablet(base: str, sqlite_url: str) -> tuple[str, int, int]:
    """Sign the tablet in, pull, answer three questions and queue one attempt at a question the
    server does not have, sync; returns (device id, applied, rejected)."""
    state = await device.sign_in(sqlite_url, base, STUDENT, demo_password())
    await device.sync_once(sqlite_url)
    async with device.open_store(sqlite_url) as store:
        async with store._sessions() as db:
            questions = list((await db.execute(select(Question).limit(3))).scalars())
        for question in questions:
            await store.record_attempt(
                AttemptInput(
                    student_id=state.student_id or uuid.uuid4(), question_id=question.id,
                    answer=question.correct_answer, is_correct=True, time_taken_seconds=40.0,
                    confidence=4, attempted_at=datetime.now(UTC), device_id=state.device_id,
                )
            )  # fmt: skip
        attempt_id = uuid.uuid4()
        async with store._sessions() as db:
            db.add(
                SyncOperation(
                    id=uuid.uuid4(), device_id=state.device_id, student_id=state.student_id,
                    entity_type="question_attempt", entity_id=attempt_id,
                    operation=SyncOperationKind.CREATE, status=SyncStatus.PENDING,
                    payload={
                        "id": str(attempt_id), "student_id": str(state.student_id),
                        "question_id": str(MISSING_QUESTION), "answer": "7",
                        "is_correct": True, "time_taken_seconds": 20.0, "confidence": None,
                        "attempted_at": datetime.now(UTC).isoformat(),
                        "device_id": state.device_id,
                    },
                )
            )  # fmt: skip
            await db.commit()
    summary = await device.sync_once(sqlite_url)
    return state.device_id, summary.push.applied, summary.push.rejected


def _in_thread(coroutine: object) -> object:
    # Playwright's sync API holds this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)  # type: ignore[arg-type]


def _teacher_of(site: Site, student_email: str) -> str:
    url = make_url(site.server.env["DATABASE_URL"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        row = connection.execute(
            "SELECT t.email FROM adaptive.users s"
            " JOIN adaptive.student_profiles p ON p.user_id = s.id"
            " JOIN adaptive.classes c ON c.id = p.class_id"
            " JOIN adaptive.users t ON t.id = c.teacher_id WHERE s.email = %s",
            (student_email,),
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_a_teacher_finds_a_rejected_operation_and_asks_the_device_to_resend(
    visit: Visit, site: Site, tmp_path: Path
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'tablet.db'}"
    device_id, applied, rejected = _in_thread(_tablet(site.base, sqlite_url))  # type: ignore[misc]
    assert (applied, rejected) == (3, 1)

    teacher = visit.open(label="teacher")
    teacher.goto("/sign-in?next=/adaptive/sync")
    teacher.fill("input[name=email]", _teacher_of(site, STUDENT))
    teacher.fill("input[name=password]", demo_password())
    with teacher.expect_navigation(url="**/adaptive/sync"):
        teacher.click("button[type=submit]")
    expect(teacher.locator("body")).to_have_attribute("data-page", "adaptive-sync")
    tablet = teacher.locator("#devices tbody tr", has_text=device_id)
    expect(tablet).to_have_count(1)
    # The device's row counts its dead letter (from the server's ledger).
    expect(tablet.locator("td").nth(6)).to_have_text("1")
    letter = teacher.locator("#dead-letters tbody tr", has_text=device_id)
    expect(letter).to_contain_text("is not on the server")
    expect(letter.locator("td").nth(4)).to_have_text("1")
    letter.locator("button[data-resend]").click()
    expect(letter.locator(".resend")).to_contain_text("requested just now")

    # The tablet's next sync carries the request: the operation is sent again and, its
    # question still missing, rejected again — the page counts the second try.
    _in_thread(device.sync_once(sqlite_url))
    _in_thread(device.sync_once(sqlite_url))
    teacher.reload()
    letter = teacher.locator("#dead-letters tbody tr", has_text=device_id)
    expect(letter.locator("td").nth(4)).to_have_text("2")
    expect(letter.locator("button[data-resend]")).to_be_visible()
    expect(
        teacher.locator("#devices tbody tr", has_text=device_id).locator("td").nth(6)
    ).to_have_text("1")
