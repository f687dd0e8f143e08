"""`/api/mathvidya/plans` and `/holidays`: the plan catalogue and the holiday calendar the SLA
counts with, for every Mathvidya account and the platform's operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from lyceum.core.auth import Principal, require_roles
from lyceum.core.models import OPERATOR_ROLES
from lyceum.mathvidya.dependencies import MathvidyaSession
from lyceum.mathvidya.enums import ACCOUNT_ROLES
from lyceum.mathvidya.schemas import catalogue as schemas
from lyceum.mathvidya.service import catalogue as service

# Public facts of the product: any Mathvidya account or operator; a TutorMax tutor account
# passes no other app's guard.
Reader = Annotated[Principal, Depends(require_roles(*OPERATOR_ROLES, *ACCOUNT_ROLES))]


class HolidayParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=2000, le=2100)


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/plans", response_model=list[schemas.Plan])
    async def plans(_: Reader, db: MathvidyaSession) -> list[schemas.Plan]:
        """The subscription plans on sale: exams a month, evaluation SLA, leaderboard, price."""
        return await service.plan_catalogue(db)

    @api.get("/holidays", response_model=schemas.HolidayCalendar)
    async def holidays(
        _: Reader, db: MathvidyaSession, params: Annotated[HolidayParams, Query()]
    ) -> schemas.HolidayCalendar:
        """Holidays on which the evaluation SLA's working-hours clock stops (Sundays too)."""
        return await service.holiday_calendar(db, params.year)

    return api
