"""The plan catalogue and the holiday calendar."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.repository import catalogue as repository
from lyceum.mathvidya.schemas import catalogue as schemas


async def plan_catalogue(db: AsyncSession) -> list[schemas.Plan]:
    return [schemas.Plan.model_validate(plan) for plan in await repository.plans_on_sale(db)]


async def holiday_calendar(db: AsyncSession, year: int | None) -> schemas.HolidayCalendar:
    rows = await repository.holidays(db, year)
    return schemas.HolidayCalendar(
        year=year, holidays=[schemas.HolidayEntry.model_validate(row) for row in rows]
    )


__all__ = ["holiday_calendar", "plan_catalogue"]
