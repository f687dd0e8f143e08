"""What the planner takes and gives: concepts with their marks, prerequisites and mastery, a
plan request, and the day-by-day plan (pure data; no database, web or cache)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lyceum.adaptive.mastery.bkt import BktParams, MasteryState


@dataclass(frozen=True, slots=True)
class ConceptInput:
    code: str
    name: str
    topic_code: str
    # The concept's share of its grade's paper, out of 100 (its topic's syllabus weightage
    # divided by the number of concepts in the topic: `planning.graph.concept_marks`).
    marks: float
    # Concept codes it depends on (`planning.graph.concept_prerequisites`).
    prerequisites: tuple[str, ...]
    params: BktParams
    state: MasteryState


@dataclass(frozen=True, slots=True)
class PlanRequest:
    now: datetime  # aware UTC; the plan starts on now's date
    exam_date: date
    hours_per_week: float
    concepts: tuple[ConceptInput, ...]
    minutes_per_attempt: float = 3.0


@dataclass(frozen=True, slots=True)
class PlanItem:
    day: date
    concept_code: str
    concept_name: str
    minutes: int
    kind: str  # "learn" | "review"
    expected_gain: float  # expected marks this item adds
    reason: str  # one sentence, e.g. "Probability, 2 h: +1.8 expected marks"

    def as_json(self) -> dict[str, Any]:
        return {
            "concept_code": self.concept_code,
            "concept_name": self.concept_name,
            "minutes": self.minutes,
            "kind": self.kind,
            "expected_gain": round(self.expected_gain, 4),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    starts_on: date
    ends_on: date
    items: tuple[PlanItem, ...]
    expected_marks: float  # Σ marks · P(mastered on the exam date) with the plan
    baseline_marks: float  # the same, for the weightage-only plan at equal hours
    marks_without_study: float
    method: str  # e.g. "MILP (HiGHS via scipy.optimize.milp)"

    @property
    def total_minutes(self) -> int:
        return sum(item.minutes for item in self.items)

    def days(self) -> list[tuple[date, list[PlanItem]]]:
        """The items grouped by day, in day order (items keep their order within a day)."""
        grouped: dict[date, list[PlanItem]] = {}
        for item in self.items:
            grouped.setdefault(item.day, []).append(item)
        return sorted(grouped.items(), key=lambda pair: pair[0])

    def schedule_json(self) -> list[dict[str, Any]]:
        """What `study_plans.schedule` stores: one entry per day with study in it."""
        return [
            {
                "date": day.isoformat(),
                "minutes": sum(item.minutes for item in items),
                "concept_codes": _unique(item.concept_code for item in items),
                "items": [item.as_json() for item in items],
            }
            for day, items in self.days()
        ]


def _unique(codes: Sequence[str] | Any) -> list[str]:
    seen: dict[str, None] = {}
    for code in codes:
        seen.setdefault(code, None)
    return list(seen)


__all__ = ["ConceptInput", "Plan", "PlanItem", "PlanRequest"]
