"""Steps the Mathvidya browser tests share: signing up and signing in through the pages."""

from __future__ import annotations

from playwright.sync_api import Page, expect

PASSWORD = "a-student-password-1"


def sign_up(page: Page, kind: str, first: str, email: str) -> None:
    page.goto("/mathvidya/sign-up")
    expect(page.locator("body")).to_have_attribute("data-page", "mathvidya-sign-up")
    page.check(f"input[name=kind][value={kind}]")
    page.fill("input[name=first_name]", first)
    page.fill("input[name=last_name]", "Sharma")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    if kind == "students":
        page.select_option("select[name=student_class]", "X")
    with page.expect_navigation(url="**/sign-in?next=*"):
        page.click("#sign-up button[type=submit]")


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in?next=/mathvidya/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation(url="**/mathvidya/"):
        page.click("button[type=submit]")


__all__ = ["PASSWORD", "sign_in", "sign_up"]
