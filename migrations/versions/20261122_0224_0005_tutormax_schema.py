"""TutorMax schema (seeds 001/002): eight tables, eleven string enums with CHECKs, cascades.

Every foreign key cascades on delete (seed 002). Beyond the seed's indexes: a tutor's sessions
and events by time, and the unique (session, tutor, student) that lets feedback prove it names
the session's own parties. `updated_at` is kept by the platform trigger.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 02:24:18.030493+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lyceum.core.db.ddl import create_updated_at_trigger, drop_updated_at_trigger

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "tutormax"
UPDATED_AT_TABLES = (
    "tutors",
    "students",
    "sessions",
    "student_feedback",
    "churn_predictions",
    "interventions",
)


def upgrade() -> None:
    op.create_table(
        "students",
        sa.Column("student_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("grade_level", sa.String(length=20), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "inactive",
                "churned",
                name="student_status",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            server_default="active",
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
        sa.CheckConstraint("age BETWEEN 5 AND 100", name=op.f("ck_students_age_range")),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_students")),
        schema="tutormax",
    )
    op.create_table(
        "tutors",
        sa.Column("tutor_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("onboarding_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "inactive",
                "churned",
                name="tutor_status",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            server_default="active",
            nullable=False,
        ),
        sa.Column("subjects", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("baseline_sessions_per_week", sa.Float(), nullable=True),
        sa.Column(
            "timezone", sa.String(length=64), server_default="America/New_York", nullable=False
        ),
        sa.Column("experience_years", sa.Integer(), nullable=True),
        sa.Column("churned_at", sa.DateTime(timezone=True), nullable=True),
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
            "(status = 'churned') = (churned_at IS NOT NULL)",
            name=op.f("ck_tutors_churned_at_iff_churned"),
        ),
        sa.CheckConstraint(
            "email ~ '^[^@[:space:]]+@[^@[:space:]]+$'", name=op.f("ck_tutors_email_format")
        ),
        sa.CheckConstraint(
            "baseline_sessions_per_week BETWEEN 0 AND 100",
            name=op.f("ck_tutors_baseline_sessions_per_week_range"),
        ),
        sa.CheckConstraint(
            "cardinality(subjects) >= 1 AND array_position(subjects, NULL) IS NULL",
            name=op.f("ck_tutors_subjects_not_empty"),
        ),
        sa.CheckConstraint(
            "churned_at >= onboarding_date", name=op.f("ck_tutors_churned_after_onboarding")
        ),
        sa.CheckConstraint(
            "experience_years BETWEEN 0 AND 70", name=op.f("ck_tutors_experience_years_range")
        ),
        sa.PrimaryKeyConstraint("tutor_id", name=op.f("pk_tutors")),
        schema="tutormax",
    )
    op.create_index("ix_tutors_email", "tutors", ["email"], unique=True, schema="tutormax")
    op.create_index("ix_tutors_status", "tutors", ["status"], unique=False, schema="tutormax")
    op.create_table(
        "churn_predictions",
        sa.Column(
            "prediction_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("tutor_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("prediction_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("churn_probability_7d", sa.Float(), nullable=False),
        sa.Column("churn_probability_30d", sa.Float(), nullable=False),
        sa.Column("churn_probability_90d", sa.Float(), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column(
            "risk_level",
            sa.Enum(
                "Low",
                "Medium",
                "High",
                "Critical",
                name="risk_level",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            nullable=False,
        ),
        sa.Column(
            "contributing_factors",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("model_version", sa.String(length=50), nullable=False),
        sa.Column("outcome_churned_30d", sa.Boolean(), nullable=True),
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
            "(risk_level = 'Low' AND risk_score BETWEEN 0 AND 25) OR (risk_level = 'Medium' AND risk_score BETWEEN 26 AND 50) OR (risk_level = 'High' AND risk_score BETWEEN 51 AND 75) OR (risk_level = 'Critical' AND risk_score BETWEEN 76 AND 100)",
            name=op.f("ck_churn_predictions_risk_level_matches_score"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(contributing_factors) = 'object'",
            name=op.f("ck_churn_predictions_contributing_factors_object"),
        ),
        sa.CheckConstraint(
            "churn_probability_30d BETWEEN 0 AND 1",
            name=op.f("ck_churn_predictions_churn_probability_30d_range"),
        ),
        sa.CheckConstraint(
            "churn_probability_7d <= churn_probability_30d AND churn_probability_30d <= churn_probability_90d",
            name=op.f("ck_churn_predictions_horizons_monotonic"),
        ),
        sa.CheckConstraint(
            "churn_probability_7d BETWEEN 0 AND 1",
            name=op.f("ck_churn_predictions_churn_probability_7d_range"),
        ),
        sa.CheckConstraint(
            "churn_probability_90d BETWEEN 0 AND 1",
            name=op.f("ck_churn_predictions_churn_probability_90d_range"),
        ),
        sa.CheckConstraint(
            "risk_score BETWEEN 0 AND 100", name=op.f("ck_churn_predictions_risk_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutormax.tutors.tutor_id"],
            name=op.f("fk_churn_predictions_tutor_id_tutors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("prediction_id", name=op.f("pk_churn_predictions")),
        sa.UniqueConstraint(
            "tutor_id", "prediction_date", "model_version", name="uq_churn_predictions_run"
        ),
        schema="tutormax",
    )
    op.create_index(
        "ix_churn_predictions_prediction_date",
        "churn_predictions",
        ["prediction_date"],
        unique=False,
        schema="tutormax",
    )
    op.create_index(
        "ix_churn_predictions_risk_level",
        "churn_predictions",
        ["risk_level"],
        unique=False,
        schema="tutormax",
    )
    op.create_index(
        "ix_churn_predictions_tutor_id",
        "churn_predictions",
        ["tutor_id"],
        unique=False,
        schema="tutormax",
    )
    op.create_table(
        "interventions",
        sa.Column(
            "intervention_id",
            sa.UUID(),
            server_default=sa.text("gen_random_uuid()"),
            nullable=False,
        ),
        sa.Column("tutor_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column(
            "intervention_type",
            sa.Enum(
                "automated_coaching",
                "training_module",
                "first_session_checkin",
                "rescheduling_alert",
                "manager_coaching",
                "peer_mentoring",
                "performance_improvement_plan",
                "retention_interview",
                "recognition",
                name="intervention_type",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            nullable=False,
        ),
        sa.Column("trigger_reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "in_progress",
                "completed",
                "cancelled",
                name="intervention_status",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("assigned_to", sa.String(length=200), nullable=True),
        sa.Column("due_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "improved",
                "no_change",
                "declined",
                "churned",
                name="intervention_outcome",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            nullable=True,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
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
            name=op.f("ck_interventions_completed_at_iff_completed"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR status = 'completed'",
            name=op.f("ck_interventions_outcome_only_when_completed"),
        ),
        sa.CheckConstraint(
            "priority BETWEEN 1 AND 4", name=op.f("ck_interventions_priority_range")
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutormax.tutors.tutor_id"],
            name=op.f("fk_interventions_tutor_id_tutors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("intervention_id", name=op.f("pk_interventions")),
        schema="tutormax",
    )
    op.create_index(
        "ix_interventions_status", "interventions", ["status"], unique=False, schema="tutormax"
    )
    op.create_index(
        "ix_interventions_tutor_id", "interventions", ["tutor_id"], unique=False, schema="tutormax"
    )
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("tutor_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("student_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("scheduled_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "completed",
                "cancelled",
                "no_show",
                name="session_status",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            server_default="scheduled",
            nullable=False,
        ),
        sa.Column("actual_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_duration_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "is_first_session", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "no_show_by",
            sa.Enum(
                "tutor",
                "student",
                "system",
                name="no_show_by",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            nullable=True,
        ),
        sa.Column("was_rescheduled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "rescheduled_by",
            sa.Enum(
                "tutor",
                "student",
                "system",
                name="rescheduled_by",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            nullable=True,
        ),
        sa.Column("engagement_score", sa.Float(), nullable=True),
        sa.Column("learning_objectives_met", sa.Boolean(), nullable=True),
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
            "(status = 'completed') = (actual_start IS NOT NULL)",
            name=op.f("ck_sessions_actual_start_iff_completed"),
        ),
        sa.CheckConstraint(
            "(status = 'no_show') = (no_show_by IS NOT NULL)",
            name=op.f("ck_sessions_no_show_by_iff_no_show"),
        ),
        sa.CheckConstraint(
            "(actual_start IS NULL) = (actual_duration_minutes IS NULL)",
            name=op.f("ck_sessions_actual_start_with_duration"),
        ),
        sa.CheckConstraint(
            "actual_duration_minutes >= 0",
            name=op.f("ck_sessions_actual_duration_minutes_non_negative"),
        ),
        sa.CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 480",
            name=op.f("ck_sessions_duration_range"),
        ),
        sa.CheckConstraint(
            "engagement_score BETWEEN 0 AND 1", name=op.f("ck_sessions_engagement_score_range")
        ),
        sa.CheckConstraint(
            "was_rescheduled = (rescheduled_by IS NOT NULL)",
            name=op.f("ck_sessions_rescheduled_by_iff_rescheduled"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["tutormax.students.student_id"],
            name=op.f("fk_sessions_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutormax.tutors.tutor_id"],
            name=op.f("fk_sessions_tutor_id_tutors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("session_id", "tutor_id", "student_id", name="uq_sessions_parties"),
        schema="tutormax",
    )
    op.create_index(
        "ix_sessions_scheduled_start",
        "sessions",
        ["scheduled_start"],
        unique=False,
        schema="tutormax",
    )
    op.create_index(
        "ix_sessions_student_id", "sessions", ["student_id"], unique=False, schema="tutormax"
    )
    op.create_index("ix_sessions_subject", "sessions", ["subject"], unique=False, schema="tutormax")
    op.create_index(
        "ix_sessions_tutor_id", "sessions", ["tutor_id"], unique=False, schema="tutormax"
    )
    op.create_index(
        "ix_sessions_tutor_id_scheduled_start",
        "sessions",
        ["tutor_id", "scheduled_start"],
        unique=False,
        schema="tutormax",
    )
    op.create_table(
        "tutor_events",
        sa.Column(
            "event_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("tutor_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column(
            "event_type",
            sa.Enum(
                "login",
                "logout",
                "session_scheduled",
                "session_completed",
                "session_rescheduled",
                "session_cancelled",
                "no_show",
                "message_response",
                "availability_changed",
                "profile_updated",
                "training_completed",
                "status_changed",
                name="event_type",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            nullable=False,
        ),
        sa.Column("event_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "jsonb_typeof(metadata) = 'object'", name=op.f("ck_tutor_events_metadata_object")
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutormax.tutors.tutor_id"],
            name=op.f("fk_tutor_events_tutor_id_tutors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_tutor_events")),
        schema="tutormax",
    )
    op.create_index(
        "ix_tutor_events_event_timestamp",
        "tutor_events",
        ["event_timestamp"],
        unique=False,
        schema="tutormax",
    )
    op.create_index(
        "ix_tutor_events_event_type",
        "tutor_events",
        ["event_type"],
        unique=False,
        schema="tutormax",
    )
    op.create_index(
        "ix_tutor_events_tutor_id", "tutor_events", ["tutor_id"], unique=False, schema="tutormax"
    )
    op.create_index(
        "ix_tutor_events_tutor_id_event_timestamp",
        "tutor_events",
        ["tutor_id", "event_timestamp"],
        unique=False,
        schema="tutormax",
    )
    op.create_table(
        "tutor_performance_metrics",
        sa.Column(
            "metric_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("tutor_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("calculation_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "metric_window",
            sa.Enum(
                "7day",
                "30day",
                "90day",
                name="metric_window",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            nullable=False,
        ),
        sa.Column("sessions_completed", sa.Integer(), nullable=False),
        sa.Column("avg_rating", sa.Float(), nullable=True),
        sa.Column("first_session_success_rate", sa.Float(), nullable=True),
        sa.Column("reschedule_rate", sa.Float(), nullable=False),
        sa.Column("no_show_count", sa.Integer(), nullable=False),
        sa.Column("engagement_score", sa.Float(), nullable=True),
        sa.Column("response_time_avg_minutes", sa.Float(), nullable=True),
        sa.Column("overall_score", sa.Float(), nullable=True),
        sa.Column(
            "performance_tier",
            sa.Enum(
                "Exemplary",
                "Strong",
                "Developing",
                "Needs Attention",
                "At Risk",
                name="performance_tier",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            nullable=True,
        ),
        sa.Column(
            "improvement_areas",
            postgresql.ARRAY(sa.String(length=100)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "avg_rating BETWEEN 1 AND 5", name=op.f("ck_tutor_performance_metrics_avg_rating_range")
        ),
        sa.CheckConstraint(
            "engagement_score BETWEEN 0 AND 1",
            name=op.f("ck_tutor_performance_metrics_engagement_score_range"),
        ),
        sa.CheckConstraint(
            "first_session_success_rate BETWEEN 0 AND 1",
            name=op.f("ck_tutor_performance_metrics_first_session_success_rate_range"),
        ),
        sa.CheckConstraint(
            "no_show_count >= 0",
            name=op.f("ck_tutor_performance_metrics_no_show_count_non_negative"),
        ),
        sa.CheckConstraint(
            "overall_score BETWEEN 0 AND 100",
            name=op.f("ck_tutor_performance_metrics_overall_score_range"),
        ),
        sa.CheckConstraint(
            "reschedule_rate BETWEEN 0 AND 1",
            name=op.f("ck_tutor_performance_metrics_reschedule_rate_range"),
        ),
        sa.CheckConstraint(
            "response_time_avg_minutes >= 0",
            name=op.f("ck_tutor_performance_metrics_response_time_non_negative"),
        ),
        sa.CheckConstraint(
            "calculation_date = date_trunc('day', calculation_date, 'UTC')",
            name=op.f("ck_tutor_performance_metrics_calculation_date_midnight_utc"),
        ),
        sa.CheckConstraint(
            "array_position(improvement_areas, NULL) IS NULL",
            name=op.f("ck_tutor_performance_metrics_improvement_areas_no_nulls"),
        ),
        sa.CheckConstraint(
            "sessions_completed >= 0",
            name=op.f("ck_tutor_performance_metrics_sessions_completed_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutormax.tutors.tutor_id"],
            name=op.f("fk_tutor_performance_metrics_tutor_id_tutors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("metric_id", name=op.f("pk_tutor_performance_metrics")),
        sa.UniqueConstraint(
            "tutor_id", "calculation_date", "metric_window", name="uq_tutor_performance_metrics_day"
        ),
        schema="tutormax",
    )
    op.create_index(
        "ix_tutor_performance_metrics_calculation_date",
        "tutor_performance_metrics",
        ["calculation_date"],
        unique=False,
        schema="tutormax",
    )
    op.create_index(
        "ix_tutor_performance_metrics_tutor_id",
        "tutor_performance_metrics",
        ["tutor_id"],
        unique=False,
        schema="tutormax",
    )
    op.create_table(
        "student_feedback",
        sa.Column(
            "feedback_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("session_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("student_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("tutor_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column("overall_rating", sa.Integer(), nullable=False),
        sa.Column("subject_knowledge_rating", sa.Integer(), nullable=True),
        sa.Column("communication_rating", sa.Integer(), nullable=True),
        sa.Column("patience_rating", sa.Integer(), nullable=True),
        sa.Column("engagement_rating", sa.Integer(), nullable=True),
        sa.Column("helpfulness_rating", sa.Integer(), nullable=True),
        sa.Column("would_recommend", sa.Boolean(), nullable=True),
        sa.Column("free_text_feedback", sa.Text(), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column(
            "submitted_at",
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
        sa.CheckConstraint(
            "communication_rating BETWEEN 1 AND 5",
            name=op.f("ck_student_feedback_communication_rating_range"),
        ),
        sa.CheckConstraint(
            "engagement_rating BETWEEN 1 AND 5",
            name=op.f("ck_student_feedback_engagement_rating_range"),
        ),
        sa.CheckConstraint(
            "helpfulness_rating BETWEEN 1 AND 5",
            name=op.f("ck_student_feedback_helpfulness_rating_range"),
        ),
        sa.CheckConstraint(
            "overall_rating BETWEEN 1 AND 5", name=op.f("ck_student_feedback_overall_rating_range")
        ),
        sa.CheckConstraint(
            "patience_rating BETWEEN 1 AND 5",
            name=op.f("ck_student_feedback_patience_rating_range"),
        ),
        sa.CheckConstraint(
            "sentiment_score BETWEEN -1 AND 1",
            name=op.f("ck_student_feedback_sentiment_score_range"),
        ),
        sa.CheckConstraint(
            "subject_knowledge_rating BETWEEN 1 AND 5",
            name=op.f("ck_student_feedback_subject_knowledge_rating_range"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id", "tutor_id", "student_id"],
            [
                "tutormax.sessions.session_id",
                "tutormax.sessions.tutor_id",
                "tutormax.sessions.student_id",
            ],
            name="fk_student_feedback_session_parties",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["tutormax.sessions.session_id"],
            name=op.f("fk_student_feedback_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["tutormax.students.student_id"],
            name=op.f("fk_student_feedback_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutormax.tutors.tutor_id"],
            name=op.f("fk_student_feedback_tutor_id_tutors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_student_feedback")),
        schema="tutormax",
    )
    op.create_index(
        "ix_student_feedback_session_id",
        "student_feedback",
        ["session_id"],
        unique=True,
        schema="tutormax",
    )
    op.create_index(
        "ix_student_feedback_student_id",
        "student_feedback",
        ["student_id"],
        unique=False,
        schema="tutormax",
    )
    op.create_index(
        "ix_student_feedback_tutor_id",
        "student_feedback",
        ["tutor_id"],
        unique=False,
        schema="tutormax",
    )
    for table in UPDATED_AT_TABLES:
        create_updated_at_trigger(SCHEMA, table)


def downgrade() -> None:
    for table in UPDATED_AT_TABLES:
        drop_updated_at_trigger(SCHEMA, table)
    op.drop_index("ix_student_feedback_tutor_id", table_name="student_feedback", schema="tutormax")
    op.drop_index(
        "ix_student_feedback_student_id", table_name="student_feedback", schema="tutormax"
    )
    op.drop_index(
        "ix_student_feedback_session_id", table_name="student_feedback", schema="tutormax"
    )
    op.drop_table("student_feedback", schema="tutormax")
    op.drop_index(
        "ix_tutor_performance_metrics_tutor_id",
        table_name="tutor_performance_metrics",
        schema="tutormax",
    )
    op.drop_index(
        "ix_tutor_performance_metrics_calculation_date",
        table_name="tutor_performance_metrics",
        schema="tutormax",
    )
    op.drop_table("tutor_performance_metrics", schema="tutormax")
    op.drop_index(
        "ix_tutor_events_tutor_id_event_timestamp", table_name="tutor_events", schema="tutormax"
    )
    op.drop_index("ix_tutor_events_tutor_id", table_name="tutor_events", schema="tutormax")
    op.drop_index("ix_tutor_events_event_type", table_name="tutor_events", schema="tutormax")
    op.drop_index("ix_tutor_events_event_timestamp", table_name="tutor_events", schema="tutormax")
    op.drop_table("tutor_events", schema="tutormax")
    op.drop_index("ix_sessions_tutor_id_scheduled_start", table_name="sessions", schema="tutormax")
    op.drop_index("ix_sessions_tutor_id", table_name="sessions", schema="tutormax")
    op.drop_index("ix_sessions_subject", table_name="sessions", schema="tutormax")
    op.drop_index("ix_sessions_student_id", table_name="sessions", schema="tutormax")
    op.drop_index("ix_sessions_scheduled_start", table_name="sessions", schema="tutormax")
    op.drop_table("sessions", schema="tutormax")
    op.drop_index("ix_interventions_tutor_id", table_name="interventions", schema="tutormax")
    op.drop_index("ix_interventions_status", table_name="interventions", schema="tutormax")
    op.drop_table("interventions", schema="tutormax")
    op.drop_index(
        "ix_churn_predictions_tutor_id", table_name="churn_predictions", schema="tutormax"
    )
    op.drop_index(
        "ix_churn_predictions_risk_level", table_name="churn_predictions", schema="tutormax"
    )
    op.drop_index(
        "ix_churn_predictions_prediction_date", table_name="churn_predictions", schema="tutormax"
    )
    op.drop_table("churn_predictions", schema="tutormax")
    op.drop_index("ix_tutors_status", table_name="tutors", schema="tutormax")
    op.drop_index("ix_tutors_email", table_name="tutors", schema="tutormax")
    op.drop_table("tutors", schema="tutormax")
    op.drop_table("students", schema="tutormax")
