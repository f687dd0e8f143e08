"""Mathvidya's evaluation workflow (issue 16): the holder's claim and the SLA forecast on
`evaluations`; `reevaluation_requests`, `leaderboard_entries`, `analytics_snapshots`; deferred
constraint triggers that make a completed evaluation's marks add up (its questions' marks, and
the exam's total = MCQ score + written marks); the workflow's settings in `system_config`.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:55:38.022077+00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lyceum.core.db.ddl import create_updated_at_trigger

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The workflow's settings (docs/mathvidya.md, "Evaluation"); values are JSON.
CONFIG: tuple[tuple[str, object, str], ...] = (
    (
        "upload.signed_url_seconds",
        300,
        "Seconds a signed link to an answer-sheet page stays valid.",
    ),
    (
        "evaluation.claim_hours",
        8,
        "Working hours a teacher holds an evaluation without marking it before it goes to"
        " someone else; each saved mark renews the claim.",
    ),
    (
        "evaluation.prior_minutes_per_evaluation",
        40,
        "Working minutes an evaluation is expected to take a teacher with no marking history.",
    ),
    (
        "sla.reassign_margin_hours",
        2,
        "An open evaluation is moved when its holder is forecast to finish within this many"
        " working hours of the deadline (or after it) and another teacher can finish sooner.",
    ),
    (
        "leaderboard.min_exams",
        2,
        "Evaluated exams a student needs in a month to appear on the class leaderboard.",
    ),
    (
        "analytics.drift_threshold",
        0.15,
        "A teacher is flagged when their marks on shared questions differ from colleagues' by"
        " more than this share of the maximum marks (and the difference is significant).",
    ),
)


class JSONText(sa.types.TypeDecorator[str]):
    """JSON sent as text and cast to jsonb (offline `--sql` can render a text literal)."""

    impl = sa.Text
    cache_ok = True

    def bind_expression(self, bindvalue: sa.BindParameter[str]) -> sa.ColumnElement[str]:
        return sa.cast(bindvalue, postgresql.JSONB)


system_config = sa.table(
    "system_config",
    sa.column("config_key", sa.String),
    sa.column("config_value", JSONText),
    sa.column("description", sa.Text),
    schema="mathvidya",
)

# A completed evaluation's written marks are its questions' marks, and its exam's total is the
# MCQ score plus them. Checked at commit (deferred), so the service may write the marks, the
# evaluation and the exam in any order within one transaction; a re-evaluation that changes a
# question's mark must change both totals with it.
MARKS_CHECK_FUNCTION = """
CREATE FUNCTION mathvidya.assert_evaluation_marks(evaluation uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    held record;
    written numeric;
    exam record;
BEGIN
    SELECT status, marks_awarded, exam_instance_id INTO held
      FROM mathvidya.evaluations WHERE id = evaluation;
    IF NOT FOUND OR held.status <> 'completed' THEN
        RETURN;
    END IF;
    SELECT coalesce(sum(marks_awarded), 0) INTO written
      FROM mathvidya.question_marks WHERE evaluation_id = evaluation;
    IF held.marks_awarded IS DISTINCT FROM written THEN
        RAISE EXCEPTION 'evaluation % awards % written marks but its questions add up to %',
            evaluation, held.marks_awarded, written
            USING ERRCODE = 'check_violation', CONSTRAINT = 'evaluation_marks_add_up';
    END IF;
    SELECT status, mcq_score, total_score INTO exam
      FROM mathvidya.exam_instances WHERE id = held.exam_instance_id;
    IF exam.status = 'evaluated'
       AND exam.total_score IS DISTINCT FROM coalesce(exam.mcq_score, 0) + written THEN
        RAISE EXCEPTION 'exam % totals % but its MCQ score % and written marks % add up to %',
            held.exam_instance_id, exam.total_score, exam.mcq_score, written,
            coalesce(exam.mcq_score, 0) + written
            USING ERRCODE = 'check_violation', CONSTRAINT = 'exam_total_adds_up';
    END IF;
END
$$;

CREATE FUNCTION mathvidya.check_evaluation_marks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'evaluations' THEN
        PERFORM mathvidya.assert_evaluation_marks(NEW.id);
    ELSIF TG_TABLE_NAME = 'question_marks' THEN
        IF TG_OP = 'DELETE' THEN
            PERFORM mathvidya.assert_evaluation_marks(OLD.evaluation_id);
        ELSE
            PERFORM mathvidya.assert_evaluation_marks(NEW.evaluation_id);
        END IF;
    ELSE
        PERFORM mathvidya.assert_evaluation_marks(e.id)
           FROM mathvidya.evaluations e WHERE e.exam_instance_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
"""
MARKS_TRIGGERS = (
    ("evaluations", "INSERT OR UPDATE"),
    ("question_marks", "INSERT OR UPDATE OR DELETE"),
    ("exam_instances", "UPDATE OF total_score, mcq_score, status"),
)


def upgrade() -> None:
    op.create_table(
        "analytics_snapshots",
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_user_id", sa.UUID(), nullable=False),
        sa.Column("computed_for", sa.Date(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "jsonb_typeof(payload) = 'object'",
            name=op.f("ck_analytics_snapshots_payload_is_object"),
        ),
        sa.CheckConstraint(
            "subject_kind IN ('student', 'teacher')",
            name=op.f("ck_analytics_snapshots_subject_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_analytics_snapshots_subject_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "subject_kind", "subject_user_id", "computed_for", name=op.f("pk_analytics_snapshots")
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_analytics_snapshots_kind_day",
        "analytics_snapshots",
        ["subject_kind", sa.literal_column("computed_for DESC")],
        unique=False,
        schema="mathvidya",
    )
    op.create_table(
        "leaderboard_entries",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("student_class", sa.String(length=3), nullable=False),
        sa.Column("student_user_id", sa.UUID(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("display_name", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("exams_counted", sa.SmallInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "btrim(display_name) <> ''", name=op.f("ck_leaderboard_entries_display_name_not_blank")
        ),
        sa.CheckConstraint(
            "student_class IN ('X', 'XII')", name=op.f("ck_leaderboard_entries_student_class_valid")
        ),
        sa.CheckConstraint(
            "exams_counted >= 1", name=op.f("ck_leaderboard_entries_exams_counted_positive")
        ),
        sa.CheckConstraint(
            "extract(day FROM month) = 1", name=op.f("ck_leaderboard_entries_month_is_first_day")
        ),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_leaderboard_entries_rank_positive")),
        sa.CheckConstraint(
            "score BETWEEN 0 AND 100", name=op.f("ck_leaderboard_entries_score_is_percentage")
        ),
        sa.ForeignKeyConstraint(
            ["student_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_leaderboard_entries_student_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "month", "student_class", "student_user_id", name=op.f("pk_leaderboard_entries")
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_leaderboard_entries_board",
        "leaderboard_entries",
        ["month", "student_class", "rank"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_leaderboard_entries_student_user_id",
        "leaderboard_entries",
        ["student_user_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_table(
        "reevaluation_requests",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("evaluation_id", sa.UUID(), nullable=False),
        sa.Column("question_mark_id", sa.UUID(), nullable=False),
        sa.Column("question_number", sa.SmallInteger(), nullable=False),
        sa.Column("student_user_id", sa.UUID(), nullable=False),
        sa.Column(
            "student_role",
            postgresql.ENUM(name="user_role", schema="mathvidya", create_type=False),
            server_default="student",
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="requested", nullable=False),
        sa.Column("original_teacher_user_id", sa.UUID(), nullable=True),
        sa.Column("teacher_user_id", sa.UUID(), nullable=True),
        sa.Column(
            "teacher_role",
            postgresql.ENUM(name="user_role", schema="mathvidya", create_type=False),
            server_default="teacher",
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sla_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_marks", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("marks_before", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("marks_after", sa.Numeric(precision=3, scale=1), nullable=True),
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
            "(status = 'completed') = (completed_at IS NOT NULL AND marks_after IS NOT NULL)",
            name=op.f("ck_reevaluation_requests_completed_with_marks"),
        ),
        sa.CheckConstraint(
            "btrim(reason) <> ''", name=op.f("ck_reevaluation_requests_reason_not_blank")
        ),
        sa.CheckConstraint(
            "status <> 'completed' OR teacher_user_id IS NOT NULL",
            name=op.f("ck_reevaluation_requests_completed_by_a_teacher"),
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'completed')",
            name=op.f("ck_reevaluation_requests_status_known"),
        ),
        sa.CheckConstraint(
            "student_role = 'student'", name=op.f("ck_reevaluation_requests_requester_is_student")
        ),
        sa.CheckConstraint(
            "teacher_role = 'teacher'", name=op.f("ck_reevaluation_requests_marker_is_teacher")
        ),
        sa.CheckConstraint(
            "char_length(reason) BETWEEN 1 AND 1000",
            name=op.f("ck_reevaluation_requests_reason_length"),
        ),
        sa.CheckConstraint(
            "completed_at >= requested_at",
            name=op.f("ck_reevaluation_requests_completed_after_request"),
        ),
        sa.CheckConstraint(
            "marks_after * 2 = trunc(marks_after * 2)",
            name=op.f("ck_reevaluation_requests_half_mark_steps"),
        ),
        sa.CheckConstraint(
            "marks_after BETWEEN 0 AND max_marks",
            name=op.f("ck_reevaluation_requests_marks_after_range"),
        ),
        sa.CheckConstraint(
            "marks_before BETWEEN 0 AND max_marks",
            name=op.f("ck_reevaluation_requests_marks_before_range"),
        ),
        sa.CheckConstraint(
            "question_number BETWEEN 1 AND 100",
            name=op.f("ck_reevaluation_requests_question_number_range"),
        ),
        sa.CheckConstraint(
            "sla_deadline > requested_at",
            name=op.f("ck_reevaluation_requests_deadline_after_request"),
        ),
        sa.CheckConstraint(
            "teacher_user_id IS DISTINCT FROM original_teacher_user_id",
            name=op.f("ck_reevaluation_requests_different_teacher"),
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["mathvidya.evaluations.id"],
            name=op.f("fk_reevaluation_requests_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["original_teacher_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_reevaluation_requests_original_teacher_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["question_mark_id"],
            ["mathvidya.question_marks.id"],
            name=op.f("fk_reevaluation_requests_question_mark_id_question_marks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_user_id", "student_role"],
            ["mathvidya.users.id", "mathvidya.users.role"],
            name="fk_reevaluation_requests_student_user_id_users",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_user_id", "teacher_role"],
            ["mathvidya.users.id", "mathvidya.users.role"],
            name="fk_reevaluation_requests_teacher_user_id_users",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reevaluation_requests")),
        sa.UniqueConstraint(
            "evaluation_id",
            "question_number",
            name=op.f("uq_reevaluation_requests_evaluation_id_question_number"),
        ),
        schema="mathvidya",
    )
    op.create_index(
        "ix_reevaluation_requests_question_mark_id",
        "reevaluation_requests",
        ["question_mark_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_reevaluation_requests_student_user_id",
        "reevaluation_requests",
        ["student_user_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_index(
        "ix_reevaluation_requests_teacher_open",
        "reevaluation_requests",
        ["teacher_user_id", "sla_deadline"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("status = 'requested'"),
    )
    op.add_column(
        "evaluations",
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        schema="mathvidya",
    )
    op.add_column(
        "evaluations",
        sa.Column("predicted_completion_at", sa.DateTime(timezone=True), nullable=True),
        schema="mathvidya",
    )
    op.add_column(
        "evaluations",
        sa.Column("predicted_at", sa.DateTime(timezone=True), nullable=True),
        schema="mathvidya",
    )

    # Evaluations already held when this runs keep their holder until the deadline.
    op.execute(
        "UPDATE mathvidya.evaluations SET claim_expires_at = greatest(sla_deadline,"
        " assigned_at + interval '1 hour') WHERE status IN ('assigned', 'in_progress')"
    )
    op.create_check_constraint(
        op.f("ck_evaluations_claim_iff_held"),
        "evaluations",
        "(status IN ('assigned', 'in_progress')) = (claim_expires_at IS NOT NULL)",
        schema="mathvidya",
    )
    op.create_check_constraint(
        op.f("ck_evaluations_claim_after_assignment"),
        "evaluations",
        "claim_expires_at > assigned_at",
        schema="mathvidya",
    )
    create_updated_at_trigger("mathvidya", "reevaluation_requests")
    op.execute(MARKS_CHECK_FUNCTION)
    for table, events in MARKS_TRIGGERS:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_marks_add_up AFTER {events}"
            f" ON mathvidya.{table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            " EXECUTE FUNCTION mathvidya.check_evaluation_marks()"
        )
    op.bulk_insert(
        system_config,
        [
            {"config_key": key, "config_value": json.dumps(value), "description": description}
            for key, value, description in CONFIG
        ],
    )


def downgrade() -> None:
    keys = ", ".join(f"'{key}'" for key, _, _ in CONFIG)
    # The keys are this file's constants.
    op.execute(f"DELETE FROM mathvidya.system_config WHERE config_key IN ({keys})")  # noqa: S608
    for table, _ in MARKS_TRIGGERS:
        op.execute(f"DROP TRIGGER {table}_marks_add_up ON mathvidya.{table}")
    op.execute("DROP FUNCTION mathvidya.check_evaluation_marks()")
    op.execute("DROP FUNCTION mathvidya.assert_evaluation_marks(uuid)")
    op.drop_constraint("ck_evaluations_claim_after_assignment", "evaluations", schema="mathvidya")
    op.drop_constraint("ck_evaluations_claim_iff_held", "evaluations", schema="mathvidya")
    op.drop_column("evaluations", "predicted_at", schema="mathvidya")
    op.drop_column("evaluations", "predicted_completion_at", schema="mathvidya")
    op.drop_column("evaluations", "claim_expires_at", schema="mathvidya")
    op.drop_index(
        "ix_reevaluation_requests_teacher_open",
        table_name="reevaluation_requests",
        schema="mathvidya",
        postgresql_where=sa.text("status = 'requested'"),
    )
    op.drop_index(
        "ix_reevaluation_requests_student_user_id",
        table_name="reevaluation_requests",
        schema="mathvidya",
    )
    op.drop_index(
        "ix_reevaluation_requests_question_mark_id",
        table_name="reevaluation_requests",
        schema="mathvidya",
    )
    op.drop_table("reevaluation_requests", schema="mathvidya")
    op.drop_index(
        "ix_leaderboard_entries_student_user_id",
        table_name="leaderboard_entries",
        schema="mathvidya",
    )
    op.drop_index(
        "ix_leaderboard_entries_board", table_name="leaderboard_entries", schema="mathvidya"
    )
    op.drop_table("leaderboard_entries", schema="mathvidya")
    op.drop_index(
        "ix_analytics_snapshots_kind_day", table_name="analytics_snapshots", schema="mathvidya"
    )
    op.drop_table("analytics_snapshots", schema="mathvidya")
