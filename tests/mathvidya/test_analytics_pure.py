"""The pure standing code: competition ranking and its cut, public names, the strengths and
weaknesses rule, the predicted band's basis, and drift flags on a planted lenient teacher."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lyceum.mathvidya.analytics.ranking import Contender, display_name, rank_board
from lyceum.mathvidya.analytics.students import (
    MIN_QUESTIONS,
    MarkedItem,
    UnitWeight,
    band_of,
    month_of,
    predicted_band,
    student_analytics,
    wilson_interval,
)
from lyceum.mathvidya.analytics.teachers import (
    EvaluationRecord,
    QuestionMarkRecord,
    drift,
    sign_flip_p_value,
    teacher_analytics,
)

AT = datetime(2026, 10, 10, 6, 0, tzinfo=UTC)
UNITS_XII = [
    UnitWeight("Relations and Functions", 8),
    UnitWeight("Algebra", 10),
    UnitWeight("Calculus", 35),
    UnitWeight("Vectors and Three-Dimensional Geometry", 14),
    UnitWeight("Linear Programming", 5),
    UnitWeight("Probability", 8),
]


def _contender(score: str, first: str = "Asha", last: str = "Rao") -> Contender:
    return Contender(uuid.uuid4(), first, last, Decimal(score), 2)


# ---- ranking ---------------------------------------------------------------------------------


def test_equal_scores_share_a_rank_and_the_next_rank_skips() -> None:
    board = rank_board(
        [
            _contender("70.00", "Dev"),
            _contender("90.00", "Aarav"),
            _contender("80.00", "Zoya"),
            _contender("80.00", "Bela"),
            _contender("60.00", "Esha"),
        ],
        top_n=10,
    )
    assert [(p.rank, p.contender.first_name) for p in board] == [
        (1, "Aarav"),
        # Tied: ordered by name for display only, same rank.
        (2, "Bela"),
        (2, "Zoya"),
        (4, "Dev"),
        (5, "Esha"),
    ]


def test_a_tie_at_the_cut_is_kept_whole() -> None:
    scores = ["95", "90", "85", "85", "85", "70"]
    board = rank_board([_contender(s, f"S{i}") for i, s in enumerate(scores)], top_n=3)
    assert [p.rank for p in board] == [1, 2, 3, 3, 3]
    assert [p.rank for p in rank_board([_contender(s) for s in scores], top_n=2)] == [1, 2]
    with pytest.raises(ValueError, match="top_n"):
        rank_board([], top_n=0)


@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=30))
def test_a_rank_counts_the_students_strictly_better(scores: list[int]) -> None:
    board = rank_board([_contender(str(s)) for s in scores], top_n=len(scores))
    assert len(board) == len(scores)
    for placed in board:
        better = sum(1 for s in scores if s > placed.contender.score)
        assert placed.rank == better + 1


def test_display_names_are_first_name_and_surname_initial() -> None:
    assert display_name("Aarav", "Sharma") == "Aarav S."
    assert display_name("  Mary  Ann ", "de  Souza") == "Mary Ann D."
    assert display_name("Navya", "Das Gupta") == "Navya D."
    assert display_name("Ravi", "") == "Ravi"
    assert display_name("Ravi", "   ") == "Ravi"
    assert display_name("", "Iyer") == "I."
    # Unicode: the initial keeps its combining marks, case folds where the script has case.
    assert display_name("Zoë", "élan") == "Zoë É."
    assert display_name("आरव", "शर्मा") == "आरव श."
    assert display_name("Émile", "e\u0301tienne") == "Émile É."
    assert len(display_name("A" * 100, "Bose")) <= 60


# ---- students --------------------------------------------------------------------------------


def _items(
    unit: str, rate: float, questions: int, kind: str = "SA", exam: str = "e1"
) -> list[MarkedItem]:
    # Three-mark questions, `rate` of the marks awarded on each.
    return [
        MarkedItem(exam, unit, kind, round(3 * rate * 2) / 2, 3.0, AT + timedelta(days=i))
        for i in range(questions)
    ]


def test_a_clearly_better_unit_is_a_strength_and_a_worse_one_a_weakness() -> None:
    items = (
        _items("Calculus", 0.95, 20)
        + _items("Algebra", 0.15, 20)
        + _items("Probability", 0.55, 30)
        # Far below, but seen in too few questions to say.
        + _items("Linear Programming", 0.0, MIN_QUESTIONS - 1)
    )
    result = student_analytics(items, UNITS_XII)
    assert [s["unit"] for s in result["strengths"]] == ["Calculus"]
    assert [w["unit"] for w in result["weaknesses"]] == ["Algebra"]
    assert "Wilson" in result["rule"]
    # A unit near the student's own level is neither.
    flat = student_analytics(_items("Calculus", 0.5, 20) + _items("Algebra", 0.5, 20), UNITS_XII)
    assert flat["strengths"] == [] and flat["weaknesses"] == []


def test_wilson_interval_narrows_with_evidence() -> None:
    low_few, high_few = wilson_interval(0.8, 5)
    low_many, high_many = wilson_interval(0.8, 500)
    assert low_few < low_many < 0.8 < high_many < high_few
    assert wilson_interval(1.0, 10)[1] == 1.0


def test_months_are_india_time_months() -> None:
    # 20:00 UTC on 31 October is 01:30 on 1 November in India.
    assert month_of(datetime(2026, 10, 31, 20, 0, tzinfo=UTC)) == "2026-11"
    item = MarkedItem("e", "Calculus", "MCQ", 1.0, 1.0, datetime(2026, 10, 31, 20, 0, tzinfo=UTC))
    assert [m["month"] for m in student_analytics([item], UNITS_XII)["months"]] == ["2026-11"]
    with pytest.raises(ValueError, match="time zone"):
        month_of(datetime(2026, 10, 31))


def test_the_band_weights_units_by_board_marks_and_says_so() -> None:
    # Strong in Calculus (35 of 80), weak in the small Linear Programming (5 of 80).
    items = _items("Calculus", 1.0, 40, exam="p1") + _items(
        "Linear Programming", 0.0, 40, exam="p2"
    )
    prediction = predicted_band(items, UNITS_XII)
    overall = 0.5
    assert prediction.percentage is not None
    # Above the plain overall rate: the board weights Calculus seven times Linear Programming.
    assert prediction.percentage > overall * 100 + 5
    assert prediction.band == band_of(prediction.percentage)
    assert "From 2 papers, 240 marks seen" in prediction.basis
    assert "Calculus (35 of 80 board marks) at 100 % over 40 questions" in prediction.basis
    assert "Probability (8 of 80 board marks) not practised yet" in prediction.basis
    # Too little work: no band, and the basis says why.
    thin = predicted_band(_items("Calculus", 1.0, 3), UNITS_XII)
    assert thin.band is None and "Not enough marked work" in thin.basis


def test_a_sparse_unit_is_shrunk_towards_the_overall_rate() -> None:
    many = _items("Algebra", 0.5, 60)
    one_perfect = _items("Calculus", 1.0, 1)
    lone = predicted_band(many + one_perfect, UNITS_XII)
    solid = predicted_band(many + _items("Calculus", 1.0, 60), UNITS_XII)
    assert lone.percentage is not None and solid.percentage is not None
    assert lone.percentage < solid.percentage - 10


def test_bands() -> None:
    assert [band_of(p) for p in (100, 90, 89.9, 75, 60, 59, 33, 32.9, 0)] == [
        "90-100",
        "90-100",
        "75-89",
        "75-89",
        "60-74",
        "33-59",
        "33-59",
        "below 33",
        "below 33",
    ]


# ---- teachers --------------------------------------------------------------------------------


def _marks(seed: int = 7, lenient_by: float = 0.3) -> list[QuestionMarkRecord]:
    """Four honest teachers and one lenient, marking 40 questions of varied difficulty; every
    question is marked by three of the five."""
    draw = random.Random(seed)
    teachers = ["honest-1", "honest-2", "honest-3", "honest-4", "lenient"]
    marks = []
    for q in range(40):
        difficulty = draw.uniform(0.2, 0.8)
        for teacher in draw.sample(teachers, 3):
            share = difficulty + draw.gauss(0, 0.08)
            if teacher == "lenient":
                share += lenient_by
            awarded = round(min(max(share, 0.0), 1.0) * 5 * 2) / 2
            marks.append(QuestionMarkRecord(teacher, f"q{q}", awarded, 5.0))
    return marks


def test_drift_flags_a_planted_lenient_teacher_and_not_the_honest_ones() -> None:
    results = drift(_marks(), threshold=0.15)
    assert results["lenient"].flagged and results["lenient"].direction == "lenient"
    assert results["lenient"].mean_difference is not None
    assert results["lenient"].mean_difference > 0.15
    assert results["lenient"].p_value is not None and results["lenient"].p_value < 0.05
    for honest in ("honest-1", "honest-2", "honest-3", "honest-4"):
        assert not results[honest].flagged, results[honest]


def test_drift_needs_both_size_and_significance() -> None:
    # A small lean (0.05) is real but below the threshold: not flagged.
    assert not drift(_marks(lenient_by=0.05), threshold=0.15)["lenient"].flagged
    # A big difference on too few shared questions is not flagged either.
    few = [m for m in _marks() if m.question_id in {"q0", "q1", "q2", "q3"}]
    assert not any(r.flagged for r in drift(few, threshold=0.15).values())


def test_sign_flip_p_values() -> None:
    assert sign_flip_p_value([0.3] * 10) == pytest.approx(2 / 1024)
    assert sign_flip_p_value([0.1, -0.1] * 5) == 1.0
    # Monte Carlo above the exact limit: still small for a consistent shift, and repeatable.
    shifted = [0.2 + 0.01 * (i % 3) for i in range(40)]
    assert sign_flip_p_value(shifted, seed=1) < 0.001
    assert sign_flip_p_value(shifted, seed=1) == sign_flip_p_value(shifted, seed=1)


def test_throughput_sla_and_distribution() -> None:
    now = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    deadline = now + timedelta(days=1)
    evaluations = [
        EvaluationRecord("t", now - timedelta(days=1), deadline, False),
        EvaluationRecord("t", now - timedelta(days=2), deadline, False),
        EvaluationRecord("t", now - timedelta(days=8), now - timedelta(days=9), True),
        EvaluationRecord("t", None, deadline, False),
    ]
    marks = [QuestionMarkRecord("t", f"q{i}", float(i), 10.0) for i in range(11)]
    result = teacher_analytics(evaluations, marks, threshold=0.15, now=now)["t"]
    assert result["completed"] == 3 and result["open"] == 1
    assert result["sla_met"] == 2 and result["sla_met_percent"] == pytest.approx(66.7)
    assert sum(week["completed"] for week in result["weeks"]) == 3
    assert result["marks"]["quantiles"]["p50"] == pytest.approx(0.5)
    assert result["marks"]["histogram"] == [1] * 9 + [2]
    assert result["drift"]["flagged"] is False and "sign-flip" in result["drift"]["rule"]
