"""The job queue's schema: what migration 0009 (and any later jobs revision) built must be
exactly what the installed procrastinate expects, so upgrading the package without a
revision fails here rather than in a worker.

Upgrading procrastinate (docs/architecture.md, "Background jobs"): add a revision that
replays the package's new files in `procrastinate/sql/migrations` (those after the last one
our history applied: `THROUGH` in revision 0009), like 0009 does, then this test passes again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from alembic import command
from procrastinate.schema import SchemaManager
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.engine import URL

from lyceum.core.jobs.schema import SCHEMA, is_queue_object
from lyceum.core.settings import sync_url
from tests.fixtures.services import migration_connections, schema_objects, scratch_database

REFERENCE = "procrastinate_reference"
CATALOG = {
    "relation": "SELECT relname, relkind::text FROM pg_class"
    " WHERE relnamespace = to_regnamespace(:s) AND relname LIKE 'procrastinate%'"
    " AND relkind IN ('r', 'v', 'S', 'c')",
    "column": "SELECT c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod)"
    " || ' not null=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin,"
    " d.adrelid), '') || ' identity=' || a.attidentity::text"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE c.relnamespace = to_regnamespace(:s) AND c.relname LIKE 'procrastinate%'"
    " AND a.attnum > 0 AND NOT a.attisdropped",
    "constraint": "SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)"
    " FROM pg_constraint WHERE connamespace = to_regnamespace(:s)"
    " AND conrelid::regclass::text LIKE '%procrastinate%'",
    "index": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s"
    " AND tablename LIKE 'procrastinate%'",
    "function": "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p"
    " WHERE pronamespace = to_regnamespace(:s) AND proname LIKE 'procrastinate%'",
    "trigger": "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t"
    " JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = to_regnamespace(:s)"
    " AND c.relname LIKE 'procrastinate%' AND NOT t.tgisinternal",
    "enum": "SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)"
    " FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid"
    " WHERE t.typnamespace = to_regnamespace(:s) AND t.typname LIKE 'procrastinate%'"
    " GROUP BY t.typname",
}
# Our addition to every function (migration 0009), absent from procrastinate's own SQL.
PINNED = re.compile(r"\s*SET search_path TO '?lyceum'?, '?pg_temp'?\s*")


def catalog(connection: Connection, schema: str) -> dict[tuple[str, str], str]:
    """procrastinate's objects in `schema`, as definitions with the schema name and layout
    (whitespace) taken out, so two schemas built the same way compare equal."""
    connection.execute(text(f"SET LOCAL search_path TO {schema}"))
    found: dict[tuple[str, str], str] = {}
    for kind, query in CATALOG.items():
        for name, definition in connection.execute(text(query), {"s": schema}):
            normal = PINNED.sub(" ", (definition or "").replace(f"{schema}.", ""))
            found[(kind, name)] = re.sub(r"\s+", " ", normal).strip()
    return found


@pytest.fixture
def connection(database_url: URL) -> Iterator[Connection]:
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            yield connection
            connection.rollback()  # the reference schema goes with it
    finally:
        engine.dispose()


def test_the_migrated_queue_is_the_installed_procrastinates_schema(connection: Connection) -> None:
    migrated = catalog(connection, SCHEMA)
    connection.execute(text(f"CREATE SCHEMA {REFERENCE}"))
    connection.execute(text(f"SET LOCAL search_path TO {REFERENCE}"))
    # The installed package's one-shot schema, straight through the driver (it has `%`s).
    connection.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
    reference = catalog(connection, REFERENCE)
    assert len(reference) > 50
    missing = sorted(set(reference) - set(migrated))
    extra = sorted(set(migrated) - set(reference))
    changed = sorted(
        key for key in set(reference) & set(migrated) if reference[key] != migrated[key]
    )
    assert (missing, extra, changed) == ([], [], []), (
        "the installed procrastinate's schema differs from what the migrations built; "
        "add a revision replaying its new SQL files (see this module's docstring)"
    )
    # And the comparison does see a difference (rolled back with the connection).
    connection.execute(text("ALTER TABLE lyceum.procrastinate_jobs ADD COLUMN drift integer"))
    assert catalog(connection, SCHEMA) != migrated


def test_every_queue_function_ignores_the_callers_search_path(connection: Connection) -> None:
    rows = connection.execute(
        text(
            "SELECT proname, proconfig FROM pg_proc WHERE pronamespace = to_regnamespace(:s)"
            " AND proname LIKE 'procrastinate%'"
        ),
        {"s": SCHEMA},
    ).all()
    assert len(rows) >= 15
    for name, config in rows:
        assert config == ["search_path=lyceum, pg_temp"], name
    # Called from the default search path, a function still finds its tables.
    connection.execute(text("SET LOCAL search_path TO public"))
    assert (
        connection.scalar(
            text("SELECT count(*) FROM lyceum.procrastinate_prune_stalled_workers_v1(1e9)")
        )
        == 0
    )


def test_queue_objects_are_recognised_by_name() -> None:
    for name in (
        "procrastinate_jobs",
        "procrastinate_jobs_pkey",
        "idx_procrastinate_jobs_worker_not_null",
    ):
        assert is_queue_object(name)
    for name in ("operators", "generation_runs", "ix_generation_runs_app_generated_at", None):
        assert not is_queue_object(name)


@pytest.mark.slow
def test_downgrading_0009_removes_the_queue_and_upgrading_restores_it(database_url: URL) -> None:
    with (
        scratch_database(database_url, "jobs_schema") as url,
        migration_connections(url) as (config, migrating, looking),
    ):
        command.upgrade(config, "0008")
        migrating.commit()
        at_0008 = schema_objects(looking, SCHEMA)
        looking.rollback()
        command.upgrade(config, "head")
        migrating.commit()
        before = schema_objects(looking, SCHEMA)
        looking.rollback()
        assert {"relation procrastinate_jobs", "function procrastinate_defer_jobs_v1"} < before
        command.downgrade(config, "0008")
        migrating.commit()
        # Exactly what 0009 added is gone; the platform's own tables are untouched.
        assert schema_objects(looking, SCHEMA) == at_0008
        looking.rollback()
        command.upgrade(config, "head")
        migrating.commit()
        assert schema_objects(looking, SCHEMA) == before
