"""Re-evaluation (issue 16): a student asks for one written question of a completed evaluation
to be marked again, once per question, within `REQUEST_WINDOW` of the result; a teacher other
than the one who marked it does so under the plan's SLA (the evaluation's `sla_hours`, counted
in working hours from the request).

The second teacher is chosen as a new evaluation's would be (`sla.choose_teacher` over the
workload, the original marker excluded); when nobody else is free the request waits
unassigned and the SLA monitor retries. The new mark replaces the question's mark, and the
evaluation's written total, the exam's total and its percentage change with it in the same
transaction (the database's deferred triggers check at commit that they add up). The student
and linked parents are told.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, InvalidInput, NotFound
from lyceum.mathvidya.enums import EvaluationStatus, UserRole
from lyceum.mathvidya.models import ReevaluationRequest
from lyceum.mathvidya.repository import evaluations as repository
from lyceum.mathvidya.repository import exams as exam_rows
from lyceum.mathvidya.repository import reevaluations as requests
from lyceum.mathvidya.schemas import evaluations as schemas
from lyceum.mathvidya.service.audit import Actor, Origin, record
from lyceum.mathvidya.service.evaluation_marking import half_marks, tell_family
from lyceum.mathvidya.service.evaluations import Workload, load_workload, notify
from lyceum.mathvidya.service.exam_generation import exam_not_found, now_or
from lyceum.mathvidya.service.ownership import require_student_access
from lyceum.mathvidya.sla import choose_teacher

# How long after the result a student may ask (a product decision, in calendar days: the
# board's own re-evaluation window is of this order).
REQUEST_WINDOW = timedelta(days=14)


def _not_found() -> NotFound:
    return NotFound("no such re-evaluation request", details={"reason": "not_found"})


def view(request: ReevaluationRequest, exam_id: uuid.UUID) -> schemas.Reevaluation:
    return schemas.Reevaluation(
        id=request.id,
        evaluation_id=request.evaluation_id,
        exam_id=exam_id,
        question_number=request.question_number,
        reason=request.reason,
        status=request.status,
        teacher_id=request.teacher_user_id,
        requested_at=request.requested_at,
        sla_deadline=request.sla_deadline,
        completed_at=request.completed_at,
        max_marks=request.max_marks,
        marks_before=request.marks_before,
        marks_after=request.marks_after,
        comment=request.teacher_comment,
    )


async def give_to_teacher(
    db: AsyncSession,
    workload: Workload,
    request: ReevaluationRequest,
    now: datetime,
    origin: Origin,
) -> uuid.UUID | None:
    """Give the request to the teacher forecast to finish soonest, never its first marker."""
    exclude = frozenset({request.original_teacher_user_id} - {None})
    teacher = choose_teacher(
        workload.calendar,
        now,
        request.sla_deadline,
        list(workload.open.values()),
        workload.capacities,
        exclude=frozenset(t for t in exclude if t is not None),
    )
    if teacher is None:
        return None
    await requests.update_reevaluation(db, request.id, teacher_user_id=teacher)
    await record(
        db,
        "reevaluation.assigned",
        "reevaluation_request",
        request.id,
        actor=None,
        origin=origin,
        details={"teacher_id": str(teacher), "sla_deadline": request.sla_deadline.isoformat()},
    )
    await notify(
        db,
        workload.teachers.get(teacher),
        "A question to re-mark",
        f"A student asked for question {request.question_number} of an exam to be marked"
        " again. It is yours to re-mark.",
        reference=f"reevaluation_requests/{request.id}",
        dedupe_key=f"mathvidya:reevaluation_assigned:{request.id}:{teacher}",
    )
    return teacher


async def request(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    exam_id: uuid.UUID,
    body: schemas.RequestReevaluation,
    *,
    now: datetime | None = None,
) -> schemas.Reevaluation:
    """The student asks for one teacher-marked question of their marked exam to be marked
    again by another teacher (once per question)."""
    at = now_or(now)
    exam = await exam_rows.exam_by_id(db, exam_id, lock=True)
    if exam is None or exam.student_user_id != actor.user_id:
        raise exam_not_found()
    evaluation = await repository.evaluation_of_exam(db, exam.id)
    if evaluation is None or evaluation.status is not EvaluationStatus.COMPLETED:
        raise Conflict(
            "This exam's written answers have not been marked yet; a re-evaluation can be"
            " asked for once they are.",
            details={"reason": "not_evaluated"},
        )
    assert evaluation.completed_at is not None
    if at > evaluation.completed_at + REQUEST_WINDOW:
        raise Conflict(
            f"A re-evaluation can be asked for within {REQUEST_WINDOW.days} days of the result;"
            " that time has passed.",
            details={"reason": "window_closed"},
        )
    marks = await repository.question_marks(db, evaluation.id)
    declared = await exam_rows.declarations(db, exam.id)
    mark = marks.get(body.question_number)
    if mark is None or body.question_number in declared:
        raise InvalidInput(
            f"question {body.question_number} was not marked by a teacher (MCQs are marked by"
            " the key, and questions declared unanswered score 0); choose a written question",
            details={"field": "question_number"},
        )
    if any(
        r.question_number == body.question_number
        for r in await requests.reevaluations_of(db, evaluation.id)
    ):
        raise Conflict(
            f"A re-evaluation of question {body.question_number} was already asked for; each"
            " question can be re-marked once.",
            details={"reason": "already_requested"},
        )
    await repository.lock_assignment(db)
    workload = await load_workload(db)
    created = await requests.insert_reevaluation(
        db,
        evaluation_id=evaluation.id,
        question_mark_id=mark.id,
        question_number=body.question_number,
        student_user_id=actor.user_id,
        reason=body.reason.strip(),
        status="requested",
        original_teacher_user_id=evaluation.teacher_user_id,
        teacher_user_id=None,
        requested_at=at,
        sla_deadline=workload.calendar.add_working_hours(at, float(evaluation.sla_hours)),
        max_marks=mark.max_marks,
        marks_before=mark.marks_awarded,
    )
    await record(
        db,
        "reevaluation.requested",
        "reevaluation_request",
        created.id,
        actor=actor,
        origin=origin,
        details={
            "exam_id": str(exam.id),
            "question_number": body.question_number,
            "marks_before": str(mark.marks_awarded),
        },
    )
    await give_to_teacher(db, workload, created, at, origin)
    stored = await requests.reevaluation_by_id(db, created.id)
    assert stored is not None
    return view(stored, exam.id)


async def for_exam(
    db: AsyncSession, actor: Actor, exam_id: uuid.UUID
) -> list[schemas.Reevaluation]:
    """The exam's re-evaluation requests, for its student, a linked parent or an admin."""
    exam = await exam_rows.exam_by_id(db, exam_id)
    if exam is None:
        raise exam_not_found()
    await require_student_access(db, actor, exam.student_user_id, "exam")
    evaluation = await repository.evaluation_of_exam(db, exam.id)
    if evaluation is None:
        return []
    return [view(r, exam.id) for r in await requests.reevaluations_of(db, evaluation.id)]


async def for_teacher(
    db: AsyncSession, actor: Actor, *, open_only: bool
) -> list[schemas.Reevaluation]:
    """The caller's re-evaluations (an admin: everyone's), most urgent first."""
    mine = actor.user_id if actor.role is UserRole.TEACHER else None
    found = []
    for r in await requests.reevaluations_for_teacher(db, mine, open_only):
        evaluation = await repository.evaluation_by_id(db, r.evaluation_id)
        assert evaluation is not None
        found.append(view(r, evaluation.exam_instance_id))
    return found


async def complete(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    request_id: uuid.UUID,
    body: schemas.CompleteReevaluation,
    *,
    now: datetime | None = None,
) -> schemas.Reevaluation:
    """The second teacher's mark replaces the first; totals and percentage follow."""
    at = now_or(now)
    found = await requests.reevaluation_by_id(db, request_id, lock=True)
    if found is None or found.teacher_user_id != actor.user_id:
        raise _not_found()
    if found.status == "completed":
        raise Conflict("This re-evaluation is already complete.", details={"reason": "completed"})
    marks = half_marks(body.marks, found.max_marks, "marks")
    evaluation = await repository.evaluation_by_id(db, found.evaluation_id, lock=True)
    assert evaluation is not None
    completed = max(at, found.requested_at)
    await repository.set_question_mark(db, found.question_mark_id, marks, body.comment or None)
    await requests.update_reevaluation(
        db,
        found.id,
        status="completed",
        completed_at=completed,
        marks_after=marks,
        teacher_comment=body.comment,
    )
    written = await repository.write_totals(db, evaluation.id, completed)
    exam = await repository.exam_by_id(db, evaluation.exam_instance_id)
    assert exam is not None
    await record(
        db,
        "reevaluation.completed",
        "reevaluation_request",
        found.id,
        actor=actor,
        origin=origin,
        details={
            "exam_id": str(exam.id),
            "question_number": found.question_number,
            "marks_before": str(found.marks_before),
            "marks_after": str(marks),
            "written_marks": str(written),
            "total_score": str(exam.total_score),
            "percentage": str(exam.percentage),
            "sla_met": completed <= found.sla_deadline,
        },
    )
    await tell_family(
        db,
        exam,
        "A question has been re-marked",
        f"Question {found.question_number} was marked again by another teacher:"
        f" {found.marks_before} before, {marks} now, of {found.max_marks}. The exam's total is"
        f" {exam.total_score} of {exam.total_marks} ({exam.percentage}%).",
        reference=f"reevaluation_requests/{found.id}",
        key=f"mathvidya:reevaluation_completed:{found.id}",
    )
    stored = await requests.reevaluation_by_id(db, found.id)
    assert stored is not None
    return view(stored, exam.id)


__all__ = [
    "REQUEST_WINDOW",
    "complete",
    "for_exam",
    "for_teacher",
    "give_to_teacher",
    "request",
    "view",
]
