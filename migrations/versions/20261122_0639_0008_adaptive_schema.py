"""Adaptive schema (seed 004): eleven tables, the seed's named indexes, and a trigger that
refuses a cycle in topic prerequisites.

The same models build the local SQLite database (`lyceum.adaptive.local`), so types here are
the PostgreSQL side of `lyceum.adaptive.types`: TIMESTAMPTZ, text[], JSONB, uuid.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 06:39:08.632394+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


DROP_ORDER = (
    "sync_operations",
    "study_plans",
    "concept_mastery",
    "question_attempts",
    "questions",
    "concepts",
    "topic_prerequisites",
    "student_profiles",
    "classes",
    "topics",
    "users",
)

# A new edge topic -> prerequisite closes a cycle when the topic is already reachable from the
# prerequisite. The table is locked first, so two sessions adding the two halves of a cycle
# at once cannot both pass the check.
PREREQUISITE_CYCLE_FUNCTION = """
CREATE FUNCTION adaptive.reject_prerequisite_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.topic_id = NEW.prerequisite_id THEN
        RETURN NEW;  -- a self-loop: the CHECK no_self_loop reports it by name
    END IF;
    LOCK TABLE adaptive.topic_prerequisites IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (
        WITH RECURSIVE reachable(id) AS (
            SELECT NEW.prerequisite_id
            UNION
            SELECT p.prerequisite_id FROM adaptive.topic_prerequisites p
            JOIN reachable r ON p.topic_id = r.id
        )
        SELECT 1 FROM reachable WHERE id = NEW.topic_id
    ) THEN
        RAISE EXCEPTION 'prerequisite % -> % would make a cycle', NEW.topic_id, NEW.prerequisite_id
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'trg_topic_prerequisites_no_cycle';
    END IF;
    RETURN NEW;
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "sync_operations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column(
            "operation",
            sa.Enum(
                "create",
                "update",
                "delete",
                name="sync_operation_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "in_progress",
                "completed",
                "failed",
                name="sync_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
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
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'completed') = (synced_at IS NOT NULL)",
            name=op.f("ck_sync_operations_synced_at_iff_completed"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_sync_operations_attempts_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_operations")),
        schema="adaptive",
    )
    op.create_index(
        "idx_sync_pending",
        "sync_operations",
        ["created_at"],
        unique=False,
        schema="adaptive",
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "topics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("syllabus_weightage", sa.Float(), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("grade BETWEEN 1 AND 12", name=op.f("ck_topics_grade_range")),
        sa.CheckConstraint("parent_id <> id", name=op.f("ck_topics_not_own_parent")),
        sa.CheckConstraint(
            "syllabus_weightage BETWEEN 0 AND 100", name=op.f("ck_topics_weightage_range")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["adaptive.topics.id"],
            name=op.f("fk_topics_parent_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("code", name=op.f("uq_topics_code")),
        schema="adaptive",
    )
    op.create_index(
        op.f("ix_topics_parent_id"), "topics", ["parent_id"], unique=False, schema="adaptive"
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "student",
                "teacher",
                "admin",
                name="user_role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "length(username) BETWEEN 3 AND 50", name=op.f("ck_users_username_length")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        schema="adaptive",
    )
    op.create_index("ix_users_username", "users", ["username"], unique=True, schema="adaptive")
    op.create_table(
        "classes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("teacher_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("grade BETWEEN 1 AND 12", name=op.f("ck_classes_grade_range")),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["adaptive.users.id"],
            name=op.f("fk_classes_teacher_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classes")),
        sa.UniqueConstraint("teacher_id", "name", name=op.f("uq_classes_teacher_id_name")),
        schema="adaptive",
    )
    op.create_index(
        op.f("ix_classes_teacher_id"), "classes", ["teacher_id"], unique=False, schema="adaptive"
    )
    op.create_table(
        "concepts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("difficulty", sa.Float(), server_default="0.5", nullable=False),
        sa.CheckConstraint("difficulty BETWEEN 0 AND 1", name=op.f("ck_concepts_difficulty_range")),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["adaptive.topics.id"],
            name=op.f("fk_concepts_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concepts")),
        sa.UniqueConstraint("code", name=op.f("uq_concepts_code")),
        schema="adaptive",
    )
    op.create_index(
        op.f("ix_concepts_topic_id"), "concepts", ["topic_id"], unique=False, schema="adaptive"
    )
    op.create_table(
        "study_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "completed",
                "archived",
                name="study_plan_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "schedule",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
        ),
        sa.Column("topic_codes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "generated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_study_plans_dates_ordered")),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["adaptive.users.id"],
            name=op.f("fk_study_plans_student_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_plans")),
        schema="adaptive",
    )
    op.create_index(
        "ix_study_plans_student_id_status",
        "study_plans",
        ["student_id", "status"],
        unique=False,
        schema="adaptive",
    )
    op.create_table(
        "topic_prerequisites",
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("prerequisite_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "topic_id <> prerequisite_id", name=op.f("ck_topic_prerequisites_no_self_loop")
        ),
        sa.ForeignKeyConstraint(
            ["prerequisite_id"],
            ["adaptive.topics.id"],
            name=op.f("fk_topic_prerequisites_prerequisite_id_topics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["adaptive.topics.id"],
            name=op.f("fk_topic_prerequisites_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("topic_id", "prerequisite_id", name=op.f("pk_topic_prerequisites")),
        schema="adaptive",
    )
    op.create_index(
        op.f("ix_topic_prerequisites_prerequisite_id"),
        "topic_prerequisites",
        ["prerequisite_id"],
        unique=False,
        schema="adaptive",
    )
    op.create_table(
        "concept_mastery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("concept_id", sa.Uuid(), nullable=False),
        sa.Column("mastery", sa.Float(), nullable=False),
        sa.Column("attempts_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("correct_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_practiced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "correct_count BETWEEN 0 AND attempts_count",
            name=op.f("ck_concept_mastery_counts_consistent"),
        ),
        sa.CheckConstraint(
            "mastery BETWEEN 0 AND 1", name=op.f("ck_concept_mastery_mastery_range")
        ),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["adaptive.concepts.id"],
            name=op.f("fk_concept_mastery_concept_id_concepts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["adaptive.users.id"],
            name=op.f("fk_concept_mastery_student_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concept_mastery")),
        schema="adaptive",
    )
    op.create_index(
        "idx_mastery_student_concept",
        "concept_mastery",
        ["student_id", "concept_id"],
        unique=True,
        schema="adaptive",
    )
    op.create_index(
        op.f("ix_concept_mastery_concept_id"),
        "concept_mastery",
        ["concept_id"],
        unique=False,
        schema="adaptive",
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("concept_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "mcq",
                "numeric",
                name="question_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("options", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("correct_answer", sa.String(length=200), nullable=False),
        sa.Column("difficulty", sa.Float(), server_default="0", nullable=False),
        sa.Column("discrimination", sa.Float(), server_default="1", nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "difficulty BETWEEN -4 AND 4", name=op.f("ck_questions_difficulty_range")
        ),
        sa.CheckConstraint("discrimination > 0", name=op.f("ck_questions_discrimination_positive")),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["adaptive.concepts.id"],
            name=op.f("fk_questions_concept_id_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
        sa.UniqueConstraint("code", name=op.f("uq_questions_code")),
        schema="adaptive",
    )
    op.create_index(
        op.f("ix_questions_concept_id"),
        "questions",
        ["concept_id"],
        unique=False,
        schema="adaptive",
    )
    op.create_table(
        "student_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("exam_date", sa.Date(), nullable=True),
        sa.Column("available_hours_per_week", sa.Float(), nullable=False),
        sa.Column("class_id", sa.Uuid(), nullable=True),
        sa.Column("focus_topics", postgresql.ARRAY(sa.Text()), nullable=False),
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
            "available_hours_per_week BETWEEN 0 AND 168",
            name=op.f("ck_student_profiles_available_hours_range"),
        ),
        sa.CheckConstraint("grade BETWEEN 1 AND 12", name=op.f("ck_student_profiles_grade_range")),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["adaptive.classes.id"],
            name=op.f("fk_student_profiles_class_id_classes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["adaptive.users.id"],
            name=op.f("fk_student_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_profiles")),
        sa.UniqueConstraint("user_id", name=op.f("uq_student_profiles_user_id")),
        schema="adaptive",
    )
    op.create_index(
        op.f("ix_student_profiles_class_id"),
        "student_profiles",
        ["class_id"],
        unique=False,
        schema="adaptive",
    )
    op.create_table(
        "question_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("answer", sa.String(length=200), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
        sa.Column("time_taken_seconds", sa.Float(), nullable=False),
        sa.Column("confidence", sa.SmallInteger(), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("sync_operation_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "confidence BETWEEN 1 AND 5", name=op.f("ck_question_attempts_confidence_range")
        ),
        sa.CheckConstraint(
            "time_taken_seconds >= 0", name=op.f("ck_question_attempts_time_taken_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["adaptive.questions.id"],
            name=op.f("fk_question_attempts_question_id_questions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["adaptive.users.id"],
            name=op.f("fk_question_attempts_student_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_attempts")),
        sa.UniqueConstraint(
            "sync_operation_id", name=op.f("uq_question_attempts_sync_operation_id")
        ),
        schema="adaptive",
    )
    op.create_index(
        "idx_attempts_student_timestamp",
        "question_attempts",
        ["student_id", "attempted_at"],
        unique=False,
        schema="adaptive",
    )
    op.create_index(
        op.f("ix_question_attempts_question_id"),
        "question_attempts",
        ["question_id"],
        unique=False,
        schema="adaptive",
    )
    op.execute(PREREQUISITE_CYCLE_FUNCTION)
    op.execute(
        "CREATE TRIGGER trg_topic_prerequisites_no_cycle"
        " BEFORE INSERT OR UPDATE ON adaptive.topic_prerequisites"
        " FOR EACH ROW EXECUTE FUNCTION adaptive.reject_prerequisite_cycle()"
    )


def downgrade() -> None:
    for table in DROP_ORDER:
        op.drop_table(table, schema="adaptive")
    op.execute("DROP FUNCTION adaptive.reject_prerequisite_cycle()")
