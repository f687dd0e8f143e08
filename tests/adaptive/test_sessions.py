"""Seed 004's "Database Access in Code": `get_db` (PostgreSQL, pool 10 + 20, pre-ping) and
`get_sqlite_db` (the local database) as FastAPI dependencies, used from async handlers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.connection import close_local_db, get_db, get_engine, get_sqlite_db
from lyceum.adaptive.enums import UserRole
from lyceum.adaptive.models import User
from lyceum.core.settings import reset_settings_cache
from tests.adaptive.rows import ARGON2ID


@pytest.fixture
async def local_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Path]:
    path = tmp_path / "device" / "local.db"
    monkeypatch.setenv("SQLITE_DATABASE_URL", f"sqlite:///{path}")
    reset_settings_cache()
    yield path
    await close_local_db()
    reset_settings_cache()


LocalDb = Annotated[AsyncSession, Depends(get_sqlite_db)]
CloudDb = Annotated[AsyncSession, Depends(get_db)]


def _offline_app() -> FastAPI:
    app = FastAPI()

    @app.post("/offline/users/{username}")
    async def create(username: str, db: LocalDb) -> dict[str, str]:
        user = User(username=username, role=UserRole.STUDENT, password_hash=ARGON2ID)
        db.add(user)
        await db.commit()
        return {"id": str(user.id)}

    @app.post("/offline/edge/{username}")
    async def create_without_commit(username: str, db: LocalDb, fail: bool = False) -> None:
        # No commit here: the dependency commits at the edge, or rolls back on an error.
        db.add(User(username=username, role=UserRole.STUDENT, password_hash=ARGON2ID))
        await db.flush()
        if fail:
            raise RuntimeError("the handler failed after writing")

    @app.get("/offline/users")
    async def count(db: LocalDb) -> dict[str, int]:
        return {"users": (await db.execute(select(func.count()).select_from(User))).scalar_one()}

    @app.get("/cloud/ping")
    async def ping(db: CloudDb) -> dict[str, int]:
        return {"one": (await db.execute(text("SELECT 1"))).scalar_one()}

    return app


async def test_sqlite_sessions_serve_async_handlers(local_database: Path) -> None:
    transport = httpx.ASGITransport(app=_offline_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://device") as client:
        # Concurrent handlers: WAL and the busy timeout let their writes queue, not fail.
        created = await asyncio.gather(
            *(client.post(f"/offline/users/student-{n:02d}") for n in range(12))
        )
        assert [response.status_code for response in created] == [200] * 12
        assert (await client.get("/offline/users")).json() == {"users": 12}
    # The database was created on first use, at the configured path.
    assert await asyncio.to_thread(local_database.exists)


@pytest.mark.usefixtures("db_connection")
async def test_get_db_serves_handlers_with_the_seeds_pool(local_database: Path) -> None:
    transport = httpx.ASGITransport(app=_offline_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://cloud") as client:
        assert (await client.get("/cloud/ping")).json() == {"one": 1}
    engine = get_engine()
    assert engine.pool.size() == 10  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 20  # type: ignore[attr-defined]
    assert engine.pool._pre_ping is True  # type: ignore[attr-defined]


async def test_the_local_session_dependency_commits_at_the_edge(local_database: Path) -> None:
    transport = httpx.ASGITransport(app=_offline_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://device") as client:
        assert (await client.post("/offline/edge/kept")).status_code == 200
        assert (await client.post("/offline/edge/lost?fail=true")).status_code == 500
        assert (await client.get("/offline/users")).json() == {"users": 1}
