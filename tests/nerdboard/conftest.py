"""A small generated history shared by a module's tests, and the API over it.

Generating even the small history takes seconds, so each module generates it once inside an
outer transaction and every test runs in a savepoint rolled back afterwards: tests may
write (start the clock, tick the worker) and the next test still sees the pristine history.
The whole module's data is rolled back at the end, so other modules see empty tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from rich.progress import Progress
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from lyceum.core.appspec import GenerateOptions
from lyceum.core.db.session import bind_sessions_to
from lyceum.nerdboard.generate import generate
from tests.fixtures.app import asgi_client, bound_session, started_app

HISTORY_SEED = 7


@pytest.fixture(scope="module")
async def history_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        with bind_sessions_to(connection):
            with Progress(disable=True) as progress:
                await generate(GenerateOptions(seed=HISTORY_SEED, scale="small"), progress)
            yield connection
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
async def history(history_connection: AsyncConnection) -> AsyncIterator[AsyncConnection]:
    savepoint = await history_connection.begin_nested()
    with bind_sessions_to(history_connection):
        yield history_connection
    if savepoint.is_active:
        await savepoint.rollback()


@pytest.fixture
async def history_session(history: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with bound_session(history) as session:
        yield session


@pytest.fixture
async def nerdboard_app(engine: AsyncEngine, redis_url: str) -> AsyncIterator[FastAPI]:
    async with started_app() as application:
        await application.state.cache.clear_namespace()
        yield application


@pytest.fixture
async def api(nerdboard_app: FastAPI, history: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(nerdboard_app) as http:
        yield http
