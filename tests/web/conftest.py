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

from tests.fixtures.app import asgi_client, started_app


@pytest.fixture
async def app(engine: AsyncEngine, redis_url: str) -> AsyncIterator[FastAPI]:
    async with started_app() as application:
        yield application


@pytest.fixture
async def client(app: FastAPI, db_connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as http:
        yield http
