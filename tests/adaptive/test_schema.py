"""Catalog conformance (seed 004): the eleven tables and the named indexes on PostgreSQL,
the same tables and indexes in the local SQLite database, and SQLite's connection settings;
with the sync's tables (migration 0015): the server-only change log, device register and
epoch, and the device-only `sync_state`."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.adaptive.local import BUSY_TIMEOUT_MS
from tests.fixtures import services

SEED_TABLES = {
    "users", "student_profiles", "classes", "topics", "topic_prerequisites", "concepts",
    "questions", "question_attempts", "concept_mastery", "study_plans", "sync_operations",
}  # fmt: skip
# Both databases: append-only plan progress.
SHARED_SYNC_TABLES = {"study_plan_events"}
SERVER_ONLY_TABLES = {"change_log", "sync_devices", "sync_server"}
# Migration 0016: the mastery model's fitted parameters and offsets (both databases, like
# every table not marked server-only).
FITTED_TABLES = {"concept_mastery_params", "mastery_student_offsets", "mastery_question_offsets"}
TABLES = SEED_TABLES | SHARED_SYNC_TABLES | SERVER_ONLY_TABLES | FITTED_TABLES
# The fitted model's tables are the server's: devices read mastery, they do not fit it.
DEVICE_TABLES = SEED_TABLES | SHARED_SYNC_TABLES | {"sync_state"}
# Seed 004's named indexes: (table, columns, unique, partial predicate).
NAMED_INDEXES = {
    "idx_attempts_student_timestamp": ("question_attempts", "student_id, attempted_at", False),
    "idx_mastery_student_concept": ("concept_mastery", "student_id, concept_id", True),
    "idx_sync_pending": ("sync_operations", "created_at", False),
    "ix_users_username": ("users", "username", True),
}


async def test_postgres_has_the_seed_tables_and_the_sync_tables(db_session: AsyncSession) -> None:
    rows = await db_session.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'adaptive'")
    )
    assert set(rows.scalars()) == TABLES


async def test_postgres_named_indexes(db_session: AsyncSession) -> None:
    rows = await db_session.execute(
        text(
            "SELECT c.relname, t.relname, i.indisunique, pg_get_expr(i.indpred, i.indrelid),"
            " (SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(i.indkey)"
            "  WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a"
            "  ON a.attrelid = i.indrelid AND a.attnum = k.attnum)"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_class t ON t.oid = i.indrelid WHERE c.relnamespace = 'adaptive'::regnamespace"
        )
    )
    found = {name: (table, columns, unique, where) for name, table, unique, where, columns in rows}
    for name, (table, columns, unique) in NAMED_INDEXES.items():
        assert found[name][:3] == (table, columns, unique), name
    assert found["idx_sync_pending"][3] == "((status)::text = 'pending'::text)"
    # Every primary table is indexed by its id.
    primary = {name: v for name, v in found.items() if name.startswith("pk_")}
    assert {table for table, *_ in primary.values()} == TABLES


async def test_sqlite_has_the_same_tables_and_named_indexes(local_engine: AsyncEngine) -> None:
    async with local_engine.connect() as connection:
        objects = await connection.execute(
            text("SELECT type, name, tbl_name, sql FROM sqlite_master")
        )
        rows = list(objects)
    assert {name for kind, name, *_ in rows if kind == "table"} == DEVICE_TABLES
    indexes = {name: (table, sql) for kind, name, table, sql in rows if kind == "index"}
    for name, (table, _, unique) in NAMED_INDEXES.items():
        assert indexes[name][0] == table
        assert indexes[name][1].startswith("CREATE UNIQUE INDEX" if unique else "CREATE INDEX")
    assert indexes["idx_sync_pending"][1].endswith("WHERE status = 'pending'")


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(
    local_engine: AsyncEngine,
) -> None:
    async with local_engine.connect() as connection:
        settings = [
            (await connection.execute(text(f"PRAGMA {name}"))).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        ]
    assert settings == ["wal", 1, BUSY_TIMEOUT_MS]


@pytest.fixture
def scratch_database(database_url: URL):  # type: ignore[no-untyped-def]
    with services.scratch_database(database_url, "adaptive_scratch") as scratch:
        yield scratch


@pytest.mark.slow
def test_downgrade_to_0007_removes_everything_and_upgrade_restores_it(
    scratch_database: URL,
) -> None:
    with services.migration_connections(scratch_database) as (config, _, looking):
        command.upgrade(config, "head")
        built = services.schema_objects(looking, "adaptive")
        assert {f"relation {table}" for table in TABLES} <= built
        assert "trigger trg_topic_prerequisites_no_cycle" in built
        command.downgrade(config, "0007")
        assert services.schema_objects(looking, "adaptive") == set()
        command.upgrade(config, "head")
        assert services.schema_objects(looking, "adaptive") == built
