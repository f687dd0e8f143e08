"""Fitting BKT with forgetting per concept by EM (Baum-Welch), all concepts at once.

The E-step is `sequences.forward_backward` over every (student, concept) sequence. The
M-step:

- closed form for p_init (expected share known at the first attempt), slip (expected wrong
  answers among known states) and the guess rate of each question kind (expected right
  answers among unknown states of that kind): each is a one-parameter binomial, so clipping
  its maximiser to the bounds is the constrained maximum;
- numeric for p_learn and forget_per_day, which share each transition (the gap Δt differs
  per transition, so there is no closed form): one bounded L-BFGS-B (scipy) over every
  active concept's pair, the expected complete-data log-likelihood of the transitions being
  a sum of per-concept terms, with its analytic gradient.

Bounds (`BOUNDS`), for identifiability: BKT's likelihood has degenerate optima (Baker, Corbett
and Aleven 2008) — a "known" state that answers worse than the "unknown" one (guess >
1 - slip), or a model that explains improvement with huge guess rates and no learning. Guess
at most 0.35 (a four-option MCQ is 0.25; above that the question is giving the answer away),
slip at most 0.3 (a student who knows a concept is right at least 70 % of the time), p_learn
in [0.01, 0.5] (no one learns a concept for good from half an attempt), forget_per_day in
[0, 0.2] (a half-life of at least 3.5 days) and p_init in [0.01, 0.95].

Concept groups and sparse concepts: EM first fits one parameter set to all concepts pooled
(the population's), then each concept from it. A concept with fewer than `MIN_ATTEMPTS`
attempts or `MIN_STUDENTS` students is not fitted and gets the pooled set (DEFAULT_PARAMS
when even the pool is that small). Every fitted concept is shrunk toward the pooled set by
`PRIOR_WEIGHT` pseudo-observations per parameter (MAP-EM with Beta priors centred on it:
pseudo-answers for guess and slip, pseudo-first-attempts for p_init, pseudo-transitions for
p_learn and forgetting), so a question kind a concept barely uses, or a rate its data hardly
inform, stays near the population's value instead of drifting to a bound.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize  # type: ignore[import-untyped]

from lyceum.adaptive.mastery.bkt import DEFAULT_PARAMS, BktParams
from lyceum.adaptive.mastery.sequences import (
    FloatArray,
    Packed,
    ParamArrays,
    Posteriors,
    forward,
    forward_backward,
)

BOUNDS: dict[str, tuple[float, float]] = {
    "p_init": (0.01, 0.95),
    "p_learn": (0.01, 0.5),
    "forget_per_day": (0.0, 0.2),
    "guess_mcq": (0.001, 0.35),
    "guess_numeric": (0.001, 0.35),
    "slip": (0.001, 0.3),
}
MIN_ATTEMPTS = 100
MIN_STUDENTS = 10
PRIOR_WEIGHT = 5.0
MAX_ITERATIONS = 300
# A concept has converged when an EM step raises its log-likelihood by less than this per
# attempt.
TOLERANCE_PER_ATTEMPT = 1e-6
# L-BFGS-B iterations per M-step for (p_learn, forget_per_day): a partial M-step that still
# raises the expected log-likelihood from the warm start (generalised EM, which keeps EM's
# monotone ascent), ~5 times cheaper than solving it to the end on each EM iteration.
TRANSITION_STEPS = 8
# forget_per_day's lower bound inside the optimiser: log(1 - exp(-λΔt)) is -inf at λ = 0.
_FORGET_FLOOR = 1e-7
_TINY = 1e-300


@dataclass(frozen=True, slots=True)
class ConceptFit:
    params: BktParams
    attempts_used: int
    students_used: int
    log_likelihood: float
    iterations: int
    fitted: bool  # False: too little history, DEFAULT_PARAMS kept


def to_arrays(params: list[BktParams]) -> ParamArrays:
    def column(name: str) -> FloatArray:
        return np.array([getattr(p, name) for p in params], dtype=np.float64)

    return ParamArrays(*(column(name) for name in BOUNDS))


def from_arrays(arrays: ParamArrays, index: int) -> BktParams:
    return BktParams(*(float(getattr(arrays, name)[index]) for name in BOUNDS))


def clip(name: str, values: FloatArray) -> FloatArray:
    low, high = BOUNDS[name]
    return np.clip(values, low, high)


def _ratio(numerator: FloatArray, denominator: FloatArray, centre: FloatArray) -> FloatArray:
    """MAP estimate of a binomial rate with PRIOR_WEIGHT pseudo-observations at `centre`."""
    return (numerator + PRIOR_WEIGHT * centre) / (denominator + PRIOR_WEIGHT)


def closed_form(
    packed: Packed, post: Posteriors, n: int, d: ParamArrays
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    c, y, known = packed.concept, packed.correct, post.known
    unknown = 1.0 - known
    first = packed.previous < 0

    def total(weights: FloatArray, where: np.ndarray | None = None) -> FloatArray:
        if where is None:
            return np.asarray(np.bincount(c, weights, minlength=n), dtype=np.float64)
        return np.asarray(np.bincount(c[where], weights[where], minlength=n), dtype=np.float64)

    first_count = np.asarray(np.bincount(c[first], minlength=n), dtype=np.float64)
    p_init = _ratio(total(known, first), first_count, d.p_init)
    slip = _ratio(total(known * ~y), total(known), d.slip)
    mcq, num = ~packed.numeric, packed.numeric
    guess_mcq = _ratio(total(unknown * y, mcq), total(unknown, mcq), d.guess_mcq)
    guess_numeric = _ratio(total(unknown * y, num), total(unknown, num), d.guess_numeric)
    return (
        clip("p_init", p_init),
        clip("guess_mcq", guess_mcq),
        clip("guess_numeric", guess_numeric),
        clip("slip", slip),
    )


def transitions(
    packed: Packed, post: Posteriors, params: ParamArrays, active: np.ndarray, centre: ParamArrays
) -> tuple[FloatArray, FloatArray]:
    """Maximise the expected transition log-likelihood over (p_learn, forget_per_day) of the
    active concepts, from their current values."""
    ids = np.flatnonzero(active)
    m = ids.size
    slot = np.full(active.size, -1, dtype=np.int64)
    slot[ids] = np.arange(m)
    rows = (packed.previous >= 0) & active[packed.concept]
    a = slot[packed.concept[rows]]
    gap = packed.gap_days[rows]
    ll_, lu = post.to_known_from_known[rows], post.to_unknown_from_known[rows]
    ul, uu = post.to_known_from_unknown[rows], post.to_unknown_from_unknown[rows]
    # Terms linear in log(p_learn) or in λ sum per concept once, outside the optimiser: every
    # transition that ends known pays exp(-λΔt), every U -> L one log(p_learn).
    learned_total = np.bincount(a, ul, minlength=m)
    exposure = np.bincount(a, gap * (ll_ + ul), minlength=m)
    # The rest only where a transition can end unknown.
    live = lu + uu > 1e-12
    a, gap, lu, uu = a[live], gap[live], lu[live], uu[live]
    w, p0 = PRIOR_WEIGHT, centre.p_learn[ids]
    e0 = np.exp(-centre.forget_per_day[ids])

    def per_concept(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Each concept's expected log-likelihood (with its prior) and its gradient."""
        learn, lam = x[:m], x[m:]
        p, rate = learn[a], lam[a]
        decayed = np.expm1(-rate * gap)
        e = 1.0 + decayed
        gone = np.maximum(-decayed, _TINY)
        not_learned = 1.0 - p * e
        q = lu * np.log(gone) + uu * np.log(not_learned)
        d_p = -uu * e / not_learned
        d_lam = gap * e * (lu / gone + uu * p / not_learned)
        # Pseudo-transitions at the defaults: w first attempts' worth of learning at Δt = 0
        # and w known-for-a-day spells.
        gone0 = np.maximum(-np.expm1(-lam), _TINY)
        prior = w * (p0 * np.log(learn) + (1 - p0) * np.log1p(-learn))
        prior += w * (-e0 * lam + (1 - e0) * np.log(gone0))
        value = np.bincount(a, q, minlength=m) - lam * exposure + learned_total * np.log(learn)
        grad_learn = np.bincount(a, d_p, minlength=m) + learned_total / learn
        grad_learn = grad_learn + w * (p0 / learn - (1 - p0) / (1 - learn))
        grad_lam = (
            np.bincount(a, d_lam, minlength=m)
            - exposure
            + w * (-e0 + (1 - e0) * np.exp(-lam) / gone0)
        )
        return value + prior, grad_learn, np.asarray(grad_lam, dtype=np.float64)

    def negative(x: FloatArray) -> tuple[float, FloatArray]:
        value, grad_learn, grad_lam = per_concept(x)
        return -float(value.sum()), -np.concatenate([grad_learn, grad_lam])

    low_l, high_l = BOUNDS["p_learn"]
    high_f = BOUNDS["forget_per_day"][1]
    x0 = np.concatenate(
        [
            np.clip(params.p_learn[ids], low_l, high_l),
            np.clip(params.forget_per_day[ids], _FORGET_FLOOR, high_f),
        ]
    )
    bounds = [(low_l, high_l)] * m + [(_FORGET_FLOOR, high_f)] * m
    result = minimize(negative, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": TRANSITION_STEPS})  # fmt: skip
    # The joint optimiser raises the sum; a concept whose own term went down keeps its values,
    # so every concept's EM step is an ascent step.
    better = per_concept(result.x)[0] >= per_concept(x0)[0]
    x = np.where(np.r_[better, better], result.x, x0)
    learn, lam = params.p_learn.copy(), params.forget_per_day.copy()
    learn[ids], lam[ids] = x[:m], x[m:]
    return learn, lam


def _log_likelihood(packed: Packed, params: ParamArrays, n: int) -> FloatArray:
    fw = forward(packed, params)
    return np.asarray(np.bincount(packed.concept, np.log(fw.likelihood), minlength=n), np.float64)


def logit(p: FloatArray) -> FloatArray:
    return np.log(p) - np.log1p(-p)


def sigmoid(z: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-z))


def _em(
    packed: Packed,
    n: int,
    centre: ParamArrays,
    fitted: np.ndarray,
    max_iterations: int,
    tolerance_per_attempt: float,
) -> tuple[ParamArrays, np.ndarray]:
    """MAP-EM from `centre` for the concepts marked `fitted`; the others keep `centre`."""
    attempts = np.bincount(packed.concept, minlength=n)
    params = centre
    active = fitted.copy()
    iterations = np.zeros(n, dtype=np.int64)
    previous = np.full(n, -np.inf)
    tolerance = tolerance_per_attempt * np.maximum(attempts, 1)
    for _ in range(max_iterations):
        if not active.any():
            break
        fw, post, _ = forward_backward(packed, params)
        ll = np.bincount(packed.concept, np.log(fw.likelihood), minlength=n)
        active &= ~(ll - previous < tolerance)
        previous = ll
        if not active.any():
            break
        iterations[active] += 1
        p_init, guess_mcq, guess_numeric, slip = closed_form(packed, post, n, centre)
        learn, forget = transitions(packed, post, params, active, centre)

        new = ParamArrays(p_init, learn, forget, guess_mcq, guess_numeric, slip)
        params = merge(active, new, params)
    return params, iterations


def merge(active: np.ndarray, new: ParamArrays, old: ParamArrays) -> ParamArrays:
    """`new` for the active concepts, `old` for the others."""
    return ParamArrays(
        *(np.where(active, getattr(new, name), getattr(old, name)) for name in BOUNDS)
    )


def broadcast(params: ParamArrays, n: int) -> ParamArrays:
    return ParamArrays(*(np.full(n, float(getattr(params, name)[0])) for name in BOUNDS))


def fit_pooled(
    packed: Packed,
    *,
    max_iterations: int = MAX_ITERATIONS,
    tolerance_per_attempt: float = TOLERANCE_PER_ATTEMPT,
) -> BktParams:
    """One parameter set for all concepts together (the population's), shrunk toward
    DEFAULT_PARAMS; DEFAULT_PARAMS itself when even the pool is too small."""
    pooled = replace(
        packed,
        concept=np.zeros_like(packed.concept),
        sequence_concept=np.zeros_like(packed.sequence_concept),
    )
    enough = np.array([packed.size >= MIN_ATTEMPTS and packed.sequence_key.size >= MIN_STUDENTS])
    params, _ = _em(pooled, 1, to_arrays([DEFAULT_PARAMS]), enough, max_iterations,
                    tolerance_per_attempt)  # fmt: skip
    return from_arrays(params, 0)


def fit_packed(
    packed: Packed,
    n_concepts: int,
    *,
    max_iterations: int = MAX_ITERATIONS,
    tolerance_per_attempt: float = TOLERANCE_PER_ATTEMPT,
) -> list[ConceptFit]:
    """EM per concept over `packed` (concept indices 0..n_concepts - 1): first the pooled
    fit over all concepts, then each concept with enough history from it, shrunk toward it;
    a concept with too little history gets the pooled fit."""
    n = n_concepts
    attempts = np.bincount(packed.concept, minlength=n)
    students = np.bincount(packed.sequence_concept, minlength=n)
    fitted = (attempts >= MIN_ATTEMPTS) & (students >= MIN_STUDENTS)
    pooled = fit_pooled(packed, max_iterations=max_iterations,
                        tolerance_per_attempt=tolerance_per_attempt)  # fmt: skip
    centre = broadcast(to_arrays([pooled]), n)
    params, iterations = _em(packed, n, centre, fitted, max_iterations, tolerance_per_attempt)
    final = _log_likelihood(packed, params, n)
    return results(params, attempts, students, final, iterations, fitted)


def results(
    params: ParamArrays,
    attempts: np.ndarray,
    students: np.ndarray,
    final: FloatArray,
    iterations: np.ndarray,
    fitted: np.ndarray,
) -> list[ConceptFit]:
    return [
        ConceptFit(
            params=from_arrays(params, c),
            attempts_used=int(attempts[c]),
            students_used=int(students[c]),
            log_likelihood=float(final[c]),
            iterations=int(iterations[c]),
            fitted=bool(fitted[c]),
        )
        for c in range(attempts.size)
    ]


__all__ = [
    "BOUNDS",
    "MIN_ATTEMPTS",
    "MIN_STUDENTS",
    "PRIOR_WEIGHT",
    "ConceptFit",
    "broadcast",
    "clip",
    "closed_form",
    "fit_packed",
    "fit_pooled",
    "from_arrays",
    "logit",
    "merge",
    "results",
    "sigmoid",
    "to_arrays",
    "transitions",
]
