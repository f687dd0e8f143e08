"""TutorMax's eight tables (seeds 001 and 002), in schema `tutormax`.

The seeds give each table's column count and name some columns; the rest are designed for
the evaluation engine, churn model and interventions that read and write these tables
(docs/tutormax.md explains every column). Conventions:

- Business entities keep the seed's string keys (`tutor_id` String(50), collation "C"); records the
  platform produces (feedback, metrics, predictions, interventions, events) get UUIDs.
- Every foreign key is `ON DELETE CASCADE` (seed 002), and relationships use
  `passive_deletes=True` so the ORM leaves the cascade to the database.
- Enums are strings plus a CHECK (see `enums.py`); every documented range and every
  "this field only when that state" rule is a CHECK too.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lyceum.core.db.base import Base, TimestampMixin
from lyceum.core.db.columns import between, created_at, relationship, string_enum, uuid_pk
from lyceum.core.models import Operator
from lyceum.tutormax.enums import (
    RISK_BANDS,
    EventType,
    InitiatedBy,
    InterventionOutcome,
    InterventionStatus,
    InterventionType,
    MetricWindow,
    PerformanceTier,
    RiskLevel,
    SessionStatus,
    StudentStatus,
    TutorStatus,
)

SCHEMA = "tutormax"
CASCADE = "CASCADE"
# The seed's string keys. They are identifiers, not words: compared byte by byte ("C"), which
# also makes every index and foreign-key check on them faster than a language collation.
ID = String(50, collation="C")


class TutorMaxBase(DeclarativeBase):
    """TutorMax's own class registry over the platform's one MetaData: relationship targets
    are looked up by class name, and names like `Session` and `Tutor` recur across apps."""

    metadata = Base.metadata
    type_annotation_map = Base.type_annotation_map


def _enum(enum_class: type[enum.StrEnum], name: str) -> SAEnum:
    return string_enum(enum_class, name, length=50)


def _non_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative")


def _fk(column: str) -> Any:
    return ForeignKey(f"{SCHEMA}.{column}", ondelete=CASCADE)


class Tutor(TimestampMixin, TutorMaxBase):
    """A tutor on the platform. 12 columns."""

    __tablename__ = "tutors"
    __table_args__ = (
        CheckConstraint(
            "cardinality(subjects) >= 1 AND array_position(subjects, NULL) IS NULL",
            name="subjects_not_empty",
        ),
        CheckConstraint("email ~ '^[^@[:space:]]+@[^@[:space:]]+$'", name="email_format"),
        between("baseline_sessions_per_week", 0, 100),
        between("experience_years", 0, 70),
        # The churn date is the ground truth a churn model is scored against: present
        # exactly when the tutor has churned, and never before they joined.
        CheckConstraint(
            "(status = 'churned') = (churned_at IS NOT NULL)", name="churned_at_iff_churned"
        ),
        CheckConstraint("churned_at >= onboarding_date", name="churned_after_onboarding"),
        {"schema": SCHEMA},
    )

    tutor_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(255), nullable=False)
    onboarding_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[TutorStatus] = mapped_column(
        _enum(TutorStatus, "tutor_status"), nullable=False, server_default="active"
    )
    subjects: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False)
    # Sessions a week the tutor committed to at onboarding: the yardstick for engagement.
    baseline_sessions_per_week: Mapped[float | None] = mapped_column(Float, nullable=True)
    # IANA zone: working hours, reminders and "late-night login" features are local.
    timezone: Mapped[str] = mapped_column(
        String(64), nullable=False, server_default="America/New_York"
    )
    experience_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    churned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    sessions: Mapped[list[Session]] = relationship(
        back_populates="tutor", cascade="all, delete-orphan", passive_deletes=True
    )
    feedback: Mapped[list[StudentFeedback]] = relationship(
        back_populates="tutor", cascade="all, delete-orphan", passive_deletes=True
    )
    performance_metrics: Mapped[list[TutorPerformanceMetric]] = relationship(
        back_populates="tutor", cascade="all, delete-orphan", passive_deletes=True
    )
    churn_predictions: Mapped[list[ChurnPrediction]] = relationship(
        back_populates="tutor", cascade="all, delete-orphan", passive_deletes=True
    )
    interventions: Mapped[list[Intervention]] = relationship(
        back_populates="tutor", cascade="all, delete-orphan", passive_deletes=True
    )
    events: Mapped[list[TutorEvent]] = relationship(
        back_populates="tutor", cascade="all, delete-orphan", passive_deletes=True
    )


Index("ix_tutors_email", Tutor.email, unique=True)
Index("ix_tutors_status", Tutor.status)


class Student(TimestampMixin, TutorMaxBase):
    """A student. 7 columns; what they study is in their sessions."""

    __tablename__ = "students"
    __table_args__ = (
        between("age", 5, 100),
        {"schema": SCHEMA},
    )

    student_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    age: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # "3".."12", "college", "adult": free text, as school systems differ.
    grade_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[StudentStatus] = mapped_column(
        _enum(StudentStatus, "student_status"), nullable=False, server_default="active"
    )

    sessions: Mapped[list[Session]] = relationship(
        back_populates="student", cascade="all, delete-orphan", passive_deletes=True
    )
    feedback: Mapped[list[StudentFeedback]] = relationship(
        back_populates="student", cascade="all, delete-orphan", passive_deletes=True
    )


class Session(TimestampMixin, TutorMaxBase):
    """One booked session between a tutor and a student. 17 columns.

    A reschedule moves the same session (`scheduled_start` is the latest time) and records
    who asked for it; a no-show records who did not show. Both distinctions are what the
    churn model needs: tutor-initiated reschedules and tutor no-shows predict churn,
    student ones do not.
    """

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 480", name="duration_range"),
        _non_negative("actual_duration_minutes"),
        between("engagement_score", 0, 1),
        CheckConstraint(
            "(status = 'no_show') = (no_show_by IS NOT NULL)", name="no_show_by_iff_no_show"
        ),
        CheckConstraint(
            "was_rescheduled = (rescheduled_by IS NOT NULL)",
            name="rescheduled_by_iff_rescheduled",
        ),
        CheckConstraint(
            "(status = 'completed') = (actual_start IS NOT NULL)",
            name="actual_start_iff_completed",
        ),
        CheckConstraint(
            "(actual_start IS NULL) = (actual_duration_minutes IS NULL)",
            name="actual_start_with_duration",
        ),
        # Lets student_feedback prove it names the session's own tutor and student.
        UniqueConstraint("session_id", "tutor_id", "student_id", name="uq_sessions_parties"),
        {"schema": SCHEMA},
    )

    session_id: Mapped[str] = mapped_column(ID, primary_key=True)
    tutor_id: Mapped[str] = mapped_column(ID, _fk("tutors.tutor_id"), nullable=False)
    student_id: Mapped[str] = mapped_column(ID, _fk("students.student_id"), nullable=False)
    subject: Mapped[str] = mapped_column(String(100), nullable=False)
    scheduled_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[SessionStatus] = mapped_column(
        _enum(SessionStatus, "session_status"), nullable=False, server_default="scheduled"
    )
    actual_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    actual_duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The student's first session with this tutor: where 24 % of student churn starts.
    is_first_session: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    no_show_by: Mapped[InitiatedBy | None] = mapped_column(
        _enum(InitiatedBy, "no_show_by"), nullable=True
    )
    was_rescheduled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    rescheduled_by: Mapped[InitiatedBy | None] = mapped_column(
        _enum(InitiatedBy, "rescheduled_by"), nullable=True
    )
    # Platform-measured (talk time, screen activity), 0-1; unknown until the session ran.
    engagement_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Reported by the tutor after the session.
    learning_objectives_met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    tutor: Mapped[Tutor] = relationship(back_populates="sessions")
    student: Mapped[Student] = relationship(back_populates="sessions")
    feedback: Mapped[StudentFeedback | None] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        # Two foreign keys lead here (the plain one and the parties check); join on the plain.
        foreign_keys="StudentFeedback.session_id",
    )


Index("ix_sessions_tutor_id", Session.tutor_id)
Index("ix_sessions_student_id", Session.student_id)
Index("ix_sessions_scheduled_start", Session.scheduled_start)
Index("ix_sessions_subject", Session.subject)
# Not in the seed: a tutor's sessions in a time range (statistics, the evaluation engine).
Index("ix_sessions_tutor_id_scheduled_start", Session.tutor_id, Session.scheduled_start)


class StudentFeedback(TimestampMixin, TutorMaxBase):
    """A student's rating of one session. 16 columns; at most one per session."""

    __tablename__ = "student_feedback"
    __table_args__ = (
        between("overall_rating", 1, 5),
        between("subject_knowledge_rating", 1, 5),
        between("communication_rating", 1, 5),
        between("patience_rating", 1, 5),
        between("engagement_rating", 1, 5),
        between("helpfulness_rating", 1, 5),
        between("sentiment_score", -1, 1),
        ForeignKeyConstraint(
            ["session_id", "tutor_id", "student_id"],
            [
                f"{SCHEMA}.sessions.session_id",
                f"{SCHEMA}.sessions.tutor_id",
                f"{SCHEMA}.sessions.student_id",
            ],
            name="fk_student_feedback_session_parties",
            ondelete=CASCADE,
        ),
        {"schema": SCHEMA},
    )

    feedback_id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[str] = mapped_column(ID, _fk("sessions.session_id"), nullable=False)
    student_id: Mapped[str] = mapped_column(ID, _fk("students.student_id"), nullable=False)
    tutor_id: Mapped[str] = mapped_column(ID, _fk("tutors.tutor_id"), nullable=False)
    overall_rating: Mapped[int] = mapped_column(Integer, nullable=False)
    # Sub-scores are optional in the form; the overall rating is not.
    subject_knowledge_rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    communication_rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    patience_rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    engagement_rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    helpfulness_rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    would_recommend: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    free_text_feedback: Mapped[str | None] = mapped_column(Text, nullable=True)
    # -1..1, filled by text analysis later; NULL until then or without text.
    sentiment_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    session: Mapped[Session] = relationship(back_populates="feedback", foreign_keys=[session_id])
    student: Mapped[Student] = relationship(back_populates="feedback")
    tutor: Mapped[Tutor] = relationship(back_populates="feedback")


Index("ix_student_feedback_session_id", StudentFeedback.session_id, unique=True)
Index("ix_student_feedback_tutor_id", StudentFeedback.tutor_id)
Index("ix_student_feedback_student_id", StudentFeedback.student_id)


class TutorPerformanceMetric(TutorMaxBase):
    """The evaluation engine's figures for one tutor, one window, one day. 15 columns.

    Rows are computed, never edited, so there is no `updated_at`.
    """

    __tablename__ = "tutor_performance_metrics"
    __table_args__ = (
        _non_negative("sessions_completed"),
        _non_negative("no_show_count"),
        between("avg_rating", 1, 5),
        between("first_session_success_rate", 0, 1),
        between("reschedule_rate", 0, 1),
        between("engagement_score", 0, 1),
        CheckConstraint("response_time_avg_minutes >= 0", name="response_time_non_negative"),
        # One row per tutor, window and day: the engine recomputes a day by upserting it.
        CheckConstraint(
            "calculation_date = date_trunc('day', calculation_date, 'UTC')",
            name="calculation_date_midnight_utc",
        ),
        CheckConstraint(
            "array_position(improvement_areas, NULL) IS NULL", name="improvement_areas_no_nulls"
        ),
        between("overall_score", 0, 100),
        UniqueConstraint(
            "tutor_id", "calculation_date", "metric_window", name="uq_tutor_performance_metrics_day"
        ),
        {"schema": SCHEMA},
    )

    metric_id: Mapped[uuid.UUID] = uuid_pk()
    tutor_id: Mapped[str] = mapped_column(ID, _fk("tutors.tutor_id"), nullable=False)
    calculation_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    metric_window: Mapped[MetricWindow] = mapped_column(
        _enum(MetricWindow, "metric_window"), nullable=False
    )
    sessions_completed: Mapped[int] = mapped_column(Integer, nullable=False)
    # NULL when the window holds no rated (or no first) session.
    avg_rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_session_success_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    reschedule_rate: Mapped[float] = mapped_column(Float, nullable=False)
    no_show_count: Mapped[int] = mapped_column(Integer, nullable=False)
    engagement_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    response_time_avg_minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
    overall_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    performance_tier: Mapped[PerformanceTier | None] = mapped_column(
        _enum(PerformanceTier, "performance_tier"), nullable=True
    )
    improvement_areas: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), nullable=False, server_default=text("'{}'")
    )
    created_at: Mapped[datetime] = created_at()

    tutor: Mapped[Tutor] = relationship(back_populates="performance_metrics")


Index("ix_tutor_performance_metrics_tutor_id", TutorPerformanceMetric.tutor_id)
Index("ix_tutor_performance_metrics_calculation_date", TutorPerformanceMetric.calculation_date)


_RISK_BAND_SQL = " OR ".join(
    f"(risk_level = '{level.value}' AND risk_score BETWEEN {low} AND {high})"
    for level, low, high in RISK_BANDS
)


class ChurnPrediction(TimestampMixin, TutorMaxBase):
    """One churn-model run's view of one tutor. 13 columns.

    Probabilities are cumulative over the horizon, so they cannot fall as it grows. The
    outcome is filled once 30 days have passed, which is what lets the model be scored
    (and re-weighted) against what really happened.
    """

    __tablename__ = "churn_predictions"
    __table_args__ = (
        between("churn_probability_7d", 0, 1),
        between("churn_probability_30d", 0, 1),
        between("churn_probability_90d", 0, 1),
        CheckConstraint(
            "churn_probability_7d <= churn_probability_30d"
            " AND churn_probability_30d <= churn_probability_90d",
            name="horizons_monotonic",
        ),
        between("risk_score", 0, 100),
        CheckConstraint(_RISK_BAND_SQL, name="risk_level_matches_score"),
        CheckConstraint(
            "jsonb_typeof(contributing_factors) = 'object'", name="contributing_factors_object"
        ),
        UniqueConstraint(
            "tutor_id", "prediction_date", "model_version", name="uq_churn_predictions_run"
        ),
        {"schema": SCHEMA},
    )

    prediction_id: Mapped[uuid.UUID] = uuid_pk()
    tutor_id: Mapped[str] = mapped_column(ID, _fk("tutors.tutor_id"), nullable=False)
    prediction_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    churn_probability_7d: Mapped[float] = mapped_column(Float, nullable=False)
    churn_probability_30d: Mapped[float] = mapped_column(Float, nullable=False)
    churn_probability_90d: Mapped[float] = mapped_column(Float, nullable=False)
    risk_score: Mapped[int] = mapped_column(Integer, nullable=False)
    risk_level: Mapped[RiskLevel] = mapped_column(_enum(RiskLevel, "risk_level"), nullable=False)
    # Feature name -> contribution to the score, e.g. {"reschedule_rate_30d": 0.21}.
    contributing_factors: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    model_version: Mapped[str] = mapped_column(String(50), nullable=False)
    outcome_churned_30d: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    tutor: Mapped[Tutor] = relationship(back_populates="churn_predictions")


Index("ix_churn_predictions_tutor_id", ChurnPrediction.tutor_id)
Index("ix_churn_predictions_prediction_date", ChurnPrediction.prediction_date)
Index("ix_churn_predictions_risk_level", ChurnPrediction.risk_level)


class Intervention(TimestampMixin, TutorMaxBase):
    """A task for the tutor-success team (or an automated nudge). 13 columns."""

    __tablename__ = "interventions"
    __table_args__ = (
        between("priority", 1, 4),
        CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)",
            name="completed_at_iff_completed",
        ),
        CheckConstraint(
            "outcome IS NULL OR status = 'completed'", name="outcome_only_when_completed"
        ),
        {"schema": SCHEMA},
    )

    intervention_id: Mapped[uuid.UUID] = uuid_pk()
    tutor_id: Mapped[str] = mapped_column(ID, _fk("tutors.tutor_id"), nullable=False)
    intervention_type: Mapped[InterventionType] = mapped_column(
        _enum(InterventionType, "intervention_type"), nullable=False
    )
    # Why it was opened, in words a coach can act on ("3 tutor reschedules in 7 days").
    trigger_reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[InterventionStatus] = mapped_column(
        _enum(InterventionStatus, "intervention_status"), nullable=False, server_default="pending"
    )
    # 1 = urgent .. 4 = low.
    priority: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("3"))
    # Owner: a coach's name or email; NULL for automated interventions.
    assigned_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    due_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[InterventionOutcome | None] = mapped_column(
        _enum(InterventionOutcome, "intervention_outcome"), nullable=True
    )
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)

    tutor: Mapped[Tutor] = relationship(back_populates="interventions")


Index("ix_interventions_tutor_id", Intervention.tutor_id)
Index("ix_interventions_status", Intervention.status)
# At most one open intervention per tutor and type, however many rule runs, requests or
# workers race to open one: the engine's INSERT ... ON CONFLICT names this index.
OPEN_INTERVENTION_STATUSES_SQL = "status IN ('pending', 'in_progress')"
Index(
    "uq_interventions_open_per_type",
    Intervention.tutor_id,
    Intervention.intervention_type,
    unique=True,
    postgresql_where=text(OPEN_INTERVENTION_STATUSES_SQL),
)


class TutorEvent(TutorMaxBase):
    """One behavioural event (login, reschedule, message response, ...). 6 columns; the
    event's details (device, minutes to respond, session id) live in `metadata`."""

    __tablename__ = "tutor_events"
    __table_args__ = (
        CheckConstraint("jsonb_typeof(metadata) = 'object'", name="metadata_object"),
        {"schema": SCHEMA},
    )

    event_id: Mapped[uuid.UUID] = uuid_pk()
    tutor_id: Mapped[str] = mapped_column(ID, _fk("tutors.tutor_id"), nullable=False)
    event_type: Mapped[EventType] = mapped_column(_enum(EventType, "event_type"), nullable=False)
    event_timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # `metadata` is reserved on declarative classes, hence the attribute name.
    event_metadata: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[datetime] = created_at()

    tutor: Mapped[Tutor] = relationship(back_populates="events")


Index("ix_tutor_events_tutor_id", TutorEvent.tutor_id)
Index("ix_tutor_events_event_type", TutorEvent.event_type)
Index("ix_tutor_events_event_timestamp", TutorEvent.event_timestamp)
# Not in the seed: one tutor's recent events (utilities, the churn model's features).
Index("ix_tutor_events_tutor_id_event_timestamp", TutorEvent.tutor_id, TutorEvent.event_timestamp)


class ChurnModel(TutorMaxBase):
    """One trained churn model: its artifact, what it was trained on, how it scored.

    Not a seed table: the churn model's card (`lyceum tutormax train` writes a row,
    `evaluate` writes one with its held-out figures). `version` is what
    `churn_predictions.model_version` names; `as_of` is the instant the model's training
    data ends, so a prediction for an earlier date never uses a model that saw its future.
    """

    __tablename__ = "churn_models"
    __table_args__ = (
        CheckConstraint("as_of = date_trunc('day', as_of, 'UTC')", name="as_of_midnight_utc"),
        CheckConstraint("jsonb_typeof(features) = 'array'", name="features_array"),
        CheckConstraint("jsonb_typeof(training) = 'object'", name="training_object"),
        CheckConstraint(
            "evaluation IS NULL OR jsonb_typeof(evaluation) = 'object'", name="evaluation_object"
        ),
        {"schema": SCHEMA},
    )

    version: Mapped[str] = mapped_column(String(50), primary_key=True)
    # In words, e.g. "discrete-time hazard, logistic regression".
    method: Mapped[str] = mapped_column(String(200), nullable=False)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    trained_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    # The fitted model as text, enough to predict again.
    artifact: Mapped[str] = mapped_column(Text, nullable=False)
    # The feature spec: name, plain words, reference median (what "2.6x the median" means).
    features: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    # Snapshots, person-period rows, churn events, parameters, seconds, the risk-score anchor.
    training: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # Held-out figures beside the baselines (AUC, Brier, calibration per horizon), if any.
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    created_at: Mapped[datetime] = created_at()


Index("ix_churn_models_trained_at", ChurnModel.trained_at)

# ---- the intervention engine's own tables (issue 14; docs/tutormax.md, "Interventions") ----


class InterventionRuleMatch(TutorMaxBase):
    """One rule match: a tutor the rules picked for an intervention type on a day, and the
    arm they fell in. Holdout rows are the tutors deliberately left alone (the control
    group for the uplift estimate); treatment rows point at the intervention they opened,
    or at nothing when one of that type was already open. The key makes a rerun of a day a
    no-op, even after the interventions it opened have been closed."""

    __tablename__ = "intervention_rule_matches"
    __table_args__ = (
        CheckConstraint("arm IN ('treatment', 'holdout')", name="arm_known"),
        CheckConstraint("arm = 'treatment' OR intervention_id IS NULL", name="holdout_untreated"),
        {"schema": SCHEMA},
    )

    tutor_id: Mapped[str] = mapped_column(ID, _fk("tutors.tutor_id"), primary_key=True)
    intervention_type: Mapped[InterventionType] = mapped_column(
        _enum(InterventionType, "intervention_type"), primary_key=True
    )
    match_date: Mapped[date] = mapped_column(Date, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(100), nullable=False)
    arm: Mapped[str] = mapped_column(String(20), nullable=False)
    intervention_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), _fk("interventions.intervention_id"), nullable=True
    )
    created_at: Mapped[datetime] = created_at()


Index("ix_intervention_rule_matches_match_date", InterventionRuleMatch.match_date)
Index("ix_intervention_rule_matches_intervention_id", InterventionRuleMatch.intervention_id)


class InterventionRouting(TutorMaxBase):
    """Who owns an intervention besides its assignee, and how far it has been escalated:
    one row per intervention (the seed fixes the interventions table's 13 columns)."""

    __tablename__ = "intervention_routing"
    __table_args__ = (
        CheckConstraint("btrim(owner_queue) <> ''", name="owner_queue_not_blank"),
        CheckConstraint("escalation_level >= 0", name="escalation_level_non_negative"),
        CheckConstraint(
            "(escalation_level = 0) = (escalated_at IS NULL)", name="escalated_at_iff_escalated"
        ),
        {"schema": SCHEMA},
    )

    intervention_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), _fk("interventions.intervention_id"), primary_key=True
    )
    owner_queue: Mapped[str] = mapped_column(String(100), nullable=False)
    # The rule that opened it; NULL for one opened by hand.
    rule_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    escalation_level: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


INTERVENTION_AUDIT_ACTIONS = ("created", "assigned", "status_changed", "completed", "escalated")


class InterventionAudit(TutorMaxBase):
    """Who changed what on an intervention: one row per change, with the fields' values
    before and after, written in the change's own transaction. Never updated."""

    __tablename__ = "intervention_audit"
    __table_args__ = (
        CheckConstraint(
            "action IN (" + ", ".join(f"'{a}'" for a in INTERVENTION_AUDIT_ACTIONS) + ")",
            name="action_known",
        ),
        CheckConstraint("btrim(actor) <> ''", name="actor_not_blank"),
        CheckConstraint(
            "jsonb_typeof(old_values) = 'object' AND jsonb_typeof(new_values) = 'object'",
            name="values_objects",
        ),
        {"schema": SCHEMA},
    )

    audit_id: Mapped[uuid.UUID] = uuid_pk()
    intervention_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), _fk("interventions.intervention_id"), nullable=False
    )
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    # The account's subject (an email) for people, `system:<job>` for the engine.
    actor: Mapped[str] = mapped_column(String(320), nullable=False)
    old_values: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    new_values: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    # The moment of the write, not of its transaction (now()): changes made in one
    # transaction (created, then assigned) keep their order.
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )


Index(
    "ix_intervention_audit_intervention_id_changed_at",
    InterventionAudit.intervention_id,
    InterventionAudit.changed_at,
)

# ---- tutor accounts (issue 14 item 7; docs/tutormax.md, "API") -------------------------

# The platform account role a tutor signs in with. An app role, so named after the app
# (core.access): it passes no platform guard, only routes that name it.
TUTOR_ACCOUNT_ROLE = "tutormax:tutor"


class TutorAccount(TutorMaxBase):
    """Which tutor a platform account (with the role `tutormax:tutor`) speaks for: one tutor
    per account and one account per tutor. The only thing a tutor account may read is the
    profile of the tutor linked here."""

    __tablename__ = "tutor_accounts"
    __table_args__ = ({"schema": SCHEMA},)

    operator_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        # The column itself, not its name: the platform's table is then always in the
        # metadata, however the models were imported (alembic's env, init_db).
        ForeignKey(Operator.id, ondelete=CASCADE),
        primary_key=True,
    )
    tutor_id: Mapped[str] = mapped_column(ID, _fk("tutors.tutor_id"), nullable=False)
    created_at: Mapped[datetime] = created_at()


Index("uq_tutor_accounts_tutor_id", TutorAccount.tutor_id, unique=True)

# Seed 002's table list with its column counts (checked against the catalog in the tests).
TABLE_COLUMN_COUNTS: dict[str, int] = {
    "tutors": 12,
    "students": 7,
    "sessions": 17,
    "student_feedback": 16,
    "tutor_performance_metrics": 15,
    "churn_predictions": 13,
    "interventions": 13,
    "tutor_events": 6,
}
# Tables with an `updated_at` kept by the platform trigger.
UPDATED_AT_TABLES = (
    "tutors",
    "students",
    "sessions",
    "student_feedback",
    "churn_predictions",
    "interventions",
)

__all__ = [
    "INTERVENTION_AUDIT_ACTIONS",
    "OPEN_INTERVENTION_STATUSES_SQL",
    "SCHEMA",
    "TABLE_COLUMN_COUNTS",
    "TUTOR_ACCOUNT_ROLE",
    "UPDATED_AT_TABLES",
    "ChurnModel",
    "ChurnPrediction",
    "Intervention",
    "InterventionAudit",
    "InterventionRouting",
    "InterventionRuleMatch",
    "Session",
    "Student",
    "StudentFeedback",
    "Tutor",
    "TutorAccount",
    "TutorEvent",
    "TutorMaxBase",
    "TutorPerformanceMetric",
]
