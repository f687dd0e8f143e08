"""What a student hands in and how it is marked: MCQ answers, answer-sheet pages, declared
unanswered questions, the teacher's evaluation and marks per written question.

A student's latent ability sets the chance of a correct MCQ and the share of a written
question's marks, shifted by difficulty (easy +0.12, hard -0.15). Teachers mark in half-mark
steps. Answers are saved while the exam runs and marked on submission, so a running (or
expired) exam has answers that are not marked yet.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from random import Random
from typing import Any

from lyceum.mathvidya.enums import MCQ_OPTIONS, QuestionDifficulty, QuestionType, UserRole
from lyceum.mathvidya.synthetic.bank import BankQuestion
from lyceum.mathvidya.synthetic.catalog import ANSWER_SHEET_BUCKET, new_id

DIFFICULTY_SHIFT = {
    QuestionDifficulty.EASY: 0.12,
    QuestionDifficulty.MEDIUM: 0.0,
    QuestionDifficulty.HARD: -0.15,
}
MCQ_SKIPPED = 0.05
MAX_UPLOAD_PAGES = 40
# (MIME type, extension, share, size range in bytes), within the 5 MB upload limit.
SHEET_FORMATS = (
    ("image/jpeg", "jpg", 0.7, (250_000, 2_600_000)),
    ("image/png", "png", 0.15, (400_000, 4_800_000)),
    ("application/pdf", "pdf", 0.15, (150_000, 3_000_000)),
)
STAMPS = ("tick", "cross", "half", "circle", "star")
CLAIM_FLOOR = timedelta(hours=1)
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Placed:
    """A question as it appears in one exam."""

    number: int
    section: str
    question: BankQuestion


@dataclass
class Marked:
    """Rows for one exam's answers and marks."""

    mcq_answers: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    unanswered: list[dict[str, Any]] = field(default_factory=list)
    question_marks: list[dict[str, Any]] = field(default_factory=list)
    mcq_score: Decimal = Decimal(0)
    written_score: Decimal = Decimal(0)
    unanswered_numbers: set[int] = field(default_factory=set)


def percentage(score: Decimal, total_marks: int) -> Decimal:
    """As the `percentage_of_total` CHECK computes it: round(score * 100 / total, 2)."""
    return (score * HUNDRED / Decimal(total_marks)).quantize(CENTS, rounding=ROUND_HALF_UP)


def _between(rng: Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


def _chance(ability: float, question: BankQuestion, rng: Random) -> float:
    shift = DIFFICULTY_SHIFT[question.difficulty] - (0.05 if question.assertion_reason else 0.0)
    return min(0.98, max(0.05, ability + shift + rng.gauss(0, 0.1)))


def answer_mcqs(
    rng: Random,
    exam_id: uuid.UUID,
    placed: list[Placed],
    ability: float,
    started: datetime,
    until: datetime,
    marked: bool,
    out: Marked,
) -> None:
    """MCQ answers saved between `started` and `until`; marked only if the exam was handed in."""
    for item in placed:
        question = item.question
        if question.question_type is not QuestionType.MCQ or rng.random() < MCQ_SKIPPED:
            continue
        answered = _between(rng, started, until)
        correct_key = question.correct_option or MCQ_OPTIONS[0]
        right = rng.random() < _chance(ability, question, rng)
        selected = (
            correct_key if right else rng.choice([k for k in MCQ_OPTIONS if k != correct_key])
        )
        awarded = Decimal(1 if right else 0) if marked else None
        if awarded is not None:
            out.mcq_score += awarded
        out.mcq_answers.append(
            {
                "id": new_id(rng),
                "exam_instance_id": exam_id,
                "question_id": question.id,
                "question_type": QuestionType.MCQ,
                "unit": question.unit,
                "question_number": item.number,
                "selected_option": selected,
                "is_correct": right if marked else None,
                "marks_awarded": awarded,
                "answered_at": answered,
                "created_at": answered,
                "updated_at": until if marked else answered,
            }
        )


def hand_in(
    rng: Random,
    exam_id: uuid.UUID,
    student_id: uuid.UUID,
    placed: list[Placed],
    ability: float,
    started: datetime,
    submitted: datetime,
    out: Marked,
) -> None:
    """Answer-sheet pages and declared unanswered questions of a submitted exam."""
    answered_mcqs = {row["question_number"] for row in out.mcq_answers}
    skip_written = 0.03 + 0.2 * (1 - ability)
    for item in placed:
        question = item.question
        if question.question_type is QuestionType.MCQ:
            declared = item.number not in answered_mcqs and rng.random() < 0.5
        else:
            declared = rng.random() < skip_written
        if declared:
            out.unanswered_numbers.add(item.number)
            out.unanswered.append(
                {
                    "id": new_id(rng),
                    "exam_instance_id": exam_id,
                    "question_id": question.id,
                    "question_type": question.question_type,
                    "unit": question.unit,
                    "question_number": item.number,
                    "declared_at": _between(rng, started, submitted),
                }
            )
    written = sum(
        p.question.marks for p in placed if p.question.question_type is not QuestionType.MCQ
    )
    if not written:
        return
    pages = max(1, min(MAX_UPLOAD_PAGES, round(written / 4) + rng.randint(-1, 1)))
    mime, extension, _, (smallest, largest) = rng.choices(
        SHEET_FORMATS, [share for _, _, share, _ in SHEET_FORMATS]
    )[0]
    first_upload = started + (submitted - started) / 2
    for page in range(1, pages + 1):
        uploaded = _between(rng, first_upload, submitted)
        out.uploads.append(
            {
                "id": new_id(rng),
                "exam_instance_id": exam_id,
                "page_number": page,
                "storage_bucket": ANSWER_SHEET_BUCKET,
                "storage_key": f"answer-sheets/{student_id}/{exam_id}/page-{page:02d}.{extension}",
                "original_filename": f"IMG_{rng.randrange(10_000):04d}.{extension}"
                if extension != "pdf"
                else f"answer-sheet-page-{page}.pdf",
                "mime_type": mime,
                "file_size_bytes": rng.randint(smallest, largest),
                "sha256": hashlib.sha256(f"{exam_id}:{page}".encode()).hexdigest(),
                "uploaded_at": uploaded,
            }
        )


def _stamp(rng: Random, awarded: Decimal, question: BankQuestion) -> str:
    if awarded == question.marks:
        return (
            "star" if question.question_type is QuestionType.LA and rng.random() < 0.3 else "tick"
        )
    if awarded == 0:
        return "cross"
    return "half" if rng.random() < 0.8 else "circle"


def mark_written(
    rng: Random,
    evaluation_id: uuid.UUID,
    placed: list[Placed],
    ability: float,
    at: datetime,
    out: Marked,
) -> None:
    """The teacher's marks for every written question (0 for those declared unanswered)."""
    for item in placed:
        question = item.question
        if question.question_type is QuestionType.MCQ:
            continue
        comment = None
        if item.number in out.unanswered_numbers:
            awarded, stamp, comment = Decimal(0), None, "Not attempted."
        else:
            share = min(
                1.0, max(0.0, rng.gauss(ability + DIFFICULTY_SHIFT[question.difficulty], 0.18))
            )
            awarded = Decimal(round(share * question.marks * 2)) / 2
            stamp = _stamp(rng, awarded, question)
            if 0 < awarded < question.marks and rng.random() < 0.3:
                comment = rng.choice(
                    (
                        "Working incomplete.",
                        "Check the final step.",
                        "Method correct, arithmetic slip.",
                    )
                )
        out.written_score += awarded
        out.question_marks.append(
            {
                "id": new_id(rng),
                "evaluation_id": evaluation_id,
                "question_id": question.id,
                "question_type": question.question_type,
                "unit": question.unit,
                "question_number": item.number,
                "marks_awarded": awarded,
                "max_marks": Decimal(question.marks),
                "stamp": stamp,
                "teacher_comment": comment,
                "created_at": at,
                "updated_at": at,
            }
        )


def page_stamps(rng: Random, pages: int) -> list[dict[str, Any]]:
    return [
        {
            "page": page,
            "x": round(rng.uniform(0.05, 0.95), 3),
            "y": round(rng.uniform(0.05, 0.95), 3),
            "stamp": rng.choice(STAMPS),
        }
        for page in range(1, pages + 1)
        for _ in range(rng.randint(1, 4))
    ]


def comment_for(share: float) -> str:
    if share >= 0.85:
        return "Excellent work. Keep it up."
    if share >= 0.6:
        return "Good attempt; show every step to earn full marks."
    if share >= 0.4:
        return "Revise the chapters where answers are marked with a cross."
    return "Needs more practice: redo the marked questions and compare with the model answers."


def evaluation_row(
    evaluation_id: uuid.UUID,
    exam: dict[str, Any],
    teacher: uuid.UUID | None,
    sla_hours: int,
    deadline: datetime,
    events: dict[str, datetime | None],
    breached: bool,
    max_marks: int,
    marked: Marked | None,
    notes: list[dict[str, Any]],
    reassigned: int,
) -> dict[str, Any]:
    completed = events["completed"]
    status = (
        "completed"
        if completed
        else "in_progress"
        if events["started"]
        else "assigned"
        if teacher
        else "pending"
    )
    last = max(t for t in (exam["submitted_at"], *events.values()) if t is not None)
    return {
        "id": evaluation_id,
        "exam_instance_id": exam["id"],
        "student_class": exam["student_class"],
        "exam_type": exam["exam_type"],
        "teacher_user_id": teacher,
        "teacher_role": UserRole.TEACHER,
        "status": status,
        "sla_hours": sla_hours,
        "submitted_at": exam["submitted_at"],
        "sla_deadline": deadline,
        "assigned_at": events["assigned"],
        "started_at": events["started"],
        "completed_at": completed,
        "sla_breached": breached,
        "marks_awarded": marked.written_score if marked and completed else None,
        "max_marks": Decimal(max_marks),
        "teacher_comments": comment_for(float(marked.written_score) / max_marks)
        if marked and completed
        else None,
        "annotations": notes,
        "reassignment_count": reassigned,
        # A held evaluation's claim: its holder keeps it until the deadline (at least an hour
        # after it was given to them), as migration 0014 sets for evaluations it finds held.
        "claim_expires_at": max(deadline, events["assigned"] + CLAIM_FLOOR)
        if status in ("assigned", "in_progress") and events["assigned"] is not None
        else None,
        "predicted_completion_at": None,
        "predicted_at": None,
        "created_at": exam["submitted_at"],
        "updated_at": last,
    }


__all__ = [
    "Marked",
    "Placed",
    "answer_mcqs",
    "comment_for",
    "evaluation_row",
    "hand_in",
    "mark_written",
    "page_stamps",
    "percentage",
]
