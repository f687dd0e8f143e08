"""Mathvidya's synthetic data (pure, no database): determinism, the question bank's coverage
and mathematics (MCQ keys recomputed independently from the question text), marking schemes,
people and parent links, subscriptions, and the exam history's internal consistency."""

from __future__ import annotations

import ast
import math
import re
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise, product
from pathlib import Path
from typing import Any

import pytest

import lyceum.mathvidya.synthetic as synthetic
from lyceum.mathvidya.curriculum import BOARD_PAPER_MARKS, SYLLABUS
from lyceum.mathvidya.enums import MARKS_BY_TYPE, MCQ_OPTIONS, PlanType, QuestionType
from lyceum.mathvidya.synthetic import (
    AS_OF,
    ASSERTION_OPTIONS,
    BOARD_SECTIONS,
    SCALES,
    TABLES,
    BankQuestion,
    MathvidyaData,
    PlanTerms,
    add_working_hours,
    allocate,
    generate_dataset,
    section_marks,
)
from lyceum.mathvidya.synthetic.catalog import IST
from lyceum.mathvidya.synthetic.mathfmt import dec, pi_times, poly, surd

PLANS = [
    PlanTerms(uuid.UUID(int=1), PlanType.BASIC, 5, 48, False, Decimal("2999.00")),
    PlanTerms(uuid.UUID(int=2), PlanType.PREMIUM_MCQ, 15, 48, False, Decimal("4999.00")),
    PlanTerms(uuid.UUID(int=3), PlanType.PREMIUM, 50, 48, True, Decimal("9999.00")),
    PlanTerms(uuid.UUID(int=4), PlanType.CENTUM, 50, 24, True, Decimal("14999.00")),
]
HOLIDAYS = {date(2025, 12, 25), date(2026, 1, 26), date(2026, 8, 15), date(2026, 11, 8)}
CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")
PHONE = re.compile(r"^\+?[0-9]{10,15}$")


@pytest.fixture(scope="module")
def small() -> MathvidyaData:
    return generate_dataset("small", 11, PLANS, HOLIDAYS)


@pytest.fixture(scope="module")
def default() -> MathvidyaData:
    return generate_dataset("default", 42, PLANS, HOLIDAYS)


def _active(data: MathvidyaData) -> list[BankQuestion]:
    return [q for q in data.questions if q.status == "active"]


def _correct_text(question: BankQuestion) -> str:
    assert question.mcq_choices is not None
    return next(c["text"] for c in question.mcq_choices if c["key"] == question.correct_option)


# ---- determinism and options --------------------------------------------------------------


def test_same_seed_same_rows_other_seed_other_rows(small: MathvidyaData) -> None:
    again = generate_dataset("small", 11, PLANS, HOLIDAYS)
    assert again.tables == small.tables
    other = generate_dataset("small", 12, PLANS, HOLIDAYS)
    assert {r["id"] for r in other.tables["users"]}.isdisjoint(
        r["id"] for r in small.tables["users"]
    )
    assert [q.question_text for q in other.questions] != [q.question_text for q in small.questions]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        generate_dataset("huge", 1, PLANS, HOLIDAYS)
    with pytest.raises(ValueError, match="months"):
        generate_dataset("small", 1, PLANS, HOLIDAYS, months=13)
    with pytest.raises(ValueError, match="plans missing: centum"):
        generate_dataset("small", 1, PLANS[:3], HOLIDAYS)


def test_a_shorter_window_keeps_exams_within_it() -> None:
    data = generate_dataset("small", 11, PLANS, HOLIDAYS, months=1)
    assert data.tables["exam_instances"]
    assert min(e["created_at"] for e in data.tables["exam_instances"]) >= AS_OF - timedelta(days=31)


# ---- the question bank --------------------------------------------------------------------


def test_default_bank_covers_every_chapter_type_and_difficulty(default: MathvidyaData) -> None:
    active = _active(default)
    assert len(active) >= 1000
    for class_level, units in SYLLABUS.items():
        mine = [q for q in active if q.class_level == class_level]
        assert {q.question_type for q in mine} == set(QuestionType)
        assert {q.difficulty.value for q in mine} == {"easy", "medium", "hard"}
        for unit in units:
            assert any(q.unit == unit.name for q in mine), unit.name
            for chapter in unit.chapters:
                kinds = {
                    q.question_type for q in mine if q.chapter == chapter and q.unit == unit.name
                }
                assert kinds == set(QuestionType), (class_level, chapter)
    # Both kinds of long answer, and assertion-reason MCQs.
    assert {q.marks for q in active if q.question_type is QuestionType.LA} == {4, 5}
    assert sum(q.assertion_reason for q in active) >= 40


def test_small_bank_is_smaller_and_still_fills_a_board_paper(small: MathvidyaData) -> None:
    active = _active(small)
    assert 250 <= len(active) < 1000
    for class_level in SYLLABUS:
        mine = [q for q in active if q.class_level == class_level]
        for section in BOARD_SECTIONS:
            fitting = [
                q
                for q in mine
                if q.question_type == section["question_type"] and q.marks == section["marks_each"]
            ]
            assert len(fitting) >= section["count"], (class_level, section["name"])


def test_question_rows_respect_the_table_rules(default: MathvidyaData) -> None:
    rows = default.tables["questions"]
    assert len({(r["question_code"], r["version"]) for r in rows}) == len(rows)
    active_codes = Counter(r["question_code"] for r in rows if r["status"] == "active")
    assert max(active_codes.values()) == 1
    for row in rows:
        assert CODE.match(row["question_code"]), row["question_code"]
        assert row["marks"] in MARKS_BY_TYPE[row["question_type"]]
        assert row["tags"] and all(tag and len(tag) <= 50 for tag in row["tags"])
        if row["status"] in ("active", "archived"):
            assert row["reviewed_at"] is not None and row["reviewed_at"] > row["created_at"]
            assert row["reviewed_by_user_id"] not in (None, row["created_by_user_id"])
        else:
            assert row["reviewed_at"] is None
    statuses = Counter(r["status"] for r in rows)
    assert statuses["draft"] > 0 and statuses["under_review"] > 0 and statuses["archived"] > 0
    # An archived version 1 always sits behind an active version 2 of the same code.
    for row in rows:
        if row["status"] == "archived":
            newer = [r for r in rows if r["question_code"] == row["question_code"] and r is not row]
            assert [(r["version"], r["status"]) for r in newer] == [(2, "active")]
    texts = [r["question_text"] for r in rows if r["status"] != "archived"]
    assert len(set(texts)) == len(texts)


def test_mcq_options_are_four_distinct_with_the_key_among_them(default: MathvidyaData) -> None:
    for question in _active(default):
        if question.question_type is not QuestionType.MCQ:
            assert question.mcq_choices is None and question.correct_option is None
            continue
        assert question.mcq_choices is not None
        assert [c["key"] for c in question.mcq_choices] == list(MCQ_OPTIONS)
        texts = [c["text"] for c in question.mcq_choices]
        assert len(set(texts)) == 4, question.question_text
        assert question.correct_option in MCQ_OPTIONS
        if question.assertion_reason:
            assert texts == list(ASSERTION_OPTIONS)
            assert question.correct_option in ("A", "C", "D")
            assert question.question_text.startswith("Assertion (A): ")
        else:
            assert _correct_text(question) == question.answer


def test_marking_schemes_add_up_to_the_marks(default: MathvidyaData) -> None:
    for question in default.questions:
        if question.question_type is QuestionType.MCQ:
            assert question.marking_scheme is None and question.model_answer is None
            continue
        assert question.marking_scheme and question.model_answer
        assert sum(step["marks"] for step in question.marking_scheme) == question.marks
        assert all(step["marks"] >= 1 and step["step"].strip() for step in question.marking_scheme)
        if question.case_based:
            assert question.marks == 4 and "(iii)" in question.question_text
        elif question.question_type is QuestionType.LA:
            assert question.marks == 5 and "(b)" in question.question_text


@pytest.mark.parametrize(
    ("steps", "marks", "expected"),
    [
        (["a", "b", "c"], 2, [1, 1]),
        (["a", "b", "c"], 3, [1, 1, 1]),
        (["a", "b"], 5, [2, 3]),
        (["a", "b", "c"], 4, [1, 1, 2]),
        (["a", "b", "c", "d", "e"], 2, [1, 1]),
    ],
)
def test_allocate_spreads_marks_over_steps(
    steps: list[str], marks: int, expected: list[int]
) -> None:
    scheme = allocate(steps, marks, "a")
    assert [s["marks"] for s in scheme] == expected
    assert all(s["step"].startswith("(a) ") for s in scheme)
    # Every step's text is kept, in order.
    assert " ".join(s["step"][4:] for s in scheme) == " ".join(steps)


# ---- the mathematics, recomputed from the question text -----------------------------------


def _vector(text: str) -> tuple[int, int, int]:
    parts = dict.fromkeys(("î", "ĵ", "k̂"), 0)
    for sign, digits, unit in re.findall(r"([+-]?)\s*(\d*)(î|ĵ|k̂)", text):
        parts[unit] = int(digits or 1) * (-1 if sign == "-" else 1)
    return parts["î"], parts["ĵ"], parts["k̂"]


def _surd_squared(text: str) -> Fraction:
    match = re.fullmatch(r"(\d*)(?:√(\d+))?(?:/(\d+))? units", text)
    assert match, text
    outside, inside, below = int(match[1] or 1), int(match[2] or 1), int(match[3] or 1)
    return Fraction(outside * outside * inside, below * below)


def _check_hcf(text: str, answer: str) -> bool:
    a, b = map(int, re.fullmatch(r"Find the HCF of (\d+) and (\d+)\.", text).groups())  # type: ignore[union-attr]
    return answer == str(math.gcd(a, b))


def _check_lcm(text: str, answer: str) -> bool:
    a, b = map(int, re.fullmatch(r"Find the LCM of (\d+) and (\d+)\.", text).groups())  # type: ignore[union-attr]
    return answer == str(math.lcm(a, b))


def _check_nth_term(text: str, answer: str) -> bool:
    match = re.fullmatch(r"Find the (\d+)\w\w term of the AP (-?\d+), (-?\d+), .*", text)
    assert match
    n, first, second = map(int, match.groups())
    return answer == str(first + (n - 1) * (second - first))


def _check_det2(text: str, answer: str) -> bool:
    numbers = r"\[\[(-?\d+), (-?\d+)\], \[(-?\d+), (-?\d+)\]\]"
    match = re.fullmatch(rf"Evaluate the determinant \|{numbers}\|\.", text)
    assert match
    a, b, c, d = map(int, match.groups())
    return answer == str(a * d - b * c)


def _check_dot(text: str, answer: str) -> bool:
    match = re.fullmatch(r"Find the scalar product of a = (.+) and b = (.+)\.", text)
    assert match
    a, b = _vector(match[1]), _vector(match[2])
    return answer == str(sum(x * y for x, y in zip(a, b, strict=True)))


def _check_dice(text: str, answer: str) -> bool | None:
    match = re.search(r"the sum of the numbers is (\d+)\.$", text)
    if match is None:  # another event (a doublet, a prime sum...)
        return None
    total = int(match[1])
    favourable = sum(1 for a, b in product(range(1, 7), repeat=2) if a + b == total)
    return Fraction(answer) == Fraction(favourable, 36)


def _check_distance(text: str, answer: str) -> bool:
    numbers = list(map(int, re.findall(r"-?\d+", text)))
    x1, y1, x2, y2 = numbers
    return _surd_squared(answer) == (x2 - x1) ** 2 + (y2 - y1) ** 2


def _check_zeroes(text: str, answer: str) -> bool:
    match = re.fullmatch(r"Find the zeroes of the polynomial x² ([+-]) (\d*)x ([+-]) (\d+)\.", text)
    assert match
    b = int(match[2] or 1) * (-1 if match[1] == "-" else 1)
    c = int(match[4]) * (-1 if match[3] == "-" else 1)
    root = math.isqrt(b * b - 4 * c)
    return answer == f"{(-b - root) // 2} and {(-b + root) // 2}"


def _check_sector(text: str, answer: str) -> bool:
    match = re.search(r"radius (\d+) cm with central angle (\d+)°", text)
    assert match
    r, theta = int(match[1]), int(match[2])
    expected = Fraction(22, 7) * r * r * theta / 360
    return abs(Fraction(answer.removesuffix(" cm²")) - expected) <= Fraction(1, 200)


# A check recomputes the answer from the question text; None: a text it does not read.
CHECKS: dict[str, Callable[[str, str], bool | None]] = {
    "X.real_numbers.hcf": _check_hcf,
    "X.real_numbers.lcm": _check_lcm,
    "X.arithmetic_progressions.nth_term": _check_nth_term,
    "X.coordinate_geometry.distance": _check_distance,
    "X.polynomials.zeroes": _check_zeroes,
    "X.probability.dice": _check_dice,
    "X.areas_circles.sector": _check_sector,
    "XII.determinants.det2": _check_det2,
    "XII.vectors.dot": _check_dot,
}


@pytest.mark.parametrize("template", sorted(CHECKS))
def test_mcq_keys_are_mathematically_right(default: MathvidyaData, template: str) -> None:
    checked = 0
    for question in _active(default):
        if question.template != template or question.question_type is not QuestionType.MCQ:
            continue
        if question.assertion_reason:
            continue
        check = CHECKS[template]
        verdict = check(question.question_text, _correct_text(question))
        if verdict is None:
            continue
        assert verdict, question.question_text
        # ...and no distractor passes the same check.
        assert question.mcq_choices is not None
        wrong = [c["text"] for c in question.mcq_choices if c["key"] != question.correct_option]
        assert not any(check(question.question_text, text) for text in wrong), wrong
        checked += 1
    assert checked >= 2, f"too few {template} MCQs to check"


def test_formatting_helpers() -> None:
    assert surd(1, 12) == "2√3"
    assert surd(Fraction(1, 3), 3) == "√3/3"
    assert surd(-2, 18) == "-6√2"
    assert surd(5, 1) == "5"
    assert dec(Fraction(231, 2)) == "115.5"
    assert dec(Fraction(2, 3)) == "0.67"
    assert pi_times(Fraction(-2, 3)) == "-2π/3"
    assert pi_times(1) == "π"
    assert poly([3, -5, 2]) == "3x² - 5x + 2"
    assert poly([1, 0, -1, 0]) == "x³ - x"


# ---- people, links and subscriptions ------------------------------------------------------


def test_users_by_role_and_their_columns(default: MathvidyaData) -> None:
    users = default.tables["users"]
    roles = Counter(u["role"].value for u in users)
    scale = SCALES["default"]
    assert roles["student"] == scale.students
    assert roles["teacher"] == scale.teachers and roles["admin"] == scale.admins
    assert 0.7 * scale.students <= roles["parent"] <= scale.students
    classes = Counter(u["student_class"] for u in users if u["role"] == "student")
    assert set(classes) == {"X", "XII"} and min(classes.values()) > 0.4 * scale.students
    emails = [u["email"] for u in users]
    assert len(set(emails)) == len(emails)
    assert all(e == e.lower() and e.endswith("@example.com") for e in emails)
    assert {f"demo.{role}@example.com" for role in roles} <= set(emails)
    phones = [u["phone"] for u in users if u["phone"] is not None]
    assert len(set(phones)) == len(phones) and all(PHONE.match(p) for p in phones)
    for user in users:
        assert (user["role"] == "student") == (user["student_class"] is not None)
        assert user["first_name"].strip() and user["last_name"].strip()
        assert user["created_at"] < AS_OF


def test_every_student_has_parents_and_one_primary_contact(default: MathvidyaData) -> None:
    roles = {u["id"]: u["role"] for u in default.tables["users"]}
    by_student: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    children: Counter[uuid.UUID] = Counter()
    for link in default.tables["parent_student_mappings"]:
        assert roles[link["parent_user_id"]] == "parent"
        assert roles[link["student_user_id"]] == "student"
        by_student[link["student_user_id"]].append(link)
        children[link["parent_user_id"]] += 1
    students = [i for i, role in roles.items() if role == "student"]
    assert set(by_student) == set(students)
    assert all(
        sum(link["is_primary_contact"] for link in links) == 1 for links in by_student.values()
    )
    parents_per_student = Counter(len(links) for links in by_student.values())
    assert set(parents_per_student) == {1, 2} and parents_per_student[1] > parents_per_student[2]
    assert 2 in children.values()
    # Every parent account is linked to someone.
    assert set(children) == {i for i, role in roles.items() if role == "parent"}


def test_subscriptions_one_active_year_never_overlapping(default: MathvidyaData) -> None:
    primary = {
        link["student_user_id"]: link["parent_user_id"]
        for link in default.tables["parent_student_mappings"]
        if link["is_primary_contact"]
    }
    plans = {plan.id: plan for plan in PLANS}
    by_student: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in default.tables["subscriptions"]:
        by_student[row["user_id"]].append(row)
        plan = plans[row["plan_id"]]
        assert (row["exams_per_month"], row["sla_hours"], row["leaderboard_access"]) == (
            plan.exams_per_month,
            plan.sla_hours,
            plan.leaderboard_access,
        )
        assert row["amount_paid_inr"] == plan.annual_price_inr
        assert row["purchased_by_user_id"] == primary[row["user_id"]]
        assert row["ends_at"] > row["starts_at"] and row["created_at"] <= row["starts_at"]
        assert row["usage_month"].day == 1
        assert 0 <= row["exams_used_this_month"] <= row["exams_per_month"]
    references = [r["payment_reference"] for r in default.tables["subscriptions"]]
    assert len(set(references)) == len(references)
    assert set(by_student) == set(primary)
    expired = 0
    for rows in by_student.values():
        active = [r for r in rows if r["status"] == "active"]
        assert len(active) == 1
        assert active[0]["starts_at"] <= AS_OF < active[0]["ends_at"]
        periods = sorted((r["starts_at"], r["ends_at"]) for r in rows)
        assert all(earlier[1] <= later[0] for earlier, later in pairwise(periods))
        expired += len(rows) - 1
    assert expired > 0


# ---- templates and exams ------------------------------------------------------------------


def test_templates_follow_the_board_pattern(default: MathvidyaData) -> None:
    assert section_marks(BOARD_SECTIONS) == BOARD_PAPER_MARKS
    assert sum(s["count"] for s in BOARD_SECTIONS) == 38
    templates = default.tables["exam_templates"]
    for class_level, units in SYLLABUS.items():
        mine = [t for t in templates if t["class_level"] == class_level]
        board = [t for t in mine if t["exam_type"] == "board_exam"]
        assert len(board) == 1
        assert (board[0]["total_marks"], board[0]["duration_minutes"], board[0]["units"]) == (
            80,
            180,
            [],
        )
        assert [s["name"] for s in board[0]["config"]["sections"]] == ["A", "B", "C", "D", "E"]
        assert len([t for t in mine if t["exam_type"] == "section_wise"]) == 5
        unit_wise = {t["units"][0] for t in mine if t["exam_type"] == "unit_wise"}
        assert unit_wise == {unit.name for unit in units}
        for template in mine:
            assert template["total_marks"] == section_marks(template["config"]["sections"])


def _month(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(IST)
    return local.year, local.month


def test_exams_are_consistent_with_their_paper_and_marks(default: MathvidyaData) -> None:
    tables = default.tables
    templates = {t["id"]: t for t in tables["exam_templates"]}
    subscriptions = {s["id"]: s for s in tables["subscriptions"]}
    answers: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for answer in tables["student_mcq_answers"]:
        answers[answer["exam_instance_id"]].append(answer)
    evaluations = {e["exam_instance_id"]: e for e in tables["evaluations"]}
    marks: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for mark in tables["question_marks"]:
        marks[mark["evaluation_id"]].append(mark)
    used: Counter[uuid.UUID] = Counter()
    per_month: Counter[tuple[uuid.UUID, tuple[int, int]]] = Counter()
    statuses = Counter(e["status"].value for e in tables["exam_instances"])
    assert set(statuses) == {
        "created",
        "in_progress",
        "submitted",
        "under_evaluation",
        "evaluated",
        "expired",
    }
    for exam in tables["exam_instances"]:
        template = templates[exam["template_id"]]
        subscription = subscriptions[exam["subscription_id"]]
        assert subscription["user_id"] == exam["student_user_id"]
        assert subscription["starts_at"] <= exam["created_at"] <= AS_OF
        assert (exam["student_class"], exam["exam_type"]) == (
            template["class_level"],
            template["exam_type"],
        )
        assert exam["template_snapshot"] == template["config"]
        snapshot = exam["questions_snapshot"]
        assert [q["number"] for q in snapshot] == list(range(1, len(snapshot) + 1))
        assert sum(q["marks"] for q in snapshot) == exam["total_marks"] == template["total_marks"]
        used.update(uuid.UUID(q["question_id"]) for q in snapshot)
        per_month[(exam["subscription_id"], _month(exam["created_at"]))] += 1
        moments = [
            exam["created_at"],
            exam["started_at"],
            exam["submitted_at"],
            exam["evaluated_at"],
        ]
        present = [m for m in moments if m is not None]
        assert present == sorted(present) and present[-1] <= AS_OF
        assert (exam["status"] in ("submitted", "under_evaluation", "evaluated")) == (
            exam["submitted_at"] is not None
        )
        assert (exam["status"] == "evaluated") == (exam["evaluated_at"] is not None)
        marked = [a for a in answers[exam["id"]] if a["is_correct"] is not None]
        if exam["submitted_at"] is None:
            assert not marked and exam["mcq_score"] is None
        else:
            assert len(marked) == len(answers[exam["id"]])
            assert exam["mcq_score"] == sum(a["marks_awarded"] for a in marked)
        evaluation = evaluations.get(exam["id"])
        written = sum(q["marks"] for q in snapshot if q["type"] != "MCQ")
        if exam["submitted_at"] is not None and written:
            assert evaluation is not None and evaluation["max_marks"] == written
            assert evaluation["sla_deadline"] == add_working_hours(
                exam["submitted_at"], subscription["sla_hours"], HOLIDAYS
            )
        else:
            assert evaluation is None
        if exam["status"] == "evaluated":
            total = exam["mcq_score"] + (evaluation["marks_awarded"] if evaluation else 0)
            assert exam["total_score"] == total <= exam["total_marks"]
            expected = (total * 100 / Decimal(exam["total_marks"])).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            assert exam["percentage"] == expected
        else:
            assert exam["total_score"] is None and exam["percentage"] is None
        if evaluation is not None and evaluation["status"] == "completed":
            rows = marks[evaluation["id"]]
            assert evaluation["marks_awarded"] == sum(m["marks_awarded"] for m in rows)
            assert sorted(m["question_number"] for m in rows) == [
                q["number"] for q in snapshot if q["type"] != "MCQ"
            ]
            assert all((m["marks_awarded"] * 2) % 1 == 0 for m in rows)
            assert evaluation["completed_at"] == exam["evaluated_at"]
            assert evaluation["sla_breached"] == (
                evaluation["completed_at"] > evaluation["sla_deadline"]
            )
        elif evaluation is not None:
            assert not marks[evaluation["id"]]
            assert evaluation["sla_breached"] == (evaluation["sla_deadline"] < AS_OF)
            assert (evaluation["status"] == "pending") == (evaluation["teacher_user_id"] is None)
    assert {q["id"]: q["times_used"] for q in tables["questions"]} == {
        q["id"]: used[q["id"]] for q in tables["questions"]
    }
    for (subscription_id, _), count in per_month.items():
        assert count <= subscriptions[subscription_id]["exams_per_month"]
    for subscription in tables["subscriptions"]:
        assert (
            subscription["exams_used_this_month"] == per_month[(subscription["id"], _month(AS_OF))]
        )
    evaluation_states = Counter(e["status"] for e in tables["evaluations"])
    assert set(evaluation_states) == {"pending", "assigned", "in_progress", "completed"}
    assert any(e["sla_breached"] for e in tables["evaluations"])


def test_answer_sheets_and_unanswered_questions_belong_to_submitted_exams(
    default: MathvidyaData,
) -> None:
    exams = {e["id"]: e for e in default.tables["exam_instances"]}
    uploads = default.tables["answer_sheet_uploads"]
    assert uploads and default.tables["unanswered_questions"]
    assert len({u["sha256"] for u in uploads}) == len(uploads)
    assert len({u["storage_key"] for u in uploads}) == len(uploads)
    for upload in uploads:
        exam = exams[upload["exam_instance_id"]]
        assert exam["started_at"] <= upload["uploaded_at"] <= exam["submitted_at"]
        assert 1 <= upload["page_number"] <= 40 and 0 < upload["file_size_bytes"] <= 5 * 1024 * 1024
    for row in default.tables["unanswered_questions"]:
        exam = exams[row["exam_instance_id"]]
        shown = exam["questions_snapshot"][row["question_number"] - 1]
        assert (
            shown["question_id"] == str(row["question_id"])
            and shown["type"] == row["question_type"]
        )
        assert exam["started_at"] <= row["declared_at"] <= exam["submitted_at"]


# ---- the SLA clock ------------------------------------------------------------------------


def _ist(*args: int) -> datetime:
    return datetime(*args, tzinfo=IST)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Friday 17:00 + 2 h: one hour on Friday, one on Saturday.
        (_ist(2026, 11, 20, 17), 2, _ist(2026, 11, 21, 10)),
        # Saturday evening: Sunday is off, Monday from 09:00.
        (_ist(2026, 11, 21, 19, 30), 1, _ist(2026, 11, 23, 10)),
        # Before opening: the clock starts at 09:00; 48 h is five days and three hours.
        (_ist(2026, 11, 16, 7), 48, _ist(2026, 11, 21, 12)),
        # Diwali (Sunday 8 November 2026) is no working day anyway; Christmas 2025 is a Thursday.
        (_ist(2025, 12, 24, 17), 2, _ist(2025, 12, 26, 10)),
    ],
)
def test_working_hours(start: datetime, hours: int, expected: datetime) -> None:
    assert add_working_hours(start, hours, HOLIDAYS) == expected


def test_model_package_is_pure() -> None:
    """Only the standard library, the curriculum and the enums: no database, no web code."""
    package = Path(synthetic.__file__).parent
    allowed = (
        "lyceum.mathvidya.synthetic",
        "lyceum.mathvidya.enums",
        "lyceum.mathvidya.curriculum",
        # The SLA clock (workhours.py delegates to it): pure as well, held so by import-linter.
        "lyceum.mathvidya.sla",
        "__future__",
    )
    seen: set[str] = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                seen.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                seen.add(node.module or "")
    outside = {name for name in seen if not name.startswith(allowed)}
    assert outside and all(name.split(".")[0] in sys.stdlib_module_names for name in outside), (
        outside
    )


def test_tables_are_listed_in_load_order(small: MathvidyaData) -> None:
    assert tuple(small.tables) == TABLES
    assert small.row_counts() == {name: len(rows) for name, rows in small.tables.items()}
    assert all(small.row_counts().values())
