"""The uplift estimator: what interventions did to churn, from treated tutors against a
randomised holdout (tutors the rules picked but chance left untreated).

Because the holdout is drawn at random from the tutors the policy selected, treated and
held-out tutors differ only by the treatment, and the difference in their churn rates
estimates the average effect of the treatment on the tutors the policy selects:

    difference          = p_treated - p_holdout          (negative: fewer leave when treated)
    prevented per 100   = -100 * difference
    relative reduction  = 1 - p_treated / p_holdout

Intervals (two-sided, 95 % by default):

- the difference: Newcombe's hybrid score interval (his method 10, 1998), built from each
  rate's Wilson interval. Unlike the textbook Wald interval it stays inside [-1, 1] and keeps
  close to its nominal coverage with few events, which is the usual case here (a 10 %
  holdout of a hundred tutors sees a handful of churns);
- the relative reduction: from the risk ratio's log interval (Katz et al. 1978, standard
  error sqrt(1/a - 1/n1 + 1/c - 1/n2)), with half an event added to each cell when a count
  is zero; none when neither group had an event.

`minimum_detectable_difference` is the difference a study this size would detect four times
in five at the same level (two-sided), at the two groups' pooled churn rate: when the effect
hoped for is smaller, a non-significant result says little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from lyceum.core.errors import InvalidInput

POWER = 0.8


@dataclass(frozen=True)
class UpliftEstimate:
    treated: int
    treated_churned: int
    holdout: int
    holdout_churned: int
    confidence: float
    difference: float
    difference_interval: tuple[float, float]
    relative_reduction: float | None
    relative_interval: tuple[float, float] | None
    minimum_detectable_difference: float

    @property
    def treated_rate(self) -> float:
        return self.treated_churned / self.treated

    @property
    def holdout_rate(self) -> float:
        return self.holdout_churned / self.holdout

    @property
    def prevented_per_100(self) -> float:
        return -100.0 * self.difference

    @property
    def prevented_per_100_interval(self) -> tuple[float, float]:
        low, high = self.difference_interval
        return -100.0 * high, -100.0 * low

    def covers(self, difference: float) -> bool:
        low, high = self.difference_interval
        return low <= difference <= high


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(events: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion `events / total`."""
    z = _z(confidence)
    rate = events / total
    scale = 1.0 + z * z / total
    centre = (rate + z * z / (2 * total)) / scale
    half = z / scale * math.sqrt(rate * (1.0 - rate) / total + z * z / (4.0 * total * total))
    return max(0.0, centre - half), min(1.0, centre + half)


def _check(name: str, churned: int, total: int) -> None:
    if total < 1:
        raise InvalidInput(f"the {name} group is empty: an uplift needs tutors in both groups")
    if not 0 <= churned <= total:
        raise InvalidInput(
            f"{churned} churned out of {total} {name} tutors: the count must lie in 0-{total}"
        )


def estimate_uplift(
    treated_churned: int,
    treated: int,
    holdout_churned: int,
    holdout: int,
    confidence: float = 0.95,
) -> UpliftEstimate:
    """The effect of treatment on churn from the counts of each group (module docstring)."""
    _check("treated", treated_churned, treated)
    _check("holdout", holdout_churned, holdout)
    if not 0.5 <= confidence < 1.0:
        raise InvalidInput(f"confidence must be within [0.5, 1), got {confidence}")
    p1, p2 = treated_churned / treated, holdout_churned / holdout
    low1, high1 = wilson_interval(treated_churned, treated, confidence)
    low2, high2 = wilson_interval(holdout_churned, holdout, confidence)
    difference = p1 - p2
    lower = difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    upper = difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)

    relative: float | None = None
    relative_interval: tuple[float, float] | None = None
    if treated_churned + holdout_churned > 0:
        a, c = float(treated_churned), float(holdout_churned)
        n1, n2 = float(treated), float(holdout)
        if a == 0 or c == 0:
            # Half an event and half a non-event more in each group (Haldane).
            a, c, n1, n2 = a + 0.5, c + 0.5, n1 + 1.0, n2 + 1.0
        log_ratio = math.log((a / n1) / (c / n2))
        error = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
        z = _z(confidence)
        relative = 1.0 - p1 / p2 if p2 > 0 else 1.0 - math.exp(log_ratio)
        relative_interval = (
            1.0 - math.exp(log_ratio + z * error),
            1.0 - math.exp(log_ratio - z * error),
        )
    pooled = (treated_churned + holdout_churned) / (treated + holdout)
    spread = pooled * (1.0 - pooled) * (1.0 / treated + 1.0 / holdout)
    detectable = (_z(confidence) + NormalDist().inv_cdf(POWER)) * math.sqrt(spread)
    return UpliftEstimate(
        treated=treated,
        treated_churned=treated_churned,
        holdout=holdout,
        holdout_churned=holdout_churned,
        confidence=confidence,
        difference=difference,
        difference_interval=(max(-1.0, lower), min(1.0, upper)),
        relative_reduction=relative,
        relative_interval=relative_interval,
        minimum_detectable_difference=detectable,
    )


def estimate_uplift_from_outcomes(
    treated_churned: npt.ArrayLike, holdout_churned: npt.ArrayLike, confidence: float = 0.95
) -> UpliftEstimate:
    """`estimate_uplift` from one outcome (churned or not) per treated and held-out tutor."""
    treated = np.asarray(treated_churned, dtype=bool)
    holdout = np.asarray(holdout_churned, dtype=bool)
    return estimate_uplift(
        int(treated.sum()), int(treated.size), int(holdout.sum()), int(holdout.size), confidence
    )


__all__ = [
    "UpliftEstimate",
    "estimate_uplift",
    "estimate_uplift_from_outcomes",
    "wilson_interval",
]
