"""Plans, holidays, and expiring ended subscriptions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CursorResult, extract, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import SubscriptionStatus
from lyceum.mathvidya.models import Holiday, Subscription, SubscriptionPlan


async def plans_on_sale(db: AsyncSession) -> list[SubscriptionPlan]:
    """The plans a student can buy, in the order the catalogue shows them."""
    query = (
        select(SubscriptionPlan)
        .where(SubscriptionPlan.is_active)
        .order_by(SubscriptionPlan.sort_order, SubscriptionPlan.annual_price_inr)
    )
    return list((await db.execute(query)).scalars())


async def holidays(db: AsyncSession, year: int | None) -> list[Holiday]:
    """Holidays by date (of one year, or all)."""
    query = select(Holiday).order_by(Holiday.holiday_date, Holiday.name)
    if year is not None:
        query = query.where(extract("year", Holiday.holiday_date) == year)
    return list((await db.execute(query)).scalars())


async def holiday_dates(db: AsyncSession, first: date, last: date) -> set[date]:
    """The holiday dates between `first` and `last`, inclusive."""
    query = select(Holiday.holiday_date).where(Holiday.holiday_date.between(first, last))
    return set((await db.execute(query)).scalars())


async def expire_ended_subscriptions(session: AsyncSession, *, at: datetime) -> int:
    """Mark `expired` every active subscription whose period is over at `at`; how many.

    Periods are half-open, `[starts_at, ends_at)`, so one is over once `ends_at <= at`. One
    UPDATE over the partial index `ix_subscriptions_ends_at_active`. Idempotent: an expired
    row no longer matches. No constraint can refuse it: `cancelled_at` stays NULL (it is set
    only with `cancelled`), the exclusion constraint covers active rows only, and the trigger
    stamps `updated_at`. Pending and cancelled subscriptions are left alone: a pending one
    never granted anything, a cancelled one already ended.
    """
    result = await session.execute(
        update(Subscription)
        .where(Subscription.status == SubscriptionStatus.ACTIVE, Subscription.ends_at <= at)
        .values(status=SubscriptionStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


__all__ = ["expire_ended_subscriptions", "holiday_dates", "holidays", "plans_on_sale"]
