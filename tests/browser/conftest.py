"""Browser tests: Playwright drives a real Chromium against a real `lyceum serve` and a real
`lyceum worker` (so the simulation ticks), on a database of their own holding a small
generated Nerdboard history, a small TutorMax history caught up as the daily job would have
(metrics, scores, rules, the model's card), Mathvidya's small question bank with its demo
accounts (`demo.<role>@example.com`, the demo password), the Adaptive engine's small world
(`demo.<role>@adaptive.example.com`), and three platform accounts: an
operator, a read-only viewer, and a tutor account linked to one of TutorMax's tutors.

Every test gets `visit` (tests.fixtures.browser.Visit). After the test body, each page it
opened is saved as test-artifacts/<test name>.png, pass or fail, and a test that passed
fails if any page logged a console error, threw, lost a request or got a 4xx/5xx response
the test did not declare with `visit.expect_status`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Coroutine, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic import command
from playwright.sync_api import Browser, Playwright, sync_playwright
from sqlalchemy import pool, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from lyceum.core.db.url import drop_database
from lyceum.core.operators import create_operator
from lyceum.core.settings import async_url
from tests.fixtures.browser import (
    Account,
    Visit,
    artifact_name,
    artifacts_dir,
    choose_chromium,
    install_playwright_chromium,
)
from tests.fixtures.live import LiveServer, live_environment
from tests.fixtures.services import REPO_ROOT, migration_connections

T = TypeVar("T")

# Half a second a tick, a simulated day each: three ticks are 1.5 s and each one writes a day.
TICK_SECONDS = 0.5
DAY_PER_TICK_SPEED = int(86_400 / TICK_SECONDS)
HISTORY_MONTHS = "1"  # the smallest history that fills every page (the forecast needs weeks)

OPERATOR = Account("olu.ops@example.org", "operator-password-1", "Olu Operator", ("operator",))
VIEWER = Account("vera.viewer@example.org", "viewer-password-12", "Vera Viewer", ("viewer",))
TUTOR = Account("tara.tutor@example.org", "tutor-password-123", "Tara Tutor", ("tutormax:tutor",))
ACCOUNTS = (OPERATOR, VIEWER, TUTOR)
# TutorMax: a year at small scale, caught up over 12 weeks (the trends' weeks, quickly).
TUTORMAX_PREPARE = (
    (sys.executable, "-m", "lyceum.cli.main", "generate", "tutormax", "--scale", "small"),
    (sys.executable, "-m", "lyceum.cli.main", "tutormax", "catch-up", "--weeks", "12"),
    # Mathvidya: the small question bank, templates and demo accounts (about 2 s).
    (sys.executable, "-m", "lyceum.cli.main", "generate", "mathvidya", "--scale", "small"),
    # Adaptive: the small knowledge graph, a class of students, their teachers (about 2 s).
    (sys.executable, "-m", "lyceum.cli.main", "generate", "adaptive", "--scale", "small"),
)

GENERATE = (sys.executable, "-m", "lyceum.cli.main", "generate", "nerdboard")
VISIT_KEY = pytest.StashKey[Visit]()


@dataclass(frozen=True)
class Site:
    server: LiveServer
    tick_seconds: float = TICK_SECONDS

    @property
    def base(self) -> str:
        return self.server.base


def _in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    # A thread of its own: the session's event loop (pytest-asyncio) is left alone.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


async def _create_accounts(url: URL) -> None:
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        async with AsyncSession(engine) as db:
            for account in ACCOUNTS:
                await create_operator(
                    db, account.email, account.password, account.display_name, account.roles
                )
            await db.commit()
    finally:
        await engine.dispose()


def _prepare_tutormax(env: dict[str, str]) -> None:
    for step in TUTORMAX_PREPARE:
        done = subprocess.run(
            step, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


async def _link_tutor_account(url: URL) -> None:
    """The tutor account speaks for the active tutor with the most completed sessions."""
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        async with AsyncSession(engine) as db:
            await db.execute(
                text(
                    "INSERT INTO tutormax.tutor_accounts (operator_id, tutor_id)"
                    " SELECT o.id, (SELECT s.tutor_id FROM tutormax.sessions s"
                    "   JOIN tutormax.tutors t USING (tutor_id) WHERE t.status = 'active'"
                    "   AND s.status = 'completed' GROUP BY s.tutor_id"
                    "   ORDER BY count(*) DESC, s.tutor_id LIMIT 1)"
                    " FROM lyceum.operators o WHERE o.email = :email"
                ),
                {"email": TUTOR.email},
            )
            await db.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="package")
def site(database_url: URL, redis_url: str) -> Iterator[Site]:
    url, env = live_environment(database_url, redis_url, "browser", TICK_SECONDS)
    # In this process (its imports are loaded already): seconds faster than `lyceum db upgrade`.
    with migration_connections(url) as (config, migrating, _looking):
        command.upgrade(config, "head")
        migrating.commit()
    server = LiveServer(env)
    # The history is generated while the API starts: nothing asks the API for data before
    # the tests do. The worker (the ticker) starts once the history is there.
    generating = subprocess.Popen(
        [*GENERATE, "--scale", "small", "--months", HISTORY_MONTHS],
        cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # TutorMax's history is prepared beside it, in a thread of its own.
    preparing = ThreadPoolExecutor(1)
    prepared = preparing.submit(_prepare_tutormax, env)
    try:
        server.start_api()
        _in_own_loop(_create_accounts(url))
        _, errors = generating.communicate(timeout=300)
        assert generating.returncode == 0, errors
        prepared.result(timeout=600)
        _in_own_loop(_link_tutor_account(url))
        server.start_worker()
        yield Site(server)
    finally:
        if generating.poll() is None:
            generating.kill()
            generating.wait()
        preparing.shutdown(wait=True)
        server.stop()
        drop_database(url)


# Package-scoped, not session-scoped: while Playwright's sync API is started, this thread
# counts as running an event loop, and every async test after this folder's would fail.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    choice = choose_chromium()
    if choice.executable is None:
        install_playwright_chromium()
    browser = playwright.chromium.launch(executable_path=choice.executable)
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def artifacts() -> Path:
    directory = artifacts_dir()
    directory.mkdir(parents=True, exist_ok=True)
    # Screenshots of this run only: none left over from tests renamed or removed since.
    for old in directory.glob("*.png"):
        old.unlink()
    return directory


@pytest.fixture(scope="package")
def signed_in_state(chromium: Browser, site: Site) -> dict[str, object]:
    """Each account's cookies after signing in through the form once, reused by every test
    (argon2 makes each sign-in cost a noticeable fraction of a second)."""
    states: dict[str, object] = {}
    for account in ACCOUNTS:
        context = chromium.new_context(base_url=site.base)
        page = context.new_page()
        page.goto("/sign-in")
        page.fill("input[name=email]", account.email)
        page.fill("input[name=password]", account.password)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == f"{site.base}/", f"{account.email} could not sign in: {page.url}"
        states[account.email] = context.storage_state()
        context.close()
    return states


@pytest.fixture
def visit(
    request: pytest.FixtureRequest,
    chromium: Browser,
    site: Site,
    signed_in_state: dict[str, object],
    artifacts: Path,
) -> Iterator[Visit]:
    browsing = Visit(chromium, site.base, signed_in_state)
    request.node.stash[VISIT_KEY] = browsing
    yield browsing
    browsing.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    try:
        result = yield
    finally:
        browsing = item.stash.get(VISIT_KEY, None)
        if browsing is not None:
            browsing.screenshot(artifacts_dir(), artifact_name(item.name))
    if browsing is not None and browsing.problems:
        listed = "\n  ".join(browsing.problems)
        raise AssertionError(f"the pages reported problems:\n  {listed}")
    return result
