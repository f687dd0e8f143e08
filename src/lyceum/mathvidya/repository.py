"""All of Mathvidya's SQL. Functions take the caller's session and flush at most."""

from __future__ import annotations

from datetime import date

from sqlalchemy import extract, select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models import Holiday, SubscriptionPlan


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


__all__ = ["holiday_dates", "holidays", "plans_on_sale"]
