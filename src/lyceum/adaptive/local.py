"""The local SQLite database (seed 004's offline store): built from the same models as the
PostgreSQL schema (`create_all`, the seed's `init_db.py` path — SQLite has no migrations
here), opened in WAL mode with a busy timeout and foreign keys on.

- WAL: readers never block the writer, and the online backup can copy while writes go on.
- `busy_timeout`: a second connection waits for the write lock instead of failing at once.
- `foreign_keys=ON`: SQLite checks foreign keys only when asked, per connection.
- `synchronous=NORMAL`: in WAL mode a commit survives the app being killed (`kill -9`); after a
  power cut the last transactions before it may be rolled back, never half-applied. The sync
  tolerates that: a lost completion mark sends the operation again and the server answers
  "duplicate"; a lost pull is pulled again. `FULL` would fsync every commit as well.
- Every transaction begins `IMMEDIATE`: it takes the write lock at BEGIN, so a transaction
  that reads and then writes never fails half way with SQLITE_BUSY (in WAL mode SQLite does
  not wait out the busy timeout when a read lock must become a write lock).
- Schema `adaptive` maps to SQLite's main database (`schema_translate_map`).

Tables marked server-only (the change log, the device register) are not created here; the
device's own bookkeeping (`sync_state`: its cursor, clock and credentials) exists only here.

SQLite has no migrations here, so a device database made by an older release is brought up
to the models when it is opened (`upgrade_local_schema`, idempotent): `create_all` adds
missing tables, and each column a table lacks is added with `ALTER TABLE … ADD COLUMN`
(its type, default and NULL-ness; SQLite cannot add a table-level CHECK to an existing
table, so those constraints hold on new databases and, always, on the server).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    event,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.schema import CreateColumn

from lyceum.adaptive.models import SCHEMA, AdaptiveBase
from lyceum.adaptive.types import UTCDateTime

BUSY_TIMEOUT_MS = 5_000
# SQLite's own names for them: `PRAGMA journal_mode` answers "wal".
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
TABLES = [
    table
    for table in AdaptiveBase.metadata.sorted_tables
    if table.schema == SCHEMA and not table.info.get("server_only")
]

# The device's own bookkeeping, one row: never on PostgreSQL, so not in the models' MetaData.
device_metadata = MetaData()
sync_state = Table(
    "sync_state",
    device_metadata,
    Column("id", Integer, CheckConstraint("id = 1", name="single_row"), primary_key=True),
    Column("device_id", String(100), nullable=False),
    Column("student_id", Uuid),
    Column("server_url", String(500)),
    # The bearer token the device signs in with (`lyceum adaptive sync login`).
    Column("token", Text),
    # The server's change-log epoch and how far this device has pulled in it.
    Column("epoch", Uuid),
    Column("cursor", BigInteger, nullable=False, server_default="0"),
    # The last hybrid-clock stamp this device issued or saw.
    Column("clock", String(130)),
    Column("last_push_at", UTCDateTime()),
    Column("last_pull_at", UTCDateTime()),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime()),
)


def async_sqlite_url(url: str | URL) -> URL:
    """`sqlite:///path` (the seed's form) or `sqlite+aiosqlite:///path`, as the async URL."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(f"SQLITE_DATABASE_URL must be a sqlite:/// URL, got {parsed.drivername}")
    return parsed.set(drivername="sqlite+aiosqlite")


def _apply_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own BEGIN (deferred) is switched off; `_begin_immediate` emits ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_local_engine(url: str | URL) -> AsyncEngine:
    """An engine for the local database at `url`; its directory is created if missing."""
    async_url = async_sqlite_url(url)
    if async_url.database and async_url.database != ":memory:":
        Path(async_url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        async_url,
        # FastAPI runs handlers and dependencies on different threads.
        connect_args={"check_same_thread": False},
        execution_options={"schema_translate_map": {SCHEMA: None}},
    )
    event.listen(engine.sync_engine, "connect", _apply_pragmas)
    event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def missing_columns(sync: Connection) -> list[tuple[Table, Column[Any]]]:
    """Columns of the models that the device database's existing tables lack."""
    missing: list[tuple[Table, Column[Any]]] = []
    for table in [*TABLES, sync_state]:
        present = {row[1] for row in sync.exec_driver_sql(f'PRAGMA table_info("{table.name}")')}
        if present:
            missing.extend((table, c) for c in table.columns if c.name not in present)
    return missing


def upgrade_local_schema(sync: Connection) -> list[str]:
    """Add the columns an older device database lacks; `table.column` of each added."""
    added = []
    for table, column in missing_columns(sync):
        definition = CreateColumn(column).compile(dialect=sync.dialect)
        sync.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN {definition}')
        added.append(f"{table.name}.{column.name}")
    return added


async def create_local_schema(engine: AsyncEngine) -> None:
    """Create the device's tables and their indexes, and add the columns an older database
    lacks (idempotent)."""

    def create(sync: Connection) -> None:
        upgrade_local_schema(sync)
        AdaptiveBase.metadata.create_all(sync, tables=TABLES)
        device_metadata.create_all(sync)

    async with engine.begin() as connection:
        await connection.run_sync(create)


def local_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


__all__ = [
    "BUSY_TIMEOUT_MS",
    "TABLES",
    "async_sqlite_url",
    "create_local_engine",
    "create_local_schema",
    "device_metadata",
    "local_sessionmaker",
    "missing_columns",
    "sync_state",
    "upgrade_local_schema",
]
