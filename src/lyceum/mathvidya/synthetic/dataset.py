"""`generate_dataset`: the whole synthetic Mathvidya, one list of rows per table."""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lyceum.mathvidya.synthetic.bank import BankQuestion, build_bank
from lyceum.mathvidya.synthetic.catalog import AS_OF, SCALES, PlanTerms
from lyceum.mathvidya.synthetic.exams import build_history
from lyceum.mathvidya.synthetic.papers import build_papers
from lyceum.mathvidya.synthetic.people import Student, build_people
from lyceum.mathvidya.synthetic.subscriptions import build_subscriptions

# Foreign keys point backwards in this order; audit_logs stays empty and the reference tables
# (subscription_plans, holidays, system_config) are the migration's.
TABLES = (
    "users",
    "parent_student_mappings",
    "subscriptions",
    "questions",
    "exam_templates",
    "exam_instances",
    "student_mcq_answers",
    "answer_sheet_uploads",
    "unanswered_questions",
    "evaluations",
    "question_marks",
)
MAX_MONTHS = 12


@dataclass(frozen=True)
class MathvidyaData:
    scale: str
    seed: int
    as_of: datetime
    tables: dict[str, list[dict[str, Any]]]
    # The bank with what the rows do not store (template, answer), and the students' hidden
    # ability, for tests and analysis.
    questions: list[BankQuestion]
    students: list[Student]

    def row_counts(self) -> dict[str, int]:
        return {name: len(self.tables[name]) for name in TABLES}


def generate_dataset(
    scale: str,
    seed: int,
    plans: Sequence[PlanTerms],
    holidays: Set[date],
    months: int = MAX_MONTHS,
    report: Callable[[float], None] | None = None,
) -> MathvidyaData:
    """Every generated table for (scale, seed, months); `plans` and `holidays` are the
    reference rows of migration 0007, read from the database by the loader."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}, got {months}")
    size = SCALES[scale]

    def progress(fraction: float) -> None:
        if report is not None:
            report(fraction)

    people = build_people(size, seed)
    progress(0.1)
    bank = build_bank(size, seed, people.teachers)
    progress(0.4)
    subscriptions, holdings = build_subscriptions(people, plans, seed)
    papers = build_papers(seed, people.admins[0])
    history = build_history(holdings, papers, bank, people.teachers, holidays, size, seed, months)
    progress(0.9)
    for holding in holdings:
        holding.row["exams_used_this_month"] = history.used_this_month[holding.id]
    tables = {
        "users": people.users,
        "parent_student_mappings": people.mappings,
        "subscriptions": subscriptions,
        "questions": [q.row(history.times_used[q.id]) for q in bank],
        "exam_templates": [paper.row for paper in papers],
        "exam_instances": history.exam_instances,
        "student_mcq_answers": history.student_mcq_answers,
        "answer_sheet_uploads": history.answer_sheet_uploads,
        "unanswered_questions": history.unanswered_questions,
        "evaluations": history.evaluations,
        "question_marks": history.question_marks,
    }
    progress(1.0)
    return MathvidyaData(scale, seed, AS_OF, tables, bank, people.students)


__all__ = ["MAX_MONTHS", "TABLES", "MathvidyaData", "generate_dataset"]
