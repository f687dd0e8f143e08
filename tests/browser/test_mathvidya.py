"""Mathvidya in Chromium (issue 15 item 7), on the small generated question bank: a student
signs up, chooses a plan that an admin activates, takes a whole MCQ practice paper with a
reload in the middle (nothing chosen is lost), and reads the result with the correct
answers; a parent links with the student's code and reads it too; another parent cannot.

The DOM these tests read is the pages' contract: `body[data-page]`, `#sign-up`,
`button[data-subscribe]`, `button[data-activate]`, `button[data-start-template]`, `#paper`
with `.question[data-number]` and radio choices, `[data-saved]`, `#timer`, `#submit-exam`,
`#result` with `[data-percentage]`, `.option.key`, `#invite`, `#invite-code`, `#link-child`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lyceum.core.operators import demo_password
from lyceum.mathvidya.demo import demo_email
from lyceum.mathvidya.enums import UserRole
from tests.browser.mathvidya_steps import PASSWORD, sign_in, sign_up
from tests.fixtures.browser import Visit

pytestmark = pytest.mark.browser

MCQ_PAPER = "Section A: Multiple choice questions"


def test_a_student_subscribes_takes_a_paper_and_a_linked_parent_reads_it(visit: Visit) -> None:
    tag = uuid.uuid4().hex[:8]
    student_email, parent_email = f"asha.{tag}@example.org", f"meera.{tag}@example.org"

    # A student signs up and chooses the Basic plan: pending until an admin activates it.
    student = visit.open(label="student")
    sign_up(student, "students", "Asha", student_email)
    sign_in(student, student_email, PASSWORD)
    expect(student.locator("body")).to_have_attribute("data-page", "mathvidya-student")
    expect(student.locator("[data-no-plan]")).to_be_visible()
    student.click("button[data-subscribe=basic]")
    expect(student.get_by_text("Waiting for activation")).to_be_visible()

    admin = visit.open(label="admin")
    sign_in(admin, demo_email(UserRole.ADMIN), demo_password())
    admin.goto("/mathvidya/admin/subscriptions")
    row = admin.locator("tr", has_text=student_email)
    expect(row).to_be_visible()
    with admin.expect_navigation():
        row.locator("button[data-activate]").click()
    expect(admin.locator("tr", has_text=student_email)).to_have_count(0)

    # The plan is in force: start the MCQ section paper.
    student.reload()
    expect(student.locator("[data-remaining]")).to_have_text("5")
    paper = student.locator("#papers li", has_text=MCQ_PAPER).first
    with student.expect_navigation(url="**/mathvidya/exams/*"):
        paper.locator("button[data-start-template]").click()
    expect(student.locator("body")).to_have_attribute("data-page", "mathvidya-exam")
    expect(student.locator("#timer")).to_contain_text("left")
    questions = student.locator("#paper .question")
    count = questions.count()
    assert count == 20
    half = count // 2

    def answer(index: int) -> None:
        question = questions.nth(index)
        options = question.locator("input[type=radio]")
        options.nth(index % 4).check()
        expect(question.locator("[data-saved]")).to_have_text("saved")

    for index in range(half):
        answer(index)
    # A reload in the middle: every choice made so far is still there.
    student.reload()
    expect(student.locator("#paper input[type=radio]:checked")).to_have_count(half)
    for index in range(half, count):
        answer(index)
    with student.expect_navigation():
        student.click("#submit-exam")
    expect(student.locator("#result")).to_be_visible()
    expect(student.locator("#exam-status")).to_have_text("Marked")
    expect(student.locator(".option.key")).to_have_count(count)
    percentage = student.locator("[data-percentage]").inner_text()
    assert percentage.endswith("%")
    exam_path = student.url.removeprefix(visit.base)

    # The student gives a code; a parent signs up, links with it, and reads the result.
    student.goto("/mathvidya/")
    student.click("#invite")
    code = student.locator("#invite-code")
    expect(code).to_be_visible()
    parent = visit.open(label="parent")
    sign_up(parent, "parents", "Meera", parent_email)
    sign_in(parent, parent_email, PASSWORD)
    parent.fill("#link-child input[name=code]", code.inner_text())
    parent.select_option("#link-child select[name=relationship_type]", "mother")
    with parent.expect_navigation():
        parent.click("#link-child button[type=submit]")
    child = parent.locator("section[data-child]")
    expect(child).to_contain_text("Asha Sharma")
    child.locator(f"a[href='{exam_path}']").click()
    expect(parent.locator("#result")).to_be_visible()
    assert parent.locator("[data-percentage]").inner_text() == percentage
    expect(parent.locator("#submit-exam")).to_have_count(0)

    # A parent not linked to Asha (the demo parent) gets the 404 page for her paper.
    stranger = visit.open(label="unlinked parent")
    sign_in(stranger, demo_email(UserRole.PARENT), demo_password())
    visit.expect_status(404, exam_path)
    answer_page = stranger.goto(exam_path)
    assert answer_page is not None and answer_page.status == 404
    expect(stranger.locator("main")).not_to_contain_text(MCQ_PAPER)
    stranger.goto("/mathvidya/")
    expect(stranger.locator("main")).not_to_contain_text("Asha")


def same_session(visit: Visit, page: Page, label: str) -> Page:
    """Another tab of `page`'s browser session, watched and kept for its screenshot."""
    tab = page.context.new_page()
    visit.watch(tab)
    visit.pages.append((label, tab))
    return tab


def test_a_teacher_finds_edits_and_imports_questions(visit: Visit, tmp_path: Path) -> None:
    home = visit.open(label="teacher")
    sign_in(home, demo_email(UserRole.TEACHER), demo_password())
    expect(home.locator("body")).to_have_attribute("data-page", "mathvidya-staff")

    # Search the bank (a typo still finds it), open a question: its maths is previewed.
    search = same_session(visit, home, "search")
    search.goto("/mathvidya/questions?q=quadratc&class_level=X")
    expect(search.locator("tbody tr a").first).to_be_visible()
    teacher = same_session(visit, home, "editor")
    teacher.goto("/mathvidya/questions?q=quadratc&class_level=X")
    expect(teacher.locator("body")).to_have_attribute("data-page", "mathvidya-questions")
    first = teacher.locator("tbody tr a").first
    expect(first).to_be_visible()
    with teacher.expect_navigation():
        first.click()
    expect(teacher.locator("body")).to_have_attribute("data-page", "mathvidya-question")
    version = teacher.locator("h1").inner_text()

    # Editing an active question makes a new draft version; the old one stays for its papers.
    teacher.fill("textarea[name=explanation]", "Use the discriminant b² - 4ac and √ of it.")
    with teacher.expect_navigation(url="**/mathvidya/questions/*"):
        teacher.click("#question-form button[type=submit]")
    expect(teacher.locator("h1")).not_to_have_text(version)
    expect(teacher.locator("main")).to_contain_text("draft")
    expect(teacher.locator("table tbody tr")).to_have_count(2)

    # An import with a bad row imports nothing and lists the problem with its row.
    upload = tmp_path / "questions.csv"
    upload.write_text(
        "class_level,unit,chapter,question_type,difficulty,question_text,"
        "choice_a,choice_b,choice_c,choice_d,correct_option\n"
        "X,Algebra,Polynomials,MCQ,easy,Find the zeroes of x² - 5x + 6.,2 and 3,1 and 6,"
        "-2 and -3,5 and 6,A\n"
        "X,Algebra,Polynomials,MCQ,impossible,What is 2 + 2?,3,4,5,6,E\n",
        encoding="utf-8",
    )
    importing = same_session(visit, home, "import")
    importing.goto("/mathvidya/questions/import")
    importing.set_input_files("#import-form input[type=file]", str(upload))
    visit.expect_status(422, "/api/mathvidya/questions/import", "POST")
    importing.click("#import-form button[type=submit]")
    expect(importing.locator("#import-problems tbody tr").first).to_be_visible()
    problems = importing.locator("#import-problems tbody").inner_text()
    assert "difficulty" in problems and "2" in problems
    expect(importing.locator("#page-message")).to_be_visible()


def test_an_admin_adds_a_teacher_and_reads_the_templates(visit: Visit) -> None:
    admin = visit.open(label="admin")
    sign_in(admin, demo_email(UserRole.ADMIN), demo_password())
    expect(admin.locator("body")).to_have_attribute("data-page", "mathvidya-staff")

    templates = same_session(visit, admin, "templates")
    templates.goto("/mathvidya/templates")
    expect(templates.locator("tbody tr", has_text="CBSE Board Paper (Class XII)")).to_be_visible()
    expect(templates.locator("#template-form")).to_be_visible()

    tag = uuid.uuid4().hex[:8]
    admin.goto("/mathvidya/admin/users")
    expect(admin.locator("body")).to_have_attribute("data-page", "mathvidya-users")
    admin.fill("#staff-form input[name=first_name]", "Ravi")
    admin.fill("#staff-form input[name=last_name]", "Iyer")
    admin.fill("#staff-form input[name=email]", f"ravi.{tag}@example.org")
    admin.fill("#staff-form input[name=password]", "a-teacher-password")
    with admin.expect_navigation():
        admin.click("#staff-form button[type=submit]")
    admin.goto(f"/mathvidya/admin/users?q=ravi.{tag}")
    row = admin.locator("tbody tr", has_text=f"ravi.{tag}@example.org")
    expect(row).to_contain_text("teacher")
    with admin.expect_navigation():
        row.locator("button[data-user]").click()
    expect(admin.locator("tbody tr", has_text=f"ravi.{tag}@example.org")).to_contain_text("no")
