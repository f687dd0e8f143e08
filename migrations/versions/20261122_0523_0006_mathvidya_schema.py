"""Mathvidya schema (seed 003): fifteen tables, ten ENUM types, the exclusion constraint on
active subscriptions, immutable audit log and frozen exam snapshots.

Constraints and indexes are the models' (docs/mathvidya.md explains each). Written by hand
below the generated tables: the `updated_at` triggers; `audit_logs` rejecting UPDATE, DELETE
and TRUNCATE; `exam_instances` refusing changes to its snapshots once the exam has started.
Those three triggers are `ENABLE ALWAYS`. The reference data is migration 0007.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 05:23:22.799177+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lyceum.core.db.ddl import create_updated_at_trigger

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "mathvidya"
TIMESTAMPED_TABLES = (
    "users",
    "parent_student_mappings",
    "subscription_plans",
    "subscriptions",
    "questions",
    "exam_templates",
    "exam_instances",
    "student_mcq_answers",
    "evaluations",
    "question_marks",
    "holidays",
    "system_config",
)
DROP_ORDER = (
    "question_marks",
    "evaluations",
    "unanswered_questions",
    "answer_sheet_uploads",
    "student_mcq_answers",
    "exam_instances",
    "exam_templates",
    "questions",
    "subscriptions",
    "subscription_plans",
    "parent_student_mappings",
    "system_config",
    "holidays",
    "audit_logs",
    "users",
)
ENUM_TYPES = (
    "user_role",
    "relationship_type",
    "plan_type",
    "subscription_status",
    "question_type",
    "question_difficulty",
    "question_status",
    "exam_type",
    "exam_status",
    "evaluation_status",
)
ALWAYS_TRIGGERS = (
    ("audit_logs", "trg_audit_logs_no_update_delete"),
    ("audit_logs", "trg_audit_logs_no_truncate"),
    ("exam_instances", "trg_exam_instances_frozen_after_start"),
)

# 42501 (insufficient_privilege): nobody, the owner included, may rewrite history.
AUDIT_LOG_FUNCTION = """
CREATE FUNCTION mathvidya.reject_audit_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Record a correcting event instead of changing the log.';
END;
$$
"""

# 55000 (object_not_in_prerequisite_state): the exam is past the state where its paper may
# change. Status, answers, scores and timestamps after the start still change as usual.
EXAM_SNAPSHOT_FUNCTION = """
CREATE FUNCTION mathvidya.freeze_started_exam() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.started_at IS NOT NULL AND (
        NEW.template_snapshot IS DISTINCT FROM OLD.template_snapshot
        OR NEW.questions_snapshot IS DISTINCT FROM OLD.questions_snapshot
        OR NEW.template_id IS DISTINCT FROM OLD.template_id
        OR NEW.student_user_id IS DISTINCT FROM OLD.student_user_id
        OR NEW.subscription_id IS DISTINCT FROM OLD.subscription_id
        OR NEW.total_marks IS DISTINCT FROM OLD.total_marks
        OR NEW.duration_minutes IS DISTINCT FROM OLD.duration_minutes
        OR NEW.started_at IS DISTINCT FROM OLD.started_at
    ) THEN
        RAISE EXCEPTION 'exam % started at %: its paper (snapshots, template, subscription, marks, duration, start) cannot change',
            OLD.id, OLD.started_at
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column(
            "actor_role",
            postgresql.ENUM(
                "student", "parent", "teacher", "admin", name="user_role", schema="mathvidya"
            ),
            nullable=True,
        ),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "action ~ '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$'",
            name=op.f("ck_audit_logs_action_format"),
        ),
        sa.CheckConstraint(
            "entity_type ~ '^[a-z][a-z0-9_]*$'", name=op.f("ck_audit_logs_entity_type_format")
        ),
        sa.CheckConstraint(
            "jsonb_typeof(details) = 'object'", name=op.f("ck_audit_logs_details_is_object")
        ),
        sa.CheckConstraint(
            "(actor_user_id IS NULL) = (actor_role IS NULL)",
            name=op.f("ck_audit_logs_actor_role_iff_actor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
        schema="mathvidya",
    )
    op.create_index(
        "ix_audit_logs_action_occurred_at",
        "audit_logs",
        ["action", sa.literal_column("occurred_at DESC")],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_audit_logs_actor_user_id_occurred_at",
        "audit_logs",
        ["actor_user_id", sa.literal_column("occurred_at DESC")],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_audit_logs_details",
        "audit_logs",
        ["details"],
        unique=False,
        schema="mathvidya",
        postgresql_using="gin",
        postgresql_ops={"details": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_audit_logs_entity",
        "audit_logs",
        ["entity_type", "entity_id", sa.literal_column("occurred_at DESC")],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_audit_logs_occurred_at",
        "audit_logs",
        ["occurred_at"],
        unique=False,
        schema="mathvidya",
        postgresql_using="brin",
    )
    op.create_table(
        "holidays",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("holiday_date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_national", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
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
        sa.CheckConstraint("btrim(name) <> ''", name=op.f("ck_holidays_name_not_blank")),
        sa.CheckConstraint(
            "holiday_date BETWEEN DATE '2000-01-01' AND DATE '2100-12-31'",
            name=op.f("ck_holidays_date_plausible"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holidays")),
        sa.UniqueConstraint("holiday_date", "name", name=op.f("uq_holidays_holiday_date_name")),
        schema="mathvidya",
    )
    op.create_table(
        "subscription_plans",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "plan_type",
            postgresql.ENUM(
                "basic", "premium_mcq", "premium", "centum", name="plan_type", schema="mathvidya"
            ),
            nullable=False,
        ),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("exams_per_month", sa.SmallInteger(), nullable=False),
        sa.Column("sla_hours", sa.SmallInteger(), nullable=False),
        sa.Column("leaderboard_access", sa.Boolean(), nullable=False),
        sa.Column("annual_price_inr", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column(
            "features",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("sort_order", sa.SmallInteger(), server_default="0", nullable=False),
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
            "btrim(display_name) <> ''", name=op.f("ck_subscription_plans_display_name_not_blank")
        ),
        sa.CheckConstraint(
            "jsonb_typeof(features) = 'object'",
            name=op.f("ck_subscription_plans_features_is_object"),
        ),
        sa.CheckConstraint(
            "annual_price_inr > 0", name=op.f("ck_subscription_plans_annual_price_positive")
        ),
        sa.CheckConstraint(
            "exams_per_month BETWEEN 1 AND 1000",
            name=op.f("ck_subscription_plans_exams_per_month_range"),
        ),
        sa.CheckConstraint(
            "sla_hours BETWEEN 1 AND 168", name=op.f("ck_subscription_plans_sla_hours_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plans")),
        sa.UniqueConstraint("display_name", name=op.f("uq_subscription_plans_display_name")),
        sa.UniqueConstraint("plan_type", name=op.f("uq_subscription_plans_plan_type")),
        schema="mathvidya",
    )
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            postgresql.ENUM(
                "student", "parent", "teacher", "admin", name="user_role", schema="mathvidya"
            ),
            nullable=False,
        ),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("student_class", sa.String(length=3), nullable=True),
        sa.Column("school_name", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
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
            "(role = 'student' AND student_class IS NOT NULL AND student_class IN ('X', 'XII')) OR (role <> 'student' AND student_class IS NULL)",
            name=op.f("ck_users_student_class_by_role"),
        ),
        sa.CheckConstraint("btrim(first_name) <> ''", name=op.f("ck_users_first_name_not_blank")),
        sa.CheckConstraint("btrim(last_name) <> ''", name=op.f("ck_users_last_name_not_blank")),
        sa.CheckConstraint(
            "email ~ '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$'",
            name=op.f("ck_users_email_format"),
        ),
        sa.CheckConstraint(
            "password_hash LIKE '$argon2id$%'", name=op.f("ck_users_password_hash_argon2id")
        ),
        sa.CheckConstraint("phone ~ '^\\+?[0-9]{10,15}$'", name=op.f("ck_users_phone_format")),
        sa.CheckConstraint(
            "deleted_at IS NULL OR NOT is_active", name=op.f("ck_users_deleted_is_inactive")
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_users_email_lowercase")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("id", "role", name=op.f("uq_users_id_role")),
        schema="mathvidya",
    )
    op.create_index(
        "ix_users_full_name_trgm",
        "users",
        [sa.literal_column("(first_name || ' ' || last_name) gin_trgm_ops")],
        unique=False,
        schema="mathvidya",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_users_role_student_class_active",
        "users",
        ["role", "student_class"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("is_active"),
    )
    op.create_table(
        "exam_templates",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("class_level", sa.String(length=3), nullable=False),
        sa.Column(
            "exam_type",
            postgresql.ENUM(
                "board_exam", "section_wise", "unit_wise", name="exam_type", schema="mathvidya"
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("total_marks", sa.SmallInteger(), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "units",
            postgresql.ARRAY(sa.String(length=100)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by_user_id", sa.UUID(), nullable=True),
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
        sa.CheckConstraint("btrim(name) <> ''", name=op.f("ck_exam_templates_name_not_blank")),
        sa.CheckConstraint(
            "class_level IN ('X', 'XII')", name=op.f("ck_exam_templates_class_level_valid")
        ),
        sa.CheckConstraint(
            "exam_type <> 'board_exam' OR (cardinality(units) = 0 AND total_marks = 80 AND duration_minutes = 180)",
            name=op.f("ck_exam_templates_board_exam_pattern"),
        ),
        sa.CheckConstraint(
            "exam_type <> 'unit_wise' OR cardinality(units) >= 1",
            name=op.f("ck_exam_templates_unit_wise_names_units"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(config) = 'object' AND CASE WHEN jsonb_typeof(config -> 'sections') = 'array' THEN jsonb_array_length(config -> 'sections') >= 1 ELSE false END",
            name=op.f("ck_exam_templates_config_has_sections"),
        ),
        sa.CheckConstraint(
            "array_position(units, NULL) IS NULL", name=op.f("ck_exam_templates_units_no_nulls")
        ),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 5 AND 240",
            name=op.f("ck_exam_templates_duration_minutes_range"),
        ),
        sa.CheckConstraint(
            "total_marks BETWEEN 1 AND 100", name=op.f("ck_exam_templates_total_marks_range")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_exam_templates_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_templates")),
        sa.UniqueConstraint("class_level", "name", name=op.f("uq_exam_templates_class_level_name")),
        sa.UniqueConstraint(
            "id",
            "class_level",
            "exam_type",
            name=op.f("uq_exam_templates_id_class_level_exam_type"),
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_exam_templates_class_level_exam_type_active",
        "exam_templates",
        ["class_level", "exam_type"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("is_active"),
    )
    op.create_index(
        "ix_exam_templates_config",
        "exam_templates",
        ["config"],
        unique=False,
        schema="mathvidya",
        postgresql_using="gin",
        postgresql_ops={"config": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_exam_templates_created_by_user_id",
        "exam_templates",
        ["created_by_user_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_exam_templates_units",
        "exam_templates",
        ["units"],
        unique=False,
        schema="mathvidya",
        postgresql_using="gin",
    )
    op.create_table(
        "parent_student_mappings",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("parent_user_id", sa.UUID(), nullable=False),
        sa.Column(
            "parent_role",
            postgresql.ENUM(
                "student", "parent", "teacher", "admin", name="user_role", schema="mathvidya"
            ),
            server_default="parent",
            nullable=False,
        ),
        sa.Column("student_user_id", sa.UUID(), nullable=False),
        sa.Column(
            "student_role",
            postgresql.ENUM(
                "student", "parent", "teacher", "admin", name="user_role", schema="mathvidya"
            ),
            server_default="student",
            nullable=False,
        ),
        sa.Column(
            "relationship_type",
            postgresql.ENUM(
                "father",
                "mother",
                "guardian",
                "other",
                name="relationship_type",
                schema="mathvidya",
            ),
            nullable=False,
        ),
        sa.Column(
            "is_primary_contact", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
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
            "parent_role = 'parent'", name=op.f("ck_parent_student_mappings_parent_is_parent")
        ),
        sa.CheckConstraint(
            "student_role = 'student'", name=op.f("ck_parent_student_mappings_student_is_student")
        ),
        sa.CheckConstraint(
            "parent_user_id <> student_user_id",
            name=op.f("ck_parent_student_mappings_no_self_mapping"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_user_id", "parent_role"],
            ["mathvidya.users.id", "mathvidya.users.role"],
            name="fk_parent_student_mappings_parent_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_user_id", "student_role"],
            ["mathvidya.users.id", "mathvidya.users.role"],
            name="fk_parent_student_mappings_student_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_student_mappings")),
        sa.UniqueConstraint(
            "parent_user_id",
            "student_user_id",
            name=op.f("uq_parent_student_mappings_parent_user_id_student_user_id"),
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_parent_student_mappings_student_user_id",
        "parent_student_mappings",
        ["student_user_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "uq_parent_student_mappings_primary_contact",
        "parent_student_mappings",
        ["student_user_id"],
        unique=True,
        schema="mathvidya",
        postgresql_where=sa.text("is_primary_contact"),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("question_code", sa.String(length=32), nullable=False),
        sa.Column("version", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("class_level", sa.String(length=3), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("chapter", sa.String(length=150), nullable=False),
        sa.Column("topic", sa.String(length=150), nullable=True),
        sa.Column(
            "question_type",
            postgresql.ENUM("MCQ", "VSA", "SA", "LA", name="question_type", schema="mathvidya"),
            nullable=False,
        ),
        sa.Column(
            "difficulty",
            postgresql.ENUM(
                "easy", "medium", "hard", name="question_difficulty", schema="mathvidya"
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            postgresql.ENUM(
                "draft",
                "under_review",
                "active",
                "archived",
                name="question_status",
                schema="mathvidya",
            ),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("marks", sa.SmallInteger(), nullable=False),
        sa.Column("question_text", sa.Text(), nullable=False),
        sa.Column("question_image_key", sa.String(length=500), nullable=True),
        sa.Column("mcq_choices", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("correct_option", sa.String(length=1), nullable=True),
        sa.Column("model_answer", sa.Text(), nullable=True),
        sa.Column("marking_scheme", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.String(length=50)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("created_by_user_id", sa.UUID(), nullable=True),
        sa.Column("reviewed_by_user_id", sa.UUID(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("times_used", sa.Integer(), server_default="0", nullable=False),
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
            "(question_type = 'MCQ' AND marks IN (1)) OR (question_type = 'VSA' AND marks IN (2)) OR (question_type = 'SA' AND marks IN (3)) OR (question_type = 'LA' AND marks IN (4, 5))",
            name=op.f("ck_questions_marks_match_type"),
        ),
        sa.CheckConstraint(
            "(question_type = 'MCQ') = (correct_option IS NOT NULL)",
            name=op.f("ck_questions_correct_option_iff_mcq"),
        ),
        sa.CheckConstraint(
            "(question_type = 'MCQ') = (mcq_choices IS NOT NULL)",
            name=op.f("ck_questions_mcq_choices_iff_mcq"),
        ),
        sa.CheckConstraint("btrim(chapter) <> ''", name=op.f("ck_questions_chapter_not_blank")),
        sa.CheckConstraint(
            "btrim(question_text) <> ''", name=op.f("ck_questions_question_text_not_blank")
        ),
        sa.CheckConstraint("btrim(unit) <> ''", name=op.f("ck_questions_unit_not_blank")),
        sa.CheckConstraint(
            "class_level IN ('X', 'XII')", name=op.f("ck_questions_class_level_valid")
        ),
        sa.CheckConstraint(
            "correct_option IN ('A', 'B', 'C', 'D')", name=op.f("ck_questions_correct_option_valid")
        ),
        sa.CheckConstraint(
            "jsonb_typeof(marking_scheme) = 'array'",
            name=op.f("ck_questions_marking_scheme_is_array"),
        ),
        sa.CheckConstraint(
            'mcq_choices IS NULL OR CASE WHEN jsonb_typeof(mcq_choices) = \'array\' THEN jsonb_array_length(mcq_choices) = 4 AND mcq_choices @> \'[{"key": "A"}, {"key": "B"}, {"key": "C"}, {"key": "D"}]\' ELSE false END',
            name=op.f("ck_questions_mcq_choices_four"),
        ),
        sa.CheckConstraint(
            "mcq_choices @> jsonb_build_array(jsonb_build_object('key', correct_option))",
            name=op.f("ck_questions_correct_option_among_choices"),
        ),
        sa.CheckConstraint(
            "question_code ~ '^[A-Z0-9][A-Z0-9-]{2,31}$'",
            name=op.f("ck_questions_question_code_format"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('active', 'archived') OR reviewed_at IS NOT NULL",
            name=op.f("ck_questions_reviewed_before_active"),
        ),
        sa.CheckConstraint(
            "array_position(tags, NULL) IS NULL", name=op.f("ck_questions_tags_no_nulls")
        ),
        sa.CheckConstraint("times_used >= 0", name=op.f("ck_questions_times_used_non_negative")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_questions_version_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_questions_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_questions_reviewed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
        sa.UniqueConstraint(
            "id", "question_type", "unit", name=op.f("uq_questions_id_question_type_unit")
        ),
        sa.UniqueConstraint(
            "question_code", "version", name=op.f("uq_questions_question_code_version")
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_questions_class_level_chapter",
        "questions",
        ["class_level", "chapter", "status"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_questions_created_by_user_id",
        "questions",
        ["created_by_user_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_questions_pick",
        "questions",
        ["class_level", "unit", "question_type", "difficulty"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_questions_reviewed_by_user_id",
        "questions",
        ["reviewed_by_user_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_questions_tags",
        "questions",
        ["tags"],
        unique=False,
        schema="mathvidya",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_questions_text_trgm",
        "questions",
        [sa.literal_column("question_text gin_trgm_ops")],
        unique=False,
        schema="mathvidya",
        postgresql_using="gin",
    )
    op.create_index(
        "uq_questions_active_version",
        "questions",
        ["question_code"],
        unique=True,
        schema="mathvidya",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "user_role",
            postgresql.ENUM(
                "student", "parent", "teacher", "admin", name="user_role", schema="mathvidya"
            ),
            server_default="student",
            nullable=False,
        ),
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM(
                "pending",
                "active",
                "expired",
                "cancelled",
                name="subscription_status",
                schema="mathvidya",
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exams_per_month", sa.SmallInteger(), nullable=False),
        sa.Column("sla_hours", sa.SmallInteger(), nullable=False),
        sa.Column("leaderboard_access", sa.Boolean(), nullable=False),
        sa.Column("exams_used_this_month", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column(
            "usage_month",
            sa.Date(),
            server_default=sa.text("date_trunc('month', now())::date"),
            nullable=False,
        ),
        sa.Column(
            "amount_paid_inr", sa.Numeric(precision=10, scale=2), server_default="0", nullable=False
        ),
        sa.Column("payment_reference", sa.String(length=100), nullable=True),
        sa.Column("purchased_by_user_id", sa.UUID(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
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
        postgresql.ExcludeConstraint(
            (sa.text("user_id"), "="),
            (sa.text("tstzrange(starts_at, ends_at, '[)')"), "&&"),
            where=sa.text("status = 'active'"),
            using="gist",
            name="ex_subscriptions_no_overlapping_active",
        ),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
            name=op.f("ck_subscriptions_cancelled_at_iff_cancelled"),
        ),
        sa.CheckConstraint(
            "user_role = 'student'", name=op.f("ck_subscriptions_holder_is_student")
        ),
        sa.CheckConstraint(
            "amount_paid_inr >= 0", name=op.f("ck_subscriptions_amount_paid_non_negative")
        ),
        sa.CheckConstraint(
            "cancelled_at >= created_at", name=op.f("ck_subscriptions_cancelled_after_created")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_subscriptions_period_ordered")),
        sa.CheckConstraint(
            "exams_per_month BETWEEN 1 AND 1000",
            name=op.f("ck_subscriptions_exams_per_month_range"),
        ),
        sa.CheckConstraint(
            "exams_used_this_month BETWEEN 0 AND exams_per_month",
            name=op.f("ck_subscriptions_usage_within_quota"),
        ),
        sa.CheckConstraint(
            "extract(day FROM usage_month) = 1", name=op.f("ck_subscriptions_usage_month_first_day")
        ),
        sa.CheckConstraint(
            "sla_hours BETWEEN 1 AND 168", name=op.f("ck_subscriptions_sla_hours_range")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["mathvidya.subscription_plans.id"],
            name=op.f("fk_subscriptions_plan_id_subscription_plans"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["purchased_by_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_subscriptions_purchased_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id", "user_role"],
            ["mathvidya.users.id", "mathvidya.users.role"],
            name="fk_subscriptions_user_id_users",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("id", "user_id", name=op.f("uq_subscriptions_id_user_id")),
        sa.UniqueConstraint("payment_reference", name=op.f("uq_subscriptions_payment_reference")),
        schema="mathvidya",
    )
    op.create_index(
        "ix_subscriptions_ends_at_active",
        "subscriptions",
        ["ends_at"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_subscriptions_plan_id", "subscriptions", ["plan_id"], unique=False, schema="mathvidya"
    )
    op.create_index(
        "ix_subscriptions_purchased_by_user_id",
        "subscriptions",
        ["purchased_by_user_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_subscriptions_user_id_ends_at",
        "subscriptions",
        ["user_id", sa.literal_column("ends_at DESC")],
        unique=False,
        schema="mathvidya",
    )
    op.create_table(
        "system_config",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("config_key", sa.String(length=100), nullable=False),
        sa.Column("config_value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("updated_by_user_id", sa.UUID(), nullable=True),
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
            "btrim(description) <> ''", name=op.f("ck_system_config_description_not_blank")
        ),
        sa.CheckConstraint(
            "config_key ~ '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$'",
            name=op.f("ck_system_config_config_key_format"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_system_config_updated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_config")),
        sa.UniqueConstraint("config_key", name=op.f("uq_system_config_config_key")),
        schema="mathvidya",
    )
    op.create_index(
        "ix_system_config_updated_by_user_id",
        "system_config",
        ["updated_by_user_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_table(
        "exam_instances",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("student_user_id", sa.UUID(), nullable=False),
        sa.Column(
            "student_role",
            postgresql.ENUM(
                "student", "parent", "teacher", "admin", name="user_role", schema="mathvidya"
            ),
            server_default="student",
            nullable=False,
        ),
        sa.Column("template_id", sa.UUID(), nullable=False),
        sa.Column("subscription_id", sa.UUID(), nullable=True),
        sa.Column("student_class", sa.String(length=3), nullable=False),
        sa.Column(
            "exam_type",
            postgresql.ENUM(
                "board_exam", "section_wise", "unit_wise", name="exam_type", schema="mathvidya"
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            postgresql.ENUM(
                "created",
                "in_progress",
                "submitted",
                "under_evaluation",
                "evaluated",
                "expired",
                name="exam_status",
                schema="mathvidya",
            ),
            server_default="created",
            nullable=False,
        ),
        sa.Column("template_snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("questions_snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total_marks", sa.SmallInteger(), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("mcq_score", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("total_score", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("percentage", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
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
            "(status = 'evaluated') = (evaluated_at IS NOT NULL)",
            name=op.f("ck_exam_instances_evaluated_at_iff_evaluated"),
        ),
        sa.CheckConstraint(
            "(status IN ('submitted', 'under_evaluation', 'evaluated')) = (submitted_at IS NOT NULL)",
            name=op.f("ck_exam_instances_submitted_at_iff_submitted"),
        ),
        sa.CheckConstraint(
            "CASE WHEN jsonb_typeof(questions_snapshot) = 'array' THEN jsonb_array_length(questions_snapshot) >= 1 ELSE false END",
            name=op.f("ck_exam_instances_questions_snapshot_not_empty"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(template_snapshot) = 'object'",
            name=op.f("ck_exam_instances_template_snapshot_is_object"),
        ),
        sa.CheckConstraint(
            "status <> 'created' OR started_at IS NULL",
            name=op.f("ck_exam_instances_created_not_started"),
        ),
        sa.CheckConstraint(
            "status <> 'evaluated' OR (total_score IS NOT NULL AND percentage IS NOT NULL)",
            name=op.f("ck_exam_instances_evaluated_has_score"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('in_progress', 'submitted', 'under_evaluation', 'evaluated') OR started_at IS NOT NULL",
            name=op.f("ck_exam_instances_started_at_when_started"),
        ),
        sa.CheckConstraint(
            "student_class IN ('X', 'XII')", name=op.f("ck_exam_instances_student_class_valid")
        ),
        sa.CheckConstraint(
            "student_role = 'student'", name=op.f("ck_exam_instances_taker_is_student")
        ),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 5 AND 240",
            name=op.f("ck_exam_instances_duration_minutes_range"),
        ),
        sa.CheckConstraint(
            "evaluated_at >= submitted_at", name=op.f("ck_exam_instances_evaluated_after_submitted")
        ),
        sa.CheckConstraint(
            "mcq_score BETWEEN 0 AND total_marks", name=op.f("ck_exam_instances_mcq_score_range")
        ),
        sa.CheckConstraint(
            "percentage = round(total_score * 100 / total_marks, 2)",
            name=op.f("ck_exam_instances_percentage_of_total"),
        ),
        sa.CheckConstraint(
            "(percentage IS NULL) = (total_score IS NULL)",
            name=op.f("ck_exam_instances_percentage_with_total"),
        ),
        sa.CheckConstraint(
            "percentage BETWEEN 0 AND 100", name=op.f("ck_exam_instances_percentage_range")
        ),
        sa.CheckConstraint(
            "started_at >= created_at", name=op.f("ck_exam_instances_started_after_created")
        ),
        sa.CheckConstraint(
            "submitted_at >= started_at", name=op.f("ck_exam_instances_submitted_after_started")
        ),
        sa.CheckConstraint(
            "total_marks BETWEEN 1 AND 100", name=op.f("ck_exam_instances_total_marks_range")
        ),
        sa.CheckConstraint(
            "total_score >= mcq_score", name=op.f("ck_exam_instances_total_includes_mcq")
        ),
        sa.CheckConstraint(
            "total_score BETWEEN 0 AND total_marks",
            name=op.f("ck_exam_instances_total_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["student_user_id", "student_role"],
            ["mathvidya.users.id", "mathvidya.users.role"],
            name="fk_exam_instances_student_user_id_users",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id", "student_user_id"],
            ["mathvidya.subscriptions.id", "mathvidya.subscriptions.user_id"],
            name="fk_exam_instances_subscription_id_subscriptions",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["template_id", "student_class", "exam_type"],
            [
                "mathvidya.exam_templates.id",
                "mathvidya.exam_templates.class_level",
                "mathvidya.exam_templates.exam_type",
            ],
            name="fk_exam_instances_template_id_exam_templates",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_instances")),
        sa.UniqueConstraint(
            "id",
            "student_class",
            "exam_type",
            name=op.f("uq_exam_instances_id_student_class_exam_type"),
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_exam_instances_awaiting_evaluation",
        "exam_instances",
        ["submitted_at"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status IN ('submitted', 'under_evaluation')"),
    )
    op.create_index(
        "ix_exam_instances_in_progress",
        "exam_instances",
        ["started_at"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status = 'in_progress'"),
    )
    op.create_index(
        "ix_exam_instances_leaderboard",
        "exam_instances",
        ["student_class", "exam_type", sa.literal_column("percentage DESC")],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status = 'evaluated'"),
    )
    op.create_index(
        "ix_exam_instances_student_user_id_created_at",
        "exam_instances",
        ["student_user_id", sa.literal_column("created_at DESC")],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_exam_instances_student_user_id_status",
        "exam_instances",
        ["student_user_id", "status"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_exam_instances_subscription_id_created_at",
        "exam_instances",
        ["subscription_id", "created_at"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_exam_instances_template_id",
        "exam_instances",
        ["template_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_table(
        "answer_sheet_uploads",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("exam_instance_id", sa.UUID(), nullable=False),
        sa.Column("page_number", sa.SmallInteger(), nullable=False),
        sa.Column("storage_bucket", sa.String(length=63), nullable=False),
        sa.Column("storage_key", sa.String(length=1024), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("file_size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "btrim(storage_bucket) <> ''",
            name=op.f("ck_answer_sheet_uploads_storage_bucket_not_blank"),
        ),
        sa.CheckConstraint(
            "btrim(storage_key) <> ''", name=op.f("ck_answer_sheet_uploads_storage_key_not_blank")
        ),
        sa.CheckConstraint(
            "mime_type IN ('image/jpeg', 'image/png', 'application/pdf')",
            name=op.f("ck_answer_sheet_uploads_mime_type_allowed"),
        ),
        sa.CheckConstraint(
            "sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_answer_sheet_uploads_sha256_hex")
        ),
        sa.CheckConstraint(
            "file_size_bytes BETWEEN 1 AND 5242880",
            name=op.f("ck_answer_sheet_uploads_file_size_bytes_range"),
        ),
        sa.CheckConstraint(
            "page_number BETWEEN 1 AND 50", name=op.f("ck_answer_sheet_uploads_page_number_range")
        ),
        sa.ForeignKeyConstraint(
            ["exam_instance_id"],
            ["mathvidya.exam_instances.id"],
            name=op.f("fk_answer_sheet_uploads_exam_instance_id_exam_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_sheet_uploads")),
        sa.UniqueConstraint(
            "exam_instance_id",
            "page_number",
            name=op.f("uq_answer_sheet_uploads_exam_instance_id_page_number"),
        ),
        sa.UniqueConstraint(
            "exam_instance_id",
            "sha256",
            name=op.f("uq_answer_sheet_uploads_exam_instance_id_sha256"),
        ),
        sa.UniqueConstraint(
            "storage_bucket",
            "storage_key",
            name=op.f("uq_answer_sheet_uploads_storage_bucket_storage_key"),
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_answer_sheet_uploads_uploaded_at",
        "answer_sheet_uploads",
        ["uploaded_at"],
        unique=False,
        schema="mathvidya",
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("exam_instance_id", sa.UUID(), nullable=False),
        sa.Column("student_class", sa.String(length=3), nullable=False),
        sa.Column(
            "exam_type",
            postgresql.ENUM(
                "board_exam", "section_wise", "unit_wise", name="exam_type", schema="mathvidya"
            ),
            nullable=False,
        ),
        sa.Column("teacher_user_id", sa.UUID(), nullable=True),
        sa.Column(
            "teacher_role",
            postgresql.ENUM(
                "student", "parent", "teacher", "admin", name="user_role", schema="mathvidya"
            ),
            server_default="teacher",
            nullable=False,
        ),
        sa.Column(
            "status",
            postgresql.ENUM(
                "pending",
                "assigned",
                "in_progress",
                "completed",
                "cancelled",
                name="evaluation_status",
                schema="mathvidya",
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("sla_hours", sa.SmallInteger(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sla_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_breached", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("marks_awarded", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("max_marks", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("teacher_comments", sa.Text(), nullable=True),
        sa.Column(
            "annotations",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("reassignment_count", sa.SmallInteger(), server_default="0", nullable=False),
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
            "(status = 'completed') = (completed_at IS NOT NULL)",
            name=op.f("ck_evaluations_completed_at_iff_completed"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(annotations) = 'array'", name=op.f("ck_evaluations_annotations_is_array")
        ),
        sa.CheckConstraint(
            "status <> 'completed' OR marks_awarded IS NOT NULL",
            name=op.f("ck_evaluations_completed_has_marks"),
        ),
        sa.CheckConstraint(
            "status <> 'pending' OR (teacher_user_id IS NULL AND assigned_at IS NULL)",
            name=op.f("ck_evaluations_pending_unassigned"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('assigned', 'in_progress', 'completed') OR (teacher_user_id IS NOT NULL AND assigned_at IS NOT NULL)",
            name=op.f("ck_evaluations_assigned_has_teacher"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('in_progress', 'completed') OR started_at IS NOT NULL",
            name=op.f("ck_evaluations_started_at_when_started"),
        ),
        sa.CheckConstraint(
            "student_class IN ('X', 'XII')", name=op.f("ck_evaluations_student_class_valid")
        ),
        sa.CheckConstraint(
            "teacher_role = 'teacher'", name=op.f("ck_evaluations_evaluator_is_teacher")
        ),
        sa.CheckConstraint(
            "assigned_at >= submitted_at", name=op.f("ck_evaluations_assigned_after_submission")
        ),
        sa.CheckConstraint(
            "completed_at >= started_at", name=op.f("ck_evaluations_completed_after_started")
        ),
        sa.CheckConstraint(
            "marks_awarded BETWEEN 0 AND max_marks", name=op.f("ck_evaluations_marks_awarded_range")
        ),
        sa.CheckConstraint("max_marks >= 0", name=op.f("ck_evaluations_max_marks_non_negative")),
        sa.CheckConstraint(
            "reassignment_count >= 0", name=op.f("ck_evaluations_reassignment_count_non_negative")
        ),
        sa.CheckConstraint(
            "sla_deadline > submitted_at", name=op.f("ck_evaluations_deadline_after_submission")
        ),
        sa.CheckConstraint(
            "sla_hours BETWEEN 1 AND 168", name=op.f("ck_evaluations_sla_hours_range")
        ),
        sa.CheckConstraint(
            "started_at >= assigned_at", name=op.f("ck_evaluations_started_after_assigned")
        ),
        sa.ForeignKeyConstraint(
            ["exam_instance_id", "student_class", "exam_type"],
            [
                "mathvidya.exam_instances.id",
                "mathvidya.exam_instances.student_class",
                "mathvidya.exam_instances.exam_type",
            ],
            name="fk_evaluations_exam_instance_id_exam_instances",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_user_id", "teacher_role"],
            ["mathvidya.users.id", "mathvidya.users.role"],
            name="fk_evaluations_teacher_user_id_users",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("exam_instance_id", name=op.f("uq_evaluations_exam_instance_id")),
        schema="mathvidya",
    )
    op.create_index(
        "ix_evaluations_open_sla_deadline",
        "evaluations",
        ["sla_deadline"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status IN ('pending', 'assigned', 'in_progress')"),
    )
    op.create_index(
        "ix_evaluations_sla_breached",
        "evaluations",
        ["completed_at"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("sla_breached"),
    )
    op.create_index(
        "ix_evaluations_student_class_exam_type_status",
        "evaluations",
        ["student_class", "exam_type", "status"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_evaluations_teacher_completed",
        "evaluations",
        ["teacher_user_id", sa.literal_column("completed_at DESC")],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status = 'completed'"),
    )
    op.create_index(
        "ix_evaluations_teacher_queue",
        "evaluations",
        ["teacher_user_id", "sla_deadline"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status IN ('assigned', 'in_progress')"),
    )
    op.create_index(
        "ix_evaluations_unassigned",
        "evaluations",
        ["sla_deadline"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "student_mcq_answers",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("exam_instance_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column(
            "question_type",
            postgresql.ENUM("MCQ", "VSA", "SA", "LA", name="question_type", schema="mathvidya"),
            server_default="MCQ",
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("question_number", sa.SmallInteger(), nullable=False),
        sa.Column("selected_option", sa.String(length=1), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=True),
        sa.Column("marks_awarded", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column(
            "answered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
        sa.CheckConstraint("btrim(unit) <> ''", name=op.f("ck_student_mcq_answers_unit_not_blank")),
        sa.CheckConstraint(
            "question_type = 'MCQ'", name=op.f("ck_student_mcq_answers_question_is_mcq")
        ),
        sa.CheckConstraint(
            "selected_option IN ('A', 'B', 'C', 'D')",
            name=op.f("ck_student_mcq_answers_selected_option_valid"),
        ),
        sa.CheckConstraint(
            "(is_correct IS NULL) = (marks_awarded IS NULL)",
            name=op.f("ck_student_mcq_answers_marked_together"),
        ),
        sa.CheckConstraint(
            "marks_awarded = CASE WHEN is_correct THEN 1 ELSE 0 END",
            name=op.f("ck_student_mcq_answers_marks_match_correctness"),
        ),
        sa.CheckConstraint(
            "question_number BETWEEN 1 AND 100",
            name=op.f("ck_student_mcq_answers_question_number_range"),
        ),
        sa.ForeignKeyConstraint(
            ["exam_instance_id"],
            ["mathvidya.exam_instances.id"],
            name=op.f("fk_student_mcq_answers_exam_instance_id_exam_instances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id", "question_type", "unit"],
            [
                "mathvidya.questions.id",
                "mathvidya.questions.question_type",
                "mathvidya.questions.unit",
            ],
            name="fk_student_mcq_answers_question_id_questions",
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_mcq_answers")),
        sa.UniqueConstraint(
            "exam_instance_id",
            "question_id",
            name=op.f("uq_student_mcq_answers_exam_instance_id_question_id"),
        ),
        sa.UniqueConstraint(
            "exam_instance_id",
            "question_number",
            name=op.f("uq_student_mcq_answers_exam_instance_id_question_number"),
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_student_mcq_answers_question_id_is_correct",
        "student_mcq_answers",
        ["question_id", "is_correct"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_student_mcq_answers_unit_is_correct",
        "student_mcq_answers",
        ["unit", "is_correct"],
        unique=False,
        schema="mathvidya",
    )
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("exam_instance_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column(
            "question_type",
            postgresql.ENUM("MCQ", "VSA", "SA", "LA", name="question_type", schema="mathvidya"),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("question_number", sa.SmallInteger(), nullable=False),
        sa.Column(
            "declared_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "btrim(unit) <> ''", name=op.f("ck_unanswered_questions_unit_not_blank")
        ),
        sa.CheckConstraint(
            "question_number BETWEEN 1 AND 100",
            name=op.f("ck_unanswered_questions_question_number_range"),
        ),
        sa.ForeignKeyConstraint(
            ["exam_instance_id"],
            ["mathvidya.exam_instances.id"],
            name=op.f("fk_unanswered_questions_exam_instance_id_exam_instances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id", "question_type", "unit"],
            [
                "mathvidya.questions.id",
                "mathvidya.questions.question_type",
                "mathvidya.questions.unit",
            ],
            name="fk_unanswered_questions_question_id_questions",
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
        sa.UniqueConstraint(
            "exam_instance_id",
            "question_id",
            name=op.f("uq_unanswered_questions_exam_instance_id_question_id"),
        ),
        sa.UniqueConstraint(
            "exam_instance_id",
            "question_number",
            name=op.f("uq_unanswered_questions_exam_instance_id_question_number"),
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_unanswered_questions_question_id",
        "unanswered_questions",
        ["question_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_table(
        "question_marks",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("evaluation_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column(
            "question_type",
            postgresql.ENUM("MCQ", "VSA", "SA", "LA", name="question_type", schema="mathvidya"),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("question_number", sa.SmallInteger(), nullable=False),
        sa.Column("marks_awarded", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("max_marks", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("stamp", sa.String(length=10), nullable=True),
        sa.Column("teacher_comment", sa.Text(), nullable=True),
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
            "(question_type = 'MCQ' AND max_marks IN (1)) OR (question_type = 'VSA' AND max_marks IN (2)) OR (question_type = 'SA' AND max_marks IN (3)) OR (question_type = 'LA' AND max_marks IN (4, 5))",
            name=op.f("ck_question_marks_max_marks_match_type"),
        ),
        sa.CheckConstraint("btrim(unit) <> ''", name=op.f("ck_question_marks_unit_not_blank")),
        sa.CheckConstraint(
            "question_type <> 'MCQ'", name=op.f("ck_question_marks_written_questions_only")
        ),
        sa.CheckConstraint(
            "stamp IN ('tick', 'cross', 'half', 'circle', 'star')",
            name=op.f("ck_question_marks_stamp_known"),
        ),
        sa.CheckConstraint(
            "marks_awarded * 2 = trunc(marks_awarded * 2)",
            name=op.f("ck_question_marks_half_mark_steps"),
        ),
        sa.CheckConstraint(
            "marks_awarded BETWEEN 0 AND max_marks",
            name=op.f("ck_question_marks_marks_awarded_range"),
        ),
        sa.CheckConstraint(
            "question_number BETWEEN 1 AND 100",
            name=op.f("ck_question_marks_question_number_range"),
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["mathvidya.evaluations.id"],
            name=op.f("fk_question_marks_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id", "question_type", "unit"],
            [
                "mathvidya.questions.id",
                "mathvidya.questions.question_type",
                "mathvidya.questions.unit",
            ],
            name="fk_question_marks_question_id_questions",
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_marks")),
        sa.UniqueConstraint(
            "evaluation_id", "question_id", name=op.f("uq_question_marks_evaluation_id_question_id")
        ),
        sa.UniqueConstraint(
            "evaluation_id",
            "question_number",
            name=op.f("uq_question_marks_evaluation_id_question_number"),
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_question_marks_question_id",
        "question_marks",
        ["question_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_question_marks_unit_question_type",
        "question_marks",
        ["unit", "question_type"],
        unique=False,
        schema="mathvidya",
    )
    for table in TIMESTAMPED_TABLES:
        create_updated_at_trigger(SCHEMA, table)
    op.execute(AUDIT_LOG_FUNCTION)
    op.execute(
        "CREATE TRIGGER trg_audit_logs_no_update_delete BEFORE UPDATE OR DELETE"
        " ON mathvidya.audit_logs FOR EACH ROW EXECUTE FUNCTION mathvidya.reject_audit_log_change()"
    )
    op.execute(
        "CREATE TRIGGER trg_audit_logs_no_truncate BEFORE TRUNCATE"
        " ON mathvidya.audit_logs FOR EACH STATEMENT"
        " EXECUTE FUNCTION mathvidya.reject_audit_log_change()"
    )
    op.execute(EXAM_SNAPSHOT_FUNCTION)
    op.execute(
        "CREATE TRIGGER trg_exam_instances_frozen_after_start BEFORE UPDATE"
        " ON mathvidya.exam_instances FOR EACH ROW"
        " EXECUTE FUNCTION mathvidya.freeze_started_exam()"
    )
    # ALWAYS: the triggers fire in sessions with session_replication_role = replica too
    # (logical replication apply, some restore tools), which skip ordinary triggers.
    for table, trigger in ALWAYS_TRIGGERS:
        op.execute(f"ALTER TABLE mathvidya.{table} ENABLE ALWAYS TRIGGER {trigger}")


def downgrade() -> None:
    # Dropping a table drops its indexes, constraints and triggers; children before parents.
    for table in DROP_ORDER:
        op.drop_table(table, schema=SCHEMA)
    op.execute("DROP FUNCTION mathvidya.freeze_started_exam()")
    op.execute("DROP FUNCTION mathvidya.reject_audit_log_change()")
    for enum_type in ENUM_TYPES:
        op.execute(f"DROP TYPE mathvidya.{enum_type}")
