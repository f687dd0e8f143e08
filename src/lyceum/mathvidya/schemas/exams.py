"""Exam templates on offer, exams, answers and declarations, as the API takes and answers them.

What a student sees of a question never carries its answer key while the exam runs: the
correct option and explanation appear only once the exam is handed in.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lyceum.core.request import FROM_JSON_TEXT, RequestBody
from lyceum.core.timestamps import BodyTimestamp
from lyceum.mathvidya.enums import ExamStatus, ExamType

Option = Literal["A", "B", "C", "D"]
UnitName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]*\S")]

# ---- requests ----------------------------------------------------------------------------


class CreateExam(RequestBody):
    """A paper from an exam template; for unit-wise practice, optionally some of the
    template's units."""

    template_id: Annotated[uuid.UUID, FROM_JSON_TEXT]
    units: list[UnitName] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="Unit-wise templates only: the units to practise, among the template's.",
    )


class SaveAnswer(RequestBody):
    """An MCQ choice, stamped by the client when the student made it: a save older than the
    one stored (a retry arriving late) changes nothing."""

    selected_option: Option
    answered_at: BodyTimestamp


class DeclareUnanswered(RequestBody):
    """The student will not attempt this question (0 marks, no penalty)."""

    declared_at: BodyTimestamp


# ---- answers -----------------------------------------------------------------------------


class SectionView(BaseModel):
    name: str
    question_type: str
    count: int
    marks_each: int


class TemplateView(BaseModel):
    id: uuid.UUID
    name: str
    class_level: str
    exam_type: ExamType
    description: str | None
    total_marks: int
    duration_minutes: int
    units: list[str]
    sections: list[SectionView]
    unit_weightage: dict[str, float]


class Choice(BaseModel):
    key: str
    text: str


class QuestionView(BaseModel):
    number: int
    section: str
    question_id: uuid.UUID | None
    question_type: str
    unit: str
    chapter: str | None = None
    marks: int
    text: str
    image_key: str | None = None
    choices: list[Choice] | None = None
    # The student's work so far.
    selected_option: str | None = None
    answered_at: datetime | None = None
    declared_unanswered: bool = False
    # Only once the exam is handed in.
    correct_option: str | None = None
    explanation: str | None = None
    is_correct: bool | None = None
    marks_awarded: Decimal | None = None
    # A written question once its evaluation is complete: the teacher's stamp and comment
    # (`marks_awarded` then holds the teacher's mark).
    stamp: str | None = None
    teacher_comment: str | None = None


class ExamSummary(BaseModel):
    id: uuid.UUID
    student_user_id: uuid.UUID
    template_id: uuid.UUID
    name: str
    exam_type: ExamType
    student_class: str
    status: ExamStatus
    total_marks: int
    duration_minutes: int
    question_count: int
    created_at: datetime
    started_at: datetime | None
    deadline: datetime | None
    submitted_at: datetime | None
    evaluated_at: datetime | None
    mcq_score: Decimal | None
    total_score: Decimal | None
    percentage: Decimal | None


class ExamEvaluationView(BaseModel):
    """Where the teacher's marking of the written answers stands, as the family sees it."""

    status: str = Field(description="pending, assigned, in_progress or completed.")
    # The promise: marked by this moment (the plan's SLA in working hours from the hand-in).
    sla_deadline: datetime
    sla_hours: int
    completed_at: datetime | None
    sla_met: bool | None = Field(description="Whether it was marked by the deadline (once marked).")
    written_marks: Decimal | None
    written_max_marks: Decimal
    teacher_comments: str | None


class ExamDetail(ExamSummary):
    model_config = ConfigDict(json_schema_extra={"description": "An exam with its paper."})

    sections: list[SectionView]
    units: list[str]
    # False before the start: the paper is shown once the timer runs (and the quota is spent).
    questions_shown: bool
    questions: list[QuestionView]
    answered: int
    declared_unanswered: int
    # Exams with written questions, once handed in; null before (and for MCQ-only papers).
    evaluation: ExamEvaluationView | None = None


class AnswerSaved(BaseModel):
    """What is stored for the question after the save: `applied` is false when a newer save
    (or a newer declaration) was already there and this one changed nothing."""

    question_number: int
    applied: bool
    selected_option: str | None
    answered_at: datetime | None
    declared_unanswered: bool


__all__ = [
    "AnswerSaved",
    "Choice",
    "CreateExam",
    "DeclareUnanswered",
    "ExamDetail",
    "ExamEvaluationView",
    "ExamSummary",
    "Option",
    "QuestionView",
    "SaveAnswer",
    "SectionView",
    "TemplateView",
]
