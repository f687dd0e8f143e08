"""The planner's view of learning, the calendar and the scheduler shared by both plans.

Expected mastery under BKT. Every step of BKT with forgetting is affine in P(L): decay
multiplies it by exp(-forget · Δt), an answer's Bayes update leaves its expectation unchanged
(E[P(L | answer)] = P(L)), and learning maps p to p + (1 - p)·p_learn. So the expected P(L)
after n attempts is exactly 1 - (1 - p)(1 - p_learn)^n, and the expected P(L) on the exam
date of a whole schedule follows by applying these maps in time order (`exam_mastery`): the
marks a plan promises (Σ marks · expected P(L) at the exam) are exact under the model.

The calendar: the plan runs from now's date to the day before the exam; each day holds
hours_per_week / 7 hours, counted in whole attempts of `minutes_per_attempt` (cumulative
rounding, so the days sum to the total).

The scheduler (`lay_out`) takes attempts per concept and lays them over the days: learning
forward from the first day, prerequisites before their dependants (topological order, ties
by the concepts' given order), one concept finished before the next starts (so a dependant
starts on top of what its prerequisites just gained); review backward from the last day. A
concept already mastered (P(L) ≥ `MASTERED`) is all review; a concept learnt in the plan with
at least two review-sized chunks keeps its last chunk for the review days (spaced practice:
what is revisited just before the exam has had no time to decay).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from lyceum.adaptive.mastery.bkt import SECONDS_PER_DAY, mastery_at
from lyceum.adaptive.planning.graph import topological_concepts
from lyceum.adaptive.planning.types import ConceptInput, PlanItem, PlanRequest

# P(L) from which a concept counts as mastered (the fringe's prerequisite threshold too).
MASTERED = 0.8
# Planned practice happens at midday UTC (evening in India); the paper starts 10:00 IST.
PRACTICE_TIME = time(12, 0, tzinfo=UTC)
EXAM_TIME = time(4, 30, tzinfo=UTC)
# The last chunk kept for review: 15 minutes' worth of attempts, at least 3.
REVIEW_MINUTES = 15.0


@dataclass(frozen=True, slots=True)
class Calendar:
    days: tuple[date, ...]
    capacity: tuple[int, ...]  # attempts per day
    exam_at: datetime

    @property
    def total(self) -> int:
        return sum(self.capacity)


def calendar(request: PlanRequest) -> Calendar:
    start = request.now.astimezone(UTC).date()
    count = max((request.exam_date - start).days, 0)
    per_day = max(request.hours_per_week, 0.0) * 60.0 / 7.0 / request.minutes_per_attempt
    # Cumulative rounding: day d gets floor(per_day·(d+1)) - floor(per_day·d) attempts.
    edges = [math.floor(per_day * d + 1e-9) for d in range(count + 1)]
    return Calendar(
        days=tuple(start + timedelta(days=d) for d in range(count)),
        capacity=tuple(edges[d + 1] - edges[d] for d in range(count)),
        exam_at=datetime.combine(request.exam_date, EXAM_TIME),
    )


def practice_at(day: date) -> datetime:
    return datetime.combine(day, PRACTICE_TIME)


def exam_mastery(
    concept: ConceptInput, sessions: Sequence[tuple[datetime, int]], exam_at: datetime
) -> float:
    """Expected P(L) at `exam_at` after `sessions` (instant, attempts), in time order."""
    params, state = concept.params, concept.state
    p, last = state.p_mastered, state.last_practiced_at
    keep = 1.0 - params.p_learn
    for at, attempts in sorted(sessions, key=lambda s: s[0]):
        if attempts <= 0:
            continue
        if last is not None:
            p *= math.exp(-params.forget_per_day * max((at - last).total_seconds(), 0.0)
                          / SECONDS_PER_DAY)  # fmt: skip
        p = 1.0 - (1.0 - p) * keep**attempts
        last = at
    if last is not None:
        p *= math.exp(-params.forget_per_day * max((exam_at - last).total_seconds(), 0.0)
                      / SECONDS_PER_DAY)  # fmt: skip
    return p


def review_chunk(request: PlanRequest) -> int:
    return max(3, round(REVIEW_MINUTES / request.minutes_per_attempt))


def _fill(
    order: Sequence[tuple[str, str, int]], capacity: list[int], day_order: Sequence[int]
) -> list[tuple[int, str, str, int]]:
    """Pour (code, kind, attempts) into the days in `day_order`; returns (day, code, kind,
    attempts) pieces."""
    pieces: list[tuple[int, str, str, int]] = []
    cursor = 0
    for code, kind, attempts in order:
        left = attempts
        while left > 0 and cursor < len(day_order):
            d = day_order[cursor]
            take = min(left, capacity[d])
            if take > 0:
                pieces.append((d, code, kind, take))
                capacity[d] -= take
                left -= take
            if capacity[d] == 0:
                cursor += 1
    return pieces


def lay_out(
    request: PlanRequest, cal: Calendar, attempts: Mapping[str, int]
) -> list[tuple[date, str, str, int]]:
    """(day, concept code, kind, attempts) pieces, in day order; see the module docstring."""
    concepts = {c.code: c for c in request.concepts}
    chunk = review_chunk(request)
    learn: dict[str, int] = {}
    review: dict[str, int] = {}
    for code, n in attempts.items():
        if n <= 0:
            continue
        concept = concepts[code]
        if mastery_at(concept.params, concept.state, request.now) >= MASTERED:
            review[code] = n
        elif n >= 2 * chunk:
            learn[code], review[code] = n - chunk, chunk
        else:
            learn[code] = n
    prerequisites = {c.code: c.prerequisites for c in request.concepts}
    order = topological_concepts([c.code for c in request.concepts], prerequisites)
    capacity = list(cal.capacity)
    forward = range(len(capacity))
    pieces = _fill([(c, "learn", learn[c]) for c in order if c in learn], capacity, forward)
    # Review from the last day backward, most-needed-last so the latest days revisit the
    # concepts learnt last; then each day's review pieces read in topological order.
    backward = range(len(capacity) - 1, -1, -1)
    pieces += _fill([(c, "review", review[c]) for c in reversed(order) if c in review],
                    capacity, backward)  # fmt: skip
    rank = {code: i for i, code in enumerate(order)}
    pieces.sort(key=lambda p: (p[0], p[2] == "review", rank[p[1]]))
    return [(cal.days[d], code, kind, n) for d, code, kind, n in pieces]


def duration(minutes: float) -> str:
    minutes = round(minutes)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


@dataclass(frozen=True, slots=True)
class Scored:
    items: tuple[PlanItem, ...]
    expected_marks: float
    marks_without_study: float


def score(
    request: PlanRequest, cal: Calendar, pieces: Sequence[tuple[date, str, str, int]]
) -> Scored:
    """Expected marks of the pieces, and the items with their share of each concept's gain
    (pro rata to attempts) and their one-sentence reasons."""
    sessions: dict[str, list[tuple[datetime, int]]] = {}
    for day, code, _, n in pieces:
        sessions.setdefault(code, []).append((practice_at(day), n))
    concepts = {c.code: c for c in request.concepts}
    expected = without = 0.0
    gain_per_attempt: dict[str, float] = {}
    concept_gain: dict[str, float] = {}
    for concept in request.concepts:
        base = exam_mastery(concept, (), cal.exam_at)
        with_plan = exam_mastery(concept, sessions.get(concept.code, ()), cal.exam_at)
        without += concept.marks * base
        expected += concept.marks * with_plan
        total = sum(n for _, n in sessions.get(concept.code, ()))
        concept_gain[concept.code] = concept.marks * (with_plan - base)
        gain_per_attempt[concept.code] = concept_gain[concept.code] / total if total else 0.0
    # A prerequisite studied for its dependants' sake (little or no weight of its own) says so.
    needed_by: dict[str, str] = {}
    for concept in request.concepts:
        if concept.code in sessions:
            for prerequisite in concept.prerequisites:
                needed_by.setdefault(prerequisite, concept.name)
    items = []
    for day, code, kind, n in pieces:
        concept = concepts[code]
        minutes = n * request.minutes_per_attempt
        gain = gain_per_attempt[code] * n
        if kind == "learn" and gain < 0.05 and code in needed_by:
            reason = (f"{concept.name}, {duration(minutes)}: a prerequisite of "
                      f"{needed_by[code]}, which builds on it")  # fmt: skip
        elif kind == "review":
            reason = (f"Review {concept.name}, {duration(minutes)}: keeps what you know fresh "
                      f"for the exam, +{gain:.1f} expected marks")  # fmt: skip
        else:
            reason = f"{concept.name}, {duration(minutes)}: +{gain:.1f} expected marks"
        items.append(
            PlanItem(
                day=day, concept_code=code, concept_name=concept.name,
                minutes=round(minutes), kind=kind, expected_gain=gain, reason=reason,
            )
        )  # fmt: skip
    return Scored(tuple(items), expected, without)
