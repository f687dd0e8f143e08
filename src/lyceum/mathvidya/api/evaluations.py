"""`/api/mathvidya`: teacher evaluation, re-evaluation and the SLA report (issue 16).

A teacher sees and marks only the evaluations they hold (another's answers 404, as a missing
one); an admin reads all of them, lists them, reassigns them and reads the SLA report. A
student asks for a question to be re-marked; the student, a linked parent and an admin read
the requests.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import Field

from lyceum.core.query import QueryParams
from lyceum.mathvidya.dependencies import (
    Admin,
    MathvidyaSession,
    RequestOrigin,
    Staff,
    Student,
    require_account,
)
from lyceum.mathvidya.enums import EvaluationStatus, UserRole
from lyceum.mathvidya.schemas import evaluations as schemas
from lyceum.mathvidya.service import evaluation_marking as marking
from lyceum.mathvidya.service import evaluations as service
from lyceum.mathvidya.service import reevaluations, sla_report
from lyceum.mathvidya.service.audit import Actor
from lyceum.mathvidya.storage import signing_secret

Teacher = Annotated[Actor, Depends(require_account(UserRole.TEACHER))]
FamilyReader = Annotated[
    Actor, Depends(require_account(UserRole.STUDENT, UserRole.PARENT, UserRole.ADMIN))
]
EvaluationId = Annotated[uuid.UUID, Path(description="The evaluation's id (a UUID).")]
ExamId = Annotated[uuid.UUID, Path(description="The exam's id (a UUID).")]
RequestId = Annotated[uuid.UUID, Path(description="The re-evaluation request's id (a UUID).")]
QuestionNumber = Annotated[
    int, Path(ge=1, le=100, description="The question's number in the paper, from 1.")
]


class EvaluationListParams(QueryParams):
    status: EvaluationStatus | None = None
    teacher_id: uuid.UUID | None = None
    breached: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class ReevaluationListParams(QueryParams):
    open: bool = Field(default=True, description="Only those still to be re-marked.")


class SlaReportParams(QueryParams):
    from_: date | None = Field(
        default=None, alias="from", description="First India date (default: 30 days ago)."
    )
    to: date | None = Field(default=None, description="Last India date (default: today).")


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/evaluations/queue", response_model=list[schemas.QueueItem])
    async def evaluation_queue(actor: Staff, db: MathvidyaSession) -> list[schemas.QueueItem]:
        """The caller's held evaluations (an admin: all held ones), by deadline, with the
        working hours left and the monitor's forecast."""
        return await service.queue(db, actor)

    @api.get("/evaluations", response_model=schemas.EvaluationList)
    async def list_evaluations(
        actor: Admin, db: MathvidyaSession, params: Annotated[EvaluationListParams, Query()]
    ) -> schemas.EvaluationList:
        """Admins: evaluations by status, teacher and breach, with the total."""
        return await service.list_all(
            db,
            status=params.status,
            teacher_id=params.teacher_id,
            breached=params.breached,
            limit=params.limit,
            offset=params.offset,
        )

    @api.get("/evaluations/{evaluation_id}", response_model=schemas.EvaluationDetail)
    async def read_evaluation(
        actor: Staff, db: MathvidyaSession, evaluation_id: EvaluationId
    ) -> schemas.EvaluationDetail:
        """The marking screen: written questions with their marking scheme, declared
        unanswered questions, the MCQ result, the answer-sheet pages (signed links that
        expire), marks so far."""
        return await service.detail(db, actor, evaluation_id, secret=signing_secret())

    @api.post("/evaluations/{evaluation_id}/start", response_model=schemas.EvaluationDetail)
    async def start_evaluation(
        actor: Teacher, db: MathvidyaSession, origin: RequestOrigin, evaluation_id: EvaluationId
    ) -> schemas.EvaluationDetail:
        """The holder starts marking (renews the claim)."""
        return await marking.start(db, actor, origin, evaluation_id)

    @api.put(
        "/evaluations/{evaluation_id}/marks/{question_number}", response_model=schemas.MarkSaved
    )
    async def save_mark(
        actor: Teacher,
        db: MathvidyaSession,
        evaluation_id: EvaluationId,
        question_number: QuestionNumber,
        body: schemas.SaveMark,
    ) -> schemas.MarkSaved:
        """A written question's mark (half steps), stamp and comment; idempotent."""
        return await marking.save_mark(db, actor, evaluation_id, question_number, body)

    @api.put("/evaluations/{evaluation_id}/annotations", response_model=schemas.EvaluationDetail)
    async def save_annotations(
        actor: Teacher,
        db: MathvidyaSession,
        evaluation_id: EvaluationId,
        body: schemas.SaveAnnotations,
    ) -> schemas.EvaluationDetail:
        """Replace the stamps placed on the answer-sheet pages."""
        return await marking.save_annotations(db, actor, evaluation_id, body)

    @api.post("/evaluations/{evaluation_id}/complete", response_model=schemas.EvaluationDetail)
    async def complete_evaluation(
        actor: Teacher,
        db: MathvidyaSession,
        origin: RequestOrigin,
        evaluation_id: EvaluationId,
        body: schemas.CompleteEvaluation,
    ) -> schemas.EvaluationDetail:
        """Finish the marking: totals, percentage, the family told."""
        return await marking.complete(db, actor, origin, evaluation_id, body)

    @api.post("/evaluations/{evaluation_id}/reassign", response_model=schemas.EvaluationSummary)
    async def reassign_evaluation(
        actor: Admin,
        db: MathvidyaSession,
        origin: RequestOrigin,
        evaluation_id: EvaluationId,
        body: schemas.Reassign,
    ) -> schemas.EvaluationSummary:
        """Admins: give an open evaluation to another active teacher."""
        return await service.reassign(db, actor, origin, evaluation_id, body.teacher_id)

    @api.post(
        "/exams/{exam_id}/reevaluations",
        response_model=schemas.Reevaluation,
        status_code=status.HTTP_201_CREATED,
    )
    async def request_reevaluation(
        actor: Student,
        db: MathvidyaSession,
        origin: RequestOrigin,
        exam_id: ExamId,
        body: schemas.RequestReevaluation,
    ) -> schemas.Reevaluation:
        """Ask for one teacher-marked question to be marked again by another teacher (once
        per question, within 14 days of the result)."""
        return await reevaluations.request(db, actor, origin, exam_id, body)

    @api.get("/exams/{exam_id}/reevaluations", response_model=list[schemas.Reevaluation])
    async def exam_reevaluations(
        actor: FamilyReader, db: MathvidyaSession, exam_id: ExamId
    ) -> list[schemas.Reevaluation]:
        """The exam's re-evaluation requests and their outcome."""
        return await reevaluations.for_exam(db, actor, exam_id)

    @api.get("/reevaluations", response_model=list[schemas.Reevaluation])
    async def my_reevaluations(
        actor: Staff, db: MathvidyaSession, params: Annotated[ReevaluationListParams, Query()]
    ) -> list[schemas.Reevaluation]:
        """The caller's re-evaluations to do (an admin: everyone's), most urgent first."""
        return await reevaluations.for_teacher(db, actor, open_only=params.open)

    @api.post("/reevaluations/{request_id}/complete", response_model=schemas.Reevaluation)
    async def complete_reevaluation(
        actor: Teacher,
        db: MathvidyaSession,
        origin: RequestOrigin,
        request_id: RequestId,
        body: schemas.CompleteReevaluation,
    ) -> schemas.Reevaluation:
        """The second mark replaces the first; the totals follow."""
        return await reevaluations.complete(db, actor, origin, request_id, body)

    @api.get("/sla/report", response_model=schemas.SlaReport, response_model_by_alias=True)
    async def read_sla_report(
        actor: Admin, db: MathvidyaSession, params: Annotated[SlaReportParams, Query()]
    ) -> schemas.SlaReport:
        """Admins: SLA met % overall, by plan and by teacher, and what is at risk now."""
        return await sla_report.report(db, params.from_, params.to)

    return api


__all__ = ["router"]
