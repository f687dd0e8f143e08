"""What tutors and students do, as probabilities of the traits and current motivation.

Per booked session (r = reliability, m = motivation, q = quality, in [0, 1]):

- reschedule by the tutor: 1.5 % + 25 % (1 - r)^2 + 12 % (1 - m)^2 (about 5 % overall);
  by the student 0.08 %, by the system 0.02 %, so about 98 % of reschedules are the
  tutor's, the field figure;
- tutor no-show: 0.2 % + 8 % (1 - r)^3 + 3 % (1 - m)^2; student no-show 2 %;
- tutor cancellation: 0.4 % + 6 % (1 - m)^2; student cancellation 3.5 %;
- session quality: q + 0.25 (m - engagement) + noise (sd 0.1), clipped to [0, 1]: the
  platform's engagement score, the tutor's learning-objectives report and the student's
  rating all follow it;
- feedback: 70 % of completed sessions (80 % of first sessions) get a rating,
  round(1.6 + 4 quality + noise (sd 0.5)) clipped to 1-5, which averages about 4.3.

A student keeps their tutor for 20 sessions on average (5 % chance of stopping after each);
after a poor first session (tutor no-show or cancellation, or quality below 0.5) they leave
that tutor 60 % of the time, and most of those look for another tutor.

A tutor's capacity is their committed weekly sessions times 0.25 + 1.25 m (clipped to
0.1-1.2): new students go to tutors with spare capacity, and a tutor far over capacity lets
students go, so a tutor's volume follows their motivation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lyceum.tutormax.synthetic.catalog import BoolArray, FloatArray, IntArray

# Outcome codes (sessions): 0 completed, then who did not show or cancelled.
COMPLETED, NO_SHOW_TUTOR, NO_SHOW_STUDENT, CANCEL_TUTOR, CANCEL_STUDENT = range(5)
# Reschedule codes: who moved the session.
NOT_RESCHEDULED, RESCHEDULED_TUTOR, RESCHEDULED_STUDENT, RESCHEDULED_SYSTEM = range(4)

STUDENT_RESCHEDULE = 0.0008
SYSTEM_RESCHEDULE = 0.0002
STUDENT_NO_SHOW = 0.02
STUDENT_CANCEL = 0.035
FEEDBACK_SHARE = 0.70
FIRST_FEEDBACK_SHARE = 0.80
LOW_RATING = 3  # ratings at or below this are "low"

PAIRING_END = 0.05
POOR_FIRST_END = 0.60
POOR_QUALITY = 0.5
# Sessions a week a student books with their tutor, and how often each is chosen.
FREQUENCIES = np.array([1, 2, 3], dtype=np.int64)
FREQUENCY_WEIGHTS = np.array([0.50, 0.35, 0.15])
MEAN_FREQUENCY = float(FREQUENCIES @ FREQUENCY_WEIGHTS)


def capacity_factor(motivation: FloatArray) -> FloatArray:
    return np.asarray(np.clip(0.25 + 1.25 * motivation, 0.1, 1.2), dtype=np.float64)


@dataclass(frozen=True)
class Outcomes:
    """One day's booked sessions, decided: codes above, quality and rating (0 = none)."""

    rescheduled: IntArray
    outcome: IntArray
    quality: FloatArray
    rated: BoolArray
    rating: IntArray


@dataclass(frozen=True)
class SessionDraws:
    """The random numbers of one day's booked sessions: uniforms (rows 0-2 decide the
    reschedule, the outcome and whether it is rated; the history draws two more rows it
    does not use) and two standard normals (quality and rating noise). Drawn apart from the
    decisions so a continuation can key them by pairing (`forward`)."""

    uniform: FloatArray  # (rows >= 3, sessions)
    quality_noise: FloatArray
    rating_noise: FloatArray


def session_draws(rng: np.random.Generator, count: int) -> SessionDraws:
    # This order is part of the history: changing it changes every seed's arrays.
    uniform = rng.random((5, count))
    quality_noise = rng.standard_normal(count)
    rating_noise = rng.standard_normal(count)
    return SessionDraws(uniform, quality_noise, rating_noise)


def decide_sessions(
    random: SessionDraws,
    reliability: FloatArray,
    motivation: FloatArray,
    quality: FloatArray,
    engagement: FloatArray,
    first: BoolArray,
) -> Outcomes:
    count = int(reliability.shape[0])
    draws = random.uniform
    tutor_resched = 0.015 + 0.25 * (1 - reliability) ** 2 + 0.12 * (1 - motivation) ** 2
    rescheduled = np.select(
        [
            draws[0] < tutor_resched,
            draws[0] < tutor_resched + STUDENT_RESCHEDULE,
            draws[0] < tutor_resched + STUDENT_RESCHEDULE + SYSTEM_RESCHEDULE,
        ],
        [RESCHEDULED_TUTOR, RESCHEDULED_STUDENT, RESCHEDULED_SYSTEM],
        NOT_RESCHEDULED,
    )
    tutor_no_show = 0.002 + 0.08 * (1 - reliability) ** 3 + 0.03 * (1 - motivation) ** 2
    tutor_cancel = 0.004 + 0.06 * (1 - motivation) ** 2
    edges = np.cumsum(
        [
            tutor_no_show,
            np.full(count, STUDENT_NO_SHOW),
            tutor_cancel,
            np.full(count, STUDENT_CANCEL),
        ],
        axis=0,
    )
    outcome = (draws[1][None, :] >= edges).sum(axis=0)
    # `outcome` counts the edges passed: 0 = tutor no-show ... 4 = completed; recode.
    outcome = np.array([NO_SHOW_TUTOR, NO_SHOW_STUDENT, CANCEL_TUTOR, CANCEL_STUDENT, COMPLETED])[
        outcome
    ]
    session_quality = np.clip(
        quality + 0.25 * (motivation - engagement) + 0.1 * random.quality_noise, 0.0, 1.0
    )
    completed = outcome == COMPLETED
    share = np.where(first, FIRST_FEEDBACK_SHARE, FEEDBACK_SHARE)
    rated = completed & (draws[2] < share)
    rating = np.clip(np.rint(1.6 + 4.0 * session_quality + 0.5 * random.rating_noise), 1, 5)
    rating = np.where(rated, rating, 0).astype(np.int64)
    return Outcomes(rescheduled, outcome, session_quality, rated, rating)


def pairing_ends(uniform: FloatArray, outcomes: Outcomes, first: BoolArray) -> BoolArray:
    """Which students stop seeing this tutor after today's session (`uniform`: one draw in
    [0, 1) per session)."""
    poor_first = first & (
        np.isin(outcomes.outcome, (NO_SHOW_TUTOR, CANCEL_TUTOR))
        | ((outcomes.outcome == COMPLETED) & (outcomes.quality < POOR_QUALITY))
    )
    chance = np.where(poor_first, POOR_FIRST_END, PAIRING_END)
    chance = np.where(~first & (outcomes.outcome == NO_SHOW_TUTOR), 0.25, chance)
    return np.asarray(uniform < chance)


__all__ = [
    "CANCEL_STUDENT",
    "CANCEL_TUTOR",
    "COMPLETED",
    "FREQUENCIES",
    "FREQUENCY_WEIGHTS",
    "LOW_RATING",
    "MEAN_FREQUENCY",
    "NOT_RESCHEDULED",
    "NO_SHOW_STUDENT",
    "NO_SHOW_TUTOR",
    "RESCHEDULED_STUDENT",
    "RESCHEDULED_SYSTEM",
    "RESCHEDULED_TUTOR",
    "Outcomes",
    "SessionDraws",
    "capacity_factor",
    "decide_sessions",
    "pairing_ends",
    "session_draws",
]
