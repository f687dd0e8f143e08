"""`/api/mathvidya`: the question bank and exam templates (issue 15) for teachers and admins.
The rules and why are in `service/questions.py` and `service/templates.py`.

Staff (teachers and admins): `GET /questions` (search), `POST /questions`,
`POST /questions/import`, `GET /questions/{id}`, `GET /questions/{id}/versions`,
`PATCH /questions/{id}`, `POST /questions/{id}/submit|approve|reject|retire`,
`GET /templates`, `GET /templates/{id}`.
Admins: `POST /templates`, `PATCH /templates/{id}`, `POST /templates/{id}/retire|reactivate`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import Field

from lyceum.core.query import QueryParams
from lyceum.mathvidya.bank.importing import CSV_COLUMNS, MAX_IMPORT_ROWS
from lyceum.mathvidya.dependencies import Admin, MathvidyaSession, RequestOrigin, Staff
from lyceum.mathvidya.enums import ExamType, QuestionDifficulty, QuestionStatus, QuestionType
from lyceum.mathvidya.repository.questions import SearchFilters
from lyceum.mathvidya.schemas import questions as schemas
from lyceum.mathvidya.service import questions as service
from lyceum.mathvidya.service import templates as template_service

NO_NUL = r"^[^\x00]*$"
QuestionId = Annotated[uuid.UUID, Path(description="The id of one version of a question.")]
TemplateId = Annotated[uuid.UUID, Path(description="The exam template's id.")]
Tag = Annotated[str, Field(min_length=1, max_length=50, pattern=NO_NUL)]


class QuestionSearchParams(QueryParams):
    q: str | None = Field(
        default=None,
        min_length=2,
        max_length=200,
        pattern=NO_NUL,
        description="Text to find: a substring, or words close to the question's (a typo is"
        " forgiven); results are ranked by word similarity.",
    )
    question_code: str | None = Field(default=None, min_length=1, max_length=32, pattern=NO_NUL)
    class_level: Literal["X", "XII"] | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=100, pattern=NO_NUL)
    chapter: str | None = Field(default=None, min_length=1, max_length=150, pattern=NO_NUL)
    question_type: QuestionType | None = None
    difficulty: QuestionDifficulty | None = None
    status: QuestionStatus | None = None
    tags: list[Tag] = Field(
        default_factory=list, max_length=20, description="Repeat for several tags."
    )
    tags_match: Literal["all", "any"] = Field(
        default="all", description="all: questions with every tag; any: with at least one."
    )
    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)

    def filters(self) -> SearchFilters:
        tags = tuple(tag.strip().lower() for tag in self.tags)
        return SearchFilters(
            text=self.q.strip() if self.q else None,
            question_code=self.question_code,
            class_level=self.class_level,
            unit=self.unit,
            chapter=self.chapter,
            question_type=self.question_type,
            difficulty=self.difficulty,
            status=self.status,
            tags_all=tags if self.tags_match == "all" else (),
            tags_any=tags if self.tags_match == "any" else (),
        )


class ImportParams(QueryParams):
    approve: bool = Field(
        default=False,
        description="Admins only: import the questions as active and reviewed (by the admin).",
    )


class TemplateListParams(QueryParams):
    class_level: Literal["X", "XII"] | None = None
    exam_type: ExamType | None = None
    is_active: bool | None = None
    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)


IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            f"At most {MAX_IMPORT_ROWS} questions. JSON: an array of question objects as"
            ' `POST /questions` takes them (or `{"questions": [...]}`). CSV (UTF-8): a header'
            f" row naming any of the columns {', '.join(CSV_COLUMNS)}; an MCQ's choices are"
            " `choice_a`..`choice_d`, tags are separated by `;`, `marking_scheme` is JSON text."
            " Row 1 is the first question."
        ),
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/questions", response_model=schemas.QuestionPage)
    async def search_questions(
        _: Staff, db: MathvidyaSession, params: Annotated[QuestionSearchParams, Query()]
    ) -> schemas.QuestionPage:
        """Search the bank (every version, every status unless filtered)."""
        return await service.search(db, params.filters(), limit=params.limit, offset=params.offset)

    @api.post("/questions", response_model=schemas.Question, status_code=status.HTTP_201_CREATED)
    async def create_question(
        body: schemas.QuestionCreate, actor: Staff, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Question:
        """Write a question: a draft, version 1, the caller its author."""
        return await service.create(db, actor, origin, body)

    @api.post(
        "/questions/import",
        response_model=schemas.ImportResult,
        status_code=status.HTTP_201_CREATED,
        openapi_extra=IMPORT_BODY,
        responses={422: {"description": "Every problem of every row; nothing was imported."}},
    )
    async def import_questions(
        request: Request,
        actor: Staff,
        db: MathvidyaSession,
        origin: RequestOrigin,
        params: Annotated[ImportParams, Query()],
    ) -> schemas.ImportResult:
        """Import questions from a CSV or JSON file sent as the body (`Content-Type: text/csv`
        or `application/json`). Every row is checked first; if any row has a problem, nothing
        is imported and the 422 lists every problem (row, field, reason). Otherwise all rows
        become drafts in one transaction."""
        data = await request.body()
        return await service.import_questions(
            db, actor, origin, data, request.headers.get("content-type"), approve=params.approve
        )

    @api.get("/questions/{question_id:uuid}", response_model=schemas.Question)
    async def read_question(
        question_id: QuestionId, _: Staff, db: MathvidyaSession
    ) -> schemas.Question:
        """One version of a question, with its answer key."""
        return await service.read(db, question_id)

    @api.get("/questions/{question_id:uuid}/versions", response_model=list[schemas.Question])
    async def question_versions(
        question_id: QuestionId, _: Staff, db: MathvidyaSession
    ) -> list[schemas.Question]:
        """Every version of this question's code, oldest first."""
        return await service.history(db, question_id)

    @api.patch("/questions/{question_id:uuid}", response_model=schemas.QuestionEdit)
    async def edit_question(
        question_id: QuestionId,
        body: schemas.QuestionUpdate,
        actor: Staff,
        db: MathvidyaSession,
        origin: RequestOrigin,
    ) -> schemas.QuestionEdit:
        """Edit the newest version. A draft (or one under review) no exam has used changes in
        place; an active, archived or used question gets a new draft version instead, and the
        edited version stays as it is (active until the new one is approved)."""
        return await service.update(db, actor, origin, question_id, body)

    @api.post("/questions/{question_id:uuid}/submit", response_model=schemas.Question)
    async def submit_question(
        question_id: QuestionId, actor: Staff, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Question:
        """The author sends a draft for review by a second teacher."""
        return await service.submit(db, actor, origin, question_id)

    @api.post("/questions/{question_id:uuid}/approve", response_model=schemas.Question)
    async def approve_question(
        question_id: QuestionId, actor: Staff, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Question:
        """A teacher or admin other than the author approves a question under review: it
        becomes the active version, and the code's previously active version is archived."""
        return await service.approve(db, actor, origin, question_id)

    @api.post("/questions/{question_id:uuid}/reject", response_model=schemas.Question)
    async def reject_question(
        question_id: QuestionId,
        body: schemas.ReviewComment,
        actor: Staff,
        db: MathvidyaSession,
        origin: RequestOrigin,
    ) -> schemas.Question:
        """Send a question under review back to draft, saying what to change."""
        return await service.reject(db, actor, origin, question_id, body)

    @api.post("/questions/{question_id:uuid}/retire", response_model=schemas.Question)
    async def retire_question(
        question_id: QuestionId, actor: Staff, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Question:
        """Archive an active question: exams stop picking it; past exams keep it."""
        return await service.retire(db, actor, origin, question_id)

    @api.get("/templates", response_model=schemas.TemplatePage)
    async def list_templates(
        _: Staff, db: MathvidyaSession, params: Annotated[TemplateListParams, Query()]
    ) -> schemas.TemplatePage:
        """Exam templates by class, type and name."""
        return await template_service.listing(
            db,
            class_level=params.class_level,
            exam_type=params.exam_type,
            is_active=params.is_active,
            limit=params.limit,
            offset=params.offset,
        )

    @api.get("/templates/{template_id}", response_model=schemas.Template)
    async def read_template(
        template_id: TemplateId, _: Staff, db: MathvidyaSession
    ) -> schemas.Template:
        return await template_service.read(db, template_id)

    @api.post("/templates", response_model=schemas.Template, status_code=status.HTTP_201_CREATED)
    async def create_template(
        body: schemas.TemplateCreate, actor: Admin, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Template:
        """A new exam template (admins). Its sections' marks add up to total_marks; a unit
        weightage adds up to total_marks; a difficulty mix adds up to 1."""
        return await template_service.create(db, actor, origin, body)

    @api.patch("/templates/{template_id}", response_model=schemas.Template)
    async def edit_template(
        template_id: TemplateId,
        body: schemas.TemplateUpdate,
        actor: Admin,
        db: MathvidyaSession,
        origin: RequestOrigin,
    ) -> schemas.Template:
        """Change a template (admins); exams already generated keep their frozen copy."""
        return await template_service.update(db, actor, origin, template_id, body)

    @api.post("/templates/{template_id}/retire", response_model=schemas.Template)
    async def retire_template(
        template_id: TemplateId, actor: Admin, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Template:
        """Stop offering a template (admins); exams that used it keep it."""
        return await template_service.set_active(db, actor, origin, template_id, active=False)

    @api.post("/templates/{template_id}/reactivate", response_model=schemas.Template)
    async def reactivate_template(
        template_id: TemplateId, actor: Admin, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Template:
        """Offer a retired template again (admins)."""
        return await template_service.set_active(db, actor, origin, template_id, active=True)

    return api


__all__ = ["router"]
