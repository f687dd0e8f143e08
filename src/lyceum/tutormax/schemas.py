"""TutorMax's API models (separate from the ORM models in `models.py`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    StringConstraints,
    Tag,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from lyceum.core.request import FROM_JSON_TEXT, RequestBody
from lyceum.core.timestamps import BodyTimestamp
from lyceum.tutormax.enums import (
    EventType,
    InitiatedBy,
    InterventionOutcome,
    InterventionStatus,
    InterventionType,
    MetricWindow,
    PerformanceTier,
    RiskLevel,
    SessionStatus,
    StudentStatus,
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


class TutorListItem(TutorSummary):
    """A tutor in the list, with their latest prediction and latest 30-day metrics (null
    when there is none yet)."""

    risk_score: int | None = None
    risk_level: RiskLevel | None = None
    churn_probability_30d: float | None = None
    overall_score: float | None = None
    performance_tier: PerformanceTier | None = None


class TutorPage(BaseModel):
    total: int
    limit: int
    offset: int
    tutors: list[TutorListItem]


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


# ---- ingest: what a marketplace sends (docs/tutormax.md, "Feeding TutorMax") ----------------

# PostgreSQL text cannot hold NUL: the patterns keep it out, so such a value is a 422 that
# names the field, not a database error.
NO_NUL = r"^[^\x00]*$"
# ASCII white space spelled out: `\s` means more in some regex engines than in others, and the
# OpenAPI document's pattern must mean the same to every client.
SOME_TEXT = r"^[^\x00]*[^ \t\n\r\f\v\x00][^\x00]*$"
# An id: no white space (ASCII, spelled out for the same reason) and no NUL.
ID_TEXT = r"^[^ \t\n\r\f\v\x00]+$"

# A batch is one transaction: small enough to answer within a request, large enough that a
# day of a big marketplace's sessions is a few hundred calls.
MAX_BATCH = 1000
IngestId = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=ID_TEXT)]
Rating = Annotated[int, Field(ge=1, le=5)]


def _known_time_zone(name: str) -> str:
    if name not in _TIME_ZONES:
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. America/Chicago)")
    return name


_TIME_ZONES = frozenset(available_timezones())


TimeZone = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_known_time_zone),
    WithJsonSchema(
        {"type": "string", "enum": sorted(available_timezones()), "description": "IANA zone"}
    ),
]


class _TutorFields(RequestBody):
    """A tutor as the marketplace knows them; sending it again updates the row."""

    tutor_id: IngestId
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
    email: Annotated[
        str,
        StringConstraints(
            max_length=255, pattern=r"^[^@ \t\n\r\f\v\x00]+@[^@ \t\n\r\f\v\x00]+$", to_lower=True
        ),
    ]
    onboarding_date: BodyTimestamp
    subjects: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_NUL)]],
        Field(min_length=1, max_length=50),
    ]
    baseline_sessions_per_week: Annotated[float, Field(ge=0, le=100)] | None = None
    timezone: TimeZone = "America/New_York"
    experience_years: Annotated[int, Field(ge=0, le=70)] | None = None


class CurrentTutorIn(_TutorFields):
    """A tutor who is active, or on a break (inactive)."""

    status: Literal["active", "inactive"]


class ChurnedTutorIn(_TutorFields):
    """A tutor who has left, and when."""

    status: Literal["churned"]
    churned_at: BodyTimestamp = Field(
        description="When the tutor left; on or after onboarding_date."
    )

    @model_validator(mode="after")
    def _after_onboarding(self) -> ChurnedTutorIn:
        # The one rule here JSON Schema cannot state (it compares two fields' values).
        if self.churned_at < self.onboarding_date:
            raise ValueError("churned_at cannot be before onboarding_date")
        return self


def _status_tag(tags: dict[str, str]) -> Callable[[object], str | None]:
    """The union member a body's `status` selects (None: the status is missing or unknown,
    which Pydantic reports with the statuses it expects)."""

    def tag(value: object) -> str | None:
        status = value.get("status") if isinstance(value, dict) else getattr(value, "status", None)
        return tags.get(status) if isinstance(status, str) else None

    return tag


# Unions chosen by `status` with a callable discriminator: RequestBody's field validator
# rules out Pydantic's field-name discriminator, and the document is the same `oneOf`.
TutorIn = Annotated[
    Annotated[CurrentTutorIn, Tag("current")] | Annotated[ChurnedTutorIn, Tag("churned")],
    Discriminator(
        _status_tag({"active": "current", "inactive": "current", "churned": "churned"}),
        custom_error_type="invalid_status",
        custom_error_message="status must be one of: active, inactive, churned",
    ),
]


class StudentIn(RequestBody):
    student_id: IngestId
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
    age: Annotated[int, Field(ge=5, le=100)] | None = None
    grade_level: (
        Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=NO_NUL)] | None
    ) = None
    status: Annotated[StudentStatus, FROM_JSON_TEXT] = StudentStatus.ACTIVE


class _SessionFields(RequestBody):
    """A booking in its latest state: send it again when it is rescheduled, has run or was
    missed. Which fields a session carries depends on its status."""

    session_id: IngestId
    tutor_id: IngestId
    student_id: IngestId
    subject: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_NUL)]
    scheduled_start: BodyTimestamp = Field(description="The latest agreed start.")
    duration_minutes: Annotated[int, Field(gt=0, le=480)]
    is_first_session: bool = False
    rescheduled_by: Annotated[InitiatedBy, FROM_JSON_TEXT] | None = Field(
        default=None, description="Who moved the session, when it was moved at least once."
    )
    engagement_score: Annotated[float, Field(ge=0, le=1)] | None = None
    learning_objectives_met: bool | None = None


class OpenSessionIn(_SessionFields):
    """Booked and not run yet, or cancelled."""

    status: Literal["scheduled", "cancelled"]


class CompletedSessionIn(_SessionFields):
    status: Literal["completed"]
    actual_start: BodyTimestamp
    actual_duration_minutes: Annotated[int, Field(ge=0, le=1440)]


class NoShowSessionIn(_SessionFields):
    status: Literal["no_show"]
    no_show_by: Annotated[InitiatedBy, FROM_JSON_TEXT]


SessionIn = Annotated[
    Annotated[OpenSessionIn, Tag("open")]
    | Annotated[CompletedSessionIn, Tag("completed")]
    | Annotated[NoShowSessionIn, Tag("no_show")],
    Discriminator(
        _status_tag(
            {
                "scheduled": "open",
                "cancelled": "open",
                "completed": "completed",
                "no_show": "no_show",
            }
        ),
        custom_error_type="invalid_status",
        custom_error_message="status must be one of: scheduled, cancelled, completed, no_show",
    ),
]


def session_row(item: OpenSessionIn | CompletedSessionIn | NoShowSessionIn) -> dict[str, object]:
    """The `sessions` row a session sent by a marketplace stands for."""
    return {
        "actual_start": None,
        "actual_duration_minutes": None,
        "no_show_by": None,
        **item.model_dump(),
        "was_rescheduled": item.rescheduled_by is not None,
    }


class FeedbackIn(RequestBody):
    """A student's rating of a session; one per session (sending it again updates it)."""

    session_id: IngestId
    tutor_id: IngestId
    student_id: IngestId
    overall_rating: Rating
    subject_knowledge_rating: Rating | None = None
    communication_rating: Rating | None = None
    patience_rating: Rating | None = None
    engagement_rating: Rating | None = None
    helpfulness_rating: Rating | None = None
    would_recommend: bool | None = None
    free_text_feedback: (
        Annotated[str, StringConstraints(max_length=10_000, pattern=NO_NUL)] | None
    ) = None
    sentiment_score: Annotated[float, Field(ge=-1, le=1)] | None = None
    submitted_at: BodyTimestamp


class EventIn(RequestBody):
    """Something a tutor did on the platform. Events are facts: an id already stored is a
    duplicate (a retry), never an update."""

    event_id: Annotated[uuid.UUID, FROM_JSON_TEXT]
    tutor_id: IngestId
    event_type: Annotated[EventType, FROM_JSON_TEXT]
    event_timestamp: BodyTimestamp
    metadata: dict[str, JsonValue] = Field(default_factory=dict, max_length=50)


IngestOutcome = Literal["created", "updated", "unchanged"]


class IngestedRow(BaseModel):
    id: str
    outcome: IngestOutcome


class IngestReport(BaseModel):
    """What a batch did, row by row, in the order sent."""

    received: int
    created: int
    updated: int
    unchanged: int
    rows: list[IngestedRow]


class TutorBatch(RequestBody):
    """Up to MAX_BATCH tutors, written together or not at all."""

    items: Annotated[list[TutorIn], Field(min_length=1, max_length=MAX_BATCH)]


class StudentBatch(RequestBody):
    """Up to MAX_BATCH students, written together or not at all."""

    items: Annotated[list[StudentIn], Field(min_length=1, max_length=MAX_BATCH)]


class SessionBatch(RequestBody):
    """Up to MAX_BATCH sessions, written together or not at all."""

    items: Annotated[list[SessionIn], Field(min_length=1, max_length=MAX_BATCH)]


class FeedbackBatch(RequestBody):
    """Up to MAX_BATCH ratings, written together or not at all."""

    items: Annotated[list[FeedbackIn], Field(min_length=1, max_length=MAX_BATCH)]


class EventBatch(RequestBody):
    """Up to MAX_BATCH events, written together or not at all."""

    items: Annotated[list[EventIn], Field(min_length=1, max_length=MAX_BATCH)]


# ---- interventions (docs/tutormax.md, "Interventions") -------------------------------------

# A request body is strict (core.request): enums are read from their text
# (FROM_JSON_TEXT), and a date's own validator refuses anything but YYYY-MM-DD.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date_text(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "value is not a date written YYYY-MM-DD")
    return value


DateText = Annotated[date, BeforeValidator(_date_text), Field(strict=False)]
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
    intervention_type: Annotated[InterventionType, FROM_JSON_TEXT]
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

    status: Annotated[InterventionStatus, FROM_JSON_TEXT]
    notes: Notes | None = Field(default=None, description="Replaces the intervention's notes.")


class InterventionCompletion(RequestBody):
    outcome: Annotated[InterventionOutcome, FROM_JSON_TEXT]
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


# ---- a tutor's profile, the high-risk queue, the model's card (docs/tutormax.md, "API") ----


class MetricsOut(BaseModel):
    """A tutor's latest metrics for one window (docs/tutormax.md, "Scorecard")."""

    model_config = ConfigDict(from_attributes=True)

    metric_window: MetricWindow
    calculation_date: datetime
    sessions_completed: int
    avg_rating: float | None
    first_session_success_rate: float | None
    reschedule_rate: float
    no_show_count: int
    engagement_score: float | None
    response_time_avg_minutes: float | None
    overall_score: float | None
    performance_tier: PerformanceTier | None
    improvement_areas: list[str]


class Factor(BaseModel):
    """One reason behind a risk score: the feature, its signed size in points, in words."""

    feature: str
    points: float
    reason: str


class RiskPoint(BaseModel):
    prediction_date: datetime
    risk_score: int
    churn_probability_30d: float


class PredictionOut(BaseModel):
    prediction_date: datetime
    model_version: str
    churn_probability_7d: float
    churn_probability_30d: float
    churn_probability_90d: float
    risk_score: int
    risk_level: RiskLevel
    factors: list[Factor] = Field(description="Largest effect (|points|) first.")
    trend: list[RiskPoint] = Field(description="The latest predictions, oldest first.")


class ProfileSession(BaseModel):
    session_id: str
    student_id: str
    subject: str
    scheduled_start: datetime
    duration_minutes: int
    status: SessionStatus
    is_first_session: bool
    no_show_by: InitiatedBy | None
    rescheduled_by: InitiatedBy | None
    engagement_score: float | None
    overall_rating: int | None = Field(description="The student's rating, if they gave one.")
    free_text_feedback: str | None


class ProfileEvent(BaseModel):
    event_id: uuid.UUID
    event_type: EventType
    event_timestamp: datetime
    metadata: dict[str, JsonValue]


class TutorStatistics(BaseModel):
    """The seed's `get_tutor_statistics` over the 30 days before `until`."""

    days: int
    until: datetime = Field(description="The tutor's last activity, or now when there is none.")
    total_sessions: int
    average_rating: float | None
    no_shows: int
    reschedules: int


class TutorProfile(BaseModel):
    """Everything about one tutor. `audience` says who it was cut for: a tutor reading their
    own profile ("tutor") gets no prediction and no interventions (the success team's
    working notes); staff get everything."""

    audience: Literal["staff", "tutor"]
    tutor: TutorSummary
    email: str
    baseline_sessions_per_week: float | None
    metrics: list[MetricsOut] = Field(description="The latest of each window (7, 30, 90 days).")
    prediction: PredictionOut | None
    sessions: list[ProfileSession] = Field(description="The latest 20, newest first.")
    events: list[ProfileEvent] = Field(description="The latest 20, newest first.")
    interventions: list[InterventionOut] = Field(description="All of them, newest first.")
    statistics: TutorStatistics


class HighRiskTutor(BaseModel):
    tutor_id: str
    name: str
    status: TutorStatus
    subjects: list[str]
    prediction_date: datetime
    model_version: str
    risk_score: int
    risk_level: RiskLevel
    churn_probability_7d: float
    churn_probability_30d: float
    churn_probability_90d: float
    top_reason: str | None = Field(description="The factor adding the most points, if any.")
    top_reason_points: float | None
    has_open_intervention: bool


class HighRiskQueue(BaseModel):
    min_score: int
    limit: int
    tutors: list[HighRiskTutor] = Field(description="Riskiest first.")


class ModelCard(BaseModel):
    version: str
    method: str
    as_of: datetime = Field(description="Where the model's training data ends.")
    trained_at: datetime
    training: dict[str, JsonValue]
    features: list[dict[str, JsonValue]]
    evaluation: dict[str, JsonValue] | None = Field(
        description="Held-out figures beside the baselines (of `evaluated_version`)."
    )
    evaluated_version: str | None


# ---- the pages' views: risk overview, intervention board, a tutor's history and standing ----


class RiskLevelCount(BaseModel):
    risk_level: RiskLevel
    tutors: int


class RiskBucket(BaseModel):
    """Tutors whose risk score is in [low, high], by risk level."""

    low: int
    high: int
    tutors: dict[RiskLevel, int]


class RiskTrendPoint(BaseModel):
    day: datetime
    tutors: dict[RiskLevel, int]


class RiskOverview(BaseModel):
    """The latest scoring day's risk, over tutors who have not churned, and its trend."""

    as_of: datetime | None = Field(description="The latest scoring day (None: never scored).")
    levels: list[RiskLevelCount]
    buckets: list[RiskBucket]
    trend: list[RiskTrendPoint] = Field(description="Each scoring day of the last 26 weeks.")


class InterventionBoard(BaseModel):
    """The interventions by status: every open one (up to `limit` a column), overdue first,
    and those completed or cancelled in the last `closed_days` days."""

    as_of: date
    limit: int
    closed_days: int
    columns: dict[InterventionStatus, InterventionPage]


class MetricPoint(BaseModel):
    calculation_date: datetime
    metric_window: MetricWindow
    sessions_completed: int
    avg_rating: float | None
    first_session_success_rate: float | None
    reschedule_rate: float
    no_show_count: int
    engagement_score: float | None
    response_time_avg_minutes: float | None
    overall_score: float | None
    performance_tier: PerformanceTier | None


class RiskHistoryPoint(BaseModel):
    prediction_date: datetime
    risk_score: int
    risk_level: RiskLevel
    churn_probability_7d: float
    churn_probability_30d: float
    churn_probability_90d: float


class TutorHistory(BaseModel):
    """A tutor's daily metrics (every window) and risk over the last `days` days; a tutor
    reading their own gets no risk (the success team's working notes)."""

    tutor_id: str
    days: int
    metrics: list[MetricPoint]
    risk: list[RiskHistoryPoint]


class StandingMetric(BaseModel):
    key: str
    label: str
    value: float | None
    shown: str = Field(description="The value as a person reads it.")
    higher_is_better: bool
    better_than: float | None = Field(
        description="Share of scored peers (that day, that window) this tutor does better "
        "than, ties counting half; None without a value."
    )


class LiftOut(BaseModel):
    """A missed criterion and what meeting it would do."""

    criterion: str
    label: str
    threshold: float
    value: float | None
    points: float | None = Field(description="Score points meeting it adds, the rest unchanged.")
    tier_if_met: PerformanceTier | None
    sentence: str


class WindowStanding(BaseModel):
    metric_window: MetricWindow
    calculation_date: datetime
    peers: int = Field(description="Other tutors scored in this window that day.")
    overall_score: float | None
    performance_tier: PerformanceTier | None
    metrics: list[StandingMetric]
    lifts: list[LiftOut] = Field(description="The improvement areas, biggest lift first.")


class LinkedTutor(BaseModel):
    tutor_id: str
    name: str


class TutorStanding(BaseModel):
    """Where a tutor stands among peers in each window, and what would lift their score."""

    tutor_id: str
    windows: list[WindowStanding]


__all__ = [
    "MAX_BATCH",
    "ChurnedTutorIn",
    "CompletedSessionIn",
    "CurrentTutorIn",
    "EventBatch",
    "EventIn",
    "Factor",
    "FeedbackBatch",
    "FeedbackIn",
    "HighRiskQueue",
    "HighRiskTutor",
    "IngestReport",
    "IngestedRow",
    "InterventionAssignment",
    "InterventionAuditEntry",
    "InterventionAuditTrail",
    "InterventionBoard",
    "InterventionCompletion",
    "InterventionCreate",
    "InterventionOut",
    "InterventionPage",
    "InterventionStatusChange",
    "LiftOut",
    "LinkedTutor",
    "MetricPoint",
    "MetricsOut",
    "ModelCard",
    "NoShowSessionIn",
    "OpenSessionIn",
    "PredictionOut",
    "ProfileEvent",
    "ProfileSession",
    "RiskBucket",
    "RiskHistoryPoint",
    "RiskLevelCount",
    "RiskOverview",
    "RiskPoint",
    "RiskTrendPoint",
    "SessionBatch",
    "SessionIn",
    "StandingMetric",
    "StudentBatch",
    "StudentIn",
    "TutorActivity",
    "TutorBatch",
    "TutorDetail",
    "TutorHistory",
    "TutorIn",
    "TutorListItem",
    "TutorPage",
    "TutorProfile",
    "TutorStanding",
    "TutorStatistics",
    "TutorSummary",
    "WindowStanding",
    "session_row",
]
