"""What a valid question is: every rule a question's content meets before it is stored.

`check_question` takes plain values as JSON (or a CSV row, once `importing` has read it)
carries them and returns the normalised column values with every problem found, each naming
its field. The database's CHECKs say the same things (marks by type, MCQ choices and answer,
code format); checking here first means a person gets a sentence per field, and an import
gets one per row, instead of the first constraint violation.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from lyceum.mathvidya.bank.errors import Problem
from lyceum.mathvidya.enums import (
    MARKS_BY_TYPE,
    MCQ_OPTIONS,
    STUDENT_CLASSES,
    QuestionDifficulty,
    QuestionType,
)

# Class level → the curriculum's unit names (system_config `curriculum.units_class_x|xii`).
Units = Mapping[str, Collection[str]]

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")
TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")
MAX_TAGS = 20
MAX_STEPS = 20
# Lengths of the columns (varchar) and sensible bounds for the text columns.
LIMITS = {
    "unit": 100,
    "chapter": 150,
    "topic": 150,
    "question_text": 10_000,
    "question_image_key": 500,
    "model_answer": 20_000,
    "explanation": 10_000,
    "source": 200,
}
CHOICE_TEXT_LIMIT = 1_000
STEP_TEXT_LIMIT = 1_000

# The columns a question's author writes (not its code, version, status or review).
CONTENT_FIELDS: tuple[str, ...] = (
    "class_level",
    "unit",
    "chapter",
    "topic",
    "question_type",
    "difficulty",
    "marks",
    "question_text",
    "question_image_key",
    "mcq_choices",
    "correct_option",
    "model_answer",
    "marking_scheme",
    "explanation",
    "tags",
    "source",
)
FIELDS: tuple[str, ...] = ("question_code", *CONTENT_FIELDS)
REQUIRED: tuple[str, ...] = (
    "class_level",
    "unit",
    "chapter",
    "question_type",
    "difficulty",
    "question_text",
)
TEXT_FIELDS = tuple(LIMITS)


def new_question_code(class_level: str) -> str:
    """A fresh code for a question given none: `Q-<class>-<8 random letters and digits>`."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"Q-{class_level}-" + "".join(secrets.choice(alphabet) for _ in range(8))


def _text(
    field: str, value: Any, problems: list[Problem], *, limit: int, required: bool = False
) -> str | None:
    if value is None:
        if required:
            problems.append(Problem(field, "is required"))
        return None
    if not isinstance(value, str):
        problems.append(Problem(field, "must be text"))
        return None
    text: str = value.strip()
    if not text:
        if required:
            problems.append(Problem(field, "must not be blank"))
        return None
    if "\x00" in text:
        problems.append(Problem(field, "must not contain a NUL character"))
        return None
    if len(text) > limit:
        problems.append(Problem(field, f"is {len(text)} characters long; at most {limit}"))
        return None
    return text


def _choice(field: str, value: Any, allowed: Sequence[str], problems: list[Problem]) -> str | None:
    if value is None:
        problems.append(Problem(field, f"is required: one of {', '.join(allowed)}"))
        return None
    if not isinstance(value, str) or value not in allowed:
        problems.append(Problem(field, f"{value!r} is not one of {', '.join(allowed)}"))
        return None
    return value


def _marks(kind: str | None, value: Any, problems: list[Problem]) -> int | None:
    allowed = MARKS_BY_TYPE.get(QuestionType(kind)) if kind else None
    if value is None:
        if allowed is not None and len(allowed) == 1:
            return allowed[0]
        if allowed is not None:
            problems.append(
                Problem("marks", f"is required: an {kind} question carries {_either(allowed)}")
            )
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(Problem("marks", "must be a whole number"))
        return None
    if allowed is not None and value not in allowed:
        problems.append(
            Problem("marks", f"an {kind} question carries {_either(allowed)} marks, not {value}")
        )
        return None
    return value


def _either(marks: Sequence[int]) -> str:
    return " or ".join(str(m) for m in marks)


def _mcq(
    kind: str | None, choices: Any, answer: Any, problems: list[Problem]
) -> tuple[list[dict[str, str]] | None, str | None]:
    if kind is None:
        return None, None
    if kind != QuestionType.MCQ:
        if choices is not None:
            problems.append(Problem("mcq_choices", f"only MCQs have choices, not {kind}"))
        if answer is not None:
            problems.append(
                Problem("correct_option", f"only MCQs have a correct option, not {kind}")
            )
        return None, None
    keys = ", ".join(MCQ_OPTIONS)
    parsed: list[dict[str, str]] | None = None
    if choices is None:
        problems.append(Problem("mcq_choices", f"an MCQ needs four choices keyed {keys}"))
    elif not isinstance(choices, list) or len(choices) != len(MCQ_OPTIONS):
        problems.append(
            Problem("mcq_choices", f"must be a list of exactly four choices keyed {keys}")
        )
    else:
        parsed = []
        seen: set[str] = set()
        for index, choice in enumerate(choices):
            where = f"mcq_choices[{index}]"
            if not isinstance(choice, Mapping) or set(choice) != {"key", "text"}:
                problems.append(Problem(where, 'must be an object {"key": "A", "text": "..."}'))
                parsed = None
                continue
            key = choice["key"]
            if not isinstance(key, str) or key not in MCQ_OPTIONS or key in seen:
                problems.append(
                    Problem(f"{where}.key", f"{key!r}: the keys are {keys}, each exactly once")
                )
                parsed = None
                continue
            seen.add(key)
            text = _text(
                f"{where}.text", choice["text"], problems, limit=CHOICE_TEXT_LIMIT, required=True
            )
            if text is None:
                parsed = None
            elif parsed is not None:
                parsed.append({"key": key, "text": text})
        if parsed is not None:
            parsed.sort(key=lambda c: c["key"])
    option: str | None = None
    if answer is None:
        problems.append(
            Problem("correct_option", f"an MCQ needs its correct option: one of {keys}")
        )
    elif answer not in MCQ_OPTIONS:
        problems.append(Problem("correct_option", f"{answer!r} is not one of {keys}"))
    else:
        option = answer
    return parsed, option


def _scheme(value: Any, marks: int | None, problems: list[Problem]) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        problems.append(
            Problem("marking_scheme", 'must be a non-empty list of {"step": "...", "marks": n}')
        )
        return None
    if len(value) > MAX_STEPS:
        problems.append(Problem("marking_scheme", f"has {len(value)} steps; at most {MAX_STEPS}"))
        return None
    steps: list[dict[str, Any]] = []
    total = Decimal(0)
    ok = True
    for index, step in enumerate(value):
        where = f"marking_scheme[{index}]"
        if not isinstance(step, Mapping) or set(step) != {"step", "marks"}:
            problems.append(Problem(where, 'must be an object {"step": "...", "marks": n}'))
            ok = False
            continue
        text = _text(f"{where}.step", step["step"], problems, limit=STEP_TEXT_LIMIT, required=True)
        worth = step["marks"]
        amount: Decimal | None = None
        if not isinstance(worth, bool) and isinstance(worth, int | float):
            try:
                amount = Decimal(str(worth))
            except InvalidOperation:  # pragma: no cover - float text always parses
                amount = None
        if amount is None or not amount.is_finite() or amount <= 0 or (amount * 2) % 1 != 0:
            problems.append(
                Problem(f"{where}.marks", "must be a positive number of marks in halves (1, 1.5)")
            )
            ok = False
            continue
        if text is None:
            ok = False
            continue
        total += amount
        steps.append({"step": text, "marks": int(amount) if amount % 1 == 0 else float(amount)})
    if not ok:
        return None
    if marks is not None and total != marks:
        problems.append(
            Problem(
                "marking_scheme", f"its steps add up to {total} marks; the question carries {marks}"
            )
        )
        return None
    return steps


def _tags(value: Any, problems: list[Problem]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(Problem("tags", "must be a list of tags"))
        return []
    tags: list[str] = []
    for index, tag in enumerate(value):
        if not isinstance(tag, str):
            problems.append(Problem(f"tags[{index}]", "must be text"))
            continue
        tag = tag.strip().lower()
        if not TAG_PATTERN.fullmatch(tag):
            problems.append(
                Problem(
                    f"tags[{index}]",
                    f"{tag!r}: a tag is 1 to 50 lowercase letters, digits and hyphens",
                )
            )
            continue
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        problems.append(Problem("tags", f"has {len(tags)} tags; at most {MAX_TAGS}"))
    return tags


def check_question(values: Mapping[str, Any], units: Units) -> tuple[dict[str, Any], list[Problem]]:
    """`values` (JSON-like: text, whole numbers, lists, objects; None or absent = not given)
    checked against every rule; returns the column values (`question_code` only when given)
    and the problems, in field order. The values are usable only when there are no problems."""
    problems: list[Problem] = []
    unknown = sorted(set(values) - set(FIELDS))
    problems.extend(
        Problem(name, f"is not a question field (fields: {', '.join(FIELDS)})") for name in unknown
    )
    out: dict[str, Any] = {}
    code = values.get("question_code")
    if code is not None:
        if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
            problems.append(
                Problem(
                    "question_code",
                    f"{code!r}: a code is 3 to 32 capital letters, digits and hyphens,"
                    " not starting with a hyphen (e.g. X-ALG-0042)",
                )
            )
        else:
            out["question_code"] = code
    level = _choice("class_level", values.get("class_level"), STUDENT_CLASSES, problems)
    out["class_level"] = level
    unit = _text("unit", values.get("unit"), problems, limit=LIMITS["unit"], required=True)
    if unit is not None and level is not None:
        known = units.get(level, ())
        if unit not in known:
            problems.append(
                Problem(
                    "unit",
                    f"{unit!r} is not a unit of the class {level} curriculum ({', '.join(known)})",
                )
            )
    out["unit"] = unit
    for name in ("chapter", "topic"):
        out[name] = _text(
            name, values.get(name), problems, limit=LIMITS[name], required=name in REQUIRED
        )
    kind = _choice("question_type", values.get("question_type"), tuple(QuestionType), problems)
    out["question_type"] = QuestionType(kind) if kind else None
    difficulty = _choice(
        "difficulty", values.get("difficulty"), tuple(QuestionDifficulty), problems
    )
    out["difficulty"] = QuestionDifficulty(difficulty) if difficulty else None
    out["marks"] = _marks(kind, values.get("marks"), problems)
    for name in ("question_text", "question_image_key"):
        out[name] = _text(
            name, values.get(name), problems, limit=LIMITS[name], required=name in REQUIRED
        )
    out["mcq_choices"], out["correct_option"] = _mcq(
        kind, values.get("mcq_choices"), values.get("correct_option"), problems
    )
    out["model_answer"] = _text(
        "model_answer", values.get("model_answer"), problems, limit=LIMITS["model_answer"]
    )
    out["marking_scheme"] = _scheme(values.get("marking_scheme"), out["marks"], problems)
    for name in ("explanation", "source"):
        out[name] = _text(name, values.get(name), problems, limit=LIMITS[name])
    out["tags"] = _tags(values.get("tags"), problems)
    return out, problems


def check_rows(
    rows: Sequence[tuple[int, Mapping[str, Any]]],
    units: Units,
    *,
    rename: Callable[[str], str] = lambda field: field,
) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    """Every row of an import checked (`rows`: row number, values), and codes given twice in
    the file reported at each repetition. Returns the normalised rows and every problem, each
    with its row number and its field as the file names it (`rename`: a CSV's `choice_c` for
    `mcq_choices[2].text`)."""
    checked: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    for number, values in rows:
        row, found = check_question(values, units)
        code = row.get("question_code")
        if code is not None:
            if code in first_row:
                found.append(
                    Problem("question_code", f"{code} is also given in row {first_row[code]}")
                )
            else:
                first_row[code] = number
        problems.extend(Problem(rename(p.field), p.reason, number) for p in found)
        checked.append((number, row))
    return checked, problems


__all__ = [
    "CODE_PATTERN",
    "CONTENT_FIELDS",
    "FIELDS",
    "REQUIRED",
    "Units",
    "check_question",
    "check_rows",
    "new_question_code",
]
