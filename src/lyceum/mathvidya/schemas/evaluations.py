"""Teacher evaluation, re-evaluation and the SLA report, as the API takes and answers them.

Marks are JSON numbers in half steps (2, 2.5); the service checks the step and the question's
maximum and names the field in its 422. Stamps are checked against `system_config`
`evaluation.stamps` by the service (the list can change without a release).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from lyceum.core.request import FROM_JSON_TEXT, RequestBody
from lyceum.mathvidya.enums import EvaluationStatus, ExamType

MAX_COMMENT = 2000
Comment = Annotated[str, StringConstraints(max_length=MAX_COMMENT)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"\S")]
StampName = Annotated[str, StringConstraints(min_length=1, max_length=10)]

# ---- requests ----------------------------------------------------------------------------


class SaveMark(RequestBody):
    """The mark of one written question: whole or half marks from 0 to the question's
    maximum, optionally an overall stamp and a comment for the student."""

    marks: float = Field(ge=0, le=100, description="Whole or half marks, e.g. 3 or 2.5.")
    stamp: StampName | None = None
    comment: Comment | None = None


class Annotation(RequestBody):
    """A stamp placed on a page of the answer sheet; x and y are fractions of the page's
    width and height from its top-left corner."""

    page: int = Field(ge=1, le=100)
    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    stamp: StampName


class SaveAnnotations(RequestBody):
    """Every stamp on the pages (replaces those placed before)."""

    annotations: list[Annotation] = Field(max_length=500)


class CompleteEvaluation(RequestBody):
    """Hand the marking back: an overall comment for the student, optional."""

    comment: Comment | None = None


class Reassign(RequestBody):
    teacher_id: Annotated[uuid.UUID, FROM_JSON_TEXT]


class RequestReevaluation(RequestBody):
    """Ask for one written question to be marked again by another teacher (once)."""

    question_number: int = Field(ge=1, le=100)
    reason: Reason


class CompleteReevaluation(RequestBody):
    marks: float = Field(ge=0, le=100, description="Whole or half marks, e.g. 3 or 2.5.")
    comment: Comment | None = None


# ---- answers -----------------------------------------------------------------------------


class EvaluationSummary(BaseModel):
    id: uuid.UUID
    exam_id: uuid.UUID
    student_class: str
    exam_type: ExamType
    status: EvaluationStatus
    teacher_id: uuid.UUID | None
    sla_hours: int
    submitted_at: datetime
    sla_deadline: datetime
    assigned_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    claim_expires_at: datetime | None
    sla_breached: bool
    reassignment_count: int
    max_marks: Decimal
    marks_awarded: Decimal | None
    predicted_completion_at: datetime | None
    predicted_at: datetime | None


class QueueItem(EvaluationSummary):
    """A held evaluation in a teacher's queue."""

    working_hours_left: float = Field(
        description="Working hours to the deadline (negative once it has passed)."
    )
    warning: bool = Field(description="Within the warning hours of the deadline, or past it.")
    marked_questions: int


class EvaluationList(BaseModel):
    total: int
    items: list[EvaluationSummary]


class WrittenQuestion(BaseModel):
    number: int
    question_id: uuid.UUID | None
    question_type: str
    unit: str
    marks: int
    text: str
    image_key: str | None = None
    model_answer: str | None = None
    marking_scheme: list[dict[str, Any]] | None = None
    declared_unanswered: bool
    # The mark so far.
    marks_awarded: Decimal | None = None
    stamp: str | None = None
    comment: str | None = None


class McqResult(BaseModel):
    questions: int
    answered: int
    correct: int
    score: Decimal | None


class SheetPage(BaseModel):
    page_number: int
    mime_type: str
    uploaded_at: datetime
    url: str | None = Field(default=None, description="A signed link that expires, if served.")


class EvaluationDetail(EvaluationSummary):
    written_questions: list[WrittenQuestion]
    mcq: McqResult
    pages: list[SheetPage]
    annotations: list[dict[str, Any]]
    teacher_comments: str | None
    stamps: list[str]


class MarkSaved(BaseModel):
    question_number: int
    marks_awarded: Decimal
    max_marks: Decimal
    stamp: str | None
    comment: str | None
    claim_expires_at: datetime | None


class Reevaluation(BaseModel):
    id: uuid.UUID
    evaluation_id: uuid.UUID
    exam_id: uuid.UUID
    question_number: int
    reason: str
    status: str
    teacher_id: uuid.UUID | None
    requested_at: datetime
    sla_deadline: datetime
    completed_at: datetime | None
    max_marks: Decimal
    marks_before: Decimal
    marks_after: Decimal | None
    comment: str | None


# ---- the SLA report ----------------------------------------------------------------------


class SlaGroup(BaseModel):
    key: str
    name: str | None = None
    evaluations: int
    met: int
    breached: int
    met_percent: float | None
    median_working_hours: float | None


class AtRisk(BaseModel):
    evaluation_id: uuid.UUID
    teacher_id: uuid.UUID | None
    sla_deadline: datetime
    predicted_completion_at: datetime | None
    breached: bool


class SlaReport(BaseModel):
    from_: datetime = Field(serialization_alias="from")
    to: datetime
    overall: SlaGroup
    by_plan: list[SlaGroup]
    by_teacher: list[SlaGroup]
    open_breached: int
    at_risk: list[AtRisk]


__all__ = [
    "MAX_COMMENT",
    "Annotation",
    "AtRisk",
    "CompleteEvaluation",
    "CompleteReevaluation",
    "EvaluationDetail",
    "EvaluationList",
    "EvaluationSummary",
    "MarkSaved",
    "McqResult",
    "QueueItem",
    "Reassign",
    "Reevaluation",
    "RequestReevaluation",
    "SaveAnnotations",
    "SaveMark",
    "SheetPage",
    "SlaGroup",
    "SlaReport",
    "WrittenQuestion",
]
