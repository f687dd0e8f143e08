"""TutorMax's API models (separate from the ORM models in `models.py`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from lyceum.tutormax.enums import TutorStatus


class TutorSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tutor_id: str
    name: str
    status: TutorStatus
    subjects: list[str]
    onboarding_date: datetime
    experience_years: int | None
    timezone: str
    churned_at: datetime | None


class TutorPage(BaseModel):
    total: int
    limit: int
    offset: int
    tutors: list[TutorSummary]


class TutorActivity(BaseModel):
    """The seed's `get_tutor_statistics` over a window ending at `until`."""

    days: int
    until: datetime
    total_sessions: int
    average_rating: float | None
    no_shows: int
    reschedules: int


class TutorDetail(TutorSummary):
    email: str
    baseline_sessions_per_week: float | None
    activity: TutorActivity


__all__ = ["TutorActivity", "TutorDetail", "TutorPage", "TutorSummary"]
