"""The local SQLite database (seed 004's offline store): built from the same models as the
PostgreSQL schema (`create_all`, the seed's `init_db.py` path — SQLite has no migrations
here), opened in WAL mode with a busy timeout and foreign keys on.

- WAL: readers never block the writer, and the online backup can copy while writes go on.
- `busy_timeout`: a second connection waits for the write lock instead of failing at once.
- `foreign_keys=ON`: SQLite checks foreign keys only when asked, per connection.
- Schema `adaptive` maps to SQLite's main database (`schema_translate_map`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from lyceum.adaptive.models import SCHEMA, AdaptiveBase

BUSY_TIMEOUT_MS = 5_000
# SQLite's own names for them: `PRAGMA journal_mode` answers "wal".
PRAGMAS = ("PRAGMA journal_mode=WAL", f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
           "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")  # fmt: skip
TABLES = [table for table in AdaptiveBase.metadata.sorted_tables if table.schema == SCHEMA]


def async_sqlite_url(url: str | URL) -> URL:
    """`sqlite:///path` (the seed's form) or `sqlite+aiosqlite:///path`, as the async URL."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(f"SQLITE_DATABASE_URL must be a sqlite:/// URL, got {parsed.drivername}")
    return parsed.set(drivername="sqlite+aiosqlite")


def _apply_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def create_local_engine(url: str | URL) -> AsyncEngine:
    """An engine for the local database at `url`; its directory is created if missing."""
    async_url = async_sqlite_url(url)
    if async_url.database and async_url.database != ":memory:":
        Path(async_url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        async_url,
        # FastAPI runs handlers and dependencies on different threads.
        connect_args={"check_same_thread": False},
        pool_pre_ping=True,
        execution_options={"schema_translate_map": {SCHEMA: None}},
    )
    event.listen(engine.sync_engine, "connect", _apply_pragmas)
    return engine


async def create_local_schema(engine: AsyncEngine) -> None:
    """Create the eleven tables and their indexes (idempotent)."""
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: AdaptiveBase.metadata.create_all(sync, tables=TABLES)
        )


def local_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


__all__ = [
    "BUSY_TIMEOUT_MS",
    "TABLES",
    "async_sqlite_url",
    "create_local_engine",
    "create_local_schema",
    "local_sessionmaker",
]
