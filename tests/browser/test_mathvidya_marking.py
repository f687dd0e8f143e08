"""Mathvidya's evaluation in Chromium (issue 16 item 8), on the small generated history: a
student hands in a written paper and uploads its answer sheet (a text file renamed `.jpg` is
refused with a sentence); an admin gives the evaluation to the demo teacher, who marks every
question with a stamp and a comment and submits; the student and a linked parent read the
marks per question and the teacher's comments; and an evaluation left near its deadline with
a busy teacher is moved by the SLA monitor to a teacher who can finish in time, as the admin's
SLA page shows.

The DOM these tests read is the pages' contract: `#sheet-files`, `#sheet-results li` (and
`.refused`), `#sheet-pages li[data-page]`; the admin's `#held tr[data-exam]` with
`form[data-reassign]`; the teacher's `#queue tr[data-exam]`, `#start-marking`,
`form.mark-form[data-question]` with `[name=marks]`, `[name=stamp]`, `[name=comment]`,
`[data-saved]`, `.sheet img`, `#complete-form`; the exam page's `#evaluation` and
`[data-marks]`, `.teacher-comment`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from lyceum.core.operators import demo_password
from lyceum.core.settings import async_url
from lyceum.mathvidya.demo import demo_email
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.service import evaluations, sla_monitor
from tests.browser.conftest import Site, _in_own_loop
from tests.browser.mathvidya_steps import PASSWORD, sign_in, sign_up
from tests.fixtures.browser import Visit

pytestmark = pytest.mark.browser

WRITTEN_PAPER = "Section B: Very short answer questions"
MARK_EACH = "1.5"


def answer_sheet(path: Path) -> Path:
    """A photographed page of written answers, as a PNG."""
    page = Image.new("RGB", (620, 877), "white")
    pen = ImageDraw.Draw(page)
    for line in range(12):
        y = 60 + line * 62
        pen.line((40, y, 580, y), fill=(180, 190, 220), width=2)
        pen.text(
            (50, y - 40), f"Q{line // 2 + 1}: x^2 - 5x + 6 = 0, so x = 2 or x = 3", fill="black"
        )
    page.save(path, "PNG")
    return path


def test_an_uploaded_paper_is_marked_and_the_family_reads_the_marks(
    visit: Visit, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    student_email, parent_email = f"ravi.{tag}@example.org", f"sita.{tag}@example.org"

    # A student with an activated plan and a linked parent.
    student = visit.open(label="student")
    sign_up(student, "students", "Ravi", student_email)
    sign_in(student, student_email, PASSWORD)
    student.click("button[data-subscribe=basic]")
    admin = visit.open(label="admin")
    sign_in(admin, demo_email(UserRole.ADMIN), demo_password())
    admin.goto("/mathvidya/admin/subscriptions")
    with admin.expect_navigation():
        admin.locator("tr", has_text=student_email).locator("button[data-activate]").click()
    student.goto("/mathvidya/")
    student.click("#invite")
    code = student.locator("#invite-code")
    expect(code).to_be_visible()
    parent = visit.open(label="parent")
    sign_up(parent, "parents", "Sita", parent_email)
    sign_in(parent, parent_email, PASSWORD)
    parent.fill("#link-child input[name=code]", code.inner_text())
    parent.select_option("#link-child select[name=relationship_type]", "mother")
    with parent.expect_navigation():
        parent.click("#link-child button[type=submit]")

    # The student starts a written paper, writes on paper, and hands in.
    student.goto("/mathvidya/")
    paper = student.locator("#papers li", has_text=WRITTEN_PAPER).first
    with student.expect_navigation(url="**/mathvidya/exams/*"):
        paper.locator("button[data-start-template]").click()
    exam_path = student.url.removeprefix(visit.base)
    exam_id = exam_path.rsplit("/", 1)[-1]
    questions = student.locator("#paper .question").count()
    assert questions == 5
    with student.expect_navigation():
        student.click("#submit-exam")
    expect(student.locator("#evaluation")).to_contain_text("Promised by")

    # Two files: the photographed page, and a text file renamed .jpg, refused by content.
    for page_number in (1, 2):
        visit.expect_status(
            422, f"/api/mathvidya/exams/{exam_id}/answer-sheets/{page_number}", "PUT"
        )
    renamed = tmp_path / "page2.jpg"
    renamed.write_text("These are my answers, typed instead of photographed.\n", encoding="utf-8")
    student.set_input_files(
        "#sheet-files", [str(answer_sheet(tmp_path / "page1.png")), str(renamed)]
    )
    expect(student.locator("#sheet-results li")).to_have_count(2)
    expect(student.locator("#sheet-results li.refused")).to_have_count(1)
    expect(student.locator("#sheet-results li.refused")).to_contain_text("not a JPEG, PNG or PDF")
    expect(student.locator("#sheet-pages li[data-page]")).to_have_count(1)

    # The admin gives the evaluation to the demo teacher (unless it went there already).
    teacher_email = demo_email(UserRole.TEACHER)
    admin.goto("/mathvidya/admin/sla")
    row = admin.locator(f"#held tr[data-exam='{exam_id}']")
    expect(row).to_be_visible()
    holder_cell = row.locator("td").nth(2)
    if teacher_email not in holder_cell.inner_text():
        choice = row.locator("option", has_text=teacher_email).get_attribute("value")
        assert choice is not None
        row.locator("select[name=teacher_id]").select_option(choice)
        with admin.expect_navigation():
            row.locator("button[type=submit]").click()
        moved = admin.locator(f"#held tr[data-exam='{exam_id}'] td").nth(2)
        expect(moved).to_contain_text(teacher_email)

    # The teacher opens it from the queue, marks every question, stamps the page, submits.
    teacher = visit.open(label="teacher")
    sign_in(teacher, teacher_email, demo_password())
    teacher.goto("/mathvidya/marking")
    expect(teacher.locator("body")).to_have_attribute("data-page", "mathvidya-marking-queue")
    expect(teacher.locator(f"#queue tr[data-exam='{exam_id}'] .countdown")).to_contain_text("left")
    with teacher.expect_navigation(url="**/mathvidya/marking/*"):
        teacher.locator(f"#queue tr[data-exam='{exam_id}'] a").click()
    with teacher.expect_navigation():
        teacher.click("#start-marking")
    expect(teacher.locator(".sheet img")).to_have_count(1)
    forms = teacher.locator("form.mark-form[data-question]")
    assert forms.count() == questions
    for index in range(questions):
        form = forms.nth(index)
        form.locator("[name=stamp]").select_option("half")
        form.locator("[name=comment]").fill(f"Question {index + 1}: show the factorisation.")
        form.locator("[name=marks]").fill(MARK_EACH)
        form.locator("[name=marks]").press("Tab")
        expect(form.locator("[data-saved]")).to_have_text("saved")
    teacher.locator(".stamp-palette [data-stamp=tick]").click()
    teacher.locator(".sheet img").click(position={"x": 120, "y": 200})
    expect(teacher.locator(".sheet .placed")).to_have_count(1)
    teacher.fill("#complete-form [name=comment]", "Good method; write every step.")
    with teacher.expect_navigation(url="**/mathvidya/marking"):
        teacher.click("#complete-marking")
    expect(teacher.locator(f"#queue tr[data-exam='{exam_id}']")).to_have_count(0)

    # The student and the linked parent read the marks and the comments.
    written = f"{float(MARK_EACH) * questions:.1f}"
    for reader in (student, parent):
        reader.goto(exam_path)
        expect(reader.locator("#evaluation")).to_have_attribute(
            "data-evaluation-status", "completed"
        )
        expect(reader.locator("#evaluation")).to_contain_text(f"{written} of 10")
        expect(reader.locator("#evaluation")).to_contain_text("Good method; write every step.")
        expect(reader.locator("[data-marks]")).to_have_count(questions)
        expect(reader.locator("p.teacher-comment")).to_have_count(questions)
        expect(reader.locator("#exam-status")).to_have_text("Marked")
    expect(student.locator("details.remark")).to_have_count(questions)
    expect(parent.locator("details.remark")).to_have_count(0)


async def _crowd_a_teacher_before_a_deadline(database_url: str) -> tuple[str, str, datetime]:
    """An assigned evaluation held by the slowest teacher behind five started ones of theirs,
    due (on the next working morning) later than the fastest other teacher, emptied of work,
    would finish it and sooner than its holder will. Every other open evaluation is held, and
    every claim runs past the deadline, so the monitor's run has nothing to do before the move
    but forecast. Returns its exam, its holder's address and that morning."""
    engine = create_async_engine(async_url(make_url(database_url)), poolclass=pool.NullPool)
    try:
        async with AsyncSession(engine) as db:
            workload = await evaluations.load_workload(db)
            calendar, margin = workload.calendar, workload.settings.reassign_margin_hours
            morning = calendar.next_working_moment(datetime.now(UTC) + timedelta(days=1))
            rate = {c.teacher_id: c.minutes_per_evaluation for c in workload.capacities}
            holder = max(rate, key=lambda teacher: (rate[teacher], str(teacher)))
            fastest = min(
                (t for t in rate if t != holder), key=lambda teacher: (rate[teacher], str(teacher))
            )
            target = (
                await db.execute(
                    text(
                        "SELECT id, exam_instance_id FROM mathvidya.evaluations"
                        " WHERE status = 'assigned' ORDER BY sla_deadline, id LIMIT 1"
                    )
                )
            ).one()
            ahead = (
                (
                    await db.execute(
                        text(
                            "SELECT id FROM mathvidya.evaluations WHERE status = 'in_progress'"
                            " ORDER BY id LIMIT 5"
                        )
                    )
                )
                .scalars()
                .all()
            )
            assert len(ahead) == 5
            # Started work counts as half done: the holder finishes after 3.5 evaluations, the
            # fastest teacher (its queue emptied below) after one.
            holder_done = 3.5 * rate[holder]
            assert holder_done > rate[fastest]
            due = calendar.add_working_hours(morning, (rate[fastest] + holder_done) / 120 + margin)
            claim = due + timedelta(days=1)
            moves = (
                # The fastest teacher's work, and whatever waits for a teacher, to the holder.
                "UPDATE mathvidya.evaluations SET teacher_user_id = :holder"
                " WHERE teacher_user_id = :fastest AND status IN ('assigned', 'in_progress')",
                "UPDATE mathvidya.evaluations SET status = 'assigned', teacher_user_id = :holder,"
                " assigned_at = greatest(submitted_at, now()), claim_expires_at = :claim"
                " WHERE status = 'pending'",
                "UPDATE mathvidya.evaluations SET claim_expires_at = :claim"
                " WHERE status IN ('assigned', 'in_progress')",
                "UPDATE mathvidya.evaluations SET teacher_user_id = :holder, sla_deadline = :early"
                " WHERE id = ANY(:ahead)",
                "UPDATE mathvidya.evaluations SET teacher_user_id = :holder, sla_deadline = :due,"
                " reassignment_count = 0 WHERE id = :target",
            )
            values = {
                "holder": holder,
                "fastest": fastest,
                "claim": claim,
                "early": calendar.add_working_hours(morning, 1),
                "ahead": list(ahead),
                "due": due,
                "target": target.id,
            }
            for statement in moves:
                await db.execute(text(statement), values)
            await db.commit()
            return str(target.exam_instance_id), workload.teachers[holder].email, morning
    finally:
        await engine.dispose()


async def _run_the_monitor(database_url: str, now: datetime) -> int:
    engine = create_async_engine(async_url(make_url(database_url)), poolclass=pool.NullPool)
    try:
        async with AsyncSession(engine) as db:
            run = await sla_monitor.run(db, now=now)
            await db.commit()
            return run.moved
    finally:
        await engine.dispose()


def test_an_evaluation_near_its_deadline_is_moved_to_a_teacher_who_can_finish(
    visit: Visit, site: Site
) -> None:
    database_url = site.server.env["DATABASE_URL"]
    exam_id, holder, morning = _in_own_loop(_crowd_a_teacher_before_a_deadline(database_url))
    admin = visit.open(label="admin")
    sign_in(admin, demo_email(UserRole.ADMIN), demo_password())
    admin.goto("/mathvidya/admin/sla")
    row = admin.locator(f"#held tr[data-exam='{exam_id}']")
    expect(row.locator("td.num")).to_have_text("0")
    expect(row.locator("td").nth(2)).to_contain_text(holder)

    # The monitor's run on that working morning: the holder is forecast to finish too late.
    # (The site's own worker runs the monitor every 5 minutes too: either run may move it.)
    _in_own_loop(_run_the_monitor(database_url, morning))
    admin.reload()
    row = admin.locator(f"#held tr[data-exam='{exam_id}']")
    expect(row.locator("td.num")).to_have_text("1")
    expect(row.locator("td").nth(2)).not_to_contain_text(holder)
    # The new holder is forecast to finish before the deadline.
    forecast, deadline = row.get_attribute("data-forecast"), row.get_attribute("data-deadline")
    assert forecast and deadline and forecast < deadline
