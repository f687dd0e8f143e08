"""Fixtures for the adaptive app: a session on the migrated PostgreSQL test database
(`db_session`, rolled back) and one on a fresh local SQLite database built from the models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.adaptive.local import create_local_engine, create_local_schema, local_sessionmaker


@pytest.fixture
async def local_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_local_engine(f"sqlite:///{tmp_path / 'local.db'}")
    await create_local_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def local_session(local_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with local_sessionmaker(local_engine)() as db:
        yield db


@pytest.fixture(params=["postgresql", "sqlite"])
def any_db(request: pytest.FixtureRequest) -> AsyncSession:
    """The same test on both databases: PostgreSQL (rolled back) and a local SQLite file."""
    name = "db_session" if request.param == "postgresql" else "local_session"
    session: AsyncSession = request.getfixturevalue(name)
    return session
