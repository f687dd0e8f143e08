"""The exam history: exams students generated under their active subscription, each frozen
with its template and questions, followed to where it stood at `AS_OF`.

An exam's life: created → started (mostly within minutes) → submitted (within its duration)
→ a teacher assigned → evaluation started → completed (usually inside the SLA deadline, 6%
late). MCQ-only papers are marked on submission and need no teacher. The history is every
exam's timeline cut at `AS_OF`: whatever had not happened by then is left out, which gives
exams still running, waiting for a teacher or being marked. A few are never started
(expired after 7 days) or abandoned (expired when their time ran out), and a few students
have one handed in during the last day and a half, running, or just generated at `AS_OF`.

Exams per student follow a Poisson law (more on the bigger plans), never more in a calendar
month (IST) than the plan allows.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from lyceum.mathvidya.enums import ExamStatus, ExamType, QuestionType, UserRole
from lyceum.mathvidya.synthetic.bank import BankQuestion
from lyceum.mathvidya.synthetic.catalog import AS_OF, PLAN_ACTIVITY, MathvidyaScale, new_id, stream
from lyceum.mathvidya.synthetic.marking import (
    Marked,
    Placed,
    answer_mcqs,
    evaluation_row,
    hand_in,
    mark_written,
    page_stamps,
    percentage,
)
from lyceum.mathvidya.synthetic.papers import Paper
from lyceum.mathvidya.synthetic.subscriptions import Holding, month_start
from lyceum.mathvidya.synthetic.workhours import add_working_hours

PAPER_TYPE_SHARES = {
    ExamType.BOARD_EXAM: 0.25,
    ExamType.SECTION_WISE: 0.35,
    ExamType.UNIT_WISE: 0.4,
}
NEVER_STARTED = 0.03
ABANDONED = 0.03
LIVE = 0.05
# Students who handed a paper in during the last day and a half (still with the teachers).
RECENT = 0.08
JUST_CREATED = 0.04
LATE_EVALUATION = 0.06
REASSIGNED = 0.05
UNSTARTED_EXPIRY = timedelta(days=7)
GRACE = timedelta(minutes=15)
MONTH = timedelta(days=30.44)


@dataclass
class History:
    exam_instances: list[dict[str, Any]] = field(default_factory=list)
    student_mcq_answers: list[dict[str, Any]] = field(default_factory=list)
    answer_sheet_uploads: list[dict[str, Any]] = field(default_factory=list)
    unanswered_questions: list[dict[str, Any]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    question_marks: list[dict[str, Any]] = field(default_factory=list)
    # Exams that included each question, and exams each subscription started this month.
    times_used: Counter[uuid.UUID] = field(default_factory=Counter)
    used_this_month: Counter[uuid.UUID] = field(default_factory=Counter)


def poisson(rng: Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class _Pools:
    """Active questions by (class, unit or None, type, marks), for filling papers."""

    def __init__(self, bank: Sequence[BankQuestion]) -> None:
        self.pools: dict[tuple[str, str | None, QuestionType, int], list[BankQuestion]] = (
            defaultdict(list)
        )
        for question in bank:
            if question.status != "active":
                continue
            for unit in (None, question.unit):
                key = (question.class_level, unit, question.question_type, question.marks)
                self.pools[key].append(question)

    def fill(self, rng: Random, paper: Paper) -> list[Placed]:
        placed: list[Placed] = []
        unit = paper.units[0] if paper.units else None
        for section in paper.sections:
            kind = QuestionType(section["question_type"])
            candidates = self.pools[(paper.class_level, unit, kind, int(section["marks_each"]))]
            count = int(section["count"])
            wanted = int(section.get("assertion_reason", 0))
            paired = [q for q in candidates if q.assertion_reason]
            if wanted and len(paired) >= wanted:
                plain = [q for q in candidates if not q.assertion_reason]
                # CBSE puts the assertion-reason items at the end of section A.
                chosen = rng.sample(plain, count - wanted) + rng.sample(paired, wanted)
            else:
                chosen = rng.sample(candidates, count)
            for question in chosen:
                placed.append(Placed(len(placed) + 1, str(section["name"]), question))
        return placed


def snapshot(placed: list[Placed]) -> list[dict[str, Any]]:
    """The paper as the student sees it (no answer key)."""
    return [
        {
            "number": item.number,
            "section": item.section,
            "question_id": str(item.question.id),
            "question_code": item.question.question_code,
            "version": item.question.version,
            "type": item.question.question_type.value,
            "marks": item.question.marks,
            "unit": item.question.unit,
            "chapter": item.question.chapter,
            "text": item.question.question_text,
            "choices": item.question.mcq_choices,
        }
        for item in placed
    ]


def _choose_paper(rng: Random, papers: dict[ExamType, list[Paper]]) -> Paper:
    kinds = list(PAPER_TYPE_SHARES)
    kind = rng.choices(kinds, [PAPER_TYPE_SHARES[k] for k in kinds])[0]
    return rng.choice(papers[kind])


def _schedule(
    rng: Random, holding: Holding, scale: MathvidyaScale, months: int
) -> list[tuple[datetime, str]]:
    """(created_at, fate) of each exam, within the plan's monthly quota."""
    quota = holding.plan.exams_per_month
    start = max(holding.starts_at + timedelta(hours=1), AS_OF - MONTH * months)
    latest = AS_OF - timedelta(hours=3)
    per_month: Counter[date] = Counter()
    exams: list[tuple[datetime, str]] = []

    def add(moment: datetime, fate: str) -> bool:
        if per_month[month_start(moment)] >= quota:
            return False
        per_month[month_start(moment)] += 1
        exams.append((moment, fate))
        return True

    for _ in range(poisson(rng, scale.exams_per_student * PLAN_ACTIVITY[holding.plan.plan_type])):
        roll = rng.random()
        fate = (
            "never"
            if roll < NEVER_STARTED
            else "abandoned"
            if roll < NEVER_STARTED + ABANDONED
            else "done"
        )
        for _attempt in range(10):
            if add(start + (latest - start) * rng.random(), fate):
                break
    if rng.random() < RECENT:
        add(AS_OF - timedelta(hours=rng.uniform(2, 36)), "done")
    if rng.random() < LIVE:
        add(AS_OF - timedelta(minutes=rng.uniform(1, 10)), "live")
    if rng.random() < JUST_CREATED:
        add(AS_OF - timedelta(hours=rng.uniform(0.1, 48)), "waiting")
    return sorted(exams)


@dataclass
class _Exam:
    created: datetime
    paper: Paper
    status: ExamStatus
    started: datetime | None = None
    submitted: datetime | None = None
    evaluated: datetime | None = None
    updated: datetime | None = None


def _timeline(
    rng: Random, created: datetime, fate: str, paper: Paper
) -> tuple[_Exam, datetime | None]:
    """Where the exam stood at AS_OF, and (if submitted) when it was handed in."""
    duration = timedelta(minutes=paper.duration_minutes)
    if fate == "waiting" or (fate == "never" and AS_OF - created < UNSTARTED_EXPIRY):
        return _Exam(created, paper, ExamStatus.CREATED, updated=created), None
    if fate == "never":
        return _Exam(created, paper, ExamStatus.EXPIRED, updated=created + UNSTARTED_EXPIRY), None
    if fate == "live":
        started = AS_OF - duration * rng.uniform(0.1, 0.9)
        created = min(created, started - timedelta(minutes=rng.uniform(1, 10)))
        return _Exam(created, paper, ExamStatus.IN_PROGRESS, started, updated=started), None
    quick = rng.random() < 0.75
    started = created + (
        timedelta(minutes=rng.uniform(0.5, 10)) if quick else timedelta(hours=rng.uniform(1, 48))
    )
    if started > AS_OF:
        return _Exam(created, paper, ExamStatus.CREATED, updated=created), None
    ends = started + duration + GRACE
    if fate == "abandoned":
        status = ExamStatus.IN_PROGRESS if ends > AS_OF else ExamStatus.EXPIRED
        return _Exam(
            created,
            paper,
            status,
            started,
            updated=min(ends, AS_OF) if status == "expired" else started,
        ), None
    submitted = started + duration * rng.uniform(0.55, 1.0) + timedelta(minutes=rng.uniform(0, 10))
    if submitted > AS_OF:
        return _Exam(created, paper, ExamStatus.IN_PROGRESS, started, updated=started), None
    return _Exam(
        created, paper, ExamStatus.SUBMITTED, started, submitted, updated=submitted
    ), submitted


def _evaluate(
    rng: Random,
    history: History,
    exam: dict[str, Any],
    placed: list[Placed],
    marked: Marked,
    holding: Holding,
    teachers: Sequence[uuid.UUID],
    holidays: Set[date],
) -> None:
    """The teacher's side of a submitted exam with written answers, cut at AS_OF."""
    submitted: datetime = exam["submitted_at"]
    deadline = add_working_hours(submitted, holding.plan.sla_hours, holidays)
    assigned = submitted + timedelta(minutes=rng.uniform(5, 600))
    began = assigned + timedelta(minutes=rng.uniform(10, 720))
    if rng.random() < LATE_EVALUATION:
        completed = deadline + timedelta(hours=rng.uniform(1, 30))
    else:
        completed = submitted + (deadline - submitted) * rng.uniform(0.3, 0.95)
    completed = max(completed, began + timedelta(minutes=rng.uniform(20, 90)))
    events: dict[str, datetime | None] = {
        "assigned": assigned if assigned <= AS_OF else None,
        "started": began if began <= AS_OF else None,
        "completed": completed if completed <= AS_OF else None,
    }
    teacher = rng.choice(teachers) if events["assigned"] else None
    breached = completed > deadline if events["completed"] else deadline < AS_OF
    evaluation_id = new_id(rng)
    written = sum(
        p.question.marks for p in placed if p.question.question_type is not QuestionType.MCQ
    )
    pages = sum(1 for row in marked.uploads if row["exam_instance_id"] == exam["id"])
    if events["completed"]:
        mark_written(rng, evaluation_id, placed, holding.student.ability, completed, marked)
        total = marked.mcq_score + marked.written_score
        exam.update(
            status=ExamStatus.EVALUATED,
            total_score=total,
            percentage=percentage(total, exam["total_marks"]),
            evaluated_at=completed,
            updated_at=completed,
        )
    elif events["assigned"]:
        exam.update(status=ExamStatus.UNDER_EVALUATION, updated_at=assigned)
    history.evaluations.append(
        evaluation_row(
            evaluation_id, exam, teacher, holding.plan.sla_hours, deadline, events, breached,
            written, marked if events["completed"] else None,
            page_stamps(rng, pages) if events["started"] else [],
            1 if teacher and rng.random() < REASSIGNED else 0,
        )
    )  # fmt: skip
    history.question_marks.extend(marked.question_marks)


def build_history(
    holdings: Sequence[Holding],
    papers: Sequence[Paper],
    bank: Sequence[BankQuestion],
    teachers: Sequence[uuid.UUID],
    holidays: Set[date],
    scale: MathvidyaScale,
    seed: int,
    months: int,
) -> History:
    rng = stream(seed, "exams")
    pools = _Pools(bank)
    by_class: dict[str, dict[ExamType, list[Paper]]] = defaultdict(lambda: defaultdict(list))
    for paper in papers:
        by_class[paper.class_level][paper.exam_type].append(paper)
    history = History()
    this_month = month_start(AS_OF)
    for holding in holdings:
        student = holding.student
        for created, fate in _schedule(rng, holding, scale, months):
            paper = _choose_paper(rng, by_class[student.student_class])
            placed = pools.fill(rng, paper)
            state, submitted = _timeline(rng, created, fate, paper)
            exam_id = new_id(rng)
            history.times_used.update(item.question.id for item in placed)
            if month_start(state.created) == this_month:
                history.used_this_month[holding.id] += 1
            exam: dict[str, Any] = {
                "id": exam_id,
                "student_user_id": student.id,
                "student_role": UserRole.STUDENT,
                "template_id": paper.id,
                "subscription_id": holding.id,
                "student_class": student.student_class,
                "exam_type": paper.exam_type,
                "status": state.status,
                "template_snapshot": paper.config,
                "questions_snapshot": snapshot(placed),
                "total_marks": paper.total_marks,
                "duration_minutes": paper.duration_minutes,
                "mcq_score": None,
                "total_score": None,
                "percentage": None,
                "started_at": state.started,
                "submitted_at": submitted,
                "evaluated_at": None,
                "created_at": state.created,
                "updated_at": state.updated,
            }
            history.exam_instances.append(exam)
            marked = Marked()
            if state.started is not None and submitted is None:
                # Answers saved so far (while running, or until the time ran out).
                until = min(AS_OF, state.started + timedelta(minutes=paper.duration_minutes))
                answer_mcqs(
                    rng, exam_id, placed, student.ability, state.started, until, False, marked
                )
            elif state.started is not None and submitted is not None:
                answer_mcqs(
                    rng, exam_id, placed, student.ability, state.started, submitted, True, marked
                )
                hand_in(
                    rng,
                    exam_id,
                    student.id,
                    placed,
                    student.ability,
                    state.started,
                    submitted,
                    marked,
                )
                exam["mcq_score"] = marked.mcq_score
                if all(p.question.question_type is QuestionType.MCQ for p in placed):
                    exam.update(
                        status=ExamStatus.EVALUATED,
                        total_score=marked.mcq_score,
                        percentage=percentage(marked.mcq_score, paper.total_marks),
                        evaluated_at=submitted,
                    )
                else:
                    _evaluate(rng, history, exam, placed, marked, holding, teachers, holidays)
            history.student_mcq_answers.extend(marked.mcq_answers)
            history.answer_sheet_uploads.extend(marked.uploads)
            history.unanswered_questions.extend(marked.unanswered)
    return history


__all__ = ["History", "build_history", "poisson", "snapshot"]
