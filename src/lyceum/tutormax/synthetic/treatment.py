"""The planted intervention effect: what a coaching call does to a tutor's churn hazard.

Nothing in the history is treated; interventions exist only in continuations of the world
past the history's end (`forward`). The effect, in one place:

- An intervention assigned on day `d` is **completed** (the tutor takes the call) with
  probability `completion_probability` (0.75), after a delay drawn uniformly from
  `delay_days` (2-9 days: a due date of a working week, give or take). A tutor who leaves
  before the call is never reached.
- From the day of the call, for `effect_days` (56: eight weeks), the **behavioural part** of
  the tutor's daily churn hazard is multiplied by `1 - hazard_reduction` (0.5):

      h = tenure(t) * (LIFE + BEHAVIOUR * exp(score))             (churn.py)
      h_treated = tenure(t) * LIFE + (1 - hazard_reduction) * (h - tenure(t) * LIFE)

  Coaching can lift a tutor's motivation and habits; it cannot stop them moving house or
  taking a full-time job, so the "life" term (about a third of churn) is left alone. Only
  the hazard changes: the tutor's behaviour (logins, reschedules, ratings) does not, so the
  effect is visible in churn alone, as in the field.
- Overlapping interventions on one tutor do not stack: the hazard is reduced once while any
  completed one is in effect.

Why these numbers: no public study measures what a coaching call does to a tutor's churn,
so they are a stated assumption, not an estimate. They are meant to be plausible and
detectable: three calls in four reach the tutor, and a reached tutor's avoidable risk is
halved for two months, which lowers the 90-day churn of the riskiest tutors by about a
quarter and that of average tutors by less (more of their risk is the untreatable life
term). `policy-sim` measures the resulting effect on each policy's treated tutors from the
counterfactual runs, so no figure here has to be taken on trust.

The completion and delay draws are keyed by (tutor, day assigned), so whether tutor 17's
call happens does not depend on who else is treated (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lyceum.tutormax.synthetic.catalog import BoolArray, FloatArray, IntArray
from lyceum.tutormax.synthetic.churn import life_hazard
from lyceum.tutormax.synthetic.keyed import KeyedDraws

# The draw stream of interventions (the history's streams are 1-10; state.Stream).
TREATMENT_STREAM = 11


@dataclass(frozen=True)
class InterventionEffect:
    """How an intervention acts (the module docstring); `PLANTED_EFFECT` is the world's."""

    completion_probability: float = 0.75
    delay_days: tuple[int, int] = (2, 9)  # inclusive range, days after assignment
    hazard_reduction: float = 0.5  # share of the behavioural hazard removed
    effect_days: int = 56

    def __post_init__(self) -> None:
        low, high = self.delay_days
        if not 0.0 <= self.completion_probability <= 1.0:
            raise ValueError("completion_probability must be within [0, 1]")
        if not 0 <= low <= high:
            raise ValueError("delay_days must be (low, high) with 0 <= low <= high")
        if not 0.0 <= self.hazard_reduction <= 1.0:
            raise ValueError("hazard_reduction must be within [0, 1]")
        if self.effect_days < 0:
            raise ValueError("effect_days must not be negative")


PLANTED_EFFECT = InterventionEffect()


@dataclass(frozen=True)
class InterventionSchedule:
    """Interventions to apply in a continuation: tutor index (row of the tutors table, so
    `T00001` is 0) and the day assigned, counted from the history's end (0 = its first day
    after). A tutor may appear more than once, on different days."""

    tutor: IntArray
    day: IntArray

    def __post_init__(self) -> None:
        if self.tutor.shape != self.day.shape or self.tutor.ndim != 1:
            raise ValueError("tutor and day must be one-dimensional and of one length")
        if self.tutor.shape[0] and (self.tutor.min() < 0 or self.day.min() < 0):
            raise ValueError("tutor indices and days must not be negative")

    @classmethod
    def none(cls) -> InterventionSchedule:
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty.copy())

    @classmethod
    def at_end(cls, tutors: IntArray | list[int]) -> InterventionSchedule:
        """One intervention for each of `tutors`, assigned on the first day after the end."""
        index = np.unique(np.asarray(tutors, dtype=np.int64))
        return cls(index, np.zeros(index.shape[0], dtype=np.int64))

    @property
    def count(self) -> int:
        return int(self.tutor.shape[0])


@dataclass(frozen=True)
class EffectWindows:
    """Each scheduled intervention's fate: completed or not, and the days (counted from the
    history's end) its effect would cover, `[start, stop)`; a tutor who is gone by `start`
    gets nothing, which the continuation sees (they are not active)."""

    tutor: IntArray
    completed: BoolArray
    start: IntArray
    stop: IntArray

    def covering(self, day: int, tutors: int) -> BoolArray:
        """Which of `tutors` tutors are under a completed intervention's effect on `day`."""
        out = np.zeros(tutors, dtype=bool)
        live = self.completed & (self.start <= day) & (day < self.stop)
        out[self.tutor[live]] = True
        return out


def plan_effects(
    schedule: InterventionSchedule, effect: InterventionEffect, draws: KeyedDraws
) -> EffectWindows:
    """Draw each intervention's completion and delay, keyed by (tutor, day assigned)."""
    completed = np.zeros(schedule.count, dtype=bool)
    delay = np.zeros(schedule.count, dtype=np.int64)
    low, high = effect.delay_days
    for day in np.unique(schedule.day).tolist():
        rows = np.flatnonzero(schedule.day == day)
        tutors = schedule.tutor[rows]
        taken = draws.uniform(TREATMENT_STREAM, day, tutors, lane=0)
        completed[rows] = taken < effect.completion_probability
        spread = draws.uniform(TREATMENT_STREAM, day, tutors, lane=1)
        delay[rows] = low + np.floor(spread * (high - low + 1)).astype(np.int64)
    start = schedule.day + delay
    return EffectWindows(schedule.tutor.copy(), completed, start, start + effect.effect_days)


def reduce_hazard(hazard: FloatArray, tenure_days: IntArray, reduction: float) -> FloatArray:
    """The hazard with its behavioural part cut by `reduction` (the life term kept)."""
    life = np.minimum(life_hazard(tenure_days), hazard)
    return np.asarray(life + (1.0 - reduction) * (hazard - life), dtype=np.float64)


__all__ = [
    "PLANTED_EFFECT",
    "TREATMENT_STREAM",
    "EffectWindows",
    "InterventionEffect",
    "InterventionSchedule",
    "plan_effects",
    "reduce_hazard",
]
