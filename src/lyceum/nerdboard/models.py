"""Nerdboard's seven tables (seed 000), in schema `nerdboard`.

Names of tables, columns and indexes are the seed's. The seed gives no nullability, so a
column is NOT NULL unless a row can honestly lack the value (an enrollment's engagement
before any activity, a customer's completion rate in a week without sessions).
Every documented range is a CHECK constraint, so bad rows are refused by the database
whichever way they arrive (ORM, COPY, psql).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import conv

from lyceum.core.db.base import Base, TimestampMixin, UUIDPrimaryKeyMixin

SCHEMA = "nerdboard"
QUALITY_STATUSES = ("passed", "failed", "warning")


def _unit_interval(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0 AND {column} <= 1", name=f"{column}_range")


def _non_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative")


class Enrollment(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A student taking a subject from `start_date`; the source of session demand."""

    __tablename__ = "enrollments"
    __table_args__ = (
        _unit_interval("engagement_score"),
        {"schema": SCHEMA},
    )

    student_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    subject: Mapped[str] = mapped_column(String(100), nullable=False)
    cohort_id: Mapped[str | None] = mapped_column(String(50), nullable=True)
    start_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Unknown until the student has done something.
    engagement_score: Mapped[float | None] = mapped_column(Float, nullable=True)


Index("idx_enrollments_subject_date", Enrollment.subject, Enrollment.start_date)
Index("idx_enrollments_student", Enrollment.student_id)


class Tutor(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A tutor and the hours a week they offer. A tutor who leaves keeps the row
    (their sessions stay attributed) with `weekly_capacity_hours = 0`."""

    __tablename__ = "tutors"
    __table_args__ = (
        CheckConstraint("cardinality(subjects) >= 1", name="subjects_not_empty"),
        CheckConstraint(
            "weekly_capacity_hours >= 0 AND weekly_capacity_hours <= 168",
            name="weekly_capacity_hours_range",
        ),
        _unit_interval("utilization_rate"),
        _non_negative("avg_response_time_hours"),
        {"schema": SCHEMA},
    )

    tutor_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    subjects: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    weekly_capacity_hours: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    utilization_rate: Mapped[float] = mapped_column(Float, nullable=False, server_default=text("0"))
    avg_response_time_hours: Mapped[float | None] = mapped_column(Float, nullable=True)


Index("idx_tutors_subjects", Tutor.subjects, postgresql_using="gin")
Index("idx_tutors_tutor_id", Tutor.tutor_id)


class Session(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """One booked tutoring session."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_minutes_positive"),
        {"schema": SCHEMA},
    )

    session_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    subject: Mapped[str] = mapped_column(String(100), nullable=False)
    tutor_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.tutors.id", ondelete="SET NULL"), nullable=True
    )
    student_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    scheduled_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)


Index("idx_sessions_subject_time", Session.subject, Session.scheduled_time)
Index("idx_sessions_tutor", Session.tutor_id)
Index("idx_sessions_student", Session.student_id)
# Not in the seed: the seed's (subject, scheduled_time) index cannot serve an all-subject
# time range (freshness checks, the simulation's rolling windows, reset).
Index("ix_sessions_scheduled_time", Session.scheduled_time)


class HealthMetric(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A customer's health for one week. Customers are students (`customer_id` is the
    student's id as text)."""

    __tablename__ = "health_metrics"
    __table_args__ = (
        CheckConstraint("health_score >= 0 AND health_score <= 100", name="health_score_range"),
        _non_negative("engagement_level"),
        _non_negative("support_ticket_count"),
        _unit_interval("session_completion_rate"),
        {"schema": SCHEMA},
    )

    customer_id: Mapped[str] = mapped_column(String(100), nullable=False)
    date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    health_score: Mapped[float] = mapped_column(Float, nullable=False)
    engagement_level: Mapped[int] = mapped_column(Integer, nullable=False)
    support_ticket_count: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    # None in a week the customer had no sessions scheduled.
    session_completion_rate: Mapped[float | None] = mapped_column(Float, nullable=True)


Index("idx_health_customer_date", HealthMetric.customer_id, HealthMetric.date.desc())
# Not in the seed: "this week's scores for everyone" (distribution, at-risk list).
Index("ix_health_metrics_date", HealthMetric.date)


class CapacitySnapshot(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """One subject's capacity on one day: hours the qualified tutors offer and hours booked."""

    __tablename__ = "capacity_snapshots"
    __table_args__ = (
        _non_negative("total_capacity_hours"),
        _non_negative("used_capacity_hours"),
        _non_negative("available_tutors_count"),
        CheckConstraint("used_capacity_hours <= total_capacity_hours", name="used_within_total"),
        _unit_interval("utilization_rate"),
        {"schema": SCHEMA},
    )

    subject: Mapped[str] = mapped_column(String(100), nullable=False)
    date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    total_capacity_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    used_capacity_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    available_tutors_count: Mapped[int] = mapped_column(Integer, nullable=False)
    utilization_rate: Mapped[float] = mapped_column(Float, nullable=False)


Index("idx_capacity_subject_date", CapacitySnapshot.subject, CapacitySnapshot.date.desc())


class DataQualityLog(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """The outcome of one data-quality check run."""

    __tablename__ = "data_quality_log"
    __table_args__ = (
        CheckConstraint("status IN ('passed', 'failed', 'warning')", name="status_known"),
        CheckConstraint("quality_score >= 0 AND quality_score <= 5", name="quality_score_range"),
        _non_negative("affected_records_count"),
        {"schema": SCHEMA},
    )

    check_name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(50), nullable=False)
    quality_score: Mapped[float] = mapped_column(Float, nullable=False)
    affected_records_count: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    error_details: Mapped[str | None] = mapped_column(Text, nullable=True)
    checked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


Index("idx_quality_check_status", DataQualityLog.check_name, DataQualityLog.status)
Index("idx_quality_checked_at", DataQualityLog.checked_at.desc())


class SimulationState(Base):
    """The simulation's clock: exactly one row, id 1."""

    __tablename__ = "simulation_state"
    __table_args__ = (
        # The seed names this constraint; conv() keeps the naming convention off it.
        CheckConstraint("id = 1", name=conv("single_row_check")),
        CheckConstraint("speed_multiplier >= 1", name="speed_multiplier_positive"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    current_date: Mapped[datetime] = mapped_column(
        "current_date", DateTime(timezone=True), nullable=False
    )
    speed_multiplier: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    is_running: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    last_event: Mapped[str | None] = mapped_column(String(500), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


TABLES = (
    Enrollment.__table__,
    Tutor.__table__,
    Session.__table__,
    HealthMetric.__table__,
    CapacitySnapshot.__table__,
    DataQualityLog.__table__,
    SimulationState.__table__,
)

__all__ = [
    "QUALITY_STATUSES",
    "SCHEMA",
    "CapacitySnapshot",
    "DataQualityLog",
    "Enrollment",
    "HealthMetric",
    "Session",
    "SimulationState",
    "Tutor",
]
