"""Adaptive sync (issue 17): the change log devices pull from and the triggers that fill it,
the device register, the epoch, append-only study-plan progress, sign-in emails, per-field
clocks on profiles, and the ledger's student and retry-request columns.

The change log is written only by statement-level triggers (transition tables, so a COPY of
a million attempts costs one INSERT … SELECT), each taking one transaction-scoped advisory
lock before it draws sequence numbers: the lock is held until commit, so transactions append
to the log one after another and a reader that sees `seq` n has seen every row before it.
Existing rows are logged once here, in dependency order, so devices of an existing install
pull everything from cursor 0.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# pg_advisory_xact_lock's key, also taken by the push (repository/sync.py: CHANGE_LOG_LOCK).
LOCK = "hashtextextended('adaptive.change_log', 0)"

LOG_FUNCTION = f"""
CREATE FUNCTION adaptive.log_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Held until commit: sequence numbers are drawn by one transaction at a time.
    PERFORM pg_advisory_xact_lock({LOCK});
    EXECUTE format(
        'INSERT INTO adaptive.change_log (entity_type, entity_id, student_id) '
        'SELECT %L, %s, %s FROM changed_rows %s',
        TG_ARGV[0], TG_ARGV[1], TG_ARGV[2], TG_ARGV[3]);
    RETURN NULL;
END;
$$
"""  # noqa: S608 - built from this module's constants only

# (table, entity type, id expression, student expression, filter)
LOGGED: tuple[tuple[str, str, str, str, str], ...] = (
    ("topics", "topic", "id", "NULL::uuid", ""),
    ("topic_prerequisites", "topic_prerequisites", "topic_id", "NULL::uuid", ""),
    ("concepts", "concept", "id", "NULL::uuid", ""),
    ("questions", "question", "id", "NULL::uuid", ""),
    ("users", "user", "id", "id", "WHERE role = 'student'"),
    ("student_profiles", "student_profile", "id", "user_id", ""),
    ("question_attempts", "question_attempt", "id", "student_id", ""),
    ("concept_mastery", "concept_mastery", "id", "student_id", ""),
    ("study_plans", "study_plan", "id", "student_id", ""),
    ("study_plan_events", "study_plan_event", "id", "student_id", ""),
)
EVENTS = (("insert", "INSERT", "NEW"), ("update", "UPDATE", "NEW"), ("delete", "DELETE", "OLD"))


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _create_triggers() -> None:
    for table, entity, id_expr, student_expr, where in LOGGED:
        for suffix, event, image in EVENTS:
            arguments = ", ".join(_quoted(v) for v in (entity, id_expr, student_expr, where))
            op.execute(
                f"CREATE TRIGGER trg_{table}_log_{suffix} AFTER {event} ON adaptive.{table} "
                f"REFERENCING {image} TABLE AS changed_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION adaptive.log_changes({arguments})"
            )


def _backfill() -> None:
    for table, entity, id_expr, student_expr, where in LOGGED:
        distinct = "DISTINCT " if table == "topic_prerequisites" else ""
        order = "" if distinct else f" ORDER BY {id_expr}"
        op.execute(
            "INSERT INTO adaptive.change_log (entity_type, entity_id, student_id) "  # noqa: S608 - this module's constants
            f"SELECT {distinct}{_quoted(entity)}, {id_expr}, {student_expr} "
            f"FROM adaptive.{table} {where}{order}"
        )


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("email", sa.String(length=320), nullable=True), schema="adaptive"
    )
    op.create_check_constraint(
        op.f("ck_users_email_lower_case"), "users", "email = lower(email)", schema="adaptive"
    )
    op.create_index("ix_users_email", "users", ["email"], unique=True, schema="adaptive")
    op.add_column(
        "student_profiles",
        sa.Column(
            "field_clocks",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        schema="adaptive",
    )
    op.add_column(
        "sync_operations", sa.Column("student_id", sa.Uuid(), nullable=True), schema="adaptive"
    )
    op.add_column(
        "sync_operations",
        sa.Column("retry_requested_at", sa.DateTime(timezone=True), nullable=True),
        schema="adaptive",
    )
    op.create_index(
        "ix_sync_operations_student_id_status",
        "sync_operations",
        ["student_id", "status"],
        schema="adaptive",
    )
    op.create_table(
        "study_plan_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "started",
                "completed",
                "skipped",
                name="plan_event_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("concept_code", sa.String(length=50), nullable=True),
        sa.Column("minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("sync_operation_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "minutes BETWEEN 0 AND 1440", name=op.f("ck_study_plan_events_minutes_range")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["adaptive.study_plans.id"],
            name=op.f("fk_study_plan_events_plan_id_study_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["adaptive.users.id"],
            name=op.f("fk_study_plan_events_student_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_plan_events")),
        sa.UniqueConstraint(
            "sync_operation_id", name=op.f("uq_study_plan_events_sync_operation_id")
        ),
        schema="adaptive",
    )
    op.create_index(
        op.f("ix_study_plan_events_plan_id"), "study_plan_events", ["plan_id"], schema="adaptive"
    )
    op.create_index(
        "ix_study_plan_events_student_id_occurred_at",
        "study_plan_events",
        ["student_id", "occurred_at"],
        schema="adaptive",
    )
    op.create_table(
        "change_log",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_log")),
        schema="adaptive",
    )
    op.create_index(
        "ix_change_log_student_id_seq", "change_log", ["student_id", "seq"], schema="adaptive"
    )
    op.create_index(
        "ix_change_log_shared_seq",
        "change_log",
        ["seq"],
        schema="adaptive",
        postgresql_where=sa.text("student_id IS NULL"),
    )
    op.create_index(
        "ix_change_log_entity", "change_log", ["entity_type", "entity_id", "seq"], schema="adaptive"
    )
    op.create_table(
        "sync_devices",
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_pull_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pending_operations", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dead_letters", sa.Integer(), server_default="0", nullable=False),
        sa.Column("operations_applied", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "pending_operations >= 0", name=op.f("ck_sync_devices_pending_non_negative")
        ),
        sa.CheckConstraint(
            "dead_letters >= 0", name=op.f("ck_sync_devices_dead_letters_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["adaptive.users.id"],
            name=op.f("fk_sync_devices_student_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("student_id", "device_id", name=op.f("pk_sync_devices")),
        schema="adaptive",
    )
    op.create_table(
        "sync_server",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("epoch", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_sync_server_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_server")),
        schema="adaptive",
    )
    op.execute("INSERT INTO adaptive.sync_server (id) VALUES (1)")
    op.execute(LOG_FUNCTION)
    _create_triggers()
    _backfill()


def downgrade() -> None:
    for table, *_ in LOGGED:
        for suffix, _event, _image in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_log_{suffix} ON adaptive.{table}")
    op.execute("DROP FUNCTION IF EXISTS adaptive.log_changes()")
    op.drop_table("sync_server", schema="adaptive")
    op.drop_table("sync_devices", schema="adaptive")
    op.drop_index("ix_change_log_entity", table_name="change_log", schema="adaptive")
    op.drop_index("ix_change_log_shared_seq", table_name="change_log", schema="adaptive")
    op.drop_index("ix_change_log_student_id_seq", table_name="change_log", schema="adaptive")
    op.drop_table("change_log", schema="adaptive")
    op.drop_table("study_plan_events", schema="adaptive")
    op.drop_index(
        "ix_sync_operations_student_id_status", table_name="sync_operations", schema="adaptive"
    )
    op.drop_column("sync_operations", "retry_requested_at", schema="adaptive")
    op.drop_column("sync_operations", "student_id", schema="adaptive")
    op.drop_column("student_profiles", "field_clocks", schema="adaptive")
    op.drop_index("ix_users_email", table_name="users", schema="adaptive")
    op.drop_constraint(op.f("ck_users_email_lower_case"), "users", schema="adaptive")
    op.drop_column("users", "email", schema="adaptive")
