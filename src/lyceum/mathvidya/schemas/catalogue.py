"""The plan catalogue and the holiday calendar, as the API answers them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from lyceum.mathvidya.enums import PlanType


class Plan(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    plan_type: PlanType
    display_name: str
    description: str | None
    exams_per_month: int
    sla_hours: int
    leaderboard_access: bool
    annual_price_inr: Decimal
    features: dict[str, Any]


class HolidayEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    holiday_date: date
    name: str
    is_national: bool


class HolidayCalendar(BaseModel):
    """The days on which the evaluation SLA's clock does not run (Sundays aside)."""

    year: int | None
    holidays: list[HolidayEntry]


__all__ = ["HolidayCalendar", "HolidayEntry", "Plan"]
