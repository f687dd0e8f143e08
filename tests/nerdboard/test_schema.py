"""Schema `nerdboard` as PostgreSQL sees it, compared with seed 000 written out here by hand.

Everything is read from the catalog (information_schema, pg_index, pg_constraint), never from
the SQLAlchemy metadata, so a model and a migration that agree with each other but not with the
seed still fail here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures import services

UUID_PK = ("uuid", False, "gen_random_uuid()")
VARCHAR_100 = ("character varying(100)", False, None)
TIMESTAMPTZ = ("timestamp with time zone", False, None)
AUDIT = {
    "created_at": ("timestamp with time zone", False, "now()"),
    "updated_at": ("timestamp with time zone", False, "now()"),
}

# Seed 000, table by table: column -> (type, nullable, default). Nullability as models.py
# decides it (the seed gives none): NOT NULL unless a row can honestly lack the value.
EXPECTED_COLUMNS: dict[str, dict[str, tuple[str, bool, str | None]]] = {
    "enrollments": {
        "id": UUID_PK,
        "student_id": ("uuid", False, None),
        "subject": VARCHAR_100,
        "cohort_id": ("character varying(50)", True, None),
        "start_date": TIMESTAMPTZ,
        "engagement_score": ("double precision", True, None),
        **AUDIT,
    },
    "tutors": {
        "id": UUID_PK,
        "tutor_id": VARCHAR_100,
        "subjects": ("text[]", False, None),
        "weekly_capacity_hours": ("integer", False, "0"),
        "utilization_rate": ("double precision", False, "0"),
        "avg_response_time_hours": ("double precision", True, None),
        **AUDIT,
    },
    "sessions": {
        "id": UUID_PK,
        "session_id": VARCHAR_100,
        "subject": VARCHAR_100,
        "tutor_id": ("uuid", True, None),
        "student_id": ("uuid", False, None),
        "scheduled_time": TIMESTAMPTZ,
        "duration_minutes": ("integer", False, None),
        **AUDIT,
    },
    "health_metrics": {
        "id": UUID_PK,
        "customer_id": VARCHAR_100,
        "date": TIMESTAMPTZ,
        "health_score": ("double precision", False, None),
        "engagement_level": ("integer", False, None),
        "support_ticket_count": ("integer", False, "0"),
        "session_completion_rate": ("double precision", True, None),
        **AUDIT,
    },
    "capacity_snapshots": {
        "id": UUID_PK,
        "subject": VARCHAR_100,
        "date": TIMESTAMPTZ,
        "total_capacity_hours": ("integer", False, None),
        "used_capacity_hours": ("integer", False, None),
        "available_tutors_count": ("integer", False, None),
        "utilization_rate": ("double precision", False, None),
        **AUDIT,
    },
    "data_quality_log": {
        "id": UUID_PK,
        "check_name": ("character varying(200)", False, None),
        "status": ("character varying(50)", False, None),
        "quality_score": ("double precision", False, None),
        "affected_records_count": ("integer", False, "0"),
        "error_details": ("text", True, None),
        "checked_at": ("timestamp with time zone", False, "now()"),
        **AUDIT,
    },
    "simulation_state": {
        "id": ("integer", False, None),
        "current_date": TIMESTAMPTZ,
        "speed_multiplier": ("integer", False, "1"),
        "is_running": ("boolean", False, "false"),
        "last_event": ("character varying(500)", True, None),
        "updated_at": ("timestamp with time zone", False, "now()"),
    },
}
TABLES = set(EXPECTED_COLUMNS)

# The seed's eleven indexes: name -> (table, method, columns in order with DESC where given).
EXPECTED_INDEXES: dict[str, tuple[str, str, str]] = {
    "idx_enrollments_subject_date": ("enrollments", "btree", "subject, start_date"),
    "idx_enrollments_student": ("enrollments", "btree", "student_id"),
    "idx_tutors_subjects": ("tutors", "gin", "subjects"),
    "idx_tutors_tutor_id": ("tutors", "btree", "tutor_id"),
    "idx_sessions_subject_time": ("sessions", "btree", "subject, scheduled_time"),
    "idx_sessions_tutor": ("sessions", "btree", "tutor_id"),
    "idx_sessions_student": ("sessions", "btree", "student_id"),
    "idx_health_customer_date": ("health_metrics", "btree", "customer_id, date DESC"),
    "idx_capacity_subject_date": ("capacity_snapshots", "btree", "subject, date DESC"),
    "idx_quality_check_status": ("data_quality_log", "btree", "check_name, status"),
    "idx_quality_checked_at": ("data_quality_log", "btree", "checked_at DESC"),
}

COLUMNS_SQL = """
    SELECT table_name, column_name,
           CASE data_type
               WHEN 'character varying' THEN 'character varying(' || character_maximum_length || ')'
               WHEN 'ARRAY' THEN ltrim(udt_name, '_') || '[]'
               ELSE data_type
           END,
           is_nullable = 'YES', column_default
    FROM information_schema.columns WHERE table_schema = 'nerdboard'
"""

INDEXES_SQL = """
    SELECT i.relname, t.relname, am.amname, ix.indisunique,
           -- indoption is 0-based; its bit 1 is DESC.
           string_agg(a.attname || CASE WHEN ix.indoption[k.position - 1] & 1 = 1
                                        THEN ' DESC' ELSE '' END, ', ' ORDER BY k.position)
    FROM pg_index ix
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = i.relam
    CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, position)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    WHERE n.nspname = 'nerdboard'
    GROUP BY i.relname, t.relname, am.amname, ix.indisunique
"""


async def rows(session: AsyncSession, sql: str, **params: object) -> list[Any]:
    return list((await session.execute(text(sql), params)).all())


# --- structure --------------------------------------------------------------------------------


async def test_schema_holds_exactly_the_seven_seed_tables(db_session: AsyncSession) -> None:
    found = await rows(
        db_session,
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'nerdboard'",
    )
    assert {(name, kind) for name, kind in found} == {(name, "BASE TABLE") for name in TABLES}


async def test_every_column_has_the_seed_type_nullability_and_default(
    db_session: AsyncSession,
) -> None:
    found: dict[str, dict[str, tuple[str, bool, str | None]]] = {}
    for table, column, type_, nullable, default in await rows(db_session, COLUMNS_SQL):
        found.setdefault(table, {})[column] = (type_, nullable, default)
    assert found == EXPECTED_COLUMNS


async def test_the_eleven_seed_indexes_have_their_names_columns_and_order(
    db_session: AsyncSession,
) -> None:
    indexes = {row[0]: row[1:] for row in await rows(db_session, INDEXES_SQL)}
    for name, (table, method, columns) in EXPECTED_INDEXES.items():
        assert name in indexes, f"missing index {name}"
        assert indexes[name] == (table, method, False, columns), name
    # Not in the seed, but the quality checks and all-subject time ranges rely on them.
    assert indexes["ix_sessions_scheduled_time"] == ("sessions", "btree", False, "scheduled_time")
    assert indexes["ix_health_metrics_date"] == ("health_metrics", "btree", False, "date")


async def test_every_table_has_a_database_generated_uuid_key_except_the_clock(
    db_session: AsyncSession,
) -> None:
    keys = await rows(
        db_session,
        """
        SELECT t.relname, array_agg(a.attname::text)
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'p' AND c.connamespace = 'nerdboard'::regnamespace
        GROUP BY t.relname
        """,
    )
    assert dict(keys) == {table: ["id"] for table in TABLES}
    assert EXPECTED_COLUMNS["simulation_state"]["id"][0] == "integer"


async def test_sessions_tutor_fk_sets_null_on_delete(db_session: AsyncSession) -> None:
    [(name, delete_rule, definition)] = await rows(
        db_session,
        "SELECT conname, confdeltype::text, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'nerdboard'::regnamespace",
    )
    assert delete_rule == "n", f"{name}: expected ON DELETE SET NULL"
    assert definition == (
        "FOREIGN KEY (tutor_id) REFERENCES nerdboard.tutors(id) ON DELETE SET NULL"
    )


async def test_single_row_check_exists_under_the_seed_name(db_session: AsyncSession) -> None:
    found = await rows(
        db_session,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conname = 'single_row_check' AND conrelid = 'nerdboard.simulation_state'::regclass",
    )
    assert found == [("CHECK ((id = 1))",)]


# --- behaviour --------------------------------------------------------------------------------


async def test_simulation_state_row_exists_after_migration(db_session: AsyncSession) -> None:
    found = await rows(db_session, "SELECT id FROM nerdboard.simulation_state")
    assert found == [(1,)]


async def test_a_second_simulation_state_row_is_refused(db_session: AsyncSession) -> None:
    with pytest.raises(IntegrityError) as refused:
        await db_session.execute(
            text('INSERT INTO nerdboard.simulation_state (id, "current_date") VALUES (2, now())')
        )
    assert constraint_name(refused.value) == "single_row_check"


async def test_current_date_is_a_column_only_when_quoted(db_session: AsyncSession) -> None:
    await ensure_clock_row(db_session)
    quoted, bare = (
        await db_session.execute(
            text('SELECT pg_typeof("current_date")::text, pg_typeof(current_date)::text '
                 "FROM nerdboard.simulation_state")
        )
    ).one()  # fmt: skip
    assert (quoted, bare) == ("timestamp with time zone", "date")


def _minimal_rows() -> dict[str, dict[str, object]]:
    """One valid row per table, fresh unique keys each call."""
    unique = uuid.uuid4().hex[:12]
    day = datetime(2025, 3, 1, tzinfo=UTC)
    return {
        "enrollments": {"student_id": uuid.uuid4(), "subject": "Math", "start_date": day,
                        "engagement_score": 0.5},
        "tutors": {"tutor_id": f"T-{unique}", "subjects": ["Math"], "weekly_capacity_hours": 10,
                   "utilization_rate": 0.5, "avg_response_time_hours": 1.0},
        "sessions": {"session_id": f"S-{unique}", "subject": "Math", "student_id": uuid.uuid4(),
                     "scheduled_time": day, "duration_minutes": 60},
        "health_metrics": {"customer_id": unique, "date": day, "health_score": 50.0,
                           "engagement_level": 1, "support_ticket_count": 0,
                           "session_completion_rate": 0.5},
        "capacity_snapshots": {"subject": "Math", "date": day, "total_capacity_hours": 10,
                               "used_capacity_hours": 5, "available_tutors_count": 1,
                               "utilization_rate": 0.5},
        "data_quality_log": {"check_name": "probe", "status": "passed", "quality_score": 5.0,
                             "affected_records_count": 0},
    }  # fmt: skip


async def insert_row(session: AsyncSession, table: str, **overrides: object) -> uuid.UUID:
    values = _minimal_rows()[table] | overrides
    columns = ", ".join(values)
    placeholders = ", ".join(f":{name}" for name in values)
    inserted = await session.execute(
        text(f"INSERT INTO nerdboard.{table} ({columns}) VALUES ({placeholders}) RETURNING id"),  # noqa: S608
        values,
    )
    row_id: uuid.UUID = inserted.scalar_one()
    return row_id


def constraint_name(error: IntegrityError) -> str | None:
    cause = error.orig.__cause__ if error.orig is not None else None
    return getattr(cause, "constraint_name", None)


# (table, overrides, the CHECK constraint that must refuse it, after its ck_<table>_ prefix)
OUTSIDE: list[tuple[str, dict[str, object], str]] = [
    ("enrollments", {"engagement_score": 1.0001}, "engagement_score_range"),
    ("enrollments", {"engagement_score": -0.1}, "engagement_score_range"),
    ("tutors", {"utilization_rate": 1.0001}, "utilization_rate_range"),
    ("tutors", {"utilization_rate": -0.1}, "utilization_rate_range"),
    ("tutors", {"weekly_capacity_hours": -1}, "weekly_capacity_hours_range"),
    ("tutors", {"weekly_capacity_hours": 169}, "weekly_capacity_hours_range"),
    ("tutors", {"avg_response_time_hours": -0.5}, "avg_response_time_hours_non_negative"),
    ("tutors", {"subjects": []}, "subjects_not_empty"),
    ("sessions", {"duration_minutes": 0}, "duration_minutes_positive"),
    ("sessions", {"duration_minutes": -30}, "duration_minutes_positive"),
    ("health_metrics", {"health_score": 100.5}, "health_score_range"),
    ("health_metrics", {"health_score": -0.1}, "health_score_range"),
    ("health_metrics", {"session_completion_rate": 1.0001}, "session_completion_rate_range"),
    ("health_metrics", {"session_completion_rate": -0.1}, "session_completion_rate_range"),
    ("health_metrics", {"engagement_level": -1}, "engagement_level_non_negative"),
    ("health_metrics", {"support_ticket_count": -1}, "support_ticket_count_non_negative"),
    ("capacity_snapshots", {"utilization_rate": 1.0001}, "utilization_rate_range"),
    ("capacity_snapshots", {"utilization_rate": -0.1}, "utilization_rate_range"),
    ("capacity_snapshots", {"used_capacity_hours": -1}, "used_capacity_hours_non_negative"),
    ("capacity_snapshots", {"used_capacity_hours": 11}, "used_within_total"),
    ("capacity_snapshots", {"available_tutors_count": -1}, "available_tutors_count_non_negative"),
    (
        "capacity_snapshots",
        {"total_capacity_hours": -1, "used_capacity_hours": -1},
        "total_capacity_hours_non_negative",
    ),
    ("data_quality_log", {"status": "ok"}, "status_known"),
    ("data_quality_log", {"quality_score": 5.1}, "quality_score_range"),
    ("data_quality_log", {"quality_score": -0.1}, "quality_score_range"),
    ("data_quality_log", {"affected_records_count": -1}, "affected_records_count_non_negative"),
]

INSIDE: list[tuple[str, dict[str, object]]] = [
    ("enrollments", {"engagement_score": 0.0}),
    ("enrollments", {"engagement_score": 1.0}),
    ("enrollments", {"engagement_score": None}),
    ("tutors", {"utilization_rate": 0.0}),
    ("tutors", {"utilization_rate": 1.0}),
    ("tutors", {"weekly_capacity_hours": 0}),
    ("tutors", {"weekly_capacity_hours": 168}),
    ("tutors", {"avg_response_time_hours": 0.0}),
    ("tutors", {"subjects": ["Math", "Physics"]}),
    ("sessions", {"duration_minutes": 1}),
    ("health_metrics", {"health_score": 0.0}),
    ("health_metrics", {"health_score": 100.0}),
    ("health_metrics", {"session_completion_rate": 0.0}),
    ("health_metrics", {"session_completion_rate": 1.0}),
    ("health_metrics", {"engagement_level": 0}),
    ("capacity_snapshots", {"utilization_rate": 0.0}),
    ("capacity_snapshots", {"utilization_rate": 1.0}),
    ("capacity_snapshots", {"used_capacity_hours": 10}),
    ("capacity_snapshots", {"total_capacity_hours": 0, "used_capacity_hours": 0}),
    ("capacity_snapshots", {"available_tutors_count": 0}),
    ("data_quality_log", {"status": "warning"}),
    ("data_quality_log", {"status": "failed"}),
    ("data_quality_log", {"quality_score": 0.0}),
    ("data_quality_log", {"quality_score": 5.0}),
]


def _case_id(table: str, overrides: dict[str, object]) -> str:
    return f"{table}-" + "-".join(f"{key}={value}" for key, value in overrides.items())


@pytest.mark.parametrize(
    ("table", "overrides", "constraint"),
    OUTSIDE,
    ids=[_case_id(table, overrides) for table, overrides, _ in OUTSIDE],
)
async def test_bad_rows_are_rejected_by_the_database(
    db_session: AsyncSession, table: str, overrides: dict[str, object], constraint: str
) -> None:
    with pytest.raises(IntegrityError) as refused:
        async with db_session.begin_nested():
            await insert_row(db_session, table, **overrides)
    assert constraint_name(refused.value) == f"ck_{table}_{constraint}"
    # The savepoint kept the transaction usable, and the valid row still goes in.
    assert isinstance(await insert_row(db_session, table), uuid.UUID)


@pytest.mark.parametrize(
    ("table", "overrides"), INSIDE, ids=[_case_id(table, overrides) for table, overrides in INSIDE]
)
async def test_boundary_values_are_accepted(
    db_session: AsyncSession, table: str, overrides: dict[str, object]
) -> None:
    async with db_session.begin_nested():
        row_id = await insert_row(db_session, table, **overrides)
    columns = ", ".join(overrides)
    [stored] = await rows(
        db_session, f"SELECT {columns} FROM nerdboard.{table} WHERE id = :id", id=row_id  # noqa: S608
    )  # fmt: skip
    assert list(stored) == list(overrides.values())


async def ensure_clock_row(session: AsyncSession) -> None:
    await session.execute(
        text(
            'INSERT INTO nerdboard.simulation_state (id, "current_date") VALUES (1, now()) '
            "ON CONFLICT (id) DO NOTHING"
        )
    )


async def test_speed_multiplier_below_one_is_refused(db_session: AsyncSession) -> None:
    await ensure_clock_row(db_session)
    with pytest.raises(IntegrityError) as refused:
        async with db_session.begin_nested():
            await db_session.execute(
                text("UPDATE nerdboard.simulation_state SET speed_multiplier = 0")
            )
    assert constraint_name(refused.value) == "ck_simulation_state_speed_multiplier_positive"
    await db_session.execute(text("UPDATE nerdboard.simulation_state SET speed_multiplier = 1"))


async def test_deleting_a_tutor_unassigns_their_sessions(db_session: AsyncSession) -> None:
    tutor = await insert_row(db_session, "tutors")
    session_id = await insert_row(db_session, "sessions", tutor_id=tutor)
    await db_session.execute(text("DELETE FROM nerdboard.tutors WHERE id = :id"), {"id": tutor})
    remaining = await rows(
        db_session, "SELECT tutor_id FROM nerdboard.sessions WHERE id = :id", id=session_id
    )
    assert remaining == [(None,)]


@pytest.mark.parametrize("table", sorted(TABLES - {"simulation_state"}))
async def test_timestamps_default_on_insert_and_updated_at_follows_raw_updates(
    db_session: AsyncSession, table: str
) -> None:
    row_id = await insert_row(db_session, table)
    [(created_now, updated_now)] = await rows(
        db_session,
        f"SELECT created_at = now(), updated_at = now() FROM nerdboard.{table} WHERE id = :id",  # noqa: S608
        id=row_id,
    )
    assert created_now and updated_now
    await db_session.execute(
        text(f"UPDATE nerdboard.{table} SET updated_at = '2000-01-01Z' WHERE id = :id"),  # noqa: S608
        {"id": row_id},
    )
    # A raw UPDATE that leaves updated_at alone: only a trigger can move it.
    await db_session.execute(
        text(f"UPDATE nerdboard.{table} SET created_at = created_at WHERE id = :id"),  # noqa: S608
        {"id": row_id},
    )
    [(moved,)] = await rows(
        db_session, f"SELECT updated_at = now() FROM nerdboard.{table} WHERE id = :id", id=row_id  # noqa: S608
    )  # fmt: skip
    assert moved, f"{table}.updated_at was not maintained by a trigger"


async def test_simulation_state_updated_at_follows_raw_updates(db_session: AsyncSession) -> None:
    await ensure_clock_row(db_session)
    await db_session.execute(
        text("UPDATE nerdboard.simulation_state SET updated_at = '2000-01-01Z'")
    )
    await db_session.execute(text("UPDATE nerdboard.simulation_state SET is_running = true"))
    [(moved,)] = await rows(db_session, "SELECT updated_at = now() FROM nerdboard.simulation_state")
    assert moved, "simulation_state.updated_at was not maintained by a trigger"


# --- the migration ------------------------------------------------------------------------------


@pytest.fixture
def scratch_database(database_url: URL) -> Iterator[URL]:
    """A database of its own, so downgrading it disturbs no other test."""
    with services.scratch_database(database_url, "nerdboard_scratch") as scratch:
        yield scratch


def _nerdboard_relations(connection: Connection) -> set[str]:
    return set(
        connection.execute(
            text("SELECT relname FROM pg_class WHERE relnamespace = 'nerdboard'::regnamespace")
        ).scalars()
    )


@pytest.mark.slow
def test_downgrade_to_0002_removes_the_schema_and_upgrade_restores_it(
    scratch_database: URL,
) -> None:
    with services.migration_connections(scratch_database) as (config, _, looking):
        command.upgrade(config, "head")
        built = _nerdboard_relations(looking)
        assert TABLES | set(EXPECTED_INDEXES) <= built
        command.downgrade(config, "0002")
        assert _nerdboard_relations(looking) == set()
        command.upgrade(config, "head")
        assert _nerdboard_relations(looking) == built
