"""`subscription_plans` and `subscriptions` (seed 003).

A subscription copies its plan's terms (exams a month, SLA hours, leaderboard access) when it
is bought, so a later change to a plan does not change what a family already paid for.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import TimestampMixin
from lyceum.core.db.columns import relationship
from lyceum.mathvidya.enums import PlanType, SubscriptionStatus, UserRole
from lyceum.mathvidya.models.base import (
    RESTRICT,
    SCHEMA,
    SET_NULL,
    MathvidyaBase,
    between,
    fk,
    not_blank,
    uuid_pk,
)
from lyceum.mathvidya.models.enums import PLAN_TYPE, SUBSCRIPTION_STATUS, USER_ROLE
from lyceum.mathvidya.models.mapping import USERS_ID_ROLE

MAX_SLA_HOURS = 168


class SubscriptionPlan(TimestampMixin, MathvidyaBase):
    """One of the four plans (reference data, seeded by migration 0007)."""

    __tablename__ = "subscription_plans"
    __table_args__ = (
        UniqueConstraint("plan_type"),
        UniqueConstraint("display_name"),
        between("exams_per_month", 1, 1000),
        # Working hours a teacher has to return an evaluation; a week at most.
        between("sla_hours", 1, MAX_SLA_HOURS),
        CheckConstraint("annual_price_inr > 0", name="annual_price_positive"),
        CheckConstraint("jsonb_typeof(features) = 'object'", name="features_is_object"),
        not_blank("display_name"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    plan_type: Mapped[PlanType] = mapped_column(PLAN_TYPE, nullable=False)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    exams_per_month: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    sla_hours: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    leaderboard_access: Mapped[bool] = mapped_column(Boolean, nullable=False)
    annual_price_inr: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    features: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    # Withdrawn plans stay (subscriptions refer to them) but cannot be bought.
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    sort_order: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")


class Subscription(TimestampMixin, MathvidyaBase):
    """A student's plan for a period, with this month's exam counter."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        # The target of exam_instances' (subscription_id, student_user_id) key: an exam can
        # only be counted against the student's own subscription.
        UniqueConstraint("id", "user_id"),
        UniqueConstraint("payment_reference"),
        CheckConstraint("user_role = 'student'", name="holder_is_student"),
        CheckConstraint("ends_at > starts_at", name="period_ordered"),
        between("exams_per_month", 1, 1000),
        between("sla_hours", 1, MAX_SLA_HOURS),
        CheckConstraint(
            "exams_used_this_month BETWEEN 0 AND exams_per_month", name="usage_within_quota"
        ),
        CheckConstraint("extract(day FROM usage_month) = 1", name="usage_month_first_day"),
        CheckConstraint("amount_paid_inr >= 0", name="amount_paid_non_negative"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_at_iff_cancelled"
        ),
        CheckConstraint("cancelled_at >= created_at", name="cancelled_after_created"),
        # Seed 003: one user never holds two active subscriptions for overlapping periods.
        # Periods are half-open, so a renewal may start the instant the old one ends.
        ExcludeConstraint(
            (text("user_id"), "="),
            (func.tstzrange(text("starts_at"), text("ends_at"), text("'[)'")), "&&"),
            using="gist",
            where=text("status = 'active'"),
            name="ex_subscriptions_no_overlapping_active",
        ),
        # Holders are never deleted while they have subscriptions (payment records).
        ForeignKeyConstraint(
            ["user_id", "user_role"],
            USERS_ID_ROLE,
            ondelete=RESTRICT,
            name="fk_subscriptions_user_id_users",
        ),
        # A student's subscriptions, latest first: the current one (checked on every exam
        # request) and the billing history; also what a user deletion's RESTRICT check reads.
        Index("ix_subscriptions_user_id_ends_at", "user_id", text("ends_at DESC")),
        Index("ix_subscriptions_plan_id", "plan_id"),
        # The nightly job that expires ended subscriptions.
        Index(
            "ix_subscriptions_ends_at_active", "ends_at", postgresql_where=text("status = 'active'")
        ),
        Index("ix_subscriptions_purchased_by_user_id", "purchased_by_user_id"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    user_role: Mapped[UserRole] = mapped_column(
        USER_ROLE, nullable=False, default=UserRole.STUDENT, server_default=UserRole.STUDENT.value
    )
    # A plan in use cannot be deleted; it is withdrawn with `is_active = false`.
    plan_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("subscription_plans.id", RESTRICT), nullable=False
    )
    status: Mapped[SubscriptionStatus] = mapped_column(
        SUBSCRIPTION_STATUS, nullable=False, server_default=SubscriptionStatus.PENDING.value
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The plan's terms when bought.
    exams_per_month: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    sla_hours: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    leaderboard_access: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # Exams started (the quota is spent when the student starts a paper, `service/quota.py`)
    # in `usage_month`, the first day of an IST month; the same UPDATE resets the counter
    # when a new month begins.
    exams_used_this_month: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default="0"
    )
    usage_month: Mapped[date] = mapped_column(
        Date, nullable=False, server_default=text("date_trunc('month', now())::date")
    )
    amount_paid_inr: Mapped[Decimal] = mapped_column(
        Numeric(10, 2), nullable=False, server_default="0"
    )
    # The payment gateway's id: a payment can activate one subscription only.
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    # Usually a parent; kept if that account goes.
    purchased_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), fk("users.id", SET_NULL)
    )
    auto_renew: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancellation_reason: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[SubscriptionPlan] = relationship()


__all__ = ["MAX_SLA_HOURS", "Subscription", "SubscriptionPlan"]
