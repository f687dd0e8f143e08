"""What a valid exam template is: its `config` against its type, marks and units.

The config, as the synthetic generator writes it (`synthetic/papers.py`) and exam generation
reads it:

    {"sections": [{"name": "A", "title": "Multiple choice questions", "question_type": "MCQ",
                   "count": 20, "marks_each": 1, "assertion_reason": 2}, ...,
                  {"name": "E", "question_type": "LA", "count": 3, "marks_each": 4,
                   "case_based": true}],
     "unit_weightage": {"Algebra": 20, ...},                      # optional
     "difficulty_mix": {"easy": 0.3, "medium": 0.5, "hard": 0.2}}  # optional

Rules (each problem names its field, `config.sections[2].marks_each` and so on):
- 1 to 10 sections, names unique; `question_type` one of MCQ/VSA/SA/LA; `count` 1-50;
  `marks_each` a mark that type carries (MCQ 1, VSA 2, SA 3, LA 4 or 5); optional `title`
  (text), `assertion_reason` (MCQ sections: how many of the count are assertion-reason
  items, 0..count), `case_based` (LA sections: true for case-based questions).
- the sections' marks (count * marks_each) add up to `total_marks`.
- `unit_weightage` (optional): units of the class's curriculum (and of the template's
  `units`, when it names any), positive whole marks adding up to `total_marks`; a
  section-wise template may instead carry the board paper's weightage (adding up to 80),
  read as the units' proportions (what the synthetic section templates hold).
- `difficulty_mix` (optional): `easy`, `medium`, `hard` fractions in [0, 1] adding up to 1.
- the database's CHECKs, said first: a board paper has no units, 80 marks and 180 minutes;
  a unit-wise template names at least one unit; units belong to the class's curriculum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lyceum.mathvidya.bank.errors import Problem
from lyceum.mathvidya.bank.questions import Units
from lyceum.mathvidya.enums import MARKS_BY_TYPE, ExamType, QuestionDifficulty, QuestionType

BOARD_MARKS = 80
BOARD_MINUTES = 180
MAX_SECTIONS = 10
MAX_COUNT = 50
CONFIG_KEYS = ("sections", "unit_weightage", "difficulty_mix")
SECTION_KEYS = ("name", "title", "question_type", "count", "marks_each", "assertion_reason",
                "case_based")  # fmt: skip
MIX_TOLERANCE = 1e-6


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def section_marks(sections: Sequence[Mapping[str, Any]]) -> int:
    return sum(int(s["count"]) * int(s["marks_each"]) for s in sections)


def _sections(value: Any, problems: list[Problem]) -> list[Mapping[str, Any]] | None:
    where = "config.sections"
    if not isinstance(value, list) or not value:
        problems.append(Problem(where, "is required: a non-empty list of sections"))
        return None
    if len(value) > MAX_SECTIONS:
        problems.append(Problem(where, f"has {len(value)} sections; at most {MAX_SECTIONS}"))
        return None
    good = True
    names: set[str] = set()
    for index, section in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(section, Mapping):
            problems.append(Problem(at, "must be an object"))
            good = False
            continue
        for key in sorted(set(section) - set(SECTION_KEYS)):
            problems.append(
                Problem(f"{at}.{key}", f"is not a section key ({', '.join(SECTION_KEYS)})")
            )
            good = False
        name = section.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 20:
            problems.append(Problem(f"{at}.name", "is required: 1 to 20 characters"))
            good = False
        elif name in names:
            problems.append(Problem(f"{at}.name", f"section {name!r} is named twice"))
            good = False
        else:
            names.add(name)
        title = section.get("title")
        if title is not None and (not isinstance(title, str) or len(title) > 150):
            problems.append(Problem(f"{at}.title", "must be text of at most 150 characters"))
            good = False
        kind = section.get("question_type")
        if kind not in tuple(QuestionType):
            problems.append(
                Problem(f"{at}.question_type", f"{kind!r} is not one of MCQ, VSA, SA, LA")
            )
            good = False
            kind = None
        count: Any = section.get("count")
        if not (_whole(count) and 1 <= count <= MAX_COUNT):
            problems.append(Problem(f"{at}.count", f"must be a whole number from 1 to {MAX_COUNT}"))
            good = False
            count = None
        marks = section.get("marks_each")
        if not _whole(marks):
            problems.append(Problem(f"{at}.marks_each", "must be a whole number"))
            good = False
        elif kind is not None and marks not in MARKS_BY_TYPE[QuestionType(kind)]:
            allowed = " or ".join(map(str, MARKS_BY_TYPE[QuestionType(kind)]))
            problems.append(
                Problem(
                    f"{at}.marks_each", f"an {kind} question carries {allowed} marks, not {marks}"
                )
            )
            good = False
        if "assertion_reason" in section:
            items = section["assertion_reason"]
            if kind is not None and kind != QuestionType.MCQ:
                problems.append(
                    Problem(
                        f"{at}.assertion_reason", "only an MCQ section has assertion-reason items"
                    )
                )
                good = False
            elif not _whole(items) or items < 0 or (count is not None and items > count):
                problems.append(
                    Problem(f"{at}.assertion_reason", "must be a whole number from 0 to the count")
                )
                good = False
        if "case_based" in section:
            flag = section["case_based"]
            if not isinstance(flag, bool):
                problems.append(Problem(f"{at}.case_based", "must be true or false"))
                good = False
            elif flag and kind is not None and kind != QuestionType.LA:
                problems.append(
                    Problem(f"{at}.case_based", "case-based questions are LA questions")
                )
                good = False
    return value if good else None


def _weightage(
    value: Any,
    class_units: Sequence[str],
    template_units: Sequence[str],
    total_marks: int | None,
    exam_type: str | None,
    problems: list[Problem],
) -> None:
    where = "config.unit_weightage"
    if not isinstance(value, Mapping) or not value:
        problems.append(Problem(where, "must be an object of unit → marks, at least one unit"))
        return
    good = True
    for unit, marks in value.items():
        if unit not in class_units:
            problems.append(
                Problem(f"{where}.{unit}", f"{unit!r} is not a unit of the class's curriculum")
            )
            good = False
        elif template_units and unit not in template_units:
            problems.append(
                Problem(f"{where}.{unit}", f"{unit!r} is not among the template's units")
            )
            good = False
        if not _whole(marks) or marks < 1:
            problems.append(Problem(f"{where}.{unit}", "must be a positive whole number of marks"))
            good = False
    if not good or total_marks is None:
        return
    total = sum(value.values())
    proportions = exam_type == ExamType.SECTION_WISE and total == BOARD_MARKS
    if total != total_marks and not proportions:
        problems.append(
            Problem(where, f"adds up to {total} marks; the template's total_marks is {total_marks}")
        )


def _mix(value: Any, problems: list[Problem]) -> None:
    where = "config.difficulty_mix"
    keys = tuple(QuestionDifficulty)
    if not isinstance(value, Mapping) or set(value) != set(keys):
        problems.append(Problem(where, "must be an object with easy, medium and hard fractions"))
        return
    good = True
    for key in keys:
        share = value[key]
        if (
            isinstance(share, bool)
            or not isinstance(share, int | float)
            or not math.isfinite(share)
            or not 0 <= share <= 1
        ):
            problems.append(Problem(f"{where}.{key}", "must be a fraction from 0 to 1"))
            good = False
    if good and abs(sum(float(value[k]) for k in keys) - 1) > MIX_TOLERANCE:
        problems.append(Problem(where, "the fractions must add up to 1"))


def check_template(values: Mapping[str, Any], units: Units) -> list[Problem]:
    """Every problem of a template (`values`: class_level, exam_type, total_marks,
    duration_minutes, units, config — as it would be stored)."""
    problems: list[Problem] = []
    level = values.get("class_level")
    class_units = list(units.get(level, ())) if isinstance(level, str) else []
    exam_type = values.get("exam_type")
    total = values.get("total_marks")
    total = total if _whole(total) else None
    minutes = values.get("duration_minutes")
    template_units = list(values.get("units") or [])
    for index, unit in enumerate(template_units):
        if unit not in class_units:
            problems.append(
                Problem(
                    f"units[{index}]", f"{unit!r} is not a unit of the class {level} curriculum"
                )
            )
        elif template_units.index(unit) != index:
            problems.append(Problem(f"units[{index}]", f"{unit!r} is named twice"))
    if exam_type == ExamType.BOARD_EXAM:
        if template_units:
            problems.append(Problem("units", "a board paper covers the whole syllabus: no units"))
        if total != BOARD_MARKS:
            problems.append(Problem("total_marks", f"a board paper carries {BOARD_MARKS} marks"))
        if minutes != BOARD_MINUTES:
            problems.append(
                Problem("duration_minutes", f"a board paper lasts {BOARD_MINUTES} minutes")
            )
    if exam_type == ExamType.UNIT_WISE and not template_units:
        problems.append(Problem("units", "a unit-wise template names at least one unit"))
    config = values.get("config")
    if not isinstance(config, Mapping):
        problems.append(Problem("config", "must be an object with sections"))
        return problems
    for key in sorted(set(config) - set(CONFIG_KEYS)):
        problems.append(Problem(f"config.{key}", f"is not a config key ({', '.join(CONFIG_KEYS)})"))
    sections = _sections(config.get("sections"), problems)
    if sections is not None and total is not None and section_marks(sections) != total:
        problems.append(
            Problem(
                "config.sections",
                f"the sections carry {section_marks(sections)} marks; total_marks is {total}",
            )
        )
    if config.get("unit_weightage") is not None:
        _weightage(
            config["unit_weightage"], class_units, template_units, total, exam_type, problems
        )
    if config.get("difficulty_mix") is not None:
        _mix(config["difficulty_mix"], problems)
    return problems


__all__ = ["BOARD_MARKS", "BOARD_MINUTES", "CONFIG_KEYS", "SECTION_KEYS", "check_template",
           "section_marks"]  # fmt: skip
