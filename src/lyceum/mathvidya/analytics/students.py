"""A student's analytics from their marked work: every MCQ answer and every written answer a
teacher marked, as (unit, question type, marks awarded, maximum, when).

- Performance: marks awarded over marks available, by unit and by question type, overall and
  per India-time month (the month a result came back in).
- Strengths and weaknesses: a unit is a strength when the 95 % Wilson interval of its rate lies
  wholly above the student's rate on the rest of their work, a weakness when it lies wholly
  below, and only with at least `MIN_QUESTIONS` questions seen in the unit. The interval counts
  questions, not marks, as its trials: the marks of one 5-mark answer rise and fall together,
  so counting them as five trials would claim evidence the student has not given. Comparing
  with the rest of their work (not their overall rate, which contains the unit) keeps a big
  unit from diluting its own comparison.
- Predicted board band: the board paper's units weighted by their CBSE marks
  (`system_config` curriculum.units_class_x / _xii, 80 marks in all), each at the student's
  rate in it shrunk towards their overall rate by `SHRINK_QUESTIONS` pseudo-questions (a unit
  seen in three questions says little; one never practised is taken at the overall rate). The
  weighted rate is the predicted percentage; its band is one of `BANDS`. The basis says in
  words what the figure rests on. No prediction below `MIN_PREDICTION_MARKS` marks seen.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
Z_95 = 1.96
MIN_QUESTIONS = 5
SHRINK_QUESTIONS = 5.0
MIN_PREDICTION_MARKS = 20.0
# (label, lowest percentage in the band), best first: CBSE's 33 % pass mark and the usual cuts.
BANDS: tuple[tuple[str, float], ...] = (
    ("90-100", 90.0),
    ("75-89", 75.0),
    ("60-74", 60.0),
    ("33-59", 33.0),
    ("below 33", 0.0),
)
STRENGTH_RULE = (
    f"A unit is a strength (weakness) when, with at least {MIN_QUESTIONS} questions seen in it,"
    " the 95 % Wilson interval of its marks rate lies wholly above (below) the rate on the rest"
    " of the student's work."
)


@dataclass(frozen=True, slots=True)
class MarkedItem:
    """One marked answer: an MCQ (maximum 1) or a written answer a teacher marked."""

    exam_id: str
    unit: str
    question_type: str
    awarded: float
    maximum: float
    at: datetime


@dataclass(frozen=True, slots=True)
class UnitWeight:
    """A unit of the board paper and its marks in it (CBSE weightage)."""

    name: str
    board_marks: int


@dataclass(slots=True)
class _Tally:
    awarded: float = 0.0
    maximum: float = 0.0
    questions: int = 0

    def add(self, item: MarkedItem) -> None:
        self.awarded += item.awarded
        self.maximum += item.maximum
        self.questions += 1

    @property
    def rate(self) -> float | None:
        return self.awarded / self.maximum if self.maximum > 0 else None

    def view(self) -> dict[str, Any]:
        return {
            "awarded": round(self.awarded, 1),
            "maximum": round(self.maximum, 1),
            "questions": self.questions,
            "rate": _round(self.rate),
        }


@dataclass(frozen=True, slots=True)
class Prediction:
    percentage: float | None
    band: str | None
    basis: str


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _percent(rate: float) -> str:
    return f"{rate * 100:.0f} %"


def wilson_interval(rate: float, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion `rate` seen over `trials` trials."""
    if trials <= 0:
        return 0.0, 1.0
    rate = min(max(rate, 0.0), 1.0)
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (rate + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / trials + z2 / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def band_of(percentage: float) -> str:
    for label, lowest in BANDS:
        if percentage >= lowest:
            return label
    return BANDS[-1][0]


def month_of(at: datetime) -> str:
    """The India-time month of an aware moment, as "YYYY-MM"."""
    if at.tzinfo is None:
        raise ValueError("a marked item's time must carry its time zone")
    return at.astimezone(IST).strftime("%Y-%m")


def strengths_and_weaknesses(
    by_unit: dict[str, _Tally], total: _Tally
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    strengths: list[dict[str, Any]] = []
    weaknesses: list[dict[str, Any]] = []
    for unit, tally in by_unit.items():
        rest_maximum = total.maximum - tally.maximum
        if tally.questions < MIN_QUESTIONS or tally.rate is None or rest_maximum <= 0:
            continue
        rest_rate = (total.awarded - tally.awarded) / rest_maximum
        low, high = wilson_interval(tally.rate, tally.questions)
        entry = {
            "unit": unit,
            "rate": _round(tally.rate),
            "low": _round(low),
            "high": _round(high),
            "questions": tally.questions,
            "rest_rate": _round(rest_rate),
        }
        if low > rest_rate:
            strengths.append(entry)
        elif high < rest_rate:
            weaknesses.append(entry)
    strengths.sort(key=lambda e: -e["rate"])
    weaknesses.sort(key=lambda e: e["rate"])
    return strengths, weaknesses


def predicted_band(items: Sequence[MarkedItem], units: Sequence[UnitWeight]) -> Prediction:
    """The board-exam band the student's marked work points to, and why (see the module)."""
    total = _Tally()
    by_unit: dict[str, _Tally] = defaultdict(_Tally)
    for item in items:
        total.add(item)
        by_unit[item.unit].add(item)
    papers = len({item.exam_id for item in items})
    board_total = sum(unit.board_marks for unit in units)
    if total.rate is None or total.maximum < MIN_PREDICTION_MARKS or board_total <= 0:
        return Prediction(
            None,
            None,
            f"Not enough marked work yet: {total.maximum:.0f} marks seen from {papers}"
            f" papers; a prediction needs at least {MIN_PREDICTION_MARKS:.0f}.",
        )
    overall = total.rate
    weighted = 0.0
    parts: list[str] = []
    for unit in sorted(units, key=lambda u: -u.board_marks):
        tally = by_unit.get(unit.name)
        share = f"{unit.name} ({unit.board_marks} of {board_total} board marks)"
        if tally is None or tally.rate is None:
            estimate = overall
            parts.append(f"{share} not practised yet, taken at the overall {_percent(overall)}")
        else:
            estimate = (tally.questions * tally.rate + SHRINK_QUESTIONS * overall) / (
                tally.questions + SHRINK_QUESTIONS
            )
            parts.append(
                f"{share} at {_percent(tally.rate)} over {tally.questions} questions,"
                f" counted as {_percent(estimate)}"
            )
        weighted += unit.board_marks * estimate
    percentage = round(weighted / board_total * 100, 1)
    basis = (
        f"From {papers} papers, {total.maximum:.0f} marks seen ({_percent(overall)} overall); "
        + "; ".join(parts)
        + f". Each unit is pulled towards the overall rate by {SHRINK_QUESTIONS:.0f} questions'"
        " worth, so thinly practised units count for less."
    )
    return Prediction(percentage, band_of(percentage), basis)


def student_analytics(items: Iterable[MarkedItem], units: Sequence[UnitWeight]) -> dict[str, Any]:
    """The student's analytics as a JSON-ready dict (the snapshot's payload)."""
    marked = sorted(items, key=lambda item: item.at)
    total = _Tally()
    by_unit: dict[str, _Tally] = defaultdict(_Tally)
    by_type: dict[str, _Tally] = defaultdict(_Tally)
    by_month: dict[str, _Tally] = defaultdict(_Tally)
    by_month_unit: dict[str, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    by_month_type: dict[str, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    month_papers: dict[str, set[str]] = defaultdict(set)
    for item in marked:
        month = month_of(item.at)
        for tally in (
            total,
            by_unit[item.unit],
            by_type[item.question_type],
            by_month[month],
            by_month_unit[month][item.unit],
            by_month_type[month][item.question_type],
        ):
            tally.add(item)
        month_papers[month].add(item.exam_id)
    weights = {unit.name: unit.board_marks for unit in units}
    order = [unit.name for unit in units] + sorted(set(by_unit) - set(weights))
    strengths, weaknesses = strengths_and_weaknesses(by_unit, total)
    prediction = predicted_band(marked, units)
    return {
        "papers": len({item.exam_id for item in marked}),
        **total.view(),
        "units": [
            {"unit": name, "board_marks": weights.get(name), **by_unit[name].view()}
            for name in order
            if name in by_unit or name in weights
        ],
        "question_types": [
            {"question_type": kind, **tally.view()} for kind, tally in sorted(by_type.items())
        ],
        "months": [
            {
                "month": month,
                "papers": len(month_papers[month]),
                **by_month[month].view(),
                "units": {unit: _round(t.rate) for unit, t in sorted(by_month_unit[month].items())},
                "question_types": {
                    kind: _round(t.rate) for kind, t in sorted(by_month_type[month].items())
                },
            }
            for month in sorted(by_month)
        ],
        "strengths": strengths,
        "weaknesses": weaknesses,
        "rule": STRENGTH_RULE,
        "prediction": {
            "percentage": prediction.percentage,
            "band": prediction.band,
            "basis": prediction.basis,
        },
    }


__all__ = [
    "BANDS",
    "IST",
    "MIN_PREDICTION_MARKS",
    "MIN_QUESTIONS",
    "SHRINK_QUESTIONS",
    "STRENGTH_RULE",
    "MarkedItem",
    "Prediction",
    "UnitWeight",
    "band_of",
    "month_of",
    "predicted_band",
    "strengths_and_weaknesses",
    "student_analytics",
    "wilson_interval",
]
