"""The learning API's models (issue 18): a student's mastery map, the next question, submitting
an attempt, the study plan and its progress, the profile; a teacher's class heatmap and
shortfalls. Request bodies are strict and closed (`core.request.RequestBody`)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from lyceum.adaptive.enums import PlanEventKind
from lyceum.adaptive.schemas import DeviceId
from lyceum.core.request import FROM_JSON_TEXT, RequestBody
from lyceum.core.timestamps import BodyTimestamp

# ---- mastery -------------------------------------------------------------------------------


class MasteryStatus(enum.StrEnum):
    MASTERED = "mastered"
    # Practised, not mastered yet.
    LEARNING = "learning"
    # Never practised, and every prerequisite mastered: ready to start.
    NOT_STARTED = "not_started"
    # Was mastered at the last attempt; forgetting has since taken it below the line.
    DECAYING = "decaying"
    # Never practised, and a prerequisite is not mastered yet.
    LOCKED = "locked"


class ConceptMasteryView(BaseModel):
    code: str
    name: str
    topic_code: str
    mastery: float = Field(description="P(mastered) now: forgetting since the last attempt.")
    mastery_after_last_attempt: float = Field(description="What concept_mastery stores.")
    confidence: float = Field(description="How sure the model is of its call, 0..1.")
    attempts: int
    correct: int
    last_practiced_at: datetime | None
    status: MasteryStatus
    marks: float = Field(description="The concept's share of the paper, out of 100.")
    prerequisites: list[str]
    locked_by: list[str] = Field(description="Prerequisites not mastered yet.")


class TopicMastery(BaseModel):
    code: str
    name: str
    syllabus_weightage: float
    concepts: int
    mean_mastery: float
    expected_marks: float = Field(description="Σ marks x P(mastered) now, over its concepts.")
    mastered: int
    learning: int
    not_started: int
    decaying: int
    locked: int


class MasteryMap(BaseModel):
    student_id: uuid.UUID
    grade: int
    as_of: datetime
    mastered_at: float = Field(description="The P(mastered) from which a concept counts.")
    expected_marks: float = Field(description="Σ marks x P(mastered) now, out of 100.")
    concepts: list[ConceptMasteryView]
    topics: list[TopicMastery]


# ---- questions and attempts ------------------------------------------------------------------


class NextQuestion(BaseModel):
    """A question to answer, without its answer or explanation."""

    question_id: uuid.UUID
    code: str
    text: str
    kind: str
    options: list[str] | None
    concept_code: str
    concept_name: str
    topic_code: str
    predicted_success: float
    mode: str = Field(description="new (outer fringe), practice, or review (decaying).")
    reason: str


class AttemptSubmission(RequestBody):
    question_id: Annotated[uuid.UUID, FROM_JSON_TEXT]
    answer: Annotated[str, Field(min_length=1, max_length=200)]
    time_taken_seconds: Annotated[float, Field(ge=0, le=86_400)]
    confidence: Annotated[int, Field(ge=1, le=5)] | None = Field(
        default=None, description="Self-reported, 1 (guess) to 5 (sure)."
    )
    attempt_id: Annotated[uuid.UUID, FROM_JSON_TEXT] | None = Field(
        default=None,
        description="Made by the client to make the submission idempotent: the same id sent "
        "again returns the first answer and changes nothing.",
    )
    device_id: DeviceId | None = Field(default=None, description="Default: web.")
    attempted_at: BodyTimestamp | None = Field(
        default=None, description="When it was answered (default: now); not in the future."
    )


class AttemptResult(BaseModel):
    attempt_id: uuid.UUID
    question_id: uuid.UUID
    concept_code: str
    is_correct: bool
    # Revealed now that it is answered.
    correct_answer: str
    explanation: str | None
    attempted_at: datetime
    duplicate: bool = Field(description="This attempt id was submitted before; nothing changed.")
    mastery_before: float
    mastery: float
    confidence: float
    status: MasteryStatus


# ---- plans and profile -----------------------------------------------------------------------


class PlanItemView(BaseModel):
    concept_code: str
    concept_name: str
    minutes: int
    kind: str
    expected_gain: float
    reason: str
    done: bool = Field(description="A `completed` event was recorded for it.")
    skipped: bool


class PlanDay(BaseModel):
    date: date
    minutes: int
    completed_minutes: int
    items: list[PlanItemView]


class PlanProgress(BaseModel):
    planned_minutes: int
    completed_minutes: int
    items: int
    completed_items: int
    skipped_items: int
    minutes_due_by_today: int = Field(description="Planned minutes of the days up to today.")


class PlanView(BaseModel):
    plan_id: uuid.UUID
    student_id: uuid.UUID
    status: str
    generated_at: datetime
    starts_on: date
    ends_on: date
    exam_date: date | None
    hours_per_week: float | None
    expected_marks: float | None
    baseline_marks: float | None
    method: str | None
    target_marks: float | None
    today: PlanDay | None
    days: list[PlanDay]
    progress: PlanProgress


class LearnerProfile(BaseModel):
    student_id: uuid.UUID
    grade: int
    exam_date: date | None
    available_hours_per_week: float
    target_marks: float | None
    class_id: uuid.UUID | None
    updated_at: datetime


class ProfileUpdate(RequestBody):
    """Only the fields sent are changed; `null` clears the exam date or the target."""

    exam_date: Annotated[date, FROM_JSON_TEXT] | None = None
    available_hours_per_week: Annotated[float, Field(ge=0, le=168)] | None = None
    target_marks: Annotated[float, Field(ge=0, le=100)] | None = None


class PlanProgressUpdate(RequestBody):
    """A step of the active plan done, started or skipped: one item (`concept_code`), or the
    whole day when it is left out. Appended to the plan's progress, as a device's would be."""

    kind: Annotated[PlanEventKind, FROM_JSON_TEXT]
    day: Annotated[date, FROM_JSON_TEXT]
    concept_code: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    minutes: Annotated[int, Field(ge=0, le=1440)] | None = Field(
        default=None, description="Minutes spent (default: the minutes planned for it)."
    )


# ---- classes -----------------------------------------------------------------------------


class ClassSummary(BaseModel):
    class_id: uuid.UUID
    name: str
    grade: int
    teacher_id: uuid.UUID
    students: int


class HeatmapTopic(BaseModel):
    code: str
    name: str
    syllabus_weightage: float


class HeatmapRow(BaseModel):
    student_id: uuid.UUID
    username: str
    full_name: str | None
    # Mean P(mastered) now over each topic's concepts, aligned with `topics`.
    mastery: list[float]
    expected_marks: float


class ClassMastery(BaseModel):
    class_id: uuid.UUID
    name: str
    grade: int
    as_of: datetime
    topics: list[HeatmapTopic]
    students: list[HeatmapRow]


class Shortfall(BaseModel):
    student_id: uuid.UUID
    username: str
    full_name: str | None
    target_marks: float
    expected_marks: float
    gap: float = Field(description="target - expected, in marks out of 100.")
    plan_generated_at: datetime
    exam_date: date | None


class ClassShortfalls(BaseModel):
    class_id: uuid.UUID
    name: str
    students: list[Shortfall] = Field(description="Largest gap first.")
    without_plan: int = Field(description="Students with a target but no current plan.")


__all__ = [
    "AttemptResult",
    "AttemptSubmission",
    "ClassMastery",
    "ClassShortfalls",
    "ClassSummary",
    "ConceptMasteryView",
    "HeatmapRow",
    "HeatmapTopic",
    "LearnerProfile",
    "MasteryMap",
    "MasteryStatus",
    "NextQuestion",
    "PlanDay",
    "PlanItemView",
    "PlanProgress",
    "PlanView",
    "ProfileUpdate",
    "Shortfall",
    "TopicMastery",
]
