"""Latent traits, day-to-day motivation, and the ground-truth churn process.

Traits. Every tutor has three fixed traits in [0, 1]: reliability (keeps appointments),
quality (teaches well) and engagement (how invested they are in the platform). They are the
logistic transform of correlated normals (correlation 0.3: good tutors tend to be good in
several ways) with means of about 0.77, 0.69 and 0.65.

Motivation. Engagement is the tutor's usual level; their *current* motivation `m` moves around
it day by day (mean-reverting, pulled 5 % of the way back each day, with small noise). Now and
then a tutor enters a burnout episode (about one a year for an average tutor, more for the
less engaged and for tutors whose recent ratings are poor): for a geometric number of days
(mean 45) motivation is pulled towards 30 % of its usual level, so it falls over two to four
weeks and recovers after the episode. Motivation drives what a tutor does every day: logins,
how fast they answer messages, reschedules, cancellations, no-shows, how many students they
take on, and a little of session quality.

Churn. Each day an active tutor leaves with probability

    h = tenure(t) * (LIFE + BEHAVIOUR * exp(4.5 (0.55 - m) + 2.0 (0.77 - reliability)
                                            + 1.5 (0.69 - quality) + 2.5 (low_share - 0.15)
                                            + 4.0 (reschedule_rate_30d - 0.06)))

where `low_share` is the share of the last 30 days' ratings at 3 or below (shrunk towards
0.15 with a prior worth three ratings), `reschedule_rate_30d` the share of the tutor's own
sessions of the last 30 days they rescheduled, and `tenure(t) = 1 + exp(-t / 60)` doubles
the risk of brand-new tutors. LIFE (moving, a new job: nothing in the data announces it) is
about a third of all churn; the rest follows traits and behaviour, mostly the latent
motivation, which the data only shows through its effects. A model reading recent behaviour
therefore beats chance clearly but cannot be perfect. Separately, a small constant hazard
(PAUSE) takes tutors to 'inactive' (a break); paused tutors take no more sessions.

The constants are calibrated so that about 25 % of a year's active tutors churn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lyceum.tutormax.synthetic.catalog import FloatArray, IntArray

TRAIT_CORRELATION = 0.3
# Logistic-normal centre and spread of reliability, quality, engagement.
TRAIT_CENTRES = np.array([1.40, 0.95, 0.75])
TRAIT_SPREADS = np.array([0.90, 0.80, 0.90])

MOTIVATION_PULL = 0.05
MOTIVATION_NOISE = 0.015
BURNOUT_DAILY = 0.0025
BURNOUT_MEAN_DAYS = 45
BURNOUT_DEPTH = 0.3

LIFE_HAZARD = 0.0002
BEHAVIOUR_HAZARD = 0.00024
PAUSE_HAZARD = 0.00007
# Prior for the low-rating share: three ratings at the platform's usual 15 % low.
LOW_SHARE_PRIOR = 0.15
LOW_SHARE_PRIOR_WEIGHT = 3.0


def draw_traits(rng: np.random.Generator, count: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Reliability, quality and engagement of `count` tutors."""
    correlation = np.full((3, 3), TRAIT_CORRELATION)
    np.fill_diagonal(correlation, 1.0)
    normals = rng.standard_normal((count, 3)) @ np.linalg.cholesky(correlation).T
    traits = 1.0 / (1.0 + np.exp(-(TRAIT_CENTRES + TRAIT_SPREADS * normals)))
    traits = np.round(traits, 4)
    return traits[:, 0].copy(), traits[:, 1].copy(), traits[:, 2].copy()


def low_rating_share(low_ratings: FloatArray, ratings: FloatArray) -> FloatArray:
    return (low_ratings + LOW_SHARE_PRIOR * LOW_SHARE_PRIOR_WEIGHT) / (
        ratings + LOW_SHARE_PRIOR_WEIGHT
    )


def reschedule_rate(reschedules: FloatArray, sessions: FloatArray) -> FloatArray:
    """Own reschedules per session, with two sessions' worth of slack against tiny counts."""
    return reschedules / (sessions + 2.0)


def tenure_factor(tenure_days: IntArray) -> FloatArray:
    """New tutors' extra risk: 2 on the first day, fading with a 60-day time constant."""
    return np.asarray(1.0 + np.exp(-np.maximum(tenure_days, 0) / 60.0), dtype=np.float64)


def life_hazard(tenure_days: IntArray) -> FloatArray:
    """The part of the hazard nothing in the data announces (and no coaching changes)."""
    return tenure_factor(tenure_days) * LIFE_HAZARD


def churn_hazard(
    reliability: FloatArray,
    quality: FloatArray,
    motivation: FloatArray,
    tenure_days: IntArray,
    low_share: FloatArray,
    resched_rate: FloatArray,
) -> FloatArray:
    """Today's probability of leaving for good (see the module docstring)."""
    score = (
        4.5 * (0.55 - motivation)
        + 2.0 * (0.77 - reliability)
        + 1.5 * (0.69 - quality)
        + 2.5 * (low_share - LOW_SHARE_PRIOR)
        + 4.0 * (resched_rate - 0.06)
    )
    hazard = tenure_factor(tenure_days) * (LIFE_HAZARD + BEHAVIOUR_HAZARD * np.exp(score))
    return np.asarray(np.minimum(hazard, 0.5), dtype=np.float64)


def burnout_probability(engagement: FloatArray, low_share: FloatArray) -> FloatArray:
    return np.asarray(
        BURNOUT_DAILY * np.exp(2.0 * (0.65 - engagement) + 3.0 * (low_share - LOW_SHARE_PRIOR)),
        dtype=np.float64,
    )


@dataclass(frozen=True)
class MotivationDraws:
    """One day's random numbers for `step_motivation`, one entry per tutor: a uniform for
    whether a burnout starts, its length if it does, and the day's noise (standard normal).
    Drawn apart from the step so a continuation can key them by tutor (`forward`)."""

    burnout_start: FloatArray
    burnout_length: IntArray
    noise: FloatArray


def motivation_draws(rng: np.random.Generator, count: int) -> MotivationDraws:
    # This order is part of the history: changing it changes every seed's arrays.
    start = rng.random(count)
    length = rng.geometric(1.0 / BURNOUT_MEAN_DAYS, size=count)
    noise = rng.standard_normal(count)
    return MotivationDraws(start, length, noise)


def step_motivation(
    draws: MotivationDraws,
    motivation: FloatArray,
    engagement: FloatArray,
    burnout_left: IntArray,
    low_share: FloatArray,
) -> tuple[FloatArray, IntArray]:
    """One day of motivation for the given tutors; returns (motivation, burnout days left)."""
    starts = (burnout_left == 0) & (
        draws.burnout_start < burnout_probability(engagement, low_share)
    )
    left = np.where(starts, draws.burnout_length, burnout_left)
    target = np.where(left > 0, engagement * BURNOUT_DEPTH, engagement)
    moved = motivation + MOTIVATION_PULL * (target - motivation)
    moved += MOTIVATION_NOISE * draws.noise
    return np.clip(moved, 0.01, 1.0), np.maximum(left - 1, 0)


__all__ = [
    "BURNOUT_MEAN_DAYS",
    "PAUSE_HAZARD",
    "MotivationDraws",
    "burnout_probability",
    "churn_hazard",
    "draw_traits",
    "life_hazard",
    "low_rating_share",
    "motivation_draws",
    "reschedule_rate",
    "step_motivation",
    "tenure_factor",
]
