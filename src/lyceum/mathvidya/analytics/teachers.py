"""A teacher's analytics from their evaluations and the marks they gave.

- Throughput: evaluations completed per India-time ISO week, over the last `WEEKS` weeks.
- SLA met %: of their completed evaluations, the share finished by the deadline and not
  recorded as breached.
- Mark distribution: the share of the maximum they awarded per written question (mean,
  quantiles, a ten-bin histogram).
- Drift: marks that differ from colleagues' on the same questions. For each question the
  teacher marked that at least one colleague also marked, d = (the teacher's mean share on it)
  - (the colleagues' mean share on it): pairing by question cancels the question's difficulty,
  so a teacher given harder questions is not called severe. The mean of d over the shared
  questions is tested against 0 with a sign-flip randomisation test (exact up to
  `EXACT_FLIP_LIMIT` questions, else `FLIP_DRAWS` seeded draws): it needs no normality, which
  shares bounded by 0 and 1 over few questions do not have. A teacher is flagged when
  |mean d| > the threshold (system_config analytics.drift_threshold, 0.15 of the maximum)
  AND p < `SIGNIFICANCE` AND at least `MIN_SHARED_QUESTIONS` questions are shared: a large
  difference on two questions is chance, a tiny but certain one is not worth a conversation.
  What pairing does not cancel is the students: if one teacher is always given the stronger
  students, they look lenient; assignment by load spreads students across teachers.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy

IST = ZoneInfo("Asia/Kolkata")
WEEKS = 8
MIN_SHARED_QUESTIONS = 8
SIGNIFICANCE = 0.05
EXACT_FLIP_LIMIT = 12
FLIP_DRAWS = 20_000
FLIP_BATCH = 2_000
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
DRIFT_RULE = (
    "Flagged when, over at least {minimum} questions also marked by colleagues, the teacher's"
    " mean share of the maximum differs from the colleagues' on the same questions by more than"
    " {threshold:.2f} and a sign-flip test over those questions gives p < {significance}."
)


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    teacher_id: str
    completed_at: datetime | None
    sla_deadline: datetime
    sla_breached: bool


@dataclass(frozen=True, slots=True)
class QuestionMarkRecord:
    teacher_id: str
    question_id: str
    awarded: float
    maximum: float

    @property
    def share(self) -> float:
        return self.awarded / self.maximum if self.maximum > 0 else 0.0


@dataclass(frozen=True, slots=True)
class DriftResult:
    shared_questions: int
    mean_difference: float | None
    p_value: float | None
    flagged: bool
    direction: str | None

    def view(self) -> dict[str, Any]:
        return {
            "shared_questions": self.shared_questions,
            "mean_difference": None
            if self.mean_difference is None
            else round(self.mean_difference, 4),
            "p_value": None if self.p_value is None else round(self.p_value, 4),
            "flagged": self.flagged,
            "direction": self.direction,
        }


def sign_flip_p_value(differences: Sequence[float], seed: int = 0) -> float:
    """Two-sided p-value of mean(differences) = 0 under random signs (the paired test)."""
    n = len(differences)
    if n == 0:
        return 1.0
    observed = abs(sum(differences)) - 1e-12
    if n <= EXACT_FLIP_LIMIT:
        extreme = sum(
            1
            for signs in itertools.product((1, -1), repeat=n)
            if abs(sum(s * d for s, d in zip(signs, differences, strict=True))) >= observed
        )
        return extreme / float(1 << n)
    # Vectorised in batches: 20,000 draws over hundreds of shared questions stay fast.
    generator = numpy.random.default_rng(seed)
    values = numpy.asarray(differences, dtype=float)
    extreme = 0
    for start in range(0, FLIP_DRAWS, FLIP_BATCH):
        size = min(FLIP_BATCH, FLIP_DRAWS - start)
        signs = generator.integers(0, 2, size=(size, n), dtype=numpy.int8) * 2 - 1
        extreme += int(numpy.count_nonzero(numpy.abs(signs @ values) >= observed))
    return (extreme + 1) / (FLIP_DRAWS + 1)


def drift(marks: Iterable[QuestionMarkRecord], threshold: float) -> dict[str, DriftResult]:
    """Each teacher's drift against colleagues on shared questions (see the module)."""
    shares: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for mark in marks:
        shares[mark.question_id][mark.teacher_id].append(mark.share)
    differences: dict[str, list[float]] = defaultdict(list)
    teachers: set[str] = set()
    for by_teacher in shares.values():
        teachers.update(by_teacher)
        if len(by_teacher) < 2:
            continue
        for teacher, own in by_teacher.items():
            others = [s for other, values in by_teacher.items() if other != teacher for s in values]
            differences[teacher].append(statistics.fmean(own) - statistics.fmean(others))
    results: dict[str, DriftResult] = {}
    for teacher in sorted(teachers):
        paired = differences.get(teacher, [])
        if not paired:
            results[teacher] = DriftResult(0, None, None, False, None)
            continue
        mean = statistics.fmean(paired)
        # Seeded by the data's size, so a rerun on the same marks gives the same p-value.
        p_value = sign_flip_p_value(paired, seed=len(paired))
        flagged = (
            len(paired) >= MIN_SHARED_QUESTIONS and abs(mean) > threshold and p_value < SIGNIFICANCE
        )
        direction = ("lenient" if mean > 0 else "severe") if flagged else None
        results[teacher] = DriftResult(len(paired), mean, p_value, flagged, direction)
    return results


def _week(at: datetime) -> str:
    year, week, _ = at.astimezone(IST).isocalendar()
    return f"{year}-W{week:02d}"


def _distribution(shares: list[float]) -> dict[str, Any]:
    if not shares:
        return {"questions": 0, "mean_share": None, "quantiles": {}, "histogram": [0] * 10}
    ordered = sorted(shares)
    quantiles: dict[str, float] = {}
    for q in QUANTILES:
        # Linear interpolation between order statistics (numpy's default).
        position = q * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        quantiles[f"p{round(q * 100)}"] = round(
            ordered[low] + (ordered[high] - ordered[low]) * (position - low), 4
        )
    histogram = [0] * 10
    for share in ordered:
        histogram[min(int(share * 10), 9)] += 1
    return {
        "questions": len(ordered),
        "mean_share": round(statistics.fmean(ordered), 4),
        "quantiles": quantiles,
        "histogram": histogram,
    }


def teacher_analytics(
    evaluations: Iterable[EvaluationRecord],
    marks: Iterable[QuestionMarkRecord],
    *,
    threshold: float,
    now: datetime,
    weeks: int = WEEKS,
) -> dict[str, dict[str, Any]]:
    """Each teacher's analytics as a JSON-ready dict (a snapshot's payload), by teacher id."""
    mark_list = list(marks)
    drifts = drift(mark_list, threshold)
    week_labels = [_week(now - timedelta(weeks=back)) for back in range(weeks - 1, -1, -1)]
    completed: dict[str, list[EvaluationRecord]] = defaultdict(list)
    open_count: dict[str, int] = defaultdict(int)
    teachers: set[str] = set(drifts)
    for evaluation in evaluations:
        teachers.add(evaluation.teacher_id)
        if evaluation.completed_at is None:
            open_count[evaluation.teacher_id] += 1
        else:
            completed[evaluation.teacher_id].append(evaluation)
    shares: dict[str, list[float]] = defaultdict(list)
    for mark in mark_list:
        shares[mark.teacher_id].append(mark.share)
    rule = DRIFT_RULE.format(
        minimum=MIN_SHARED_QUESTIONS, threshold=threshold, significance=SIGNIFICANCE
    )
    out: dict[str, dict[str, Any]] = {}
    for teacher in sorted(teachers):
        done = completed[teacher]
        per_week = {label: 0 for label in week_labels}
        for evaluation in done:
            assert evaluation.completed_at is not None
            label = _week(evaluation.completed_at)
            if label in per_week:
                per_week[label] += 1
        met = sum(
            1
            for e in done
            if not e.sla_breached
            and e.completed_at is not None
            and e.completed_at <= e.sla_deadline
        )
        out[teacher] = {
            "completed": len(done),
            "open": open_count[teacher],
            "weeks": [{"week": label, "completed": n} for label, n in per_week.items()],
            "per_week": round(sum(per_week.values()) / weeks, 2),
            "sla_met": met,
            "sla_met_percent": round(100 * met / len(done), 1) if done else None,
            "marks": _distribution(shares[teacher]),
            "drift": {
                **drifts.get(teacher, DriftResult(0, None, None, False, None)).view(),
                "threshold": threshold,
                "rule": rule,
            },
        }
    return out


__all__ = [
    "DRIFT_RULE",
    "MIN_SHARED_QUESTIONS",
    "SIGNIFICANCE",
    "WEEKS",
    "DriftResult",
    "EvaluationRecord",
    "QuestionMarkRecord",
    "drift",
    "sign_flip_p_value",
    "teacher_analytics",
]
