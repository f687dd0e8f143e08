"""The latent learning model: true mastery, practice gains, forgetting and responses.

A student's true mastery of a concept is a logit θ; mastery m = sigmoid(θ) is the probability of
answering a question of average difficulty (b = 0, a = 1) correctly. Each (student, concept)
also has a long-term floor θ_floor, initially the prior knowledge θ₀.

- Forgetting: between practices θ relaxes exponentially toward the floor,
  θ(t) = θ_floor + (θ_last - θ_floor)·exp(-Δt / τ), with τ = τ_student·(1 + n / 6), so a
  concept practised n times is forgotten more slowly (consolidation).
- Practice: an attempt raises θ by
  Δθ = 0.25 · rate_student · (0.10 + 0.90 · p²) · (1.25 - 0.5 · difficulty) · (0.7 + 0.3 · correct)
  · 2(1 - m), where p is the current mastery of the concept's prerequisites (1 when it has
  none): with weak prerequisites a concept is learned several times more slowly, and gains
  shrink as mastery approaches 1. A share (20 %) of each gain moves the floor up: what is
  practised is never entirely lost.
- Responses follow a 2PL IRT model with guessing and slips:
  P(correct) = g + (1 - g - s)·sigmoid(a(θ - b)), g = 1/4 for four-option MCQs and 0.02 for numeric
  answers, s = 0.05.
- Time taken is lognormal: longer for numeric questions, harder questions (b - θ) and wrong
  answers, scaled by the student's speed. Confidence 1-5 is a noisy reading of the student's
  chance of success plus whether they felt they got it, shifted by their over-confidence.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

BASE_GAIN = 0.25
CONSOLIDATION = 0.20
SLIP = 0.05
GUESS_MCQ = 0.25
GUESS_NUMERIC = 0.02
CONFIDENCE_CUTS = np.array([-1.4, -0.45, 0.45, 1.4])


def sigmoid(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


def decayed(theta: FloatArray, floor: FloatArray, elapsed_days: FloatArray,
            tau_days: FloatArray) -> FloatArray:  # fmt: skip
    """θ after `elapsed_days` without practice (never below the floor)."""
    return floor + (theta - floor) * np.exp(-np.maximum(elapsed_days, 0.0) / tau_days)


def forgetting_tau(student_tau: FloatArray, practice_count: FloatArray) -> FloatArray:
    return student_tau * (1.0 + practice_count / 6.0)


def prerequisite_factor(prerequisite_mastery: FloatArray) -> FloatArray:
    return 0.10 + 0.90 * prerequisite_mastery**2


def practice_gain(
    theta: FloatArray,
    correct: npt.NDArray[np.bool_],
    prerequisite_mastery: FloatArray,
    learning_rate: FloatArray,
    difficulty: FloatArray,
) -> FloatArray:
    headroom = 2.0 * (1.0 - sigmoid(theta))
    return (
        BASE_GAIN
        * learning_rate
        * prerequisite_factor(prerequisite_mastery)
        * (1.25 - 0.5 * difficulty)
        * (0.7 + 0.3 * correct)
        * headroom
    )


def p_correct(theta: FloatArray, a: FloatArray, b: FloatArray,
              is_mcq: npt.NDArray[np.bool_]) -> FloatArray:  # fmt: skip
    guess = np.where(is_mcq, GUESS_MCQ, GUESS_NUMERIC)
    return guess + (1.0 - guess - SLIP) * sigmoid(a * (theta - b))


def time_taken_seconds(
    rng: np.random.Generator,
    theta: FloatArray,
    b: FloatArray,
    is_mcq: npt.NDArray[np.bool_],
    correct: npt.NDArray[np.bool_],
    speed: FloatArray,
) -> npt.NDArray[np.int64]:
    base = np.where(is_mcq, np.log(50.0), np.log(110.0))
    log_t = base + 0.18 * (b - theta) + 0.25 * ~correct - speed + rng.normal(0.0, 0.4, theta.size)
    return np.clip(np.rint(np.exp(log_t)), 5, 1800).astype(np.int64)


def confidence(
    rng: np.random.Generator,
    theta: FloatArray,
    b: FloatArray,
    correct: npt.NDArray[np.bool_],
    bias: FloatArray,
) -> npt.NDArray[np.int64]:
    z = 0.8 * (theta - b) + 0.9 * correct - 0.45 + bias + rng.normal(0.0, 0.7, theta.size)
    return (1 + np.searchsorted(CONFIDENCE_CUTS, z)).astype(np.int64)
