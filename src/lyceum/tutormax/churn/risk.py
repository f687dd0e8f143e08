"""From the survival curve to what a manager reads: a 0-100 risk score, its level, and each
reason's size in points.

The score compares a tutor's chance of leaving within 90 days with that of a *typical*
tutor, one whose every signal sits at the platform's average (the model's reference
curve, `reference_p90`, stored with the model):

    score = 50 + 25 * log3(P90 / reference_p90), clipped to 0..100.

So 50 is typical, every tripling of the risk adds 25 points and every third takes 25
away, and the database's bands (a CHECK on `churn_predictions`) read:

| level | score | 90-day churn risk against a typical tutor |
|---|---|---|
| Low | 0-25 | a third or less |
| Medium | 26-50 | a third of it up to the same |
| High | 51-75 | up to three times |
| Critical | 76-100 | more than three times (100: nine times or more) |

On the evaluation's held-out weeks (default scale) that put about 9 % of tutors in Low,
47 % in Medium, 31 % in High and 13 % in Critical, and the levels' observed churn rose
with them (docs). Not `100 x P30`: the platform loses about 2 % of its tutors in a month,
which would put everyone in Low and say nothing about who is slipping. A factor of two
per 25 points was tried too: it put a fifth of all tutors in Critical, too many to act on.

Points. In the model every feature adds a fixed amount to the log-odds of every interval
(`HazardModel.contributions`); for small hazards log P90 moves by that same amount, so a
contribution c is worth c * 25 / ln 3 points. The exact split used here scales the
contributions so that a tutor's points add up to exactly their unclipped score minus 50.
"""

from __future__ import annotations

import numpy as np

from lyceum.tutormax.churn.survival import horizon_probabilities
from lyceum.tutormax.churn.types import FloatArray, IntArray
from lyceum.tutormax.enums import RiskLevel, risk_level_for

TYPICAL_SCORE = 50.0
POINTS_PER_STEP = 25.0
# The risk ratio one step of 25 points stands for.
STEP_RATIO = 3.0


def reference_p90(intercepts_hazards: FloatArray) -> float:
    """P(churn within 90 days) of the typical tutor, from their (1, INTERVALS) hazards."""
    return float(horizon_probabilities(intercepts_hazards)[90][0])


def raw_scores(p90: FloatArray, reference: float) -> FloatArray:
    """Unclipped scores (50 = typical)."""
    ratio = np.maximum(p90, 1e-12) / reference
    steps = np.log(ratio) / np.log(STEP_RATIO)
    return np.asarray(TYPICAL_SCORE + POINTS_PER_STEP * steps, dtype=np.float64)


def risk_scores(p90: FloatArray, reference: float) -> IntArray:
    """The 0-100 integer scores the table stores."""
    return np.clip(np.rint(raw_scores(p90, reference)), 0, 100).astype(np.int64)


def risk_levels(scores: IntArray) -> list[RiskLevel]:
    return [risk_level_for(int(score)) for score in scores]


def points(contributions: FloatArray, p90: FloatArray, reference: float) -> FloatArray:
    """(n, features) each feature's share of the tutor's distance from the typical score,
    in points; rows add up to the unclipped score minus 50."""
    shift = contributions.sum(axis=1)
    distance = raw_scores(p90, reference) - TYPICAL_SCORE
    small = np.abs(shift) < 1e-9
    limit = POINTS_PER_STEP / np.log(STEP_RATIO)
    per_logit = np.where(small, limit, distance / np.where(small, 1.0, shift))
    return np.asarray(contributions * per_logit[:, None], dtype=np.float64)


__all__ = [
    "POINTS_PER_STEP",
    "STEP_RATIO",
    "TYPICAL_SCORE",
    "points",
    "raw_scores",
    "reference_p90",
    "risk_levels",
    "risk_scores",
]
