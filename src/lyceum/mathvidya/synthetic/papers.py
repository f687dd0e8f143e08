"""Exam templates for each class: the CBSE board paper, one template per board section, and a
practice paper per unit.

The board pattern (sample question papers 2024-25 onwards), 38 questions, 80 marks, 3 hours:
A 20 MCQs × 1 (two of them assertion-reason), B 5 VSA × 2, C 6 SA × 3, D 4 LA × 5,
E 3 case-based × 4 (stored as LA, 4 marks).
"""

# ruff: noqa: RUF002 - maths is written with the multiplication sign, as on a paper

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from random import Random
from typing import Any

from lyceum.mathvidya.curriculum import BOARD_PAPER_MARKS, SYLLABUS
from lyceum.mathvidya.enums import ExamType, QuestionType
from lyceum.mathvidya.synthetic.catalog import AS_OF, new_id, stream

BOARD_MINUTES = 180
ASSERTION_REASON_IN_A = 2

BOARD_SECTIONS: tuple[dict[str, Any], ...] = (
    {
        "name": "A",
        "title": "Multiple choice questions",
        "question_type": QuestionType.MCQ.value,
        "count": 20,
        "marks_each": 1,
        "assertion_reason": ASSERTION_REASON_IN_A,
    },
    {
        "name": "B",
        "title": "Very short answer questions",
        "question_type": QuestionType.VSA.value,
        "count": 5,
        "marks_each": 2,
    },
    {
        "name": "C",
        "title": "Short answer questions",
        "question_type": QuestionType.SA.value,
        "count": 6,
        "marks_each": 3,
    },
    {
        "name": "D",
        "title": "Long answer questions",
        "question_type": QuestionType.LA.value,
        "count": 4,
        "marks_each": 5,
    },
    {
        "name": "E",
        "title": "Case-based questions",
        "question_type": QuestionType.LA.value,
        "count": 3,
        "marks_each": 4,
        "case_based": True,
    },
)
# Minutes for one board section on its own.
SECTION_MINUTES = {"A": 40, "B": 30, "C": 45, "D": 60, "E": 40}
# A unit practice paper: 5 + 4 + 6 + 5 = 20 marks in 45 minutes.
UNIT_SECTIONS: tuple[dict[str, Any], ...] = tuple(
    {"name": name, "title": title, "question_type": kind, "count": count, "marks_each": marks}
    for name, title, kind, count, marks in (
        ("A", "Multiple choice questions", "MCQ", 5, 1),
        ("B", "Very short answer questions", "VSA", 2, 2),
        ("C", "Short answer questions", "SA", 2, 3),
        ("D", "Long answer question", "LA", 1, 5),
    )
)
UNIT_MINUTES = 45


def section_marks(sections: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> int:
    return sum(int(s["count"]) * int(s["marks_each"]) for s in sections)


@dataclass(frozen=True)
class Paper:
    """An exam template, with what exam generation needs to fill it."""

    id: uuid.UUID
    class_level: str
    exam_type: ExamType
    name: str
    total_marks: int
    duration_minutes: int
    config: dict[str, Any]
    units: tuple[str, ...]
    row: dict[str, Any]

    @property
    def sections(self) -> list[dict[str, Any]]:
        return list(self.config["sections"])


def _paper(
    rng: Random,
    class_level: str,
    exam_type: ExamType,
    name: str,
    description: str,
    sections: tuple[dict[str, Any], ...],
    minutes: int,
    weightage: dict[str, int],
    units: tuple[str, ...],
    admin: uuid.UUID,
) -> Paper:
    created = AS_OF - timedelta(days=rng.uniform(700, 720))
    config = {"sections": [dict(s) for s in sections], "unit_weightage": weightage}
    row: dict[str, Any] = {
        "id": new_id(rng),
        "name": name,
        "class_level": class_level,
        "exam_type": exam_type,
        "description": description,
        "total_marks": section_marks(sections),
        "duration_minutes": minutes,
        "config": config,
        "units": list(units),
        "is_active": True,
        "created_by_user_id": admin,
        "created_at": created,
        "updated_at": created,
    }
    return Paper(
        row["id"], class_level, exam_type, name, row["total_marks"], minutes, config, units, row
    )


def build_papers(seed: int, admin: uuid.UUID) -> list[Paper]:
    if section_marks(BOARD_SECTIONS) != BOARD_PAPER_MARKS:
        raise AssertionError("the board sections must add up to the board paper's marks")
    rng = stream(seed, "papers")
    papers: list[Paper] = []
    for class_level, units in SYLLABUS.items():
        weightage = {unit.name: unit.marks for unit in units}
        papers.append(
            _paper(
                rng, class_level, ExamType.BOARD_EXAM, f"CBSE Board Paper (Class {class_level})",
                "The full 80-mark CBSE pattern: sections A-E, 38 questions, 3 hours.",
                BOARD_SECTIONS, BOARD_MINUTES, weightage, (), admin,
            )
        )  # fmt: skip
        for section in BOARD_SECTIONS:
            papers.append(
                _paper(
                    rng, class_level, ExamType.SECTION_WISE,
                    f"Section {section['name']}: {section['title']}",
                    f"Board section {section['name']} on its own, across the whole syllabus.",
                    (section,), SECTION_MINUTES[section["name"]], weightage, (), admin,
                )
            )  # fmt: skip
        for unit in units:
            papers.append(
                _paper(
                    rng, class_level, ExamType.UNIT_WISE, f"Unit practice: {unit.name}",
                    f"A 20-mark practice paper on {unit.name}: " + ", ".join(unit.chapters) + ".",
                    UNIT_SECTIONS, UNIT_MINUTES, {unit.name: section_marks(UNIT_SECTIONS)},
                    (unit.name,), admin,
                )
            )  # fmt: skip
    return papers


__all__ = [
    "BOARD_SECTIONS",
    "SECTION_MINUTES",
    "UNIT_SECTIONS",
    "Paper",
    "build_papers",
    "section_marks",
]
