"""Seed 004's `from app.core.database import get_db, get_sqlite_db`, by the alias
`lyceum.adaptive.database`: the same two dependencies, serving a FastAPI route."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lyceum.adaptive import connection
from lyceum.core.settings import reset_settings_cache


def test_the_alias_is_the_connection_module() -> None:
    from lyceum.adaptive.database import get_db, get_sqlite_db

    assert get_db is connection.get_db
    assert get_sqlite_db is connection.get_sqlite_db


async def test_the_seeds_endpoints_through_the_alias(
    db_connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lyceum.adaptive.database import get_db, get_sqlite_db

    monkeypatch.setenv("SQLITE_DATABASE_URL", f"sqlite:///{tmp_path / 'local.db'}")
    reset_settings_cache()
    app = FastAPI()

    @app.get("/cloud")
    async def some_endpoint(db: AsyncSession = Depends(get_db)) -> str:  # noqa: B008 - the seed's form
        return str((await db.execute(text("SELECT current_schema()"))).scalar_one())

    @app.get("/local")
    async def offline_endpoint(db: AsyncSession = Depends(get_sqlite_db)) -> int:  # noqa: B008
        return int((await db.execute(text("SELECT count(*) FROM users"))).scalar_one())

    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/cloud")).status_code == 200
            local = await client.get("/local")
            assert local.status_code == 200 and local.json() == 0
    finally:
        await connection.close_local_db()
        reset_settings_cache()
