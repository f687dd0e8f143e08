"""What the nightly and periodic jobs compute for reading (issue 16): the class leaderboards
and the analytics snapshots. Both are derived data, rewritten whole by their job (idempotent),
never edited.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, Index, Numeric, SmallInteger, String, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.mathvidya.models.base import (
    CASCADE,
    SCHEMA,
    ClassLevel,
    MathvidyaBase,
    class_level_check,
    fk,
    not_blank,
)

ANALYTICS_SUBJECTS = ("student", "teacher")


class LeaderboardEntry(MathvidyaBase):
    """One student's place on their class's board for an India-time month."""

    __tablename__ = "leaderboard_entries"
    __table_args__ = (
        class_level_check("student_class"),
        CheckConstraint("extract(day FROM month) = 1", name="month_is_first_day"),
        CheckConstraint("rank >= 1", name="rank_positive"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_is_percentage"),
        CheckConstraint("exams_counted >= 1", name="exams_counted_positive"),
        not_blank("display_name"),
        # The board as read: a class's month in rank order.
        Index("ix_leaderboard_entries_board", "month", "student_class", "rank"),
        Index("ix_leaderboard_entries_student_user_id", "student_user_id"),
        {"schema": SCHEMA},
    )

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    student_class: Mapped[str] = mapped_column(ClassLevel, primary_key=True)
    student_user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("users.id", CASCADE), primary_key=True
    )
    # Competition ranking: equal scores share a rank, the next rank skips (1, 2, 2, 4).
    rank: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    # "Aarav S.": first name and the surname's initial, never the full name.
    display_name: Mapped[str] = mapped_column(String(60), nullable=False)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    exams_counted: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class AnalyticsSnapshot(MathvidyaBase):
    """A student's or a teacher's analytics as computed for one India-time day."""

    __tablename__ = "analytics_snapshots"
    __table_args__ = (
        CheckConstraint(
            "subject_kind IN (" + ", ".join(f"'{s}'" for s in ANALYTICS_SUBJECTS) + ")",
            name="subject_kind_known",
        ),
        CheckConstraint("jsonb_typeof(payload) = 'object'", name="payload_is_object"),
        # The latest snapshot of each kind, for the admin's lists.
        Index("ix_analytics_snapshots_kind_day", "subject_kind", text("computed_for DESC")),
        {"schema": SCHEMA},
    )

    subject_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("users.id", CASCADE), primary_key=True
    )
    computed_for: Mapped[date] = mapped_column(Date, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


__all__ = ["ANALYTICS_SUBJECTS", "AnalyticsSnapshot", "LeaderboardEntry"]
