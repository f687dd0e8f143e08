"""The page shell in Chromium: signing in (wrongly and rightly), the home page, signing out,
and the test machinery's own watch on console errors and failed requests."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR, VIEWER, Site
from tests.fixtures.browser import Visit

pytestmark = pytest.mark.browser

PRODUCTS = ("nerdboard", "tutormax", "mathvidya", "adaptive")


def test_a_wrong_password_shows_a_message_and_signs_nobody_in(visit: Visit) -> None:
    page = visit.open()
    visit.expect_status(401, "/sign-in", "POST")
    page.goto("/sign-in")
    page.fill("input[name=email]", OPERATOR.email)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_have_text(
        "That email and password do not match an account."
    )
    # The email is kept for a second try; the password is not.
    expect(page.locator("input[name=email]")).to_have_value(OPERATOR.email)
    expect(page.locator("input[name=password]")).to_have_value("")
    assert not [c for c in page.context.cookies() if c["name"] == "lyceum_session"]
    # Asked without navigating, so the screenshot keeps the message.
    home = page.request.get("/", max_redirects=0, headers={"Accept": "text/html"})
    assert home.status in (302, 303) and home.headers["location"].startswith("/sign-in")


def test_signing_in_goes_back_to_the_page_asked_for(visit: Visit, site: Site) -> None:
    page = visit.open()
    page.goto("/nerdboard/capacity")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/nerdboard/capacity$"))
    page.fill("input[name=email]", VIEWER.email)
    page.fill("input[name=password]", VIEWER.password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.base}/nerdboard/capacity")
    session = next(c for c in page.context.cookies() if c["name"] == "lyceum_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"


def test_home_lists_the_four_products(visit: Visit) -> None:
    page = visit.open(OPERATOR)
    page.goto("/")
    expect(page.locator("h1")).to_have_text(f"Good to see you, {OPERATOR.display_name}")
    for product in PRODUCTS:
        expect(page.locator(f"#app-{product}")).to_be_visible()
    # Nerdboard has pages: its card links to them; the others say what is coming.
    expect(page.locator("#app-nerdboard a[href='/nerdboard/']")).to_be_visible()


def test_sign_out_ends_the_session(visit: Visit, site: Site) -> None:
    page = visit.open(OPERATOR)
    page.goto("/")
    sign_out = page.locator("form.who button[type=submit]")
    expect(sign_out).to_have_text("Sign out")
    sign_out.click()
    expect(page).to_have_url(f"{site.base}/sign-in?signed_out=1")
    expect(page.locator("[role=alert]")).to_have_text("You have signed out.")
    assert not [c for c in page.context.cookies() if c["name"] == "lyceum_session"]
    page.goto("/")
    expect(page).to_have_url(f"{site.base}/sign-in?next=/")


def test_the_watch_catches_what_only_developer_tools_show(visit: Visit) -> None:
    """The machinery every other test relies on: an unexpected 404, a console error and an
    uncaught exception are each recorded (then cleared, so this test passes)."""
    page = visit.open(OPERATOR)
    page.goto("/")
    page.evaluate("fetch('/api/no-such-thing')")
    page.evaluate("console.error('something broke')")
    page.evaluate("setTimeout(function () { throw new Error('thrown later'); }, 0)")
    page.wait_for_timeout(300)
    problems = "\n".join(visit.problems)
    assert "HTTP 404 for GET" in problems and "/api/no-such-thing" in problems
    assert "console error at" in problems and "something broke" in problems
    assert "uncaught exception: thrown later" in problems
    visit.problems.clear()
