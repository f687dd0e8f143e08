"""Schema `tutormax` as PostgreSQL sees it, compared with seeds 001/002 and our design.

Everything is read from the catalog (information_schema, pg_attribute, pg_index, pg_constraint,
pg_trigger), never from the SQLAlchemy metadata, so a model and a migration that agree with
each other but not with the seed still fail here. The expected tables below are written out by
hand: they are the specification.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax import models
from tests.fixtures import services
from tests.tutormax.rows import (
    BAD_ROWS,
    ENGINE_TABLES,
    ENUM_COLUMNS,
    PRIMARY_KEYS,
    add_parties,
    base_row,
    constraints,
    insert_row,
    rows,
)

Spec = tuple[str, bool, str | None]  # (type, nullable, default)

KEY: Spec = ("character varying(50)", False, None)
UUID_PK: Spec = ("uuid", False, "gen_random_uuid()")
TSTZ: Spec = ("timestamp with time zone", False, None)
TSTZ_NULL: Spec = ("timestamp with time zone", True, None)
INT: Spec = ("integer", False, None)
INT_NULL: Spec = ("integer", True, None)
FLOAT: Spec = ("double precision", False, None)
FLOAT_NULL: Spec = ("double precision", True, None)
BOOL_NULL: Spec = ("boolean", True, None)
TEXT_NULL: Spec = ("text", True, None)
ENUM: Spec = ("character varying(50)", False, None)
ENUM_NULL: Spec = ("character varying(50)", True, None)
JSONB_OBJECT: Spec = ("jsonb", False, "'{}'::jsonb")
CREATED = {"created_at": ("timestamp with time zone", False, "now()")}
AUDIT = CREATED | {"updated_at": ("timestamp with time zone", False, "now()")}


def _varchar(length: int, nullable: bool = False, default: str | None = None) -> Spec:
    return (f"character varying({length})", nullable, default)


def _enum_default(value: str) -> Spec:
    return ("character varying(50)", False, f"'{value}'::character varying")


EXPECTED_COLUMNS: dict[str, dict[str, Spec]] = {
    "tutors": {
        "tutor_id": KEY, "name": _varchar(200), "email": _varchar(255),
        "onboarding_date": TSTZ, "status": _enum_default("active"),
        "subjects": ("character varying(100)[]", False, None),
        "baseline_sessions_per_week": FLOAT_NULL,
        "timezone": _varchar(64, default="'America/New_York'::character varying"),
        "experience_years": INT_NULL, "churned_at": TSTZ_NULL, **AUDIT,
    },
    "students": {
        "student_id": KEY, "name": _varchar(200), "age": INT_NULL,
        "grade_level": _varchar(20, nullable=True), "status": _enum_default("active"), **AUDIT,
    },
    "sessions": {
        "session_id": KEY, "tutor_id": KEY, "student_id": KEY, "subject": _varchar(100),
        "scheduled_start": TSTZ, "duration_minutes": INT, "status": _enum_default("scheduled"),
        "actual_start": TSTZ_NULL, "actual_duration_minutes": INT_NULL,
        "is_first_session": ("boolean", False, "false"), "no_show_by": ENUM_NULL,
        "was_rescheduled": ("boolean", False, "false"), "rescheduled_by": ENUM_NULL,
        "engagement_score": FLOAT_NULL, "learning_objectives_met": BOOL_NULL, **AUDIT,
    },
    "student_feedback": {
        "feedback_id": UUID_PK, "session_id": KEY, "student_id": KEY, "tutor_id": KEY,
        "overall_rating": INT, "subject_knowledge_rating": INT_NULL,
        "communication_rating": INT_NULL, "patience_rating": INT_NULL,
        "engagement_rating": INT_NULL, "helpfulness_rating": INT_NULL,
        "would_recommend": BOOL_NULL, "free_text_feedback": TEXT_NULL,
        "sentiment_score": FLOAT_NULL,
        "submitted_at": ("timestamp with time zone", False, "now()"), **AUDIT,
    },
    "tutor_performance_metrics": {
        "metric_id": UUID_PK, "tutor_id": KEY, "calculation_date": TSTZ, "metric_window": ENUM,
        "sessions_completed": INT, "avg_rating": FLOAT_NULL,
        "first_session_success_rate": FLOAT_NULL, "reschedule_rate": FLOAT,
        "no_show_count": INT, "engagement_score": FLOAT_NULL,
        "response_time_avg_minutes": FLOAT_NULL, "overall_score": FLOAT_NULL,
        "performance_tier": ENUM_NULL,
        "improvement_areas": ("character varying(100)[]", False, "'{}'::character varying[]"),
        **CREATED,
    },
    "churn_predictions": {
        "prediction_id": UUID_PK, "tutor_id": KEY, "prediction_date": TSTZ,
        "churn_probability_7d": FLOAT, "churn_probability_30d": FLOAT,
        "churn_probability_90d": FLOAT, "risk_score": INT, "risk_level": ENUM,
        "contributing_factors": JSONB_OBJECT, "model_version": _varchar(50),
        "outcome_churned_30d": BOOL_NULL, **AUDIT,
    },
    "interventions": {
        "intervention_id": UUID_PK, "tutor_id": KEY, "intervention_type": ENUM,
        "trigger_reason": ("text", False, None), "status": _enum_default("pending"),
        "priority": ("integer", False, "3"), "assigned_to": _varchar(200, nullable=True),
        "due_date": TSTZ_NULL, "completed_at": TSTZ_NULL, "outcome": ENUM_NULL,
        "notes": TEXT_NULL, **AUDIT,
    },
    "tutor_events": {
        "event_id": UUID_PK, "tutor_id": KEY, "event_type": ENUM, "event_timestamp": TSTZ,
        "metadata": JSONB_OBJECT, **CREATED,
    },
}  # fmt: skip
# Not seed tables: what the engines of issue 14 added (migration 0010: the churn models).
ADDED_COLUMNS: dict[str, dict[str, Spec]] = {
    "churn_models": {
        "version": _varchar(50), "method": _varchar(200), "as_of": TSTZ,
        "trained_at": ("timestamp with time zone", False, "now()"),
        "artifact": ("text", False, None), "features": ("jsonb", False, None),
        "training": ("jsonb", False, None), "evaluation": ("jsonb", True, None), **CREATED,
    },
}  # fmt: skip
TABLES = set(EXPECTED_COLUMNS)
# The intervention engine's own tables (ENGINE_TABLES) are specified, with their keys,
# indexes and checks, in test_interventions_schema.py; the churn model registry is specified
# here (ADDED_COLUMNS). The partial unique index on `interventions` is below.
ALL_TABLES = TABLES | set(ADDED_COLUMNS)

# Seed 002, "Tables Implemented (8 Total)".
SEED_COLUMN_COUNTS = {
    "tutors": 12, "students": 7, "sessions": 17, "student_feedback": 16,
    "tutor_performance_metrics": 15, "churn_predictions": 13, "interventions": 13,
    "tutor_events": 6,
}  # fmt: skip

# Seed 001, "Indexes": (table, column, unique).
SEED_INDEXES = [
    ("tutors", "email", True), ("tutors", "status", False),
    ("sessions", "tutor_id", False), ("sessions", "student_id", False),
    ("sessions", "scheduled_start", False), ("sessions", "subject", False),
    ("student_feedback", "session_id", True), ("student_feedback", "tutor_id", False),
    ("student_feedback", "student_id", False),
    ("tutor_performance_metrics", "tutor_id", False),
    ("tutor_performance_metrics", "calculation_date", False),
    ("churn_predictions", "tutor_id", False), ("churn_predictions", "prediction_date", False),
    ("churn_predictions", "risk_level", False),
    ("interventions", "tutor_id", False), ("interventions", "status", False),
    ("tutor_events", "tutor_id", False), ("tutor_events", "event_type", False),
    ("tutor_events", "event_timestamp", False),
]  # fmt: skip


def _single(table: str, column: str, unique: bool = False) -> tuple[str, bool, str]:
    return (table, unique, column)


# Every index in the schema, by name: (table, unique, columns in order). All btree, none partial.
EXPECTED_INDEXES: dict[str, tuple[str, bool, str]] = {
    **{f"pk_{table}": _single(table, key, unique=True) for table, key in PRIMARY_KEYS.items()},
    **{f"ix_{table}_{column}": _single(table, column, unique)
       for table, column, unique in SEED_INDEXES},
    # Ours: a tutor's sessions / events in a time range.
    "ix_sessions_tutor_id_scheduled_start": ("sessions", False, "tutor_id, scheduled_start"),
    "ix_tutor_events_tutor_id_event_timestamp": ("tutor_events", False,
                                                 "tutor_id, event_timestamp"),
    # Ours: what the composite feedback key points at, and one row per run.
    "uq_sessions_parties": ("sessions", True, "session_id, tutor_id, student_id"),
    "uq_tutor_performance_metrics_day": ("tutor_performance_metrics", True,
                                         "tutor_id, calculation_date, metric_window"),
    "uq_churn_predictions_run": ("churn_predictions", True,
                                 "tutor_id, prediction_date, model_version"),
    # The churn model registry: the latest model.
    "ix_churn_models_trained_at": ("churn_models", False, "trained_at"),
    # The intervention engine's: one open (pending or in progress) per tutor and type.
    "uq_interventions_open_per_type": ("interventions", True, "tutor_id, intervention_type"),
}  # fmt: skip
PARTIAL_INDEXES = {
    "uq_interventions_open_per_type": "WHERE ((status)::text = ANY ((ARRAY['pending'::"
    "character varying, 'in_progress'::character varying])::text[]))",
}


def _fk(table: str, column: str, parent: str) -> tuple[str, str]:
    return (
        f"fk_{table}_{column}_{parent}",
        f"FOREIGN KEY ({column}) REFERENCES tutormax.{parent}({column}) ON DELETE CASCADE",
    )


EXPECTED_FOREIGN_KEYS: dict[str, str] = dict(
    [
        _fk("sessions", "tutor_id", "tutors"),
        _fk("sessions", "student_id", "students"),
        _fk("student_feedback", "session_id", "sessions"),
        _fk("student_feedback", "student_id", "students"),
        _fk("student_feedback", "tutor_id", "tutors"),
        _fk("tutor_performance_metrics", "tutor_id", "tutors"),
        _fk("churn_predictions", "tutor_id", "tutors"),
        _fk("interventions", "tutor_id", "tutors"),
        _fk("tutor_events", "tutor_id", "tutors"),
        (
            "fk_student_feedback_session_parties",
            "FOREIGN KEY (session_id, tutor_id, student_id) REFERENCES "
            "tutormax.sessions(session_id, tutor_id, student_id) ON DELETE CASCADE",
        ),
    ]
)

# The named (non-enum) CHECKs of models.py; test_constraints proves each one's behaviour.
EXPECTED_CHECKS = {
    "students": ["age_range"],
    "tutors": ["baseline_sessions_per_week_range", "churned_after_onboarding",
               "churned_at_iff_churned", "email_format", "experience_years_range",
               "subjects_not_empty"],
    "sessions": ["actual_duration_minutes_non_negative", "actual_start_iff_completed",
                 "actual_start_with_duration", "duration_range", "engagement_score_range",
                 "no_show_by_iff_no_show", "rescheduled_by_iff_rescheduled"],
    "student_feedback": [f"{r}_rating_range" for r in ("overall", "subject_knowledge",
                         "communication", "patience", "engagement", "helpfulness")]
                        + ["sentiment_score_range"],
    "tutor_performance_metrics": ["avg_rating_range", "calculation_date_midnight_utc",
                                  "engagement_score_range", "first_session_success_rate_range",
                                  "improvement_areas_no_nulls", "no_show_count_non_negative",
                                  "overall_score_range", "reschedule_rate_range",
                                  "response_time_non_negative",
                                  "sessions_completed_non_negative"],
    "churn_predictions": ["churn_probability_30d_range", "churn_probability_7d_range",
                          "churn_probability_90d_range", "contributing_factors_object",
                          "horizons_monotonic", "risk_level_matches_score", "risk_score_range"],
    "interventions": ["completed_at_iff_completed", "outcome_only_when_completed",
                      "priority_range"],
    "tutor_events": ["metadata_object"],
    "churn_models": ["as_of_midnight_utc", "evaluation_object", "features_array",
                     "training_object"],
}  # fmt: skip

# Rules whose wording matters beyond what a row can show, as pg_get_constraintdef prints them.
RULES = {
    "ck_tutors_email_format": "((email)::text ~ '^[^@[:space:]]+@[^@[:space:]]+$'::text)",
    "ck_tutors_subjects_not_empty": "((cardinality(subjects) >= 1) AND "
    "(array_position(subjects, NULL::character varying) IS NULL))",
    "ck_tutor_performance_metrics_response_time_non_negative": (
        "(response_time_avg_minutes >= (0)::double precision)"
    ),
    # 'UTC' spelled out: the session's TimeZone must not decide which instant is midnight.
    "ck_tutor_performance_metrics_calculation_date_midnight_utc": (
        "(calculation_date = date_trunc('day'::text, calculation_date, 'UTC'::text))"
    ),
    "ck_tutor_performance_metrics_improvement_areas_no_nulls": (
        "(array_position(improvement_areas, NULL::character varying) IS NULL)"
    ),
}

COLUMNS_SQL = """
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid)
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = 'tutormax'::regnamespace AND c.relkind = 'r'
      AND a.attnum > 0 AND NOT a.attisdropped
"""

INDEXES_SQL = """
    SELECT i.relname, t.relname, am.amname, ix.indisunique,
           ix.indpred IS NOT NULL OR ix.indexprs IS NOT NULL,
           string_agg(a.attname, ', ' ORDER BY k.position)
    FROM pg_index ix
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_am am ON am.oid = i.relam
    CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, position)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    WHERE t.relnamespace = 'tutormax'::regnamespace
    GROUP BY i.relname, t.relname, am.amname, ix.indisunique, ix.indpred, ix.indexprs
"""

# --- tables and columns -------------------------------------------------------------------------


async def test_schema_holds_the_eight_seed_tables_and_the_added_ones(
    db_session: AsyncSession,
) -> None:
    found = await rows(
        db_session,
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'tutormax'",
    )
    assert sorted(found) == sorted((name, "BASE TABLE") for name in ALL_TABLES | ENGINE_TABLES)
    assert set(SEED_COLUMN_COUNTS) == TABLES


async def test_each_table_has_the_seeds_column_count(db_session: AsyncSession) -> None:
    found = await rows(
        db_session,
        "SELECT table_name, count(*) FROM information_schema.columns "
        "WHERE table_schema = 'tutormax' GROUP BY table_name",
    )
    assert {t: n for t, n in found if t not in ENGINE_TABLES} == SEED_COLUMN_COUNTS | {
        t: len(c) for t, c in ADDED_COLUMNS.items()
    }
    assert models.TABLE_COLUMN_COUNTS == SEED_COLUMN_COUNTS


async def test_every_column_has_the_designed_type_nullability_and_default(
    db_session: AsyncSession,
) -> None:
    found: dict[str, dict[str, Spec]] = {}
    for table, column, type_, nullable, default in await rows(db_session, COLUMNS_SQL):
        if table not in ENGINE_TABLES:
            found.setdefault(table, {})[column] = (type_, nullable, default)
    assert found == EXPECTED_COLUMNS | ADDED_COLUMNS
    assert {t: len(c) for t, c in EXPECTED_COLUMNS.items()} == SEED_COLUMN_COUNTS


async def test_primary_keys(db_session: AsyncSession) -> None:
    keys = await constraints(db_session, "p")
    seed_keys = {n: k for n, k in keys.items() if k[0] not in ENGINE_TABLES}
    assert {name: (table, definition) for name, (table, _, definition) in seed_keys.items()} == {
        f"pk_{table}": (table, f"PRIMARY KEY ({key})") for table, key in PRIMARY_KEYS.items()
    }
    [(tutor_key_type,)] = await rows(
        db_session,
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'tutormax.tutors'::regclass AND attname = 'tutor_id'",
    )
    assert tutor_key_type == "character varying(50)"


async def test_string_keys_compare_bytewise_everywhere(db_session: AsyncSession) -> None:
    """Every tutor/student/session id column, keys and references alike, collates as "C"."""
    found = await rows(
        db_session,
        "SELECT table_name, column_name, collation_name FROM information_schema.columns"
        " WHERE table_schema = 'tutormax'"
        " AND column_name IN ('tutor_id', 'student_id', 'session_id')",
    )
    # The seed's twelve, the engine's rule matches and the API's tutor accounts.
    assert len(found) == 14
    assert {collation for _, _, collation in found} == {"C"}


# --- indexes ------------------------------------------------------------------------------------


async def test_every_index_has_its_name_columns_and_uniqueness(db_session: AsyncSession) -> None:
    found = [row for row in await rows(db_session, INDEXES_SQL) if row[1] not in ENGINE_TABLES]
    assert {name: (table, unique, cols) for name, table, _, unique, _, cols in found} == (
        EXPECTED_INDEXES
    )
    assert {method for _, _, method, _, _, _ in found} == {"btree"}
    assert {name for name, _, _, _, partial, _ in found if partial} == set(PARTIAL_INDEXES)
    for name, predicate in PARTIAL_INDEXES.items():
        [(definition,)] = await rows(
            db_session, "SELECT pg_get_indexdef(to_regclass(:name))", name=f"tutormax.{name}"
        )
        assert definition.endswith(predicate), definition


async def test_each_seed_index_exists_on_exactly_its_column(db_session: AsyncSession) -> None:
    single = {(table, cols, unique) for _, table, _, unique, _, cols in await rows(
        db_session, INDEXES_SQL)}  # fmt: skip
    for table, column, unique in SEED_INDEXES:
        assert (table, column, unique) in single, f"seed index on {table}.{column}"


async def test_every_foreign_key_leads_an_index(db_session: AsyncSession) -> None:
    # Cascading deletes look children up by the key; without an index each is a scan.
    leading = {(table, cols.split(", ")[0]) for _, table, _, _, _, cols in await rows(
        db_session, INDEXES_SQL)}  # fmt: skip
    for table, _, definition in (await constraints(db_session, "f")).values():
        first_column = re.match(r"FOREIGN KEY \((\w+)", definition)
        assert first_column is not None
        assert (table, first_column.group(1)) in leading, definition


# --- foreign keys -------------------------------------------------------------------------------


async def test_the_expected_foreign_keys_exist(db_session: AsyncSession) -> None:
    found = await constraints(db_session, "f")
    assert {
        name: definition
        for name, (table, _, definition) in found.items()
        if table not in ENGINE_TABLES
    } == EXPECTED_FOREIGN_KEYS


async def test_every_foreign_key_into_or_out_of_the_schema_cascades(
    db_session: AsyncSession,
) -> None:
    found = await rows(
        db_session,
        """
        SELECT conname, confdeltype::text FROM pg_constraint
        WHERE contype = 'f' AND (connamespace = 'tutormax'::regnamespace
              OR confrelid IN (SELECT oid FROM pg_class
                               WHERE relnamespace = 'tutormax'::regnamespace))
          AND conrelid NOT IN (SELECT to_regclass('tutormax.' || t)
                               FROM unnest(CAST(:engine AS text[])) AS t)
        """,
        engine=sorted(ENGINE_TABLES),
    )
    assert len(found) == len(EXPECTED_FOREIGN_KEYS)
    assert {name: rule for name, rule in found} == dict.fromkeys(EXPECTED_FOREIGN_KEYS, "c")


# --- checks -------------------------------------------------------------------------------------


async def test_the_named_checks_exist_and_nothing_else(db_session: AsyncSession) -> None:
    checks = {n: c for n, c in (await constraints(db_session, "c")).items()
              if c[0] not in ENGINE_TABLES}  # fmt: skip
    named = {name for name in checks if name not in {n for *_, n in ENUM_COLUMNS}}
    assert named == {
        f"ck_{table}_{check}" for table, names in EXPECTED_CHECKS.items() for check in names
    }
    assert all(name.startswith(f"ck_{checks[name][0]}_") for name in named)
    # test_constraints refuses a row under every one of them.
    assert {f"ck_{bad.name}_{bad.constraint}" for bad in BAD_ROWS} == named
    # A name past PostgreSQL's 63-character limit comes back cut and hashed (`..._56e6`),
    # no longer saying its rule: every name here must have been kept whole.
    assert all(len(name) < 63 and "__" not in name for name in checks), sorted(checks)
    for name, rule in RULES.items():
        assert checks[name][2] == f"CHECK ({rule})", name


# --- updated_at ---------------------------------------------------------------------------------


async def test_updated_at_triggers_are_on_exactly_the_updated_at_tables(
    db_session: AsyncSession,
) -> None:
    triggers = await rows(
        db_session,
        "SELECT tgrelid::regclass::text, tgenabled::text, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE NOT tgisinternal AND tgrelid IN "
        "(SELECT oid FROM pg_class WHERE relnamespace = 'tutormax'::regnamespace)",
    )
    assert sorted(triggers) == sorted(
        (
            f"tutormax.{table}",
            "O",
            f"CREATE TRIGGER trg_{table}_updated_at BEFORE UPDATE ON tutormax.{table} "
            "FOR EACH ROW EXECUTE FUNCTION lyceum.set_updated_at()",
        )
        for table in models.UPDATED_AT_TABLES
    )
    with_column = {t for t, columns in EXPECTED_COLUMNS.items() if "updated_at" in columns}
    assert with_column == set(models.UPDATED_AT_TABLES)


@pytest.mark.parametrize("table", models.UPDATED_AT_TABLES)
async def test_a_raw_update_moves_updated_at(db_session: AsyncSession, table: str) -> None:
    parties = await add_parties(db_session)
    old = datetime(2020, 1, 1, tzinfo=UTC)
    key = await insert_row(db_session, table, base_row(table, parties) | {"updated_at": old})
    where = {"key": key, "old": old}
    # now() is fixed for the transaction, so the first UPDATE is the only thing that can move it.
    await db_session.execute(
        text(
            f"UPDATE tutormax.{table} SET created_at = created_at "  # noqa: S608
            f"WHERE {PRIMARY_KEYS[table]} = :key AND updated_at = :old"
        ),
        where,
    )
    [(moved_to_now,)] = await rows(
        db_session,
        f"SELECT updated_at = now() FROM tutormax.{table} WHERE {PRIMARY_KEYS[table]} = :key",  # noqa: S608
        key=key,
    )
    assert moved_to_now, f"{table}.updated_at was not maintained by the trigger"
    # An explicit new value is kept (back-fills set their own).
    await db_session.execute(
        text(f"UPDATE tutormax.{table} SET updated_at = :old WHERE {PRIMARY_KEYS[table]} = :key"),  # noqa: S608
        {"key": key, "old": old},
    )
    [(kept,)] = await rows(
        db_session,
        f"SELECT updated_at = :old FROM tutormax.{table} "  # noqa: S608
        f"WHERE {PRIMARY_KEYS[table]} = :key",
        key=key,
        old=old,
    )
    assert kept


# --- the migration ------------------------------------------------------------------------------


@pytest.fixture
def scratch_database(database_url: URL) -> Iterator[URL]:
    """A database of its own, so downgrading it disturbs no other test."""
    with services.scratch_database(database_url, "tutormax_scratch") as scratch:
        yield scratch


@pytest.mark.slow
def test_downgrade_to_0004_removes_the_tables_and_upgrade_restores_them(
    scratch_database: URL,
) -> None:
    with services.migration_connections(scratch_database) as (config, _, looking):
        command.upgrade(config, "head")
        built = services.schema_objects(looking, "tutormax")
        expected = {f"relation {name}" for name in ALL_TABLES | set(EXPECTED_INDEXES)}
        assert expected <= built
        assert {f"trigger trg_{t}_updated_at" for t in models.UPDATED_AT_TABLES} <= built
        command.downgrade(config, "0004")
        assert services.schema_objects(looking, "tutormax") == set()
        # The schema itself belongs to the platform migration and stays.
        assert looking.execute(text("SELECT to_regnamespace('tutormax')")).scalar()
        command.upgrade(config, "head")
        assert services.schema_objects(looking, "tutormax") == built
