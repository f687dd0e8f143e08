"""Nerdboard's API models: what the dashboard sends and receives (separate from the ORM)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lyceum.core.request import RequestBody
from lyceum.nerdboard.simulation.clock import MAX_SPEED, MIN_SPEED


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- simulation ---------------------------------------------------------------------


class SimulationState(Strict):
    current_date: datetime
    speed_multiplier: int = Field(description="Simulated seconds per real second.")
    is_running: bool
    last_event: str | None
    updated_at: datetime


class SpeedChange(RequestBody):
    speed_multiplier: int = Field(
        ge=MIN_SPEED,
        le=MAX_SPEED,
        description="Simulated seconds per real second: 3600 is an hour a second, 86400 a day.",
    )


class StartRequest(RequestBody):
    speed_multiplier: int | None = Field(default=None, ge=MIN_SPEED, le=MAX_SPEED)


class ResetAccepted(Strict):
    status: Literal["resetting"]
    # The queued job (`lyceum jobs list --task nerdboard:reset_history`).
    job_id: int
    message: str


# ---- overview -----------------------------------------------------------------------


class Overview(Strict):
    as_of: datetime = Field(description="The simulation clock the figures are for.")
    week_start: date
    week_end: date = Field(description="Exclusive.")
    sessions_this_week: int
    sessions_previous_week: int
    sessions_change_pct: float | None
    unassigned_sessions_this_week: int
    booked_hours_this_week: float
    active_tutors: int
    tutor_capacity_hours_per_week: float
    utilization_this_week: float | None = Field(
        description="Booked hours over the active tutors' weekly hours, each tutor counted once."
    )
    students_this_week: int
    subjects_over_target: list[str] = Field(
        description="Subjects whose utilization this week is above the target utilization."
    )
    target_utilization: float
    average_health_score: float | None
    at_risk_customers: int
    data_quality_score: float | None = Field(description="Mean of each check's latest score, 0-5.")


# ---- capacity -----------------------------------------------------------------------


class CapacityPoint(Strict):
    period_start: date
    total_capacity_hours: int
    used_capacity_hours: int
    available_tutors_count: int
    utilization_rate: float


class SubjectCapacity(Strict):
    subject: str
    utilization_rate: float | None = Field(description="Over the whole window.")
    points: list[CapacityPoint]


class CapacityResponse(Strict):
    as_of: datetime
    granularity: Literal["day", "week"]
    start: date
    end: date
    subjects: list[SubjectCapacity]


# ---- customer health ---------------------------------------------------------------


class HealthBin(Strict):
    lower: float
    upper: float
    customers: int


class AtRiskCustomer(Strict):
    customer_id: str
    health_score: float
    previous_health_score: float | None
    engagement_level: int
    support_ticket_count: int
    session_completion_rate: float | None


class CustomerHealth(Strict):
    as_of: datetime
    week: date | None
    customers: int
    average_score: float | None
    median_score: float | None
    at_risk_below: float
    at_risk_count: int
    distribution: list[HealthBin]
    at_risk: list[AtRiskCustomer]


# ---- forecast and staffing ---------------------------------------------------------


class ForecastWeek(Strict):
    week_start: date
    demand_hours: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    required_hours: float
    covered_hours: float
    shortfall_hours: float


class HistoryWeek(Strict):
    week_start: date
    demand_hours: float


class SubjectForecast(Strict):
    subject: str
    method: str
    history: list[HistoryWeek]
    forecast: list[ForecastWeek]


class ShortfallAlert(Strict):
    subject: str
    week_start: date
    shortfall_hours: int
    severity: str
    qualified_tutors: int = Field(
        description="Active tutors qualified in the subject who mostly teach another one: "
        "the people to offer extra hours to."
    )
    action: str


class ForecastResponse(Strict):
    as_of: datetime
    origin: date = Field(description="First forecast week (Monday).")
    target_utilization: float
    subjects: list[SubjectForecast]
    alerts: list[ShortfallAlert]


# ---- data quality ------------------------------------------------------------------


class QualityCheckStatus(Strict):
    check_name: str
    status: str
    quality_score: float
    affected_records_count: int
    error_details: str | None
    checked_at: datetime


class QualityResponse(Strict):
    overall_score: float | None
    checks: list[QualityCheckStatus]
    history: list[QualityCheckStatus]


class QualityRunResponse(Strict):
    checks: list[QualityCheckStatus]
