"""`subscriptions`, `payments` and the billing settings in `system_config`.

Two rules are left to PostgreSQL because only it can decide them without a race:

- no two ACTIVE subscriptions of a student overlap (`ex_subscriptions_no_overlapping_active`):
  `activate` runs its UPDATE in a savepoint and reports the violation as None;
- one payment per provider payment id (`uq_payments_provider_payment_id`): `insert_payment`
  likewise answers None when a concurrent delivery recorded it first.

The invoice number is taken from `mathvidya.invoice_number_seq` inside the INSERT that
writes the payment, so a number is only ever lost when that very statement fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, cast, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import PlanType, SubscriptionStatus
from lyceum.mathvidya.models import Payment, Subscription, SubscriptionPlan, SystemConfig, User
from lyceum.mathvidya.models.payment import INVOICE_SEQUENCE
from lyceum.mathvidya.repository.accounts import violated_constraint

NO_OVERLAP = "ex_subscriptions_no_overlapping_active"
EXCLUSION_VIOLATION = "23P01"
PAYMENT_ID_UNIQUE = "uq_payments_provider_payment_id"
PAYMENT_REFERENCE_UNIQUE = "uq_subscriptions_payment_reference"
UNIQUE_VIOLATION = "23505"
INVOICE_DIGITS = 6


# ---- plans and settings ------------------------------------------------------------------


async def plan_by_type(db: AsyncSession, plan_type: PlanType) -> SubscriptionPlan | None:
    query = select(SubscriptionPlan).where(SubscriptionPlan.plan_type == plan_type)
    return (await db.execute(query)).scalar_one_or_none()


async def plan_by_id(db: AsyncSession, plan_id: uuid.UUID) -> SubscriptionPlan | None:
    return await db.get(SubscriptionPlan, plan_id)


async def config_value(db: AsyncSession, key: str) -> Any:
    query = select(SystemConfig.config_value).where(SystemConfig.config_key == key)
    return (await db.execute(query)).scalar_one_or_none()


async def user_by_id(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await db.get(User, user_id)


# ---- subscriptions -----------------------------------------------------------------------


async def subscription(
    db: AsyncSession, subscription_id: uuid.UUID, *, for_update: bool = False
) -> Subscription | None:
    """One subscription, freshly read; locked until the transaction ends with `for_update`
    (activation, cancellation and payment serialise on it)."""
    query = select(Subscription).where(Subscription.id == subscription_id)
    if for_update:
        query = query.with_for_update()
    return (await db.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def student_subscriptions(db: AsyncSession, student_id: uuid.UUID) -> list[Subscription]:
    """A student's subscriptions, latest period first."""
    query = (
        select(Subscription)
        .where(Subscription.user_id == student_id)
        .order_by(Subscription.ends_at.desc(), Subscription.created_at.desc())
    )
    return list((await db.execute(query.execution_options(populate_existing=True))).scalars())


async def plans_by_id(db: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, SubscriptionPlan]:
    if not ids:
        return {}
    rows = await db.execute(select(SubscriptionPlan).where(SubscriptionPlan.id.in_(ids)))
    return {plan.id: plan for plan in rows.scalars()}


async def current_subscription(
    db: AsyncSession, student_id: uuid.UUID, at: datetime
) -> Subscription | None:
    """The active subscription in force at `at` (half-open period), if any."""
    query = select(Subscription).where(
        Subscription.user_id == student_id,
        Subscription.status == SubscriptionStatus.ACTIVE,
        Subscription.starts_at <= at,
        Subscription.ends_at > at,
    )
    return (await db.execute(query)).scalars().first()


async def last_active_end(db: AsyncSession, student_id: uuid.UUID, at: datetime) -> datetime | None:
    """Where a renewal starts: the end of the student's latest active period still running
    (or starting) after `at`."""
    query = select(func.max(Subscription.ends_at)).where(
        Subscription.user_id == student_id,
        Subscription.status == SubscriptionStatus.ACTIVE,
        Subscription.ends_at > at,
    )
    return (await db.execute(query)).scalar_one_or_none()


async def pending_of(db: AsyncSession, student_id: uuid.UUID) -> Subscription | None:
    query = (
        select(Subscription)
        .where(
            Subscription.user_id == student_id, Subscription.status == SubscriptionStatus.PENDING
        )
        .order_by(Subscription.created_at)
    )
    return (await db.execute(query)).scalars().first()


async def overlapping_active(
    db: AsyncSession,
    student_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    *,
    other_than: uuid.UUID,
) -> Subscription | None:
    """An active subscription of the student whose `[starts_at, ends_at)` meets the given one."""
    query = select(Subscription).where(
        Subscription.user_id == student_id,
        Subscription.id != other_than,
        Subscription.status == SubscriptionStatus.ACTIVE,
        Subscription.starts_at < ends_at,
        Subscription.ends_at > starts_at,
    )
    return (await db.execute(query.order_by(Subscription.starts_at))).scalars().first()


async def add_subscription(db: AsyncSession, **values: Any) -> Subscription:
    row = Subscription(**values)
    db.add(row)
    await db.flush()
    await db.refresh(row)
    return row


async def activate(
    db: AsyncSession,
    subscription_id: uuid.UUID,
    *,
    starts_at: datetime,
    ends_at: datetime,
    payment_reference: str | None = None,
    amount_paid: Decimal | None = None,
) -> bool:
    """Make the subscription active for `[starts_at, ends_at)`; False (and nothing changed)
    when the exclusion constraint refuses it because another active period overlaps."""
    values: dict[str, Any] = {
        "status": SubscriptionStatus.ACTIVE,
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    if payment_reference is not None:
        values["payment_reference"] = payment_reference
    if amount_paid is not None:
        values["amount_paid_inr"] = amount_paid
    try:
        async with db.begin_nested():
            await db.execute(
                update(Subscription).where(Subscription.id == subscription_id).values(**values)
            )
    except IntegrityError as exc:
        state, name = violated_constraint(exc)
        if name == NO_OVERLAP or (name is None and state == EXCLUSION_VIOLATION):
            return False
        raise
    return True


async def update_subscription(db: AsyncSession, subscription_id: uuid.UUID, **values: Any) -> None:
    await db.execute(
        update(Subscription).where(Subscription.id == subscription_id).values(**values)
    )


# ---- payments ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentContext:
    """A payment with what its invoice and its access rule need."""

    payment: Payment
    subscription: Subscription
    plan: SubscriptionPlan
    student: User
    payer: User | None


async def payment_by_provider_id(db: AsyncSession, provider_payment_id: str) -> Payment | None:
    query = select(Payment).where(Payment.provider_payment_id == provider_payment_id)
    return (await db.execute(query)).scalar_one_or_none()


async def insert_payment(
    db: AsyncSession,
    *,
    provider_payment_id: str,
    subscription_id: uuid.UUID,
    payer_user_id: uuid.UUID | None,
    amount: Decimal,
    taxable: Decimal,
    gst: Decimal,
    invoice_prefix: str,
    paid_at: datetime,
) -> Payment | None:
    """The new payment with its invoice number (`<prefix><sequence, at least 6 digits>`,
    numbered inside this INSERT), or None when the provider's payment id is recorded already
    (a concurrent delivery won)."""
    number = select(INVOICE_SEQUENCE.next_value().label("n")).subquery("seq")
    digits = cast(number.c.n, Text)
    invoice_number = (
        select(
            literal(invoice_prefix, Text)
            + func.lpad(digits, func.greatest(INVOICE_DIGITS, func.length(digits)), "0")
        )
        .select_from(number)
        .scalar_subquery()
    )
    values = {
        "provider_payment_id": provider_payment_id,
        "subscription_id": subscription_id,
        "payer_user_id": payer_user_id,
        "amount_inr": amount,
        "taxable_value_inr": taxable,
        "gst_inr": gst,
        "invoice_number": invoice_number,
        "paid_at": paid_at,
    }
    try:
        async with db.begin_nested():
            payment_id = (
                await db.execute(insert(Payment).values(**values).returning(Payment.id))
            ).scalar_one()
    except IntegrityError as exc:
        state, name = violated_constraint(exc)
        if name == PAYMENT_ID_UNIQUE or (name is None and state == UNIQUE_VIOLATION):
            return None
        raise
    return await db.get(Payment, payment_id, populate_existing=True)


async def payment_context(db: AsyncSession, payment_id: uuid.UUID) -> PaymentContext | None:
    found = (
        await db.execute(
            select(Payment, Subscription, SubscriptionPlan)
            .join(Subscription, Subscription.id == Payment.subscription_id)
            .join(SubscriptionPlan, SubscriptionPlan.id == Subscription.plan_id)
            .where(Payment.id == payment_id)
        )
    ).one_or_none()
    if found is None:
        return None
    payment, held, plan = found
    student = await db.get(User, held.user_id)
    assert student is not None  # RESTRICT keeps a subscription's holder
    payer = await db.get(User, payment.payer_user_id) if payment.payer_user_id else None
    return PaymentContext(payment, held, plan, student, payer)


async def payments(
    db: AsyncSession,
    *,
    visible_to: uuid.UUID | None,
    student_id: uuid.UUID | None,
    payer_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> list[tuple[Payment, Subscription, SubscriptionPlan]]:
    """Payments, newest first. `visible_to`: only those the user paid or that are for their
    own subscription (None: all, for an admin)."""
    query = (
        select(Payment, Subscription, SubscriptionPlan)
        .join(Subscription, Subscription.id == Payment.subscription_id)
        .join(SubscriptionPlan, SubscriptionPlan.id == Subscription.plan_id)
    )
    if visible_to is not None:
        query = query.where(
            or_(Payment.payer_user_id == visible_to, Subscription.user_id == visible_to)
        )
    if student_id is not None:
        query = query.where(Subscription.user_id == student_id)
    if payer_id is not None:
        query = query.where(Payment.payer_user_id == payer_id)
    query = query.order_by(Payment.paid_at.desc(), Payment.id).limit(limit).offset(offset)
    return [(p, s, plan) for p, s, plan in (await db.execute(query)).all()]


async def pending_with_students(
    db: AsyncSession, limit: int
) -> list[tuple[Subscription, SubscriptionPlan, User]]:
    """Pending subscriptions with their plan and student, oldest request first (the admins'
    activation queue)."""
    query = (
        select(Subscription, SubscriptionPlan, User)
        .join(SubscriptionPlan, SubscriptionPlan.id == Subscription.plan_id)
        .join(User, User.id == Subscription.user_id)
        .where(Subscription.status == SubscriptionStatus.PENDING)
        .order_by(Subscription.created_at, Subscription.id)
        .limit(limit)
    )
    return [(row[0], row[1], row[2]) for row in (await db.execute(query)).all()]


__all__ = [
    "EXCLUSION_VIOLATION",
    "NO_OVERLAP",
    "PaymentContext",
    "activate",
    "add_subscription",
    "config_value",
    "current_subscription",
    "insert_payment",
    "last_active_end",
    "overlapping_active",
    "payment_by_provider_id",
    "payment_context",
    "payments",
    "pending_of",
    "pending_with_students",
    "plan_by_id",
    "plan_by_type",
    "plans_by_id",
    "student_subscriptions",
    "subscription",
    "update_subscription",
    "user_by_id",
]
