"""The question bank and exam templates as the API takes and answers them.

Bodies check shape (types, enum values, required fields); the rules that span fields (marks
by type, MCQ choices and answer, curriculum units, marking scheme totals, template sections
against total marks) are the pure `bank` package's, applied by the services, so the API, the
import and the pages say the same thing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lyceum.core.request import FROM_JSON_TEXT, RequestBody
from lyceum.mathvidya.enums import (
    ExamType,
    QuestionDifficulty,
    QuestionStatus,
    QuestionType,
)

ClassLevel = Literal["X", "XII"]
Option = Literal["A", "B", "C", "D"]
ShortText = Annotated[str, Field(max_length=20_000)]


class Choice(RequestBody):
    key: Option
    text: ShortText


class Step(RequestBody):
    step: ShortText
    marks: int | float = Field(description="Marks for this step, in halves (1, 1.5).")


class QuestionContent(RequestBody):
    """The fields an author writes. Lengths, the curriculum unit and the cross-field rules
    are checked by the service (422 naming the field)."""

    class_level: ClassLevel
    unit: ShortText = Field(description="A unit of the class's curriculum, e.g. Algebra.")
    chapter: ShortText
    topic: ShortText | None = None
    question_type: Annotated[QuestionType, FROM_JSON_TEXT]
    difficulty: Annotated[QuestionDifficulty, FROM_JSON_TEXT]
    marks: int | None = Field(
        default=None,
        description="MCQ 1, VSA 2, SA 3, LA 4 or 5; may be left out except for LA.",
    )
    question_text: ShortText
    question_image_key: ShortText | None = None
    mcq_choices: list[Choice] | None = Field(
        default=None, description="MCQs only: exactly four choices keyed A, B, C, D."
    )
    correct_option: Option | None = Field(default=None, description="MCQs only.")
    model_answer: ShortText | None = None
    marking_scheme: list[Step] | None = Field(
        default=None, description="Step marks; they add up to the question's marks."
    )
    explanation: ShortText | None = None
    tags: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=100)
    source: ShortText | None = None


class QuestionCreate(QuestionContent):
    question_code: Annotated[str, Field(max_length=100)] | None = Field(
        default=None,
        description="3-32 capitals, digits, hyphens; generated as Q-<class>-<random> if omitted.",
    )


class QuestionUpdate(RequestBody):
    """Any content field; a field given as null is cleared. A draft (or one under review)
    that no exam has used is changed in place; otherwise a new draft version is made."""

    class_level: ClassLevel | None = None
    unit: ShortText | None = None
    chapter: ShortText | None = None
    topic: ShortText | None = None
    question_type: Annotated[QuestionType | None, FROM_JSON_TEXT] = None
    difficulty: Annotated[QuestionDifficulty | None, FROM_JSON_TEXT] = None
    marks: int | None = None
    question_text: ShortText | None = None
    question_image_key: ShortText | None = None
    mcq_choices: list[Choice] | None = None
    correct_option: Option | None = None
    model_answer: ShortText | None = None
    marking_scheme: list[Step] | None = None
    explanation: ShortText | None = None
    tags: list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=100)
    source: ShortText | None = None


class ReviewComment(RequestBody):
    comment: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        description="What the author should change."
    )


class Question(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    question_code: str
    version: int
    class_level: str
    unit: str
    chapter: str
    topic: str | None
    question_type: QuestionType
    difficulty: QuestionDifficulty
    status: QuestionStatus
    marks: int
    question_text: str
    question_image_key: str | None
    mcq_choices: list[dict[str, str]] | None
    correct_option: str | None
    model_answer: str | None
    marking_scheme: list[dict[str, Any]] | None
    explanation: str | None
    tags: list[str]
    source: str | None
    created_by_user_id: uuid.UUID | None
    reviewed_by_user_id: uuid.UUID | None
    reviewed_at: datetime | None
    times_used: int
    created_at: datetime
    updated_at: datetime


class QuestionEdit(BaseModel):
    """The result of an edit: the version that now holds the change, and whether it is a new
    version (the edited one was active or used by an exam, and stays as it was)."""

    question: Question
    new_version: bool
    previous_id: uuid.UUID


class QuestionPage(BaseModel):
    items: list[Question]
    total: int
    limit: int
    offset: int


class ImportProblem(BaseModel):
    row: int | None = Field(description="1 = the first question of the file.")
    field: str
    reason: str


class ImportedQuestion(BaseModel):
    row: int
    id: uuid.UUID
    question_code: str


class ImportResult(BaseModel):
    imported: int
    status: QuestionStatus
    questions: list[ImportedQuestion]


# Exam templates ----------------------------------------------------------------------------


class Section(RequestBody):
    name: Annotated[str, Field(max_length=100)]
    title: Annotated[str, Field(max_length=1000)] | None = None
    question_type: Annotated[QuestionType, FROM_JSON_TEXT]
    count: int
    marks_each: int
    assertion_reason: int | None = Field(
        default=None, description="MCQ sections: how many of the count are assertion-reason."
    )
    case_based: bool | None = Field(default=None, description="LA sections: case-based.")


class DifficultyMix(RequestBody):
    easy: float
    medium: float
    hard: float


class TemplateConfig(RequestBody):
    sections: list[Section] = Field(max_length=100)
    unit_weightage: dict[Annotated[str, Field(max_length=200)], int] | None = Field(
        default=None, description="Unit → marks, adding up to total_marks."
    )
    difficulty_mix: DifficultyMix | None = Field(
        default=None, description="Fractions of easy, medium and hard questions, adding up to 1."
    )


class TemplateCreate(RequestBody):
    name: Annotated[str, Field(min_length=1, max_length=150)]
    class_level: ClassLevel
    exam_type: Annotated[ExamType, FROM_JSON_TEXT]
    description: Annotated[str, Field(max_length=5000)] | None = None
    total_marks: int = Field(ge=1, le=100)
    duration_minutes: int = Field(ge=5, le=240)
    config: TemplateConfig
    units: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=20)


class TemplateUpdate(RequestBody):
    """Any of these; class and type cannot change once exams use the template."""

    name: Annotated[str, Field(min_length=1, max_length=150)] | None = None
    class_level: ClassLevel | None = None
    exam_type: Annotated[ExamType | None, FROM_JSON_TEXT] = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    total_marks: int | None = Field(default=None, ge=1, le=100)
    duration_minutes: int | None = Field(default=None, ge=5, le=240)
    config: TemplateConfig | None = None
    units: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=20)


class Template(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    class_level: str
    exam_type: ExamType
    description: str | None
    total_marks: int
    duration_minutes: int
    config: dict[str, Any]
    units: list[str]
    is_active: bool
    created_by_user_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class TemplatePage(BaseModel):
    items: list[Template]
    total: int
    limit: int
    offset: int


__all__ = [
    "Choice",
    "DifficultyMix",
    "ImportProblem",
    "ImportResult",
    "ImportedQuestion",
    "Question",
    "QuestionCreate",
    "QuestionEdit",
    "QuestionPage",
    "QuestionUpdate",
    "ReviewComment",
    "Section",
    "Step",
    "Template",
    "TemplateConfig",
    "TemplateCreate",
    "TemplatePage",
    "TemplateUpdate",
]
