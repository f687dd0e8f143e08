"""Bayesian Knowledge Tracing with forgetting over time: the mastery model.

A student either knows a concept (state L) or not (U). Per concept (`BktParams`):

- `p_init`: P(L) before the first attempt;
- `p_learn`: P(U -> L) at an attempt (practice teaches, right or wrong);
- `forget_per_day`: the hazard of forgetting between attempts, so a known concept is still
  known after Δt days with probability exp(-forget_per_day * Δt) (classic BKT has none; the
  generator's students forget, and so do real ones);
- `guess_mcq`, `guess_numeric`: P(correct | U) by question kind — a four-option MCQ can be
  guessed a quarter of the time, a numeric answer almost never, so one guess rate per concept
  would mix the two (per-item guess as in KT-IDEM, Pardos and Heffernan 2011, by kind);
- `slip`: P(wrong | L).

An attempt updates P(L) in O(1): decay to the attempt's instant, condition on the answer
(Bayes), then apply learning. The state after an attempt is all a later update needs.

The individualised model (`individual.py`, what `lyceum adaptive fit` fits and the server
serves) adds offsets in logits, all keyword-only and zero by default (plain BKT):
`prior_offset`, the student's, moves P(L) before their first attempt at a concept
(`initial_state`); `effect`, the student's answer offset plus the question's, moves both
states' P(right) of one attempt (`p_correct_given`, `predict_correct`, `posterior`, `update`,
`Observation.effect`) — exactly the shift `sequences.emissions` applies.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from lyceum.adaptive.enums import QuestionKind

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class BktParams:
    p_init: float
    p_learn: float
    forget_per_day: float
    guess_mcq: float
    guess_numeric: float
    slip: float

    def guess(self, kind: QuestionKind | str) -> float:
        return self.guess_numeric if kind == QuestionKind.NUMERIC else self.guess_mcq


# Used for a concept with too little history to fit (the field's usual starting values; the
# MCQ guess is one in four options).
DEFAULT_PARAMS = BktParams(
    p_init=0.3, p_learn=0.12, forget_per_day=0.005, guess_mcq=0.25, guess_numeric=0.05, slip=0.1
)


@dataclass(frozen=True, slots=True)
class MasteryState:
    """P(L) just after the last attempt (learning applied), and when that was."""

    p_mastered: float
    attempts_count: int = 0
    correct_count: int = 0
    last_practiced_at: datetime | None = None


def shift(p: float, offset: float) -> float:
    """`p` moved by `offset` in logits: sigmoid(logit(p) + offset); `p` itself at 0 (so plain
    BKT's numbers are unchanged to the last bit)."""
    if offset == 0.0:
        return p
    if p <= 0.0 or p >= 1.0:
        return p
    return 1.0 / (1.0 + (1.0 - p) / p * math.exp(-offset))


def initial_state(params: BktParams, *, prior_offset: float = 0.0) -> MasteryState:
    """P(L) before the first attempt: p_init, moved by the student's prior offset."""
    return MasteryState(p_mastered=shift(params.p_init, prior_offset))


def decay(p_mastered: float, forget_per_day: float, elapsed_days: float) -> float:
    """P(L) after `elapsed_days` without practice."""
    return p_mastered * math.exp(-forget_per_day * max(elapsed_days, 0.0))


def mastery_at(params: BktParams, state: MasteryState, at: datetime) -> float:
    """P(L) at instant `at` (forgetting since the last attempt)."""
    if state.last_practiced_at is None:
        return state.p_mastered
    elapsed = (at - state.last_practiced_at).total_seconds() / SECONDS_PER_DAY
    return decay(state.p_mastered, params.forget_per_day, elapsed)


def _right(params: BktParams, kind: QuestionKind | str, effect: float) -> tuple[float, float]:
    """P(right | L) and P(right | U) of one attempt, moved by its `effect` in logits."""
    return shift(1.0 - params.slip, effect), shift(params.guess(kind), effect)


def p_correct_given(
    params: BktParams, p_mastered: float, kind: QuestionKind | str, *, effect: float = 0.0
) -> float:
    right_known, right_unknown = _right(params, kind, effect)
    return p_mastered * right_known + (1.0 - p_mastered) * right_unknown


def predict_correct(
    params: BktParams,
    state: MasteryState,
    at: datetime,
    kind: QuestionKind | str,
    *,
    effect: float = 0.0,
) -> float:
    """P(the next answer, at `at`, to a question of `kind` is right)."""
    return p_correct_given(params, mastery_at(params, state, at), kind, effect=effect)


def posterior(
    params: BktParams,
    p_mastered: float,
    is_correct: bool,
    kind: QuestionKind | str,
    *,
    effect: float = 0.0,
) -> float:
    """P(L | the answer), before learning."""
    if effect == 0.0:  # plain BKT, bit for bit as before the offsets
        wrong_known, right_unknown = params.slip, params.guess(kind)
    else:
        right_known, right_unknown = _right(params, kind, effect)
        wrong_known = 1.0 - right_known
    if is_correct:
        known, unknown = p_mastered * (1.0 - wrong_known), (1.0 - p_mastered) * right_unknown
    else:
        known, unknown = p_mastered * wrong_known, (1.0 - p_mastered) * (1.0 - right_unknown)
    total = known + unknown
    return known / total if total > 0.0 else p_mastered


def update(
    params: BktParams,
    state: MasteryState,
    is_correct: bool,
    at: datetime,
    kind: QuestionKind | str,
    *,
    effect: float = 0.0,
) -> MasteryState:
    """The state after one more attempt at instant `at` (not before the last one: see
    `replay` for attempts that arrive out of order); `effect`: the student's plus the
    question's answer offset."""
    before = mastery_at(params, state, at)
    after_answer = posterior(params, before, is_correct, kind, effect=effect)
    learned = after_answer + (1.0 - after_answer) * params.p_learn
    return replace(
        state,
        p_mastered=min(max(learned, 0.0), 1.0),
        attempts_count=state.attempts_count + 1,
        correct_count=state.correct_count + int(is_correct),
        last_practiced_at=at,
    )


@dataclass(frozen=True, slots=True)
class Observation:
    attempt_id: uuid.UUID
    attempted_at: datetime
    is_correct: bool
    kind: QuestionKind | str
    effect: float = 0.0  # the student's plus the question's answer offset (logits)


def replay(
    params: BktParams, observations: Iterable[Observation], *, prior_offset: float = 0.0
) -> MasteryState:
    """The state from all of a student's attempts at a concept, in (time, id) order: what the
    server does when an attempt arrives older than the newest it holds (an offline device),
    so the result depends on the set of attempts, not on their order of arrival."""
    state = initial_state(params, prior_offset=prior_offset)
    for seen in sorted(observations, key=lambda o: (o.attempted_at, o.attempt_id)):
        state = update(
            params, state, seen.is_correct, seen.attempted_at, seen.kind, effect=seen.effect
        )
    return state


def confidence(p_mastered: float) -> float:
    """How sure the model is of its call (mastered or not): 1 minus the binary entropy of
    P(L) in bits — 0 at P(L) = 0.5, 1 at 0 or 1."""
    p = min(max(p_mastered, 1e-12), 1.0 - 1e-12)
    return 1.0 + p * math.log2(p) + (1.0 - p) * math.log2(1.0 - p)


__all__ = [
    "DEFAULT_PARAMS",
    "BktParams",
    "MasteryState",
    "Observation",
    "confidence",
    "decay",
    "initial_state",
    "mastery_at",
    "p_correct_given",
    "posterior",
    "predict_correct",
    "replay",
    "shift",
    "update",
]
