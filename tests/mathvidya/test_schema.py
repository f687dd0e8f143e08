"""Mathvidya's schema as the catalog sees it: seed 003's fifteen tables and the five the product
added (issue 15, migration 0013: `account_tokens`, `payments`, and the invoice-number
sequence; issue 16, migration 0014: `reevaluation_requests` and the two derived tables
`leaderboard_entries`, `analytics_snapshots`), the ten ENUM types, constraint and index
counts, the exclusion constraint, triggers (with 0014's deferred marks triggers), delete
rules, and a downgrade and upgrade of the migrations on a database of its own. Tests about
"the seed" hold the fifteen tables to the seed's promises; the product's tables are held to
the same rules by their own tests."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import PG_NAMES
from tests.fixtures import services
from tests.mathvidya.rows_base import PRODUCT_TABLES as PRODUCT_TABLE_NAMES
from tests.mathvidya.rows_base import TABLES as SEED_TABLE_NAMES

SCHEMA = "mathvidya"
TABLES = set(SEED_TABLE_NAMES)
PRODUCT_TABLES = set(PRODUCT_TABLE_NAMES)
ALL_TABLES = TABLES | PRODUCT_TABLES
# The derived tables (rewritten whole by their jobs) are keyed by what they describe, not by id.
DERIVED_KEYS = {
    "leaderboard_entries": {("month", "date"), ("student_class", "character varying(3)"),
                            ("student_user_id", "uuid")},
    "analytics_snapshots": {("subject_kind", "character varying(10)"),
                            ("subject_user_id", "uuid"), ("computed_for", "date")},
}  # fmt: skip
SEQUENCES = {"invoice_number_seq"}
ENUM_VALUES = {
    "user_role": ["student", "parent", "teacher", "admin"],
    "relationship_type": ["father", "mother", "guardian", "other"],
    "plan_type": ["basic", "premium_mcq", "premium", "centum"],
    "subscription_status": ["pending", "active", "expired", "cancelled"],
    "question_type": ["MCQ", "VSA", "SA", "LA"],
    "question_difficulty": ["easy", "medium", "hard"],
    "question_status": ["draft", "under_review", "active", "archived"],
    "exam_type": ["board_exam", "section_wise", "unit_wise"],
    "exam_status": [
        "created", "in_progress", "submitted", "under_evaluation", "evaluated", "expired"
    ],
    "evaluation_status": ["pending", "assigned", "in_progress", "completed", "cancelled"],
}  # fmt: skip
# Every column typed by one of the ENUM types.
ENUM_COLUMNS = {
    ("users", "role"): "user_role",
    ("parent_student_mappings", "parent_role"): "user_role",
    ("parent_student_mappings", "student_role"): "user_role",
    ("parent_student_mappings", "relationship_type"): "relationship_type",
    ("subscription_plans", "plan_type"): "plan_type",
    ("subscriptions", "user_role"): "user_role",
    ("subscriptions", "status"): "subscription_status",
    ("questions", "question_type"): "question_type",
    ("questions", "difficulty"): "question_difficulty",
    ("questions", "status"): "question_status",
    ("exam_templates", "exam_type"): "exam_type",
    ("exam_instances", "student_role"): "user_role",
    ("exam_instances", "exam_type"): "exam_type",
    ("exam_instances", "status"): "exam_status",
    ("student_mcq_answers", "question_type"): "question_type",
    ("unanswered_questions", "question_type"): "question_type",
    ("evaluations", "exam_type"): "exam_type",
    ("evaluations", "teacher_role"): "user_role",
    ("evaluations", "status"): "evaluation_status",
    ("question_marks", "question_type"): "question_type",
    ("audit_logs", "actor_role"): "user_role",
    ("reevaluation_requests", "student_role"): "user_role",
    ("reevaluation_requests", "teacher_role"): "user_role",
}
PARTIAL_INDEXES = {
    "ix_users_role_student_class_active",
    "uq_parent_student_mappings_primary_contact",
    "ix_subscriptions_ends_at_active",
    "ix_questions_pick",
    "uq_questions_active_version",
    "ix_exam_templates_class_level_exam_type_active",
    "ix_exam_instances_leaderboard",
    "ix_exam_instances_awaiting_evaluation",
    "ix_exam_instances_in_progress",
    "ix_evaluations_teacher_queue",
    "ix_evaluations_unassigned",
    "ix_evaluations_open_sla_deadline",
    "ix_evaluations_teacher_completed",
    "ix_evaluations_sla_breached",
    "ex_subscriptions_no_overlapping_active",
    "ix_account_tokens_user_id_purpose_live",
    "ix_reevaluation_requests_teacher_open",
}
GIN_INDEXES = {
    "ix_users_full_name_trgm": "gin_trgm_ops",
    "ix_questions_tags": "array_ops",
    "ix_questions_text_trgm": "gin_trgm_ops",
    "ix_exam_templates_units": "array_ops",
    "ix_exam_templates_config": "jsonb_path_ops",
    "ix_audit_logs_details": "jsonb_path_ops",
}
COMPOSITE_INDEXES = {
    "ix_questions_pick": 4,
    "ix_exam_instances_student_user_id_status": 2,
    "ix_exam_instances_student_user_id_created_at": 2,
    "ix_exam_instances_leaderboard": 3,
    "ix_evaluations_teacher_queue": 2,
    "ix_evaluations_student_class_exam_type_status": 3,
    "ix_audit_logs_entity": 3,
    "ix_subscriptions_user_id_ends_at": 2,
    "ix_account_tokens_user_id_purpose_live": 2,
    "ix_reevaluation_requests_teacher_open": 2,
    "ix_leaderboard_entries_board": 3,
    "ix_analytics_snapshots_kind_day": 2,
}
# Foreign key → (ON DELETE, ON UPDATE) as pg_constraint codes: c cascade, r restrict,
# n set null, a no action. The seed's tables' keys, then the product's.
SEED_FOREIGN_KEYS = {
    "fk_parent_student_mappings_parent_users": ("c", "a"),
    "fk_parent_student_mappings_student_users": ("c", "a"),
    "fk_subscriptions_user_id_users": ("r", "a"),
    "fk_subscriptions_plan_id_subscription_plans": ("r", "a"),
    "fk_subscriptions_purchased_by_user_id_users": ("n", "a"),
    "fk_questions_created_by_user_id_users": ("n", "a"),
    "fk_questions_reviewed_by_user_id_users": ("n", "a"),
    "fk_exam_templates_created_by_user_id_users": ("n", "a"),
    "fk_exam_instances_student_user_id_users": ("r", "a"),
    "fk_exam_instances_template_id_exam_templates": ("r", "a"),
    "fk_exam_instances_subscription_id_subscriptions": ("r", "a"),
    "fk_student_mcq_answers_exam_instance_id_exam_instances": ("c", "a"),
    "fk_student_mcq_answers_question_id_questions": ("r", "c"),
    "fk_answer_sheet_uploads_exam_instance_id_exam_instances": ("c", "a"),
    "fk_unanswered_questions_exam_instance_id_exam_instances": ("c", "a"),
    "fk_unanswered_questions_question_id_questions": ("r", "c"),
    "fk_evaluations_exam_instance_id_exam_instances": ("c", "a"),
    "fk_evaluations_teacher_user_id_users": ("r", "a"),
    "fk_question_marks_evaluation_id_evaluations": ("c", "a"),
    "fk_question_marks_question_id_questions": ("r", "c"),
    "fk_system_config_updated_by_user_id_users": ("n", "a"),
}
PRODUCT_FOREIGN_KEYS = {
    "fk_account_tokens_user_id_users": ("c", "a"),
    "fk_account_tokens_used_by_user_id_users": ("n", "a"),
    "fk_payments_subscription_id_subscriptions": ("r", "a"),
    "fk_payments_payer_user_id_users": ("n", "a"),
    "fk_reevaluation_requests_evaluation_id_evaluations": ("c", "a"),
    "fk_reevaluation_requests_question_mark_id_question_marks": ("c", "a"),
    "fk_reevaluation_requests_student_user_id_users": ("r", "a"),
    "fk_reevaluation_requests_teacher_user_id_users": ("r", "a"),
    "fk_reevaluation_requests_original_teacher_user_id_users": ("r", "a"),
    "fk_leaderboard_entries_student_user_id_users": ("c", "a"),
    "fk_analytics_snapshots_subject_user_id_users": ("c", "a"),
}
FOREIGN_KEYS = SEED_FOREIGN_KEYS | PRODUCT_FOREIGN_KEYS
# The product tables' constraints and indexes by kind: each is named in docs/mathvidya.md.
PRODUCT_COUNTS = {
    "account_tokens": {"c": 4, "u": 1, "f": 2, "p": 1, "indexes": 2},
    "payments": {"c": 5, "u": 2, "f": 2, "p": 1, "indexes": 2},
    "reevaluation_requests": {"c": 14, "u": 1, "f": 5, "p": 1, "indexes": 3},
    "leaderboard_entries": {"c": 6, "f": 1, "p": 1, "indexes": 2},
    "analytics_snapshots": {"c": 2, "f": 1, "p": 1, "indexes": 1},
}
# The seed's twelve tables with updated_at, and the one product table that has it.
SEED_UPDATED_AT_TABLES = TABLES - {"answer_sheet_uploads", "unanswered_questions", "audit_logs"}
UPDATED_AT_TABLES = SEED_UPDATED_AT_TABLES | {"reevaluation_requests"}
# Triggers that must fire even with session_replication_role = replica: tgenabled 'A'.
ALWAYS_TRIGGERS = {
    "trg_audit_logs_no_update_delete": "audit_logs",
    "trg_audit_logs_no_truncate": "audit_logs",
    "trg_exam_instances_frozen_after_start": "exam_instances",
}
# Migration 0014's constraint triggers: a completed evaluation's marks add up, checked at
# commit. trigger -> what `pg_get_triggerdef` shows between its name and `DEFERRABLE`.
MARKS_TRIGGERS = {
    "evaluations_marks_add_up": "AFTER INSERT OR UPDATE ON mathvidya.evaluations",
    "question_marks_marks_add_up": "AFTER INSERT OR DELETE OR UPDATE ON mathvidya.question_marks",
    "exam_instances_marks_add_up": "AFTER UPDATE OF total_score, mcq_score, status"
    " ON mathvidya.exam_instances",
}


async def _rows(db: AsyncSession, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in (await db.execute(text(sql))).all()]


async def _primary_keys(db: AsyncSession) -> list[tuple[object, ...]]:
    """(table, column, type, default) of every primary-key column in schema mathvidya."""
    return await _rows(
        db,
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),"
        " pg_get_expr(d.adbin, d.adrelid)"
        " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (k.conkey)"
        " LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum"
        " WHERE k.contype = 'p' AND c.relnamespace = 'mathvidya'::regnamespace",
    )


def _uuid_keys_made_by_the_database(keys: list[tuple[object, ...]], tables: set[str]) -> None:
    mine = [key for key in keys if key[0] in tables]
    assert {table for table, *_ in mine} == tables
    assert len(mine) == len(tables), "every primary key is a single column"
    assert {(column, kind, default) for _, column, kind, default in mine} == {
        ("id", "uuid", "gen_random_uuid()")
    }


async def test_the_fifteen_tables_have_uuid_keys_made_by_the_database(
    db_session: AsyncSession,
) -> None:
    _uuid_keys_made_by_the_database(await _primary_keys(db_session), TABLES)


async def test_the_product_tables_have_uuid_keys_made_by_the_database(
    db_session: AsyncSession,
) -> None:
    keys = await _primary_keys(db_session)
    _uuid_keys_made_by_the_database(keys, PRODUCT_TABLES - set(DERIVED_KEYS))
    # The derived tables' keys are what a row describes, given by the job that writes it.
    for table, expected in DERIVED_KEYS.items():
        assert {(column, kind) for name, column, kind, _ in keys if name == table} == expected
        assert {default for name, *_, default in keys if name == table} == {None}
    # Nothing else: every table of the schema is one of the seed's or one of the product's.
    assert {table for table, *_ in keys} == ALL_TABLES
    assert len(keys) == len(ALL_TABLES) + sum(len(key) - 1 for key in DERIVED_KEYS.values())


async def test_every_timestamp_is_timestamptz(db_session: AsyncSession) -> None:
    kinds = dict(
        await _rows(
            db_session,
            "SELECT data_type, count(*) FROM information_schema.columns"
            " WHERE table_schema = 'mathvidya' AND data_type LIKE 'timestamp%' GROUP BY 1",
        )
    )
    assert set(kinds) == {"timestamp with time zone"}
    assert kinds["timestamp with time zone"] >= 30


async def test_the_ten_enum_types_and_their_values(db_session: AsyncSession) -> None:
    rows = await _rows(
        db_session,
        "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)"
        " FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid"
        " WHERE t.typnamespace = 'mathvidya'::regnamespace GROUP BY t.typname",
    )
    assert dict(rows) == ENUM_VALUES  # type: ignore[arg-type]
    # The Python enums are the same vocabulary, value for value.
    assert {name: [m.value for m in enum] for enum, name in PG_NAMES.items()} == ENUM_VALUES


async def test_enum_columns_use_the_native_types(db_session: AsyncSession) -> None:
    rows = await _rows(
        db_session,
        "SELECT table_name, column_name, udt_name FROM information_schema.columns"
        " WHERE table_schema = 'mathvidya' AND data_type = 'USER-DEFINED'",
    )
    assert {(table, column): udt for table, column, udt in rows} == ENUM_COLUMNS


async def _constraint_counts(db: AsyncSession, tables: set[str]) -> dict[str, int]:
    """pg_constraint.contype -> how many constraints `tables` have (NOT NULL aside)."""
    found = await db.execute(
        text(
            "SELECT k.contype::text, count(*) FROM pg_constraint k"
            " JOIN pg_class c ON c.oid = k.conrelid"
            " WHERE k.connamespace = 'mathvidya'::regnamespace AND k.contype <> 'n'"
            " AND c.relname = ANY (:tables) GROUP BY k.contype"
        ),
        {"tables": sorted(tables)},
    )
    return {kind: int(count) for kind, count in found.all()}


async def _index_counts(db: AsyncSession, tables: set[str]) -> dict[str, int]:
    """table -> its indexes other than the primary key's and the unique constraints'."""
    found = await db.execute(
        text(
            "SELECT t.relname, count(*) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
            " WHERE c.relnamespace = 'mathvidya'::regnamespace AND NOT i.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
            " AND t.relname = ANY (:tables) GROUP BY t.relname"
        ),
        {"tables": sorted(tables)},
    )
    return {table: int(count) for table, count in found.all()}


async def test_catalog_counts_meet_the_seed(db_session: AsyncSession) -> None:
    # The seed's promises are about its fifteen tables: counted on those alone.
    counts = await _constraint_counts(db_session, TABLES)
    indexes = (
        await db_session.execute(
            text(
                "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_class t ON t.oid = i.indrelid"
                " WHERE c.relnamespace = 'mathvidya'::regnamespace AND NOT i.indisprimary"
                " AND t.relname = ANY (:tables)"
            ),
            {"tables": sorted(TABLES)},
        )
    ).scalar_one()
    enum_types = (
        await db_session.execute(
            text(
                "SELECT count(*) FROM pg_type"
                " WHERE typnamespace = 'mathvidya'::regnamespace AND typtype = 'e'"
            )
        )
    ).scalar_one()
    assert counts["c"] >= 30
    assert counts["u"] >= 15
    assert counts["x"] == 1
    assert counts["f"] == len(SEED_FOREIGN_KEYS)
    assert counts["p"] == len(TABLES)
    assert indexes >= 45
    assert enum_types == 10


async def test_catalog_counts_of_the_product_tables(db_session: AsyncSession) -> None:
    # Each product table on its own: a constraint or index added without its tests and its
    # line in docs/mathvidya.md changes a figure here.
    found = {table: await _constraint_counts(db_session, {table}) for table in PRODUCT_TABLES}
    indexes = await _index_counts(db_session, PRODUCT_TABLES)
    for table, expected in PRODUCT_COUNTS.items():
        assert found[table] | {"indexes": indexes.get(table, 0)} == expected, table
    assert set(PRODUCT_COUNTS) == PRODUCT_TABLES
    # The whole schema's foreign keys are the seed's and the product's, nothing else.
    everything = await _constraint_counts(db_session, ALL_TABLES)
    assert everything["f"] == len(FOREIGN_KEYS)
    assert everything["p"] == len(ALL_TABLES)


async def test_the_invoice_number_sequence(db_session: AsyncSession) -> None:
    found = await _rows(
        db_session,
        "SELECT sequencename, data_type::text, start_value, increment_by, cycle"
        " FROM pg_sequences WHERE schemaname = 'mathvidya'",
    )
    assert found == [("invoice_number_seq", "bigint", 1, 1, False)]
    # Numbers only grow, in the test's transaction as anywhere (a sequence is not rolled back).
    first, second = [
        (
            await db_session.execute(text("SELECT nextval('mathvidya.invoice_number_seq')"))
        ).scalar_one()
        for _ in range(2)
    ]
    assert second == first + 1


async def test_partial_gin_and_composite_indexes(db_session: AsyncSession) -> None:
    rows = await _rows(
        db_session,
        "SELECT c.relname, i.indpred IS NOT NULL, am.amname, i.indnkeyatts,"
        " (SELECT string_agg(o.opcname, ',') FROM unnest(i.indclass) AS k(oid)"
        "  JOIN pg_opclass o ON o.oid = k.oid)"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_am am ON am.oid = c.relam WHERE c.relnamespace = 'mathvidya'::regnamespace",
    )
    indexes = {
        name: (partial, method, width, opclasses)
        for name, partial, method, width, opclasses in rows
    }
    assert {name for name, (partial, *_) in indexes.items() if partial} == PARTIAL_INDEXES
    gin = {
        name: opclasses for name, (_, method, _, opclasses) in indexes.items() if method == "gin"
    }
    assert gin == GIN_INDEXES
    assert indexes["ix_audit_logs_occurred_at"][1] == "brin"
    assert indexes["ex_subscriptions_no_overlapping_active"][1] == "gist"
    assert {name: indexes[name][2] for name in COMPOSITE_INDEXES} == COMPOSITE_INDEXES


async def test_exclusion_constraint_on_active_subscription_periods(
    db_session: AsyncSession,
) -> None:
    definition = (
        await db_session.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conname = 'ex_subscriptions_no_overlapping_active'"
                " AND connamespace = 'mathvidya'::regnamespace"
            )
        )
    ).scalar_one()
    assert definition.startswith("EXCLUDE USING gist (user_id WITH =,")
    assert "tstzrange(starts_at, ends_at, '[)'::text) WITH &&" in definition
    assert "WHERE ((status = 'active'::mathvidya.subscription_status))" in definition
    installed = (
        await db_session.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'"))
    ).scalar()
    assert installed == 1


async def test_foreign_keys_have_the_designed_delete_and_update_rules(
    db_session: AsyncSession,
) -> None:
    rows = await _rows(
        db_session,
        "SELECT conname, confdeltype::text, confupdtype::text FROM pg_constraint"
        " WHERE connamespace = 'mathvidya'::regnamespace AND contype = 'f'",
    )
    assert {name: (on_delete, on_update) for name, on_delete, on_update in rows} == FOREIGN_KEYS


async def test_triggers_and_which_fire_always(db_session: AsyncSession) -> None:
    rows = await _rows(
        db_session,
        "SELECT c.relname, t.tgname, t.tgenabled::text FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE c.relnamespace = 'mathvidya'::regnamespace AND NOT t.tgisinternal",
    )
    enabled = {(table, name): mode for table, name, mode in rows}
    expected = {(table, f"trg_{table}_updated_at"): "O" for table in UPDATED_AT_TABLES}
    expected |= {(table, name): "A" for name, table in ALWAYS_TRIGGERS.items()}
    expected |= {(name.removesuffix("_marks_add_up"), name): "O" for name in MARKS_TRIGGERS}
    assert enabled == expected


async def test_the_marks_triggers_are_deferred_constraint_triggers(
    db_session: AsyncSession,
) -> None:
    rows = await _rows(
        db_session,
        "SELECT t.tgname, pg_get_triggerdef(t.oid), t.tgdeferrable, t.tginitdeferred,"
        " k.contype::text, k.condeferrable, k.condeferred FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_constraint k ON k.oid = t.tgconstraint"
        " WHERE c.relnamespace = 'mathvidya'::regnamespace AND NOT t.tgisinternal",
    )
    found = {name: rest for name, *rest in rows}
    assert set(found) == set(MARKS_TRIGGERS)
    for name, events in MARKS_TRIGGERS.items():
        definition, *deferral = found[name]
        assert definition == (
            f"CREATE CONSTRAINT TRIGGER {name} {events} DEFERRABLE INITIALLY DEFERRED"
            " FOR EACH ROW EXECUTE FUNCTION mathvidya.check_evaluation_marks()"
        )
        # Each is also a constraint of its own ('t'), deferrable and deferred by default.
        assert deferral == [True, True, "t", True, True]


@pytest.mark.slow
def test_downgrade_to_0005_removes_everything_and_upgrade_restores_it(
    scratch_database: URL,
) -> None:
    with services.migration_connections(scratch_database) as (config, _, looking):
        command.upgrade(config, "head")
        built = services.schema_objects(looking, SCHEMA)
        assert {f"relation {table}" for table in ALL_TABLES | SEQUENCES} <= built
        assert {f"type {name}" for name in ENUM_VALUES} <= built
        assert {"function reject_audit_log_change", "function freeze_started_exam"} <= built
        assert {"function assert_evaluation_marks", "function check_evaluation_marks"} <= built
        command.downgrade(config, "0005")
        assert services.schema_objects(looking, SCHEMA) == set()
        # The schema itself belongs to the platform migration and stays.
        assert looking.execute(text("SELECT to_regnamespace('mathvidya')")).scalar()
        command.upgrade(config, "head")
        assert services.schema_objects(looking, SCHEMA) == built
