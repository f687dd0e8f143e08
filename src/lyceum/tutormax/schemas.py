"""TutorMax's API models (separate from the ORM models in `models.py`)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from lyceum.core.request import RequestBody
from lyceum.tutormax.enums import (
    InterventionOutcome,
    InterventionStatus,
    InterventionType,
    TutorStatus,
)


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


# ---- interventions (docs/tutormax.md, "Interventions") -------------------------------------

# A request body is strict (core.request): JSON carries enums and dates as text, so those
# fields are parsed from text (lax), and the date's own validator refuses anything but
# YYYY-MM-DD.
_FROM_TEXT: Any = Field(strict=False)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date_text(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "value is not a date written YYYY-MM-DD")
    return value


DateText = Annotated[date, BeforeValidator(_date_text), Field(strict=False)]
# PostgreSQL text cannot hold NUL: the patterns keep it out, so such a value is a 422 that
# names the field, not a database error.
NO_NUL = r"^[^\x00]*$"
# ASCII white space spelled out: `\s` means more in some regex engines than in others, and the
# OpenAPI document's pattern must mean the same to every client.
SOME_TEXT = r"^[^\x00]*[^ \t\n\r\f\v\x00][^\x00]*$"
TutorIdText = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=NO_NUL)]
Owner = Annotated[
    str,
    StringConstraints(
        max_length=200, pattern=r"^[^@ \t\n\r\f\v\x00]+@[^@ \t\n\r\f\v\x00]+$", to_lower=True
    ),
    Field(description="The owner's email address: where the assignment is notified."),
]
QueueName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
]
Notes = Annotated[str, StringConstraints(min_length=1, max_length=10_000, pattern=SOME_TEXT)]


class InterventionCreate(RequestBody):
    """An intervention opened by hand (the rules open theirs by themselves)."""

    tutor_id: TutorIdText
    intervention_type: Annotated[InterventionType, _FROM_TEXT]
    trigger_reason: Annotated[
        str, StringConstraints(min_length=1, max_length=2000, pattern=SOME_TEXT)
    ] = Field(description="Why, in words a coach can act on.")
    priority: Annotated[int, Field(ge=1, le=4, description="1 urgent .. 4 low.")] = 3
    owner_queue: QueueName | None = Field(
        default=None, description="The team queue that owns it; the rules' default when omitted."
    )
    assigned_to: Owner | None = None
    due_date: DateText | None = Field(default=None, description="The day it is due, YYYY-MM-DD.")
    notes: Notes | None = None


class InterventionAssignment(RequestBody):
    assigned_to: Owner


class InterventionStatusChange(RequestBody):
    """A move along the lifecycle: pending -> in_progress -> completed / cancelled, or
    pending -> cancelled. Completing needs an outcome: use the complete action."""

    status: Annotated[InterventionStatus, _FROM_TEXT]
    notes: Notes | None = Field(default=None, description="Replaces the intervention's notes.")


class InterventionCompletion(RequestBody):
    outcome: Annotated[InterventionOutcome, _FROM_TEXT]
    notes: Notes | None = Field(default=None, description="Replaces the intervention's notes.")


class InterventionOut(BaseModel):
    intervention_id: uuid.UUID
    tutor_id: str
    tutor_name: str
    intervention_type: InterventionType
    trigger_reason: str
    status: InterventionStatus
    priority: int
    assigned_to: str | None
    # NULL only for an intervention written without the engine (raw SQL, an old import).
    owner_queue: str | None
    rule_id: str | None
    escalation_level: int
    escalated_at: datetime | None
    due_date: date | None
    overdue: bool
    completed_at: datetime | None
    outcome: InterventionOutcome | None
    notes: str | None
    created_at: datetime
    updated_at: datetime


class InterventionPage(BaseModel):
    total: int
    limit: int
    offset: int
    as_of: date = Field(description="The day `overdue` is judged on.")
    interventions: list[InterventionOut]


class InterventionAuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    audit_id: uuid.UUID
    action: str
    actor: str
    old_values: dict[str, JsonValue]
    new_values: dict[str, JsonValue]
    changed_at: datetime


class InterventionAuditTrail(BaseModel):
    intervention_id: uuid.UUID
    entries: list[InterventionAuditEntry]


__all__ = [
    "InterventionAssignment",
    "InterventionAuditEntry",
    "InterventionAuditTrail",
    "InterventionCompletion",
    "InterventionCreate",
    "InterventionOut",
    "InterventionPage",
    "InterventionStatusChange",
    "TutorActivity",
    "TutorDetail",
    "TutorPage",
    "TutorSummary",
]
