"""A world whose latent truth IS BKT with forgetting, for parameter recovery.

The main synthetic world (`dataset.simulate`) draws answers from a continuous IRT-style
mastery θ with learning and forgetting (`learning.py`): it has no true guess, slip or learning
rate to recover, so it measures predictive quality only. Here every concept has true
`BktParams`, drawn from plausible ranges, and each student's knowledge of it is a two-state
chain: known at the first attempt with p_init; learned at an attempt with p_learn; forgotten
over a gap of Δt days with 1 - exp(-forget_per_day · Δt); right with 1 - slip when known and
with the question kind's guess rate when not. Fitting EM (`mastery/fit.py`) to these
attempts and comparing with the truth is the recovery test.

Timing is irregular like the main world's: each student practises about half the concepts,
in 1 + Poisson(2) sessions on random days of a six-month window, each session a run of
1 + Poisson(3) attempts about a minute apart (lognormal), so gaps range from seconds to
months and forgetting is identifiable. Each concept has a bank of `QUESTIONS_PER_CONCEPT`
questions, each an MCQ with probability 0.6 as in the real bank (`synthetic/questions.py`),
at least two of each kind; an attempt picks one of its concept's questions at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lyceum.adaptive.mastery.bkt import BktParams

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Students per scale (concepts are as many as the real graph's, 118).
STUDENTS = {"small": 30, "default": 300, "large": 1_500}
CONCEPTS = 118
QUESTIONS_PER_CONCEPT = 8
WINDOW_DAYS = 180.0
PRACTISED_SHARE = 0.5
MCQ_SHARE = 0.6
# Ranges of the true parameters (uniform): well inside the fit's bounds, around what the
# literature reports for mathematics skills.
TRUE_RANGES: dict[str, tuple[float, float]] = {
    "p_init": (0.1, 0.6),
    "p_learn": (0.05, 0.3),
    "forget_per_day": (0.002, 0.03),
    "guess_mcq": (0.15, 0.3),
    "guess_numeric": (0.01, 0.1),
    "slip": (0.03, 0.15),
}


@dataclass(frozen=True)
class BktWorld:
    """Attempts sorted by (student, concept, time); `truth[c]` generated concept c."""

    truth: list[BktParams]
    student: IntArray
    concept: IntArray
    question: IntArray
    numeric: BoolArray
    days: FloatArray
    correct: BoolArray
    known: BoolArray  # the latent state at each attempt (after forgetting, before learning)

    def __len__(self) -> int:
        return int(self.correct.size)


def _true_params(rng: np.random.Generator, n: int) -> list[BktParams]:
    draws = {name: rng.uniform(low, high, n) for name, (low, high) in TRUE_RANGES.items()}
    return [BktParams(**{name: float(v[c]) for name, v in draws.items()}) for c in range(n)]


def _bank(rng: np.random.Generator, n: int) -> BoolArray:
    """Per concept and question: numeric?"""
    numeric = rng.random((n, QUESTIONS_PER_CONCEPT)) >= MCQ_SHARE
    # At least two of each kind, so both guess rates mean something for every concept.
    numeric[:, :2] = False
    numeric[:, 2:4] = True
    return np.take_along_axis(numeric, rng.permuted(
        np.tile(np.arange(QUESTIONS_PER_CONCEPT), (n, 1)), axis=1), axis=1)  # fmt: skip


def _schedule(
    rng: np.random.Generator, students: int, concepts: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """Student, concept and time (days) of every attempt, sorted by pair then time."""
    practised = rng.random((students, concepts)) < PRACTISED_SHARE
    s_pair, c_pair = np.nonzero(practised)
    sessions = 1 + rng.poisson(2.0, s_pair.size)
    pair_of_session = np.repeat(np.arange(s_pair.size), sessions)
    session_day = rng.uniform(0.0, WINDOW_DAYS, pair_of_session.size)
    per_session = 1 + rng.poisson(3.0, pair_of_session.size)
    session_of_attempt = np.repeat(np.arange(pair_of_session.size), per_session)
    gaps = rng.lognormal(np.log(60.0), 0.6, session_of_attempt.size) / 86_400.0
    first = np.r_[0, np.cumsum(per_session)[:-1]]
    gaps[first] = 0.0
    within = np.cumsum(gaps)
    within -= within[first][np.repeat(np.arange(per_session.size), per_session)]
    days = session_day[session_of_attempt] + within
    pair = pair_of_session[session_of_attempt]
    order = np.lexsort((days, pair))
    return s_pair[pair][order], c_pair[pair][order], days[order]


def simulate_bkt(scale: str = "default", seed: int = 0) -> BktWorld:
    if scale not in STUDENTS:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(STUDENTS)}")
    rng = np.random.default_rng([seed, 18])
    truth = _true_params(rng, CONCEPTS)
    bank_numeric = _bank(rng, CONCEPTS)
    student, concept, days = _schedule(rng, STUDENTS[scale], CONCEPTS)
    question = rng.integers(QUESTIONS_PER_CONCEPT, size=student.size)
    numeric = bank_numeric[concept, question]

    def column(name: str) -> FloatArray:
        return np.array([getattr(p, name) for p in truth])[concept]

    p_init, p_learn, forget = column("p_init"), column("p_learn"), column("forget_per_day")
    guess = np.where(numeric, column("guess_numeric"), column("guess_mcq"))
    slip = column("slip")
    # The chain, attempt by attempt along each (sorted) pair.
    pair = student * CONCEPTS + concept
    starts = np.r_[True, pair[1:] != pair[:-1]]
    u_learn, u_keep, u_answer = rng.random((3, student.size))
    u_init = rng.random(student.size)
    known = np.empty(student.size, dtype=bool)
    state = False
    for i in range(student.size):
        if starts[i]:
            state = bool(u_init[i] < p_init[i])
        else:
            learned = state or bool(u_learn[i - 1] < p_learn[i - 1])
            state = learned and bool(u_keep[i] < np.exp(-forget[i] * (days[i] - days[i - 1])))
        known[i] = state
    correct = np.where(known, u_answer >= slip, u_answer < guess)
    return BktWorld(truth, student, concept, question + concept * QUESTIONS_PER_CONCEPT,
                    numeric, days, correct, known)  # fmt: skip


__all__ = ["CONCEPTS", "STUDENTS", "TRUE_RANGES", "BktWorld", "simulate_bkt"]
