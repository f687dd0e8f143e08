"""Exams: generating a paper (the choice is `service.exam_generation`), starting it (which
spends the month's quota), saving answers as the student goes, declaring questions
unanswered, handing in (MCQs marked at once), reading exams, and the job that hands in exams
whose time ran out.

The paper. `generate` reads the bank's active questions of the template's kinds and the
student's last papers, and lets `papers.assemble` choose (counts, marks, unit weightage,
difficulty mix, questions the student has not seen in their last `RECENT_PAPERS` papers,
less-used questions). The exam row freezes the template and the questions (`template_snapshot`,
`questions_snapshot`), the seed included, so the same seed over the same bank gives the same
paper; the database refuses any change to either once the exam has started. The snapshot
keeps each MCQ's correct option and explanation for marking; what the API shows strips them
until the exam is handed in. Before the start the paper is not shown at all: the quota is
spent at the start, and a student must not read papers for free by generating them. At most
`MAX_UNSTARTED` generated papers wait to be started.

Time. The deadline is `started_at + duration`; saves after it are refused. An exam still in
progress `GRACE` after its deadline is handed in by the job (`submit_overdue`), through the
same code as the student's own submission, locked with `FOR UPDATE SKIP LOCKED` so two
workers never hand in one exam twice; handing in an exam already handed in changes nothing.

Saves. Each save carries the client's time of the choice (`answered_at`); the stored answer
changes only for a newer one, so a retried or late-arriving older save never overwrites a
later choice. A declaration ("I will not attempt this") carries its time the same way: the
newer of the two wins, and the other is removed (an answer clears a declaration and the other
way round).

Marking. At hand-in every saved MCQ is marked against the key (1 mark right, 0 wrong, no
negative marking) in one UPDATE; an MCQ-only exam is then `evaluated` with its total and
percentage; any other is `submitted` and goes to the teachers (`service.evaluations`:
assigned at once when a teacher has room).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, InvalidInput
from lyceum.mathvidya.enums import ExamStatus, QuestionType, UserRole
from lyceum.mathvidya.models import ExamInstance
from lyceum.mathvidya.repository import evaluations as evaluation_rows
from lyceum.mathvidya.repository import exams as repository
from lyceum.mathvidya.schemas import exams as schemas
from lyceum.mathvidya.service import evaluations, quota
from lyceum.mathvidya.service.audit import SYSTEM, Actor, Origin, record
from lyceum.mathvidya.service.exam_generation import (
    MAX_UNSTARTED,
    RECENT_PAPERS,
    available_templates,
    build_paper,
    exam_not_found,
    generate_exam,
    now_or,
    sections_of,
)
from lyceum.mathvidya.service.ownership import require_student_access

logger = logging.getLogger(__name__)

# system_config `exam.submission_grace_minutes`: the job hands an exam in this long after its
# time has run out (answer sheets may still arrive meanwhile).
GRACE = timedelta(minutes=15)
SHORTEST_EXAM = timedelta(minutes=5)
OVERDUE_BATCH = 200
# A save's client time further than this from the server's is refused as a broken clock.
CLOCK_SLACK = timedelta(days=1)
HANDED_IN = (ExamStatus.SUBMITTED, ExamStatus.UNDER_EVALUATION, ExamStatus.EVALUATED)
# What the snapshot keeps for marking and shows only after the hand-in.
ANSWER_KEY = ("correct_option", "explanation")


def _spoken_time(at: datetime) -> str:
    local = at.astimezone(quota.INDIA)
    return f"{local:%H:%M} on {quota.spoken_date(local.date())} (India time)"


# ---- reading -----------------------------------------------------------------------------


def _deadline(exam: ExamInstance) -> datetime | None:
    if exam.started_at is None:
        return None
    return exam.started_at + timedelta(minutes=exam.duration_minutes)


def _config_of(snapshot: dict[str, Any]) -> dict[str, Any]:
    # Exams generated here keep the config under "config"; older rows are the config itself.
    config = snapshot.get("config")
    return config if isinstance(config, dict) else snapshot


def _summary_fields(exam: ExamInstance, name: str) -> dict[str, Any]:
    return {
        "id": exam.id,
        "student_user_id": exam.student_user_id,
        "template_id": exam.template_id,
        "name": name,
        "exam_type": exam.exam_type,
        "student_class": exam.student_class,
        "status": exam.status,
        "total_marks": exam.total_marks,
        "duration_minutes": exam.duration_minutes,
        "question_count": len(exam.questions_snapshot),
        "created_at": exam.created_at,
        "started_at": exam.started_at,
        "deadline": _deadline(exam),
        "submitted_at": exam.submitted_at,
        "evaluated_at": exam.evaluated_at,
        "mcq_score": exam.mcq_score,
        "total_score": exam.total_score,
        "percentage": exam.percentage,
    }


async def _name(db: AsyncSession, exam: ExamInstance) -> str:
    name = exam.template_snapshot.get("name")
    if isinstance(name, str):
        return name
    template = await repository.template_by_id(db, exam.template_id)
    return template.name if template is not None else ""


def _kind(item: dict[str, Any]) -> str:
    return str(item.get("type") or item.get("question_type") or "")


def _question_view(
    item: dict[str, Any], answer: Any, declared: bool, handed_in: bool, mark: Any = None
) -> schemas.QuestionView:
    raw_id = item.get("question_id")
    view: dict[str, Any] = {
        "number": int(item["number"]),
        "section": str(item.get("section", "")),
        "question_id": uuid.UUID(str(raw_id)) if raw_id else None,
        "question_type": _kind(item),
        "unit": str(item.get("unit", "")),
        "chapter": item.get("chapter"),
        "marks": int(item.get("marks", 0)),
        "text": str(item.get("text", "")),
        "image_key": item.get("image_key"),
        "choices": item.get("choices"),
        "selected_option": answer.selected_option if answer is not None else None,
        "answered_at": answer.answered_at if answer is not None else None,
        "declared_unanswered": declared,
    }
    if handed_in:
        view.update({key: item.get(key) for key in ANSWER_KEY})
        if answer is not None:
            view["is_correct"] = answer.is_correct
            view["marks_awarded"] = answer.marks_awarded
        if mark is not None:
            view["marks_awarded"] = mark.marks_awarded
            view["stamp"] = mark.stamp
            view["teacher_comment"] = mark.teacher_comment
    return schemas.QuestionView.model_validate(view)


def _evaluation_view(evaluation: Any) -> schemas.ExamEvaluationView:
    done = evaluation.completed_at
    return schemas.ExamEvaluationView(
        status=evaluation.status.value,
        sla_deadline=evaluation.sla_deadline,
        sla_hours=evaluation.sla_hours,
        completed_at=done,
        sla_met=None if done is None else done <= evaluation.sla_deadline,
        written_marks=evaluation.marks_awarded if done is not None else None,
        written_max_marks=evaluation.max_marks,
        teacher_comments=evaluation.teacher_comments if done is not None else None,
    )


async def _detail(db: AsyncSession, exam: ExamInstance) -> schemas.ExamDetail:
    shown = exam.started_at is not None
    handed_in = exam.status in HANDED_IN
    questions: list[schemas.QuestionView] = []
    answered = declared_count = 0
    evaluation = await evaluation_rows.evaluation_of_exam(db, exam.id) if handed_in else None
    # The teacher's marks are shown once the whole evaluation is complete, never half-way.
    marks = (
        await evaluation_rows.question_marks(db, evaluation.id)
        if evaluation is not None and evaluation.completed_at is not None
        else {}
    )
    if shown:
        answers = await repository.answers(db, exam.id)
        declared = await repository.declarations(db, exam.id)
        answered, declared_count = len(answers), len(declared)
        questions = [
            _question_view(
                item,
                answers.get(int(item["number"])),
                int(item["number"]) in declared,
                handed_in,
                marks.get(int(item["number"])),
            )
            for item in exam.questions_snapshot
        ]
    snapshot = exam.template_snapshot
    units = snapshot.get("units")
    return schemas.ExamDetail(
        **_summary_fields(exam, await _name(db, exam)),
        sections=sections_of(_config_of(snapshot)),
        units=[str(u) for u in units] if isinstance(units, list) else [],
        questions_shown=shown,
        questions=questions,
        answered=answered,
        declared_unanswered=declared_count,
        evaluation=_evaluation_view(evaluation) if evaluation is not None else None,
    )


async def generate(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    template_id: uuid.UUID,
    units: list[str] | None = None,
    *,
    now: datetime | None = None,
    seed: int | None = None,
) -> schemas.ExamDetail:
    """Set a paper from the template for the student (status `created`); nothing is spent
    until the start, but a student with no exams left this month is told now."""
    exam = await generate_exam(db, actor, origin, template_id, units, now=now, seed=seed)
    return await _detail(db, exam)


async def read(db: AsyncSession, actor: Actor, exam_id: uuid.UUID) -> schemas.ExamDetail:
    """The exam for its student, a linked parent or an admin (404 for anyone else)."""
    exam = await repository.exam_by_id(db, exam_id)
    if exam is None:
        raise exam_not_found()
    await require_student_access(db, actor, exam.student_user_id, "exam")
    return await _detail(db, exam)


async def list_exams(
    db: AsyncSession, actor: Actor, student_id: uuid.UUID | None, limit: int, offset: int
) -> list[schemas.ExamSummary]:
    """A student's exams, newest first."""
    if student_id is None:
        if actor.role is not UserRole.STUDENT:
            raise InvalidInput(
                "name the student whose exams to list (student_id)",
                details={"field": "student_id"},
            )
        student_id = actor.user_id
    await require_student_access(db, actor, student_id, "student")
    exams = await repository.student_exams(db, student_id, limit, offset)
    # Exams set before names were frozen into the snapshot take their template's (one query).
    unnamed = {e.template_id for e in exams if not isinstance(e.template_snapshot.get("name"), str)}
    names = await repository.template_names(db, list(unnamed)) if unnamed else {}
    return [
        schemas.ExamSummary(
            **_summary_fields(e, e.template_snapshot.get("name") or names.get(e.template_id, ""))
        )
        for e in exams
    ]


# ---- the student's own exam --------------------------------------------------------------


async def _own_exam(db: AsyncSession, actor: Actor, exam_id: uuid.UUID) -> ExamInstance:
    """The actor's exam, locked for this transaction; 404 for anyone else's."""
    exam = await repository.exam_by_id(db, exam_id, lock=True)
    if exam is None or exam.student_user_id != actor.user_id:
        raise exam_not_found()
    return exam


def _refuse_unless_running(exam: ExamInstance, now: datetime) -> None:
    if exam.status is ExamStatus.CREATED:
        raise Conflict(
            "This exam has not started yet; start it first.", details={"reason": "not_started"}
        )
    if exam.status in HANDED_IN:
        raise Conflict(
            "This exam has been handed in; its answers can no longer change.",
            details={"reason": "handed_in"},
        )
    if exam.status is not ExamStatus.IN_PROGRESS:
        raise Conflict(f"This exam is {exam.status.value}.", details={"reason": "not_running"})
    deadline = _deadline(exam)
    if deadline is not None and now > deadline:
        raise Conflict(
            f"The time for this exam ended at {_spoken_time(deadline)}; answers can no longer"
            " be saved.",
            details={"reason": "time_over", "deadline": deadline.isoformat()},
        )


def _item(exam: ExamInstance, number: int) -> dict[str, Any]:
    for item in exam.questions_snapshot:
        if int(item.get("number", 0)) == number:
            return item
    raise InvalidInput(
        f"this paper has no question {number}; its questions are numbered 1 to"
        f" {len(exam.questions_snapshot)}",
        details={"field": "question_number"},
    )


def _question_id(item: dict[str, Any]) -> uuid.UUID:
    raw = item.get("question_id")
    if not raw:
        raise Conflict(
            "this paper's questions carry no ids; answers cannot be saved against it",
            details={"reason": "paper_without_ids"},
        )
    return uuid.UUID(str(raw))


def _client_time(at: datetime, now: datetime, field: str) -> None:
    if abs(at - now) > CLOCK_SLACK:
        raise InvalidInput(
            f"{field} is more than a day away from the server's clock; check the device's"
            " date and time",
            details={"field": field},
        )


async def start(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    exam_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> schemas.ExamDetail:
    """Start the timer: spends one of the month's exams (403 with the reset date when none
    is left) and shows the paper."""
    at = now_or(now)
    exam = await _own_exam(db, actor, exam_id)
    if exam.status is not ExamStatus.CREATED:
        raise Conflict(
            "This exam has already been started."
            if exam.started_at is not None
            else f"This exam is {exam.status.value} and can no longer be started.",
            details={"reason": "already_started" if exam.started_at else "not_startable"},
        )
    spent = await quota.consume(db, actor.user_id, at)
    started = max(at, exam.created_at)
    await repository.start_exam(db, exam.id, started, spent.subscription_id)
    exam = await repository.exam_by_id(db, exam.id) or exam
    await record(
        db,
        "exam.started",
        "exam_instance",
        exam.id,
        actor=actor,
        origin=origin,
        details={
            "subscription_id": str(spent.subscription_id),
            "exams_used": spent.used,
            "exams_per_month": spent.quota,
            "usage_month": str(spent.usage_month),
            "deadline": (started + timedelta(minutes=exam.duration_minutes)).isoformat(),
        },
    )
    return await _detail(db, exam)


async def _answer_state(
    db: AsyncSession, exam_id: uuid.UUID, number: int, applied: bool
) -> schemas.AnswerSaved:
    answer = await repository.answer_for(db, exam_id, number)
    declared = await repository.declaration_for(db, exam_id, number)
    return schemas.AnswerSaved(
        question_number=number,
        applied=applied,
        selected_option=answer.selected_option if answer else None,
        answered_at=answer.answered_at if answer else None,
        declared_unanswered=declared is not None,
    )


async def save_answer(
    db: AsyncSession,
    actor: Actor,
    exam_id: uuid.UUID,
    number: int,
    option: str,
    answered_at: datetime,
    *,
    now: datetime | None = None,
) -> schemas.AnswerSaved:
    """Save an MCQ choice; a save older than the stored answer or declaration changes
    nothing (and says so: `applied` false)."""
    at = now_or(now)
    exam = await _own_exam(db, actor, exam_id)
    item = _item(exam, number)
    if _kind(item) != QuestionType.MCQ.value:
        raise InvalidInput(
            f"question {number} is a {_kind(item)} question: its answer is written on the"
            " answer sheet, not chosen here",
            details={"field": "question_number"},
        )
    _refuse_unless_running(exam, at)
    _client_time(answered_at, at, "answered_at")
    declared = await repository.declaration_for(db, exam.id, number)
    applied = False
    if declared is None or declared.declared_at < answered_at:
        applied = await repository.save_answer(
            db, exam.id, number, _question_id(item), str(item.get("unit")), option, answered_at
        )
        if applied and declared is not None:
            await repository.delete_declaration(db, exam.id, number)
    return await _answer_state(db, exam.id, number, applied)


async def declare_unanswered(
    db: AsyncSession,
    actor: Actor,
    exam_id: uuid.UUID,
    number: int,
    declared_at: datetime,
    *,
    now: datetime | None = None,
) -> schemas.AnswerSaved:
    """Declare a question unattempted (0 marks, no penalty); it clears an older saved
    choice, and a newer choice clears it."""
    at = now_or(now)
    exam = await _own_exam(db, actor, exam_id)
    item = _item(exam, number)
    _refuse_unless_running(exam, at)
    _client_time(declared_at, at, "declared_at")
    answer = await repository.answer_for(db, exam.id, number)
    applied = False
    if answer is None or answer.answered_at < declared_at:
        applied = await repository.declare_unanswered(
            db, exam.id, number, _question_id(item), _kind(item), str(item.get("unit")), declared_at
        )
        if applied and answer is not None:
            await repository.delete_answer(db, exam.id, number)
    return await _answer_state(db, exam.id, number, applied)


# ---- handing in --------------------------------------------------------------------------


async def _answer_key(db: AsyncSession, exam: ExamInstance) -> dict[int, str]:
    key: dict[int, str] = {}
    missing: dict[int, uuid.UUID] = {}
    for item in exam.questions_snapshot:
        if _kind(item) != QuestionType.MCQ.value:
            continue
        number = int(item["number"])
        if item.get("correct_option"):
            key[number] = str(item["correct_option"])
        elif item.get("question_id"):
            missing[number] = uuid.UUID(str(item["question_id"]))
    if missing:
        # Papers frozen without their key: the question rows (versions never change once used).
        found = await repository.correct_options(db, list(missing.values()))
        key.update({n: found[q] for n, q in missing.items() if q in found})
    return key


async def _hand_in(
    db: AsyncSession, exam: ExamInstance, now: datetime, actor: Actor | None, origin: Origin
) -> ExamInstance:
    """Mark the MCQs and hand the (locked, in-progress) exam in."""
    score = await repository.mark_answers(db, exam.id, await _answer_key(db, exam))
    mcq_only = all(_kind(item) == QuestionType.MCQ.value for item in exam.questions_snapshot)
    at = max(now, exam.started_at or now)
    await repository.finish_exam(db, exam.id, at, score, evaluated=mcq_only)
    finished = await repository.exam_by_id(db, exam.id) or exam
    answers = await repository.answers(db, exam.id)
    declared = await repository.declarations(db, exam.id)
    await record(
        db,
        "exam.submitted",
        "exam_instance",
        exam.id,
        actor=actor,
        origin=origin,
        details={
            "mcq_score": str(score),
            "total_score": str(finished.total_score) if finished.total_score is not None else None,
            "percentage": str(finished.percentage) if finished.percentage is not None else None,
            "status": finished.status.value,
            "automatic": actor is None,
            "answered": len(answers),
            "declared_unanswered": len(declared),
        },
    )
    if not mcq_only:
        # Issue 16: the written answers go to a teacher (or wait, pending, for one).
        await evaluations.create_for_exam(db, finished, now=at, origin=origin)
        finished = await repository.exam_by_id(db, exam.id) or finished
    return finished


async def submit(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    exam_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> schemas.ExamDetail:
    """Hand the exam in; MCQs are marked at once. Handing in twice changes nothing."""
    at = now_or(now)
    exam = await _own_exam(db, actor, exam_id)
    if exam.status in HANDED_IN:
        return await _detail(db, exam)
    if exam.status is ExamStatus.CREATED:
        raise Conflict(
            "This exam has not started yet; start it first.", details={"reason": "not_started"}
        )
    if exam.status is not ExamStatus.IN_PROGRESS:
        raise Conflict(f"This exam is {exam.status.value}.", details={"reason": "not_running"})
    return await _detail(db, await _hand_in(db, exam, at, actor, origin))


async def submit_overdue(db: AsyncSession, *, now: datetime | None = None) -> int:
    """Hand in every exam still in progress `GRACE` after its time ran out (the job); how
    many. Each in a savepoint: one that fails is logged and left for the next run."""
    at = now_or(now)
    handed = 0
    for exam_id in await repository.overdue_exam_ids(db, at, GRACE, SHORTEST_EXAM, OVERDUE_BATCH):
        try:
            async with db.begin_nested():
                exam = await repository.exam_by_id(db, exam_id)
                if exam is None or exam.status is not ExamStatus.IN_PROGRESS:
                    continue
                await _hand_in(db, exam, at, None, SYSTEM)
                handed += 1
        except Exception:
            logger.exception("could not hand in overdue exam %s", exam_id)
    return handed


__all__ = [
    "GRACE",
    "MAX_UNSTARTED",
    "RECENT_PAPERS",
    "available_templates",
    "build_paper",
    "declare_unanswered",
    "generate",
    "list_exams",
    "read",
    "save_answer",
    "start",
    "submit",
    "submit_overdue",
]
