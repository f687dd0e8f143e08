"""`/api/mathvidya`: exam templates on offer, exams, answers, declarations and hand-in
(issue 15).

A student sets, starts, answers and hands in their own exams; a student, a linked parent and
an admin read them (anyone else gets 404, as for a missing exam). Teachers read no student's
exam here (Mathvidya II gives them the ones assigned to them).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import Field

from lyceum.core.query import QueryParams
from lyceum.mathvidya.dependencies import MathvidyaSession, RequestOrigin, Student, require_account
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.schemas import exams as schemas
from lyceum.mathvidya.service import exams as service
from lyceum.mathvidya.service.audit import Actor

# Who may read an exam (the service then applies the family rule).
Reader = Annotated[
    Actor, Depends(require_account(UserRole.STUDENT, UserRole.PARENT, UserRole.ADMIN))
]
ExamId = Annotated[uuid.UUID, Path(description="The exam's id (a UUID).")]
QuestionNumber = Annotated[
    int, Path(ge=1, le=100, description="The question's number in the paper, from 1.")
]


class ExamListParams(QueryParams):
    student_id: uuid.UUID | None = Field(
        default=None,
        description="The student whose exams to list: a student may omit it (their own); a"
        " parent names a linked child, an admin anyone.",
    )
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=100_000)


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/exam-templates/available", response_model=list[schemas.TemplateView])
    async def available_templates(
        actor: Student, db: MathvidyaSession
    ) -> list[schemas.TemplateView]:
        """The exam templates of the student's class: board paper, sections, unit practice."""
        return await service.available_templates(db, actor)

    @api.post("/exams", response_model=schemas.ExamDetail, status_code=status.HTTP_201_CREATED)
    async def create_exam(
        actor: Student, db: MathvidyaSession, origin: RequestOrigin, body: schemas.CreateExam
    ) -> schemas.ExamDetail:
        """Set a paper from a template (shown once started; starting spends the quota)."""
        return await service.generate(db, actor, origin, body.template_id, body.units)

    @api.get("/exams", response_model=list[schemas.ExamSummary])
    async def list_exams(
        actor: Reader, db: MathvidyaSession, params: Annotated[ExamListParams, Query()]
    ) -> list[schemas.ExamSummary]:
        """A student's exams, newest first."""
        return await service.list_exams(db, actor, params.student_id, params.limit, params.offset)

    @api.get("/exams/{exam_id}", response_model=schemas.ExamDetail)
    async def read_exam(actor: Reader, db: MathvidyaSession, exam_id: ExamId) -> schemas.ExamDetail:
        """An exam with its paper and answers; correct answers once it is handed in."""
        return await service.read(db, actor, exam_id)

    @api.post("/exams/{exam_id}/start", response_model=schemas.ExamDetail)
    async def start_exam(
        actor: Student, db: MathvidyaSession, origin: RequestOrigin, exam_id: ExamId
    ) -> schemas.ExamDetail:
        """Start the timer; spends one of this month's exams (403 with the reset date when
        none is left)."""
        return await service.start(db, actor, origin, exam_id)

    @api.put("/exams/{exam_id}/answers/{question_number}", response_model=schemas.AnswerSaved)
    async def save_answer(
        actor: Student,
        db: MathvidyaSession,
        exam_id: ExamId,
        question_number: QuestionNumber,
        body: schemas.SaveAnswer,
    ) -> schemas.AnswerSaved:
        """Save an MCQ choice (idempotent; an older save never replaces a newer one)."""
        return await service.save_answer(
            db, actor, exam_id, question_number, body.selected_option, body.answered_at
        )

    @api.put("/exams/{exam_id}/unanswered/{question_number}", response_model=schemas.AnswerSaved)
    async def declare_unanswered(
        actor: Student,
        db: MathvidyaSession,
        exam_id: ExamId,
        question_number: QuestionNumber,
        body: schemas.DeclareUnanswered,
    ) -> schemas.AnswerSaved:
        """Declare a question unattempted: 0 marks, no penalty."""
        return await service.declare_unanswered(
            db, actor, exam_id, question_number, body.declared_at
        )

    @api.post("/exams/{exam_id}/submit", response_model=schemas.ExamDetail)
    async def submit_exam(
        actor: Student, db: MathvidyaSession, origin: RequestOrigin, exam_id: ExamId
    ) -> schemas.ExamDetail:
        """Hand the exam in: MCQs are marked at once; an MCQ-only exam gets its result."""
        return await service.submit(db, actor, origin, exam_id)

    return api


__all__ = ["router"]
