"""The Adaptive engine's learning pages in Chromium (issue 18 item 6), on the small generated
world: the demo student sets their exam date, weekly hours and target on /adaptive/plan (the
plan is made at once), answers five questions on /adaptive/practice — each showing the
verdict and the concept's mastery before → after — and then sees the numbers move on
/adaptive/mastery (expected marks, the concepts answered) and on /adaptive/plan (a new plan,
made by the worker's replan job, with other expected marks). Their teacher opens the class
view: the heatmap with the student's row.

The DOM these tests read is the pages' contract: `body[data-page]`, `#plan-totals[data-plan]`,
`#plan-expected`, `#expected-marks`, `tr[data-concept] [data-p]`, `#question[data-question]`,
`#answer-form`, `#result[data-correct]`, `#mastery-before`, `#mastery-after`,
`#next-question`, `#classes`, `#heatmap tr[data-student]`.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import make_url

from lyceum.adaptive.demo import demo_email
from lyceum.adaptive.enums import UserRole
from lyceum.core.operators import demo_password
from tests.browser.conftest import Site
from tests.fixtures.browser import Visit, artifacts_dir

pytestmark = pytest.mark.browser

STUDENT = demo_email(UserRole.STUDENT)
ANSWERS = 5
# The worker's replan job runs within a second or two of the last answer's commit.
REPLAN_WAIT_SECONDS = 30


def _query(site: Site, sql: str, *args: object) -> tuple[object, ...]:
    url = make_url(site.server.env["DATABASE_URL"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        row = connection.execute(sql, args).fetchone()
    assert row is not None, sql
    return tuple(row)


def _replans_settled(site: Site, student_id: object) -> None:
    """Wait until no replan job of the student waits or runs (the worker has done them)."""
    deadline = time.monotonic() + REPLAN_WAIT_SECONDS
    while True:
        (pending,) = _query(
            site,
            "SELECT count(*) FROM lyceum.procrastinate_jobs WHERE queueing_lock = %s"
            " AND status IN ('todo', 'doing')",
            f"adaptive:replan:{student_id}",
        )
        if pending == 0:
            return
        assert time.monotonic() < deadline, "the worker did not run the replan job"
        time.sleep(0.3)


def _sign_in(page: Page, email: str, target: str) -> None:
    page.goto(f"/sign-in?next={target}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo_password())
    with page.expect_navigation(url=f"**{target}"):
        page.click("button[type=submit]")


def _number(page: Page, selector: str) -> float:
    text = page.locator(selector).inner_text()
    found = re.search(r"-?[0-9]+(?:\.[0-9]+)?", text)
    assert found, f"{selector}: {text!r}"
    return float(found.group(0))


def _concept_mastery(page: Page) -> dict[str, float]:
    cells = page.locator("tr[data-concept] [data-p]")
    codes = page.locator("tr[data-concept]")
    return {
        str(codes.nth(i).get_attribute("data-concept")): float(
            str(cells.nth(i).get_attribute("data-p"))
        )
        for i in range(codes.count())
    }


def _snap(page: Page, name: str) -> None:
    page.screenshot(path=str(artifacts_dir() / f"adaptive_learning.{name}.png"), full_page=True)


def _answer_one(page: Page, site: Site) -> tuple[str, float, float]:
    """Answer the question shown, rightly; (concept shown, mastery before, after)."""
    question = page.locator("#question")
    expect(question).to_be_visible()
    question_id = question.get_attribute("data-question")
    answer, kind = _query(
        site, "SELECT correct_answer, kind FROM adaptive.questions WHERE id = %s", question_id
    )
    if kind == "mcq":
        page.locator(f"#answer-form input[name=answer][value='{answer}']").check()
    else:
        page.fill("#answer-form input[name=answer]", str(answer))
    expect(page.locator("#why-this")).not_to_be_empty()
    with page.expect_navigation():
        page.click("#answer-form button[type=submit]")
    result = page.locator("#result")
    expect(result).to_have_attribute("data-correct", "true")
    concept = page.locator("#result h2").inner_text()
    return concept, _number(page, "#mastery-before"), _number(page, "#mastery-after")


# About 25 s: five answers, and two replans the worker runs.
@pytest.mark.slow
def test_a_student_answers_five_questions_and_sees_mastery_and_the_plan_change(
    visit: Visit, site: Site
) -> None:
    student = visit.open(label="student")
    _sign_in(student, STUDENT, "/adaptive/plan")
    expect(student.locator("body")).to_have_attribute("data-page", "adaptive-plan")

    # The profile: an exam two months away, 6 hours a week, a target. Saving makes the plan.
    exam = (datetime.now(UTC) + timedelta(days=60)).date()
    student.fill("input[name=exam_date]", exam.isoformat())
    student.fill("input[name=hours_per_week]", "6")
    student.fill("input[name=target_marks]", "85")
    with student.expect_navigation(url="**/adaptive/plan?saved=1"):
        student.click("#profile button[type=submit]")
    expect(student.locator("#page-notice")).to_contain_text("Saved")
    # The profile change also queued a replan: let the worker do it before taking the plan
    # the answers should change.
    (student_id,) = _query(site, "SELECT id FROM adaptive.users WHERE email = %s", STUDENT)
    _replans_settled(site, student_id)
    student.reload()
    first_plan = student.locator("#plan-totals").get_attribute("data-plan")
    plan_before = _number(student, "#plan-expected")
    baseline = _number(student, "#compare-baseline")
    assert plan_before > 0 and baseline > 0
    expect(student.locator("#today-items li").first).to_be_visible()
    _snap(student, "plan-before")

    student.goto("/adaptive/mastery")
    expect(student.locator("#mastery-map .box").first).to_be_visible()
    marks_before = _number(student, "#expected-marks")
    concepts_before = _concept_mastery(student)

    # Five questions, each answered rightly: the concept's mastery goes up each time.
    student.goto("/adaptive/practice")
    _snap(student, "question")
    answered = []
    for number in range(ANSWERS):
        concept, before, after = _answer_one(student, site)
        assert after > before, f"answer {number + 1} ({concept}): {before} -> {after}"
        answered.append(concept)
        if number == 0:
            _snap(student, "answered")
        with student.expect_navigation(url="**/adaptive/practice"):
            student.click("#next-question")

    # The mastery map: expected marks and the concepts answered have moved.
    student.goto("/adaptive/mastery")
    marks_after = _number(student, "#expected-marks")
    assert marks_after > marks_before, (marks_before, marks_after)
    concepts_after = _concept_mastery(student)
    raised = [c for c in concepts_after if concepts_after[c] > concepts_before.get(c, 0) + 1e-6]
    assert raised, "no concept's mastery rose"
    _snap(student, "mastery")

    # The plan: the answers queued a replan, which the worker made from the new mastery.
    _replans_settled(site, student_id)
    student.goto("/adaptive/plan")
    assert student.locator("#plan-totals").get_attribute("data-plan") != first_plan
    plan_after = _number(student, "#plan-expected")
    assert plan_after != plan_before, (plan_before, plan_after)
    _snap(student, "plan-after")

    # Home: today's plan and where the student stands.
    student.goto("/adaptive/")
    expect(student.locator("body")).to_have_attribute("data-page", "adaptive-home")
    expect(student.locator("#today-items li").first).to_be_visible()
    _snap(student, "home")


def test_a_teacher_opens_their_class_view(visit: Visit, site: Site) -> None:
    teacher_email, class_name, student_id = _query(
        site,
        "SELECT t.email, c.name, s.id FROM adaptive.users s"
        " JOIN adaptive.student_profiles p ON p.user_id = s.id"
        " JOIN adaptive.classes c ON c.id = p.class_id"
        " JOIN adaptive.users t ON t.id = c.teacher_id WHERE s.email = %s",
        STUDENT,
    )
    teacher = visit.open(label="teacher")
    _sign_in(teacher, str(teacher_email), "/adaptive/")
    expect(teacher.locator("body")).to_have_attribute("data-page", "adaptive-classes")
    _snap(teacher, "classes")
    card = teacher.locator("#classes .card", has_text=str(class_name))
    with teacher.expect_navigation(url="**/adaptive/classes/*"):
        card.locator("h2 a").click()
    expect(teacher.locator("body")).to_have_attribute("data-page", "adaptive-class")
    row = teacher.locator(f"#heatmap tr[data-student='{student_id}']")
    expect(row).to_have_count(1)
    assert row.locator("td.cell").count() > 5
