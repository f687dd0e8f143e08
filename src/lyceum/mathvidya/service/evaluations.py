"""Teacher evaluation (issue 16): creating an exam's evaluation at hand-in, giving it to a
teacher by load and marking rate, the teacher's queue and marking screen, an admin's
reassignment and list. Marking itself is `service.evaluation_marking`, re-evaluation
`service.reevaluations`, the SLA monitor `service.sla_monitor`.

Assignment. Every open evaluation is an `sla.OpenEvaluation`; every active teacher a
`sla.TeacherCapacity` with their measured minutes per evaluation (the median of the working
minutes from start to completion of their latest completed evaluations, shrunk towards
`evaluation.prior_minutes_per_evaluation` while they have few) and
`evaluation.max_active_per_teacher`. `sla.choose_teacher` then picks the teacher whose queue,
with this evaluation added, is forecast to finish it first; nobody with room leaves it
`pending` for the monitor. Decisions are serialised by one advisory lock
(`repository.lock_assignment`) so two hand-ins never both take a teacher's last slot.

The claim. The holder has `evaluation.claim_hours` working hours from the assignment to start
(and each saved mark renews it); past it, the monitor takes it back. The claim is deliberately
*not* capped at the SLA deadline: near the deadline that would give a claim of minutes (or
none, which the database's `claim_expires_at > assigned_at` refuses), taking work from a
teacher who has just received it; getting a near-deadline evaluation done in time is the
monitor's forecast-and-move job, not the claim's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core import outbox
from lyceum.core.errors import Conflict, InvalidInput, NotFound
from lyceum.mathvidya.enums import EvaluationStatus, QuestionType, UserRole
from lyceum.mathvidya.models import Evaluation, ExamInstance
from lyceum.mathvidya.repository import evaluations as repository
from lyceum.mathvidya.repository import exams as exam_rows
from lyceum.mathvidya.repository import reevaluations as requests
from lyceum.mathvidya.repository.sla import load_calendar, load_sla_settings
from lyceum.mathvidya.repository.subscriptions import config_value
from lyceum.mathvidya.schemas import evaluations as schemas
from lyceum.mathvidya.service import answer_sheets, quota
from lyceum.mathvidya.service.audit import Actor, Origin, record
from lyceum.mathvidya.service.exam_generation import now_or
from lyceum.mathvidya.sla import (
    OpenEvaluation,
    SlaSettings,
    TeacherCapacity,
    WorkingCalendar,
    choose_teacher,
    estimate_minutes_per_evaluation,
)

# An exam without a subscription (an admin's grant) is marked under the standard plans' SLA.
DEFAULT_SLA_HOURS = 48
SOURCE = "mathvidya"
# An in-progress evaluation is never forecast as less than this share of a whole one: the
# last questions and the overall comment still take time.
SMALLEST_REMAINING_SHARE = 0.1


def evaluation_not_found() -> NotFound:
    return NotFound("no such evaluation", details={"reason": "not_found"})


def is_written(item: dict[str, Any]) -> bool:
    return str(item.get("type") or item.get("question_type") or "") != QuestionType.MCQ.value


def written_items(exam: ExamInstance) -> list[dict[str, Any]]:
    return [item for item in exam.questions_snapshot if is_written(item)]


# ---- the workload ----------------------------------------------------------------------


def as_open(row: repository.OpenRow) -> OpenEvaluation:
    started = row.status is EvaluationStatus.IN_PROGRESS
    share = max(SMALLEST_REMAINING_SHARE, 1.0 - row.marked_share) if started else 1.0
    return OpenEvaluation(
        evaluation_id=row.id,
        teacher_id=row.teacher_user_id,
        deadline=row.sla_deadline,
        submitted_at=row.submitted_at,
        started=started,
        remaining_share=share,
    )


@dataclass
class Workload:
    """Who may mark, how fast, and what every open evaluation waits on: what one decision
    (or one monitor run) reads once and keeps current as it assigns."""

    calendar: WorkingCalendar
    settings: SlaSettings
    teachers: dict[uuid.UUID, repository.Person]
    capacities: list[TeacherCapacity]
    open: dict[uuid.UUID, OpenEvaluation] = field(default_factory=dict)
    # The open rows as read (status, claim, breach flag), for the monitor.
    rows: dict[uuid.UUID, repository.OpenRow] = field(default_factory=dict)

    def others(self, evaluation_id: uuid.UUID) -> list[OpenEvaluation]:
        return [e for key, e in self.open.items() if key != evaluation_id]

    def hold(self, evaluation_id: uuid.UUID, teacher_id: uuid.UUID | None) -> None:
        """Record a (re)assignment: the evaluation restarts in its new holder's queue."""
        known = self.open.get(evaluation_id)
        if known is not None:
            self.open[evaluation_id] = replace(
                known, teacher_id=teacher_id, started=False, remaining_share=1.0
            )

    def held(self, teacher_id: uuid.UUID) -> int:
        return sum(1 for e in self.open.values() if e.teacher_id == teacher_id)


async def load_workload(db: AsyncSession) -> Workload:
    calendar = await load_calendar(db)
    settings = await load_sla_settings(db)
    teachers = {person.id: person for person in await repository.active_teachers(db)}
    history = await repository.work_durations(db, list(teachers))
    capacities = [
        TeacherCapacity(
            teacher_id=teacher_id,
            minutes_per_evaluation=estimate_minutes_per_evaluation(
                [
                    calendar.working_hours_between(started, completed) * 60
                    for started, completed in history.get(teacher_id, [])
                ],
                float(settings.prior_minutes_per_evaluation),
            ),
            max_active=int(settings.max_active_per_teacher),
        )
        for teacher_id in teachers
    ]
    rows = await repository.open_evaluations(db)
    return Workload(
        calendar,
        settings,
        teachers,
        capacities,
        {row.id: as_open(row) for row in rows},
        {row.id: row for row in rows},
    )


# ---- notices ---------------------------------------------------------------------------


async def notify(
    db: AsyncSession,
    recipient: repository.Person | None,
    subject: str,
    body: str,
    *,
    reference: str,
    dedupe_key: str,
) -> None:
    if recipient is None or not recipient.email:
        return
    await outbox.enqueue(
        db,
        outbox.EMAIL,
        recipient.email,
        subject,
        f"Dear {recipient.name},\n\n{body}\n\nMathvidya",
        source=SOURCE,
        reference=reference,
        dedupe_key=dedupe_key,
    )


def spoken(at: datetime) -> str:
    local = at.astimezone(quota.INDIA)
    return f"{local:%H:%M} on {quota.spoken_date(local.date())} (India time)"


async def notify_assigned(
    db: AsyncSession, workload: Workload, evaluation: Evaluation, teacher_id: uuid.UUID
) -> None:
    assert evaluation.assigned_at is not None
    claim = evaluation.claim_expires_at or evaluation.sla_deadline
    await notify(
        db,
        workload.teachers.get(teacher_id) or await repository.person(db, teacher_id),
        "An exam to mark",
        f"A class {evaluation.student_class} exam is yours to mark by"
        f" {spoken(evaluation.sla_deadline)}. Start it before {spoken(claim)}"
        " or it goes to another teacher.",
        reference=f"evaluations/{evaluation.id}",
        dedupe_key=f"mathvidya:evaluation_assigned:{evaluation.id}:{teacher_id}:"
        f"{evaluation.assigned_at.isoformat()}",
    )


# ---- assigning -------------------------------------------------------------------------


async def give(
    db: AsyncSession,
    workload: Workload,
    evaluation: Evaluation,
    teacher_id: uuid.UUID,
    now: datetime,
    *,
    actor: Actor | None,
    origin: Origin,
    action: str = "evaluation.assigned",
    details: dict[str, Any] | None = None,
    count_as_reassignment: bool = False,
) -> Evaluation:
    """Hand the evaluation to `teacher_id` (assigned, a fresh claim), record and notify."""
    at = max(now, evaluation.submitted_at)
    claim = workload.calendar.add_working_hours(at, float(workload.settings.claim_hours))
    previous = evaluation.teacher_user_id
    values: dict[str, Any] = {
        "status": EvaluationStatus.ASSIGNED,
        "teacher_user_id": teacher_id,
        "assigned_at": at,
        "started_at": None,
        "claim_expires_at": claim,
        "predicted_completion_at": None,
        "predicted_at": None,
    }
    if count_as_reassignment:
        values["reassignment_count"] = Evaluation.reassignment_count + 1
    await repository.update_evaluation(db, evaluation.id, **values)
    await repository.set_exam_status(db, evaluation.exam_instance_id, "under_evaluation")
    workload.hold(evaluation.id, teacher_id)
    given = await repository.evaluation_by_id(db, evaluation.id)
    assert given is not None
    await record(
        db,
        action,
        "evaluation",
        evaluation.id,
        actor=actor,
        origin=origin,
        details={
            "teacher_id": str(teacher_id),
            "previous_teacher_id": str(previous) if previous else None,
            "claim_expires_at": claim.isoformat(),
            "sla_deadline": evaluation.sla_deadline.isoformat(),
            "reassignment_count": given.reassignment_count,
            **(details or {}),
        },
    )
    await notify_assigned(db, workload, given, teacher_id)
    return given


async def assign(
    db: AsyncSession,
    workload: Workload,
    evaluation: Evaluation,
    now: datetime,
    *,
    actor: Actor | None,
    origin: Origin,
    exclude: frozenset[uuid.UUID] = frozenset(),
    count_as_reassignment: bool = False,
) -> uuid.UUID | None:
    """Give a pending evaluation to the teacher forecast to finish it first; None (and it
    stays pending) when no teacher has room."""
    teacher = choose_teacher(
        workload.calendar,
        now,
        evaluation.sla_deadline,
        workload.others(evaluation.id),
        workload.capacities,
        exclude=exclude,
    )
    if teacher is None:
        return None
    await give(
        db,
        workload,
        evaluation,
        teacher,
        now,
        actor=actor,
        origin=origin,
        count_as_reassignment=count_as_reassignment,
    )
    return teacher


async def create_for_exam(
    db: AsyncSession, exam: ExamInstance, *, now: datetime, origin: Origin
) -> Evaluation | None:
    """The hand-in hook: the exam's evaluation (pending, its SLA deadline counted in working
    hours from the hand-in), given to a teacher at once when one has room. None for an
    MCQ-only exam; the existing evaluation when there is one already."""
    written = written_items(exam)
    if not written or exam.submitted_at is None:
        return None
    existing = await repository.evaluation_of_exam(db, exam.id)
    if existing is not None:
        return existing
    sla_hours = DEFAULT_SLA_HOURS
    if exam.subscription_id is not None:
        _, sla_hours = await repository.plan_of_subscription(db, exam.subscription_id)
    calendar = await load_calendar(db)
    evaluation = await repository.insert_evaluation(
        db,
        exam_instance_id=exam.id,
        student_class=exam.student_class,
        exam_type=exam.exam_type,
        status=EvaluationStatus.PENDING,
        sla_hours=sla_hours,
        submitted_at=exam.submitted_at,
        sla_deadline=calendar.add_working_hours(exam.submitted_at, float(sla_hours)),
        max_marks=Decimal(sum(int(item.get("marks", 0)) for item in written)),
        annotations=[],
    )
    await record(
        db,
        "evaluation.created",
        "evaluation",
        evaluation.id,
        actor=None,
        origin=origin,
        details={
            "exam_id": str(exam.id),
            "sla_hours": sla_hours,
            "sla_deadline": evaluation.sla_deadline.isoformat(),
            "written_questions": len(written),
        },
    )
    await repository.lock_assignment(db)
    workload = await load_workload(db)
    await assign(db, workload, evaluation, now, actor=None, origin=origin)
    return await repository.evaluation_by_id(db, evaluation.id)


# ---- reading ---------------------------------------------------------------------------


def summary_fields(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "id": evaluation.id,
        "exam_id": evaluation.exam_instance_id,
        "student_class": evaluation.student_class,
        "exam_type": evaluation.exam_type,
        "status": evaluation.status,
        "teacher_id": evaluation.teacher_user_id,
        "sla_hours": evaluation.sla_hours,
        "submitted_at": evaluation.submitted_at,
        "sla_deadline": evaluation.sla_deadline,
        "assigned_at": evaluation.assigned_at,
        "started_at": evaluation.started_at,
        "completed_at": evaluation.completed_at,
        "claim_expires_at": evaluation.claim_expires_at,
        "sla_breached": evaluation.sla_breached,
        "reassignment_count": evaluation.reassignment_count,
        "max_marks": evaluation.max_marks,
        "marks_awarded": evaluation.marks_awarded,
        "predicted_completion_at": evaluation.predicted_completion_at,
        "predicted_at": evaluation.predicted_at,
    }


def working_hours_left(calendar: WorkingCalendar, now: datetime, deadline: datetime) -> float:
    if deadline >= now:
        return round(calendar.working_hours_between(now, deadline), 2)
    return -round(calendar.working_hours_between(deadline, now), 2)


async def queue(
    db: AsyncSession, actor: Actor, *, now: datetime | None = None
) -> list[schemas.QueueItem]:
    """The evaluations the caller holds (an admin: everyone's), by deadline."""
    at = now_or(now)
    calendar = await load_calendar(db)
    settings = await load_sla_settings(db)
    mine = actor.user_id if actor.role is UserRole.TEACHER else None
    items: list[schemas.QueueItem] = []
    held = await repository.held_by(db, mine)
    marked = await repository.marked_counts(db, [evaluation.id for evaluation in held])
    for evaluation in held:
        left = working_hours_left(calendar, at, evaluation.sla_deadline)
        items.append(
            schemas.QueueItem(
                **summary_fields(evaluation),
                working_hours_left=left,
                warning=left <= float(settings.warning_hours_before_deadline),
                marked_questions=marked.get(evaluation.id, 0),
            )
        )
    return items


async def readable(db: AsyncSession, actor: Actor, evaluation_id: uuid.UUID) -> Evaluation:
    """The evaluation for its holder (or marker), a teacher re-marking one of its questions,
    or an admin; 404 for anyone else."""
    evaluation = await repository.evaluation_by_id(db, evaluation_id)
    if evaluation is None:
        raise evaluation_not_found()
    if actor.role is UserRole.ADMIN or evaluation.teacher_user_id == actor.user_id:
        return evaluation
    if actor.role is UserRole.TEACHER:
        remarking = await requests.reevaluations_of(db, evaluation.id)
        if any(r.teacher_user_id == actor.user_id for r in remarking):
            return evaluation
    raise evaluation_not_found()


async def sheet_pages(
    db: AsyncSession, exam_id: uuid.UUID, actor: Actor | None = None, secret: bytes | None = None
) -> list[schemas.SheetPage]:
    """The exam's uploaded pages: with signed links from the uploads service when the edge
    passes its signing secret (the reader's access is checked there again), else without."""
    if actor is not None and secret is not None:
        listed = await answer_sheets.list_pages(db, actor, secret, exam_id)
        return [
            schemas.SheetPage(
                page_number=page.page_number,
                mime_type=page.mime_type,
                uploaded_at=page.uploaded_at,
                url=page.url,
            )
            for page in listed.pages
        ]
    return [
        schemas.SheetPage(
            page_number=page.page_number, mime_type=page.mime_type, uploaded_at=page.uploaded_at
        )
        for page in await repository.uploaded_pages(db, exam_id)
    ]


async def stamps(db: AsyncSession) -> list[str]:
    value = await config_value(db, "evaluation.stamps")
    return [str(s) for s in value] if isinstance(value, list) else []


async def detail(
    db: AsyncSession, actor: Actor, evaluation_id: uuid.UUID, *, secret: bytes | None = None
) -> schemas.EvaluationDetail:
    """The marking screen: the written questions with their marking scheme, what the student
    declared unanswered, the MCQ result, the answer-sheet pages, the marks so far."""
    evaluation = await readable(db, actor, evaluation_id)
    return await detail_of(db, evaluation, actor=actor, secret=secret)


async def detail_of(
    db: AsyncSession,
    evaluation: Evaluation,
    *,
    actor: Actor | None = None,
    secret: bytes | None = None,
) -> schemas.EvaluationDetail:
    exam = await repository.exam_by_id(db, evaluation.exam_instance_id)
    assert exam is not None
    written = written_items(exam)
    declared = await exam_rows.declarations(db, exam.id)
    marks = await repository.question_marks(db, evaluation.id)
    ids = [uuid.UUID(str(item["question_id"])) for item in written if item.get("question_id")]
    schemes = await repository.marking_schemes(db, ids)
    questions: list[schemas.WrittenQuestion] = []
    for item in written:
        number = int(item["number"])
        raw = item.get("question_id")
        question_id = uuid.UUID(str(raw)) if raw else None
        answer, scheme = schemes.get(question_id, (None, None)) if question_id else (None, None)
        mark = marks.get(number)
        questions.append(
            schemas.WrittenQuestion(
                number=number,
                question_id=question_id,
                question_type=str(item.get("type") or item.get("question_type")),
                unit=str(item.get("unit", "")),
                marks=int(item.get("marks", 0)),
                text=str(item.get("text", "")),
                image_key=item.get("image_key"),
                model_answer=item.get("model_answer") or answer,
                marking_scheme=item.get("marking_scheme") or scheme,
                declared_unanswered=number in declared,
                marks_awarded=mark.marks_awarded if mark else None,
                stamp=mark.stamp if mark else None,
                comment=mark.teacher_comment if mark else None,
            )
        )
    answered, correct = await repository.mcq_result(db, exam.id)
    mcq_count = len(exam.questions_snapshot) - len(written)
    return schemas.EvaluationDetail(
        **summary_fields(evaluation),
        written_questions=questions,
        mcq=schemas.McqResult(
            questions=mcq_count, answered=answered, correct=correct, score=exam.mcq_score
        ),
        pages=await sheet_pages(db, exam.id, actor, secret),
        annotations=list(evaluation.annotations),
        teacher_comments=evaluation.teacher_comments,
        stamps=await stamps(db),
    )


async def list_all(
    db: AsyncSession,
    *,
    status: EvaluationStatus | None,
    teacher_id: uuid.UUID | None,
    breached: bool | None,
    limit: int,
    offset: int,
) -> schemas.EvaluationList:
    """Admins: evaluations by filter, latest deadline first, with the total."""
    total, rows = await repository.list_evaluations(
        db, status=status, teacher_id=teacher_id, breached=breached, limit=limit, offset=offset
    )
    return schemas.EvaluationList(
        total=total, items=[schemas.EvaluationSummary(**summary_fields(e)) for e in rows]
    )


# ---- an admin's reassignment -----------------------------------------------------------


async def reassign(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    evaluation_id: uuid.UUID,
    teacher_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> schemas.EvaluationSummary:
    """Give an open evaluation to another active teacher (a fresh claim; marks given so far
    stay for the new holder to review)."""
    at = now_or(now)
    await repository.lock_assignment(db)
    evaluation = await repository.evaluation_by_id(db, evaluation_id, lock=True)
    if evaluation is None:
        raise evaluation_not_found()
    if evaluation.status not in repository.OPEN:
        raise Conflict(
            f"This evaluation is {evaluation.status.value}; only open ones can be reassigned.",
            details={"reason": "not_open"},
        )
    workload = await load_workload(db)
    if teacher_id not in workload.teachers:
        raise InvalidInput("teacher_id names no active teacher", details={"field": "teacher_id"})
    if teacher_id == evaluation.teacher_user_id:
        raise InvalidInput(
            "this teacher already holds the evaluation; choose another",
            details={"field": "teacher_id"},
        )
    previous = evaluation.teacher_user_id
    given = await give(
        db,
        workload,
        evaluation,
        teacher_id,
        at,
        actor=actor,
        origin=origin,
        action="evaluation.reassigned",
        details={"reason": "admin"},
        count_as_reassignment=previous is not None,
    )
    if previous is not None:
        await notify(
            db,
            workload.teachers.get(previous) or await repository.person(db, previous),
            "An exam was moved to another teacher",
            f"A class {given.student_class} exam you held has been given to another teacher.",
            reference=f"evaluations/{given.id}",
            dedupe_key=f"mathvidya:evaluation_moved:{given.id}:{previous}:"
            f"{given.assigned_at.isoformat() if given.assigned_at else ''}",
        )
    return schemas.EvaluationSummary(**summary_fields(given))


__all__ = [
    "DEFAULT_SLA_HOURS",
    "Workload",
    "as_open",
    "assign",
    "create_for_exam",
    "detail",
    "detail_of",
    "evaluation_not_found",
    "give",
    "list_all",
    "load_workload",
    "notify",
    "queue",
    "readable",
    "reassign",
    "sheet_pages",
    "stamps",
    "summary_fields",
    "working_hours_left",
    "written_items",
]
