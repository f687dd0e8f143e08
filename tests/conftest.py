"""Test session: one fresh database built by the migrations, one real Redis.

Every test that touches the database gets `db_session`, bound to a connection
whose transaction is rolled back at the end; sessions created by the code
under test (`lyceum.core.db.session`) are bound to the same connection with
`join_transaction_mode="create_savepoint"`, so even code that commits leaves
nothing behind.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from lyceum.core.db import migrate
from lyceum.core.db.engine import close_db, get_engine
from lyceum.core.db.session import bind_sessions_to
from lyceum.core.db.url import drop_database
from lyceum.core.settings import reset_settings_cache
from tests.fixtures.app import asgi_client, bound_session, started_app
from tests.fixtures.browser import choose_chromium
from tests.fixtures.private_pg import private_postgres, running_private_postgres  # noqa: F401
from tests.fixtures.services import (
    REPO_ROOT,
    choose_test_database,
    drop_abandoned_test_databases,
    private_redis,
    recreate_database,
)

# Modules that take minutes on one worker: handed out first, so that no worker is left running
# one of them alone at the end.
LONG_MODULES = frozenset({"tests/adaptive/test_sync_faults.py"})


class _LongModulesFirst(OrderedDict[str, Any]):
    def __setitem__(self, scope: str, work: Any) -> None:
        super().__setitem__(scope, work)
        if scope in LONG_MODULES:
            self.move_to_end(scope, last=False)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `make test` (pytest-xdist) a module's tests run on one worker, and the browser
    tests, which share one live site, all on one: module- and package-scoped fixtures are built
    once, as in a serial run. A scheduler of our own, because `--dist loadgroup`'s marks no
    longer reach the scheduler under pytest 9 (xdist appends the group to `item._nodeid`,
    which pytest 9's `nodeid` no longer reads)."""
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class ModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped here
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "tests/browser" if module.startswith("tests/browser/") else module

        def __init__(self, config: pytest.Config, log: Any = None) -> None:
            super().__init__(config, log)
            # The order modules are handed out in: xdist's (most tests first), except that
            # the long ones go to the front; alone, xdist put the one-test fault test last,
            # to run on its own after everything else had finished. (Reordering the
            # collection instead would not do: workers are sent indexes into their own.)
            self.workqueue = _LongModulesFirst()

    return ModuleScheduling(config, log)


def pytest_report_header() -> str:
    # Here, not in tests/browser/conftest.py: pytest asks only the root conftest for headers.
    return choose_chromium().describe()


def alembic_config() -> Config:
    return migrate.alembic_config(REPO_ROOT)


def _worker_redis(configured: str) -> str:
    """Under pytest-xdist, worker N of a configured Redis uses database N + 1 (its own keys):
    two workers must not share caches or counters."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return configured
    parts = urlsplit(configured)
    path = f"/{(int(worker[2:]) + 1) % 16}"
    url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
    os.environ["REDIS_URL"] = url
    reset_settings_cache()
    return url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield _worker_redis(configured)
        return
    with private_redis() as url:
        os.environ["REDIS_URL"] = url
        reset_settings_cache()
        try:
            yield url
        finally:
            os.environ.pop("REDIS_URL", None)
            reset_settings_cache()


@pytest.fixture(scope="session")
def database_url(redis_url: str) -> Iterator[URL]:
    """The test database, migrated to head. DATABASE_URL points at it for the whole session,
    so code under test and the subprocesses tests start all use it."""
    url, named_by_user = choose_test_database()
    if not named_by_user:
        drop_abandoned_test_databases(url)
    recreate_database(url)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    os.environ.setdefault("ENV", "development")
    reset_settings_cache()
    command.upgrade(alembic_config(), "head")
    try:
        yield url
    finally:
        if not named_by_user:
            # Our own engines hold connections to it; FORCE ends any straggler.
            drop_database(url)
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        reset_settings_cache()


@pytest.fixture(scope="session")
async def engine(database_url: URL) -> AsyncIterator[AsyncEngine]:
    session_engine = get_engine()
    yield session_engine
    await close_db()
    # Code under test may have called close_db() already and dropped it from the registry.
    await session_engine.dispose()


@pytest.fixture
async def db_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        with bind_sessions_to(connection):
            yield connection
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
async def db_session(db_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with bound_session(db_connection) as session:
        yield session


@pytest.fixture
async def app(engine: AsyncEngine, redis_url: str) -> AsyncIterator[FastAPI]:
    """The real application with its lifespan run (its own engines), on the test database."""
    async with started_app() as application:
        yield application


@pytest.fixture
async def client(app: FastAPI, db_connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for `app`. Set up after `app`, so torn down before it: the test's
    transaction is rolled back and its connection returned before the lifespan disposes of
    its engines."""
    async with asgi_client(app) as http:
        yield http
