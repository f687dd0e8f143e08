"""TutorMax's pages in Chromium (issue 14 item 9), over a small history the daily job has
caught up: a tutor-success operator opens an at-risk tutor, opens an intervention, starts it
and completes it with an outcome; a viewer reads without controls; a tutor sees their own
page and nothing of the team's.

The DOM these tests read is the pages' contract: `body[data-page]`, `data-charts-drawn`,
`#queue` rows with `data-tutor-id`, `#new-intervention`, the `#open-intervention` and
`#complete-intervention` dialogs, `.intervention[data-status][data-intervention-id]` cards with
`button[data-action]`s, `.board-column[data-status]`, `#standing`, `#lifts`.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import OPERATOR, TUTOR, VIEWER
from tests.fixtures.browser import Visit

pytestmark = pytest.mark.browser

API = "/api/tutormax"
STAFF_PAGES = {"dashboard": "/tutormax/", "tutors": "/tutormax/tutors", "model": "/tutormax/model"}


def open_page(visit: Visit, path: str, account: Any = OPERATOR, label: str = "") -> Page:
    page = visit.open(account, label)
    page.goto(path)
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", "true", timeout=15_000)
    expect(page.locator("#page-message")).to_be_hidden()
    return page


@pytest.mark.parametrize("name", list(STAFF_PAGES))
def test_every_staff_page_renders_with_its_data(visit: Visit, name: str) -> None:
    page = open_page(visit, STAFF_PAGES[name])
    expect(page.locator("body")).to_have_attribute("data-page", f"tutormax-{name}")
    if name == "dashboard":
        expect(page.locator("#risk-chart .main-svg").first).to_be_visible()
        expect(page.locator("#queue tbody tr").first).to_be_visible()
        expect(page.locator(".board-column")).to_have_count(4)
    if name == "tutors":
        expect(page.locator("#tutors tbody tr").first).to_be_visible()
        page.select_option("select[name=status]", "churned")
        with page.expect_response(f"**{API}/tutors?*"):
            page.click("#tutor-filters button[type=submit]")
        statuses = page.locator("#tutors tbody tr td:nth-child(2)").all_inner_texts()
        assert statuses and set(statuses) == {"churned"}
    if name == "model":
        # The catch-up evaluated the model on held-out weeks: AUC and calibration are drawn.
        expect(page.locator("#auc-chart .main-svg").first).to_be_visible()
        expect(page.locator("#calibration-chart .main-svg").first).to_be_visible()
        expect(page.locator("#targets li").first).to_be_visible()


def test_an_operator_takes_an_at_risk_tutor_from_the_queue_to_a_completed_intervention(
    visit: Visit,
) -> None:
    dashboard = open_page(visit, "/tutormax/")
    first = dashboard.locator("#queue tbody tr").first
    tutor_id = first.get_attribute("data-tutor-id")
    assert tutor_id
    first.locator("a").click()
    expect(dashboard.locator("body")).to_have_attribute("data-page", "tutormax-tutor")
    expect(dashboard.locator("body")).to_have_attribute("data-charts-drawn", "true", timeout=15_000)
    page = dashboard
    expect(page.locator("#reasons li").first).to_be_visible()

    # A kind of intervention this tutor has none open of (the rules may have opened some).
    open_kinds = page.evaluate(
        """(tutor) => fetch(`/api/tutormax/interventions?tutor_id=${tutor}&limit=500`)
            .then((r) => r.json())
            .then((body) => body.interventions
                .filter((i) => i.status === "pending" || i.status === "in_progress")
                .map((i) => i.intervention_type))""",
        tutor_id,
    )
    kind = next(k for k in ("retention_interview", "peer_mentoring", "manager_coaching")
                if k not in open_kinds)  # fmt: skip

    page.click("#new-intervention")
    dialog = page.locator("#open-intervention")
    expect(dialog).to_be_visible()
    expect(dialog.locator("textarea[name=trigger_reason]")).not_to_have_value("")
    dialog.locator("select[name=intervention_type]").select_option(kind)
    dialog.locator("select[name=priority]").select_option("2")
    dialog.locator("input[name=due_date]").fill("2026-12-31")
    dialog.locator("input[name=assigned_to]").fill(OPERATOR.email)
    with page.expect_response(f"**{API}/interventions") as created:
        dialog.locator("button[type=submit]").click()
    assert created.value.status == 201, created.value.text()
    intervention_id = created.value.json()["intervention_id"]
    expect(dialog).to_be_hidden()
    card = page.locator(f'.intervention[data-intervention-id="{intervention_id}"]')
    expect(card).to_have_attribute("data-status", "pending")
    expect(page.locator("#page-done")).to_contain_text("Opened")

    with page.expect_response(f"**{API}/interventions/{intervention_id}/status"):
        card.locator("button[data-action=start]").click()
    expect(card).to_have_attribute("data-status", "in_progress")

    card.locator("button[data-action=complete]").click()
    finishing = page.locator("#complete-intervention")
    expect(finishing).to_be_visible()
    finishing.locator("select[name=outcome]").select_option("improved")
    finishing.locator("textarea[name=notes]").fill("Call held; weekly check-ins agreed.")
    with page.expect_response(f"**{API}/interventions/{intervention_id}/complete") as done:
        finishing.locator("button[type=submit]").click()
    assert done.value.status == 200, done.value.text()
    expect(card).to_have_attribute("data-status", "completed")
    expect(card).to_contain_text("Improved")
    expect(card).to_contain_text("weekly check-ins agreed")

    # What the page shows is what is stored, and the board shows it as completed.
    stored = page.evaluate(
        "(id) => fetch(`/api/tutormax/interventions/${id}`).then((r) => r.json())",
        intervention_id,
    )
    assert (stored["status"], stored["outcome"], stored["assigned_to"]) == (
        "completed",
        "improved",
        OPERATOR.email,
    )
    board = open_page(visit, "/tutormax/", label="board")
    expect(
        board.locator(
            f'.board-column[data-status=completed] [data-intervention-id="{intervention_id}"]'
        )
    ).to_be_visible()


def test_a_viewer_reads_every_page_without_controls(visit: Visit) -> None:
    page = open_page(visit, "/tutormax/", VIEWER)
    expect(page.locator("#queue tbody tr").first).to_be_visible()
    expect(page.locator("#open-intervention")).to_have_count(0)
    expect(page.locator("#queue tbody button")).to_have_count(0)
    expect(page.locator(".intervention button")).to_have_count(0)


def test_a_tutor_sees_their_standing_and_is_refused_the_teams_pages(visit: Visit) -> None:
    page = open_page(visit, "/tutormax/me", TUTOR)
    expect(page.locator("body")).to_have_attribute("data-page", "tutormax-me")
    expect(page.locator("#standing table")).to_contain_text("better than")
    expect(page.locator("#lifts li").first).to_be_visible()
    expect(page.locator("#metric-history .main-svg").first).to_be_visible()
    # Their navigation offers their page only; the team's pages answer 403.
    nav = page.locator(".app-nav", has_text="TutorMax")
    expect(nav.locator("a")).to_have_text(["My page"])
    visit.expect_status(403, "/tutormax/")
    other = visit.open(TUTOR, "refused")
    refused = other.goto("/tutormax/")
    assert refused is not None and refused.status == 403
    expect(other.locator("body")).to_contain_text("operator")
