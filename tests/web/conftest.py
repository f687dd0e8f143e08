"""The real application, its lifespan run, against the test database and Redis.

`client` sets up `app` before `db_connection`, so teardown runs the other way round:
the test's transaction is rolled back and its connection returned before the
lifespan's `close_db()` disposes the engines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lyceum.core.settings import load_settings
from lyceum.web.app import create_app


@pytest.fixture
async def app(engine: AsyncEngine, redis_url: str) -> AsyncIterator[FastAPI]:
    # Settings are read only now, once the session fixtures have set DATABASE_URL/REDIS_URL.
    # No simulation worker: it would tick on the test's bound connection in the background.
    application = create_app(
        load_settings().model_copy(update={"nerdboard_simulation_worker": False})
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI, db_connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: ServerErrorMiddleware re-raises after answering, and
    # the test needs to see the 500 response a real client would get.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
