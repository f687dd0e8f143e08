"""Marking an evaluation (issue 16): the holder starts it, gives each written question a mark
(whole or half marks up to the question's maximum, an optional stamp from `system_config`
`evaluation.stamps`, a comment), places stamps on the answer-sheet pages, and completes it.

Only the holder marks, and only while the evaluation is in progress; anyone else (another
teacher) meets 404, as for a missing evaluation. Each start and each saved mark renews the
claim (`evaluation.claim_hours` working hours from now), so a teacher at work is never
overtaken by the monitor. Saving the same mark twice changes nothing (idempotent PUT).

Completion. Every written question the student did not declare unanswered needs a mark; the
declared ones get 0 automatically (no stamp). The written total, the exam's total (MCQ score
plus written) and its percentage are written in one transaction, and the database's deferred
triggers check at commit that they add up. The student and each linked parent get a message
(outbox, one per person per evaluation).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, InvalidInput
from lyceum.mathvidya.enums import EvaluationStatus
from lyceum.mathvidya.models import Evaluation, ExamInstance
from lyceum.mathvidya.repository import evaluations as repository
from lyceum.mathvidya.repository import exams as exam_rows
from lyceum.mathvidya.repository.sla import load_calendar, load_sla_settings
from lyceum.mathvidya.schemas import evaluations as schemas
from lyceum.mathvidya.service.audit import Actor, Origin, record
from lyceum.mathvidya.service.evaluations import (
    detail_of,
    evaluation_not_found,
    notify,
    stamps,
    written_items,
)
from lyceum.mathvidya.service.exam_generation import now_or


async def _held(db: AsyncSession, actor: Actor, evaluation_id: uuid.UUID) -> Evaluation:
    """The caller's held evaluation, locked; 404 unless they hold it."""
    evaluation = await repository.evaluation_by_id(db, evaluation_id, lock=True)
    if evaluation is None or evaluation.teacher_user_id != actor.user_id:
        raise evaluation_not_found()
    if evaluation.status is EvaluationStatus.COMPLETED:
        raise Conflict(
            "This evaluation is complete; its marks can no longer change (a student may ask"
            " for a re-evaluation).",
            details={"reason": "completed"},
        )
    return evaluation


def _require_started(evaluation: Evaluation) -> None:
    if evaluation.status is not EvaluationStatus.IN_PROGRESS:
        raise Conflict(
            "Start this evaluation before marking it.", details={"reason": "not_started"}
        )


async def _being_marked(
    db: AsyncSession, actor: Actor, evaluation_id: uuid.UUID
) -> tuple[Evaluation, ExamInstance]:
    """The caller's started evaluation and its exam (what saving a mark and completing need)."""
    evaluation = await _held(db, actor, evaluation_id)
    _require_started(evaluation)
    exam = await repository.exam_by_id(db, evaluation.exam_instance_id)
    assert exam is not None
    return evaluation, exam


async def _renewed_claim(db: AsyncSession, at: datetime) -> datetime:
    calendar = await load_calendar(db)
    settings = await load_sla_settings(db)
    return calendar.add_working_hours(at, float(settings.claim_hours))


def half_marks(value: float, maximum: Decimal, field: str) -> Decimal:
    """`value` as whole or half marks within 0..maximum; 422 naming `field` otherwise."""
    doubled = value * 2
    if doubled != int(doubled):
        raise InvalidInput(
            f"{field} must be in whole or half marks (e.g. 2 or 2.5), not {value}",
            details={"field": field},
        )
    marks = Decimal(int(doubled)) / 2
    if marks < 0 or marks > maximum:
        raise InvalidInput(
            f"{field} must be between 0 and the question's {maximum} marks, not {value}",
            details={"field": field, "max_marks": str(maximum)},
        )
    return marks


def written_item(exam: ExamInstance, number: int) -> dict[str, Any]:
    for item in written_items(exam):
        if int(item["number"]) == number:
            return item
    numbers = ", ".join(str(int(i["number"])) for i in written_items(exam))
    raise InvalidInput(
        f"question {number} is not a written question of this paper; written questions are"
        f" {numbers}",
        details={"field": "question_number"},
    )


async def start(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    evaluation_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> schemas.EvaluationDetail:
    """The holder starts marking (renews the claim); starting twice changes nothing."""
    at = now_or(now)
    evaluation = await _held(db, actor, evaluation_id)
    if evaluation.status is EvaluationStatus.ASSIGNED:
        started = max(at, evaluation.assigned_at or at)
        await repository.update_evaluation(
            db,
            evaluation.id,
            status=EvaluationStatus.IN_PROGRESS,
            started_at=started,
            claim_expires_at=await _renewed_claim(db, started),
        )
        await record(
            db,
            "evaluation.started",
            "evaluation",
            evaluation.id,
            actor=actor,
            origin=origin,
            details={"sla_deadline": evaluation.sla_deadline.isoformat()},
        )
        evaluation = await repository.evaluation_by_id(db, evaluation.id) or evaluation
    return await detail_of(db, evaluation)


async def save_mark(
    db: AsyncSession,
    actor: Actor,
    evaluation_id: uuid.UUID,
    number: int,
    body: schemas.SaveMark,
    *,
    now: datetime | None = None,
) -> schemas.MarkSaved:
    """Give one written question its mark, stamp and comment (replacing any before)."""
    at = now_or(now)
    evaluation, exam = await _being_marked(db, actor, evaluation_id)
    item = written_item(exam, number)
    maximum = Decimal(int(item.get("marks", 0)))
    marks = half_marks(body.marks, maximum, "marks")
    if body.stamp is not None and body.stamp not in await stamps(db):
        raise InvalidInput(
            f"stamp {body.stamp!r} is not one of " + ", ".join(await stamps(db)),
            details={"field": "stamp"},
        )
    await repository.save_mark(
        db,
        evaluation.id,
        question_id=uuid.UUID(str(item["question_id"])),
        question_type=str(item.get("type") or item.get("question_type")),
        unit=str(item["unit"]),
        question_number=number,
        marks_awarded=marks,
        max_marks=maximum,
        stamp=body.stamp,
        teacher_comment=body.comment,
    )
    claim = await _renewed_claim(db, max(at, evaluation.assigned_at or at))
    await repository.update_evaluation(db, evaluation.id, claim_expires_at=claim)
    return schemas.MarkSaved(
        question_number=number,
        marks_awarded=marks,
        max_marks=maximum,
        stamp=body.stamp,
        comment=body.comment,
        claim_expires_at=claim,
    )


async def save_annotations(
    db: AsyncSession,
    actor: Actor,
    evaluation_id: uuid.UUID,
    body: schemas.SaveAnnotations,
) -> schemas.EvaluationDetail:
    """Replace the stamps placed on the pages; each on a page that was uploaded."""
    evaluation = await _held(db, actor, evaluation_id)
    _require_started(evaluation)
    pages = {
        p.page_number for p in await repository.uploaded_pages(db, evaluation.exam_instance_id)
    }
    known = await stamps(db)
    for index, mark in enumerate(body.annotations):
        if mark.page not in pages:
            raise InvalidInput(
                f"annotations[{index}] is on page {mark.page}, but the uploaded pages are "
                + (", ".join(map(str, sorted(pages))) or "none"),
                details={"field": "page", "index": index},
            )
        if mark.stamp not in known:
            raise InvalidInput(
                f"annotations[{index}] stamp {mark.stamp!r} is not one of " + ", ".join(known),
                details={"field": "stamp", "index": index},
            )
    await repository.update_evaluation(
        db, evaluation.id, annotations=[mark.model_dump() for mark in body.annotations]
    )
    return await detail_of(db, await repository.evaluation_by_id(db, evaluation.id) or evaluation)


async def complete(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    evaluation_id: uuid.UUID,
    body: schemas.CompleteEvaluation,
    *,
    now: datetime | None = None,
) -> schemas.EvaluationDetail:
    """Finish the marking: totals and percentage, the SLA verdict, the family told."""
    at = now_or(now)
    evaluation, exam = await _being_marked(db, actor, evaluation_id)
    declared = await exam_rows.declarations(db, exam.id)
    marks = await repository.question_marks(db, evaluation.id)
    written = written_items(exam)
    missing = [
        int(item["number"])
        for item in written
        if int(item["number"]) not in marks and int(item["number"]) not in declared
    ]
    if missing:
        raise Conflict(
            "Mark every written question before completing; still unmarked: "
            + ", ".join(map(str, missing)),
            details={"reason": "unmarked", "questions": missing},
        )
    for item in written:
        number = int(item["number"])
        if number in declared and number not in marks:
            await repository.save_mark(
                db,
                evaluation.id,
                question_id=uuid.UUID(str(item["question_id"])),
                question_type=str(item.get("type") or item.get("question_type")),
                unit=str(item["unit"]),
                question_number=number,
                marks_awarded=Decimal(0),
                max_marks=Decimal(int(item.get("marks", 0))),
                stamp=None,
                teacher_comment="Declared unanswered by the student.",
            )
    completed = max(at, evaluation.started_at or at)
    breached = completed > evaluation.sla_deadline
    await repository.update_evaluation(
        db,
        evaluation.id,
        status=EvaluationStatus.COMPLETED,
        completed_at=completed,
        claim_expires_at=None,
        teacher_comments=body.comment,
        # A breach the monitor already recorded stays recorded.
        sla_breached=breached or evaluation.sla_breached,
        marks_awarded=Decimal(0),
    )
    written_marks = await repository.write_totals(db, evaluation.id, completed)
    finished = await repository.exam_by_id(db, exam.id)
    assert finished is not None
    await record(
        db,
        "evaluation.completed",
        "evaluation",
        evaluation.id,
        actor=actor,
        origin=origin,
        details={
            "exam_id": str(exam.id),
            "written_marks": str(written_marks),
            "total_score": str(finished.total_score),
            "percentage": str(finished.percentage),
            "sla_deadline": evaluation.sla_deadline.isoformat(),
            "sla_breached": breached or evaluation.sla_breached,
        },
    )
    await tell_family(
        db,
        finished,
        "Your exam has been marked",
        f"The class {finished.student_class} exam handed in on"
        f" {finished.submitted_at:%d %B %Y} has been marked: {finished.total_score} of"
        f" {finished.total_marks} ({finished.percentage}%). The teacher's comments are on the"
        " result page.",
        reference=f"evaluations/{evaluation.id}",
        key=f"mathvidya:evaluation_completed:{evaluation.id}",
    )
    done = await repository.evaluation_by_id(db, evaluation.id)
    assert done is not None
    return await detail_of(db, done)


async def tell_family(
    db: AsyncSession, exam: ExamInstance, subject: str, body: str, *, reference: str, key: str
) -> None:
    """One message to the student and one to each linked parent (deduplicated per person)."""
    student = await repository.person(db, exam.student_user_id)
    people = ([student] if student else []) + await repository.linked_parents(
        db, exam.student_user_id
    )
    for person in people:
        await notify(
            db, person, subject, body, reference=reference, dedupe_key=f"{key}:{person.id}"
        )


__all__ = [
    "complete",
    "half_marks",
    "save_annotations",
    "save_mark",
    "start",
    "tell_family",
    "written_item",
]
