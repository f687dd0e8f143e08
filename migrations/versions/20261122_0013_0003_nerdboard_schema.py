"""Nerdboard schema (seed 000): seven tables, the seed's eleven indexes, range checks.

Two indexes the seed does not name serve all-subject time ranges; the clock row is inserted
here because a single-row table must always have its row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:13:15.302476+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lyceum.core.db.ddl import create_updated_at_trigger, drop_updated_at_trigger

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "enrollments",
    "tutors",
    "sessions",
    "health_metrics",
    "capacity_snapshots",
    "data_quality_log",
    "simulation_state",
)


def upgrade() -> None:
    op.create_table(
        "capacity_snapshots",
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_capacity_hours", sa.Integer(), nullable=False),
        sa.Column("used_capacity_hours", sa.Integer(), nullable=False),
        sa.Column("available_tutors_count", sa.Integer(), nullable=False),
        sa.Column("utilization_rate", sa.Float(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "available_tutors_count >= 0",
            name=op.f("ck_capacity_snapshots_available_tutors_count_non_negative"),
        ),
        sa.CheckConstraint(
            "total_capacity_hours >= 0",
            name=op.f("ck_capacity_snapshots_total_capacity_hours_non_negative"),
        ),
        sa.CheckConstraint(
            "used_capacity_hours <= total_capacity_hours",
            name=op.f("ck_capacity_snapshots_used_within_total"),
        ),
        sa.CheckConstraint(
            "used_capacity_hours >= 0",
            name=op.f("ck_capacity_snapshots_used_capacity_hours_non_negative"),
        ),
        sa.CheckConstraint(
            "utilization_rate >= 0 AND utilization_rate <= 1",
            name=op.f("ck_capacity_snapshots_utilization_rate_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_snapshots")),
        schema="nerdboard",
    )
    op.create_index(
        "idx_capacity_subject_date",
        "capacity_snapshots",
        ["subject", sa.literal_column("date DESC")],
        unique=False,
        schema="nerdboard",
    )
    op.create_table(
        "data_quality_log",
        sa.Column("check_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=50), nullable=False),
        sa.Column("quality_score", sa.Float(), nullable=False),
        sa.Column(
            "affected_records_count", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.Column(
            "checked_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('passed', 'failed', 'warning')",
            name=op.f("ck_data_quality_log_status_known"),
        ),
        sa.CheckConstraint(
            "affected_records_count >= 0",
            name=op.f("ck_data_quality_log_affected_records_count_non_negative"),
        ),
        sa.CheckConstraint(
            "quality_score >= 0 AND quality_score <= 5",
            name=op.f("ck_data_quality_log_quality_score_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_quality_log")),
        schema="nerdboard",
    )
    op.create_index(
        "idx_quality_check_status",
        "data_quality_log",
        ["check_name", "status"],
        unique=False,
        schema="nerdboard",
    )
    op.create_index(
        "idx_quality_checked_at",
        "data_quality_log",
        [sa.literal_column("checked_at DESC")],
        unique=False,
        schema="nerdboard",
    )
    op.create_table(
        "enrollments",
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("cohort_id", sa.String(length=50), nullable=True),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("engagement_score", sa.Float(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "engagement_score >= 0 AND engagement_score <= 1",
            name=op.f("ck_enrollments_engagement_score_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
        schema="nerdboard",
    )
    op.create_index(
        "idx_enrollments_student", "enrollments", ["student_id"], unique=False, schema="nerdboard"
    )
    op.create_index(
        "idx_enrollments_subject_date",
        "enrollments",
        ["subject", "start_date"],
        unique=False,
        schema="nerdboard",
    )
    op.create_table(
        "health_metrics",
        sa.Column("customer_id", sa.String(length=100), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("health_score", sa.Float(), nullable=False),
        sa.Column("engagement_level", sa.Integer(), nullable=False),
        sa.Column(
            "support_ticket_count", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("session_completion_rate", sa.Float(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "engagement_level >= 0", name=op.f("ck_health_metrics_engagement_level_non_negative")
        ),
        sa.CheckConstraint(
            "health_score >= 0 AND health_score <= 100",
            name=op.f("ck_health_metrics_health_score_range"),
        ),
        sa.CheckConstraint(
            "session_completion_rate >= 0 AND session_completion_rate <= 1",
            name=op.f("ck_health_metrics_session_completion_rate_range"),
        ),
        sa.CheckConstraint(
            "support_ticket_count >= 0",
            name=op.f("ck_health_metrics_support_ticket_count_non_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_metrics")),
        schema="nerdboard",
    )
    op.create_index(
        "idx_health_customer_date",
        "health_metrics",
        ["customer_id", sa.literal_column("date DESC")],
        unique=False,
        schema="nerdboard",
    )
    op.create_index(
        "ix_health_metrics_date", "health_metrics", ["date"], unique=False, schema="nerdboard"
    )
    op.create_table(
        "simulation_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("current_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("speed_multiplier", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_running", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("last_event", sa.String(length=500), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name=op.f("single_row_check")),
        sa.CheckConstraint(
            "speed_multiplier >= 1", name=op.f("ck_simulation_state_speed_multiplier_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulation_state")),
        schema="nerdboard",
    )
    op.create_table(
        "tutors",
        sa.Column("tutor_id", sa.String(length=100), nullable=False),
        sa.Column("subjects", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "weekly_capacity_hours", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("utilization_rate", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("avg_response_time_hours", sa.Float(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "avg_response_time_hours >= 0",
            name=op.f("ck_tutors_avg_response_time_hours_non_negative"),
        ),
        sa.CheckConstraint("cardinality(subjects) >= 1", name=op.f("ck_tutors_subjects_not_empty")),
        sa.CheckConstraint(
            "utilization_rate >= 0 AND utilization_rate <= 1",
            name=op.f("ck_tutors_utilization_rate_range"),
        ),
        sa.CheckConstraint(
            "weekly_capacity_hours >= 0 AND weekly_capacity_hours <= 168",
            name=op.f("ck_tutors_weekly_capacity_hours_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tutors")),
        sa.UniqueConstraint("tutor_id", name=op.f("uq_tutors_tutor_id")),
        schema="nerdboard",
    )
    op.create_index(
        "idx_tutors_subjects",
        "tutors",
        ["subjects"],
        unique=False,
        schema="nerdboard",
        postgresql_using="gin",
    )
    op.create_index("idx_tutors_tutor_id", "tutors", ["tutor_id"], unique=False, schema="nerdboard")
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("tutor_id", sa.UUID(), nullable=True),
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("scheduled_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_sessions_duration_minutes_positive")
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["nerdboard.tutors.id"],
            name=op.f("fk_sessions_tutor_id_tutors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("session_id", name=op.f("uq_sessions_session_id")),
        schema="nerdboard",
    )
    op.create_index(
        "idx_sessions_student", "sessions", ["student_id"], unique=False, schema="nerdboard"
    )
    op.create_index(
        "idx_sessions_subject_time",
        "sessions",
        ["subject", "scheduled_time"],
        unique=False,
        schema="nerdboard",
    )
    op.create_index(
        "idx_sessions_tutor", "sessions", ["tutor_id"], unique=False, schema="nerdboard"
    )
    op.create_index(
        "ix_sessions_scheduled_time",
        "sessions",
        ["scheduled_time"],
        unique=False,
        schema="nerdboard",
    )
    for table in TABLES:
        create_updated_at_trigger("nerdboard", table)
    # The clock starts paused at today's midnight; the history generator moves it to the
    # end of the history it writes.
    op.execute(
        'INSERT INTO nerdboard.simulation_state (id, "current_date", speed_multiplier,'
        " is_running, last_event) VALUES"
        " (1, date_trunc('day', now()), 1, false, 'created by migration')"
    )


def downgrade() -> None:
    for table in TABLES:
        drop_updated_at_trigger("nerdboard", table)
    op.drop_index("ix_sessions_scheduled_time", table_name="sessions", schema="nerdboard")
    op.drop_index("idx_sessions_tutor", table_name="sessions", schema="nerdboard")
    op.drop_index("idx_sessions_subject_time", table_name="sessions", schema="nerdboard")
    op.drop_index("idx_sessions_student", table_name="sessions", schema="nerdboard")
    op.drop_table("sessions", schema="nerdboard")
    op.drop_index("idx_tutors_tutor_id", table_name="tutors", schema="nerdboard")
    op.drop_index(
        "idx_tutors_subjects", table_name="tutors", schema="nerdboard", postgresql_using="gin"
    )
    op.drop_table("tutors", schema="nerdboard")
    op.drop_table("simulation_state", schema="nerdboard")
    op.drop_index("ix_health_metrics_date", table_name="health_metrics", schema="nerdboard")
    op.drop_index("idx_health_customer_date", table_name="health_metrics", schema="nerdboard")
    op.drop_table("health_metrics", schema="nerdboard")
    op.drop_index("idx_enrollments_subject_date", table_name="enrollments", schema="nerdboard")
    op.drop_index("idx_enrollments_student", table_name="enrollments", schema="nerdboard")
    op.drop_table("enrollments", schema="nerdboard")
    op.drop_index("idx_quality_checked_at", table_name="data_quality_log", schema="nerdboard")
    op.drop_index("idx_quality_check_status", table_name="data_quality_log", schema="nerdboard")
    op.drop_table("data_quality_log", schema="nerdboard")
    op.drop_index("idx_capacity_subject_date", table_name="capacity_snapshots", schema="nerdboard")
    op.drop_table("capacity_snapshots", schema="nerdboard")
