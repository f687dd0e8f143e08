"""Individualised BKT: the per-concept model plus what the attempts say about students and
questions across concepts (pure NumPy).

Plain per-concept BKT treats every student and every question of a concept alike. In the
synthetic world (and in classrooms) a student who knows more of one concept tends to know
more of the next, and a concept's questions differ in difficulty. Two sets of offsets, in
logits, fitted jointly with the concepts' parameters by the same EM:

- a student's prior offset: P(L) before their first attempt at a concept is
  sigmoid(logit(p_init) + prior_offset[student]) (individualised prior knowledge, as in
  Pardos and Heffernan's KT-PPS and Yudelson et al.'s individualised BKT);
- a question's emission offset: both states' P(right) move by question_offset in logits (a
  hard question is missed more often, known or not; per-item parameters as in KT-IDEM).

There is deliberately no per-student emission ("answer") offset. The product reads P(L)
(mastery map, planner), so a student's ability belongs in P(L), carried by the prior offset.
With an answer offset per student as well, the default world's test log-loss was a little
better (0.5949 against 0.6029 without it) but that offset absorbed the ability P(L) should
carry: the final P(L)'s correlation with the generator's true mastery fell to 0.48, below
plain BKT's 0.63, where this model reaches 0.76 (`lyceum adaptive evaluate --scale default`,
seed 0).

Each offset has a Normal(0, sd²) prior (ridge), so a student or question with few attempts
stays near zero, and one new to the model is exactly plain BKT. The M-step for the offsets
and for the concepts' guess and slip (no longer closed-form once offsets shift them) is one
Newton step per block per EM iteration (generalised EM); p_learn and forgetting use the
plain model's bounded step unchanged, and every bound of `fit.BOUNDS` applies to the
concepts' parameters (those of an average student on an average question).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lyceum.adaptive.mastery import fit
from lyceum.adaptive.mastery.fit import ConceptFit, logit, sigmoid
from lyceum.adaptive.mastery.sequences import (
    FloatArray,
    Forward,
    IntArray,
    Packed,
    ParamArrays,
    Posteriors,
    forward,
    forward_backward,
)

PRIOR_SD = 1.0  # students' prior offsets
EFFECT_SD = 0.5  # questions' emission offsets
# EM iterations: the offsets couple all concepts and converge slowly; letting EM run up to
# 300 iterations changed the default world's test log-loss by 0.0004 (0.6029 -> 0.6026) for
# 26 s of EM instead of 7 s there (a time cap, not a tuned choice). `lyceum adaptive fit`
# and the evaluation both use it.
ITERATIONS = 60


@dataclass(frozen=True)
class IndividualFit:
    concepts: list[ConceptFit]
    prior_offset: FloatArray  # per student
    question_offset: FloatArray  # per question

    def forward(self, packed: Packed, student: IntArray, question: IntArray) -> Forward:
        """The online pass over every packed entry (`student` per sequence rank, `question`
        per entry); students and questions the fit never saw get no offset."""
        params = fit.to_arrays([c.params for c in self.concepts])
        prior = _padded(self.prior_offset, student)
        effect = _padded(self.question_offset, question)
        init = sigmoid(logit(params.p_init[packed.sequence_concept]) + prior)
        return forward(packed, params, init=init, offset=effect)

    def predict(self, packed: Packed, student: IntArray, question: IntArray) -> FloatArray:
        """P(right) of every packed entry, online (see `forward`)."""
        return self.forward(packed, student, question).right


def _padded(values: FloatArray, index: IntArray) -> FloatArray:
    out = np.zeros(index.size)
    seen = index < values.size
    out[seen] = values[index[seen]]
    return out


def _newton(
    index: IntArray, residual: FloatArray, curvature: FloatArray, current: FloatArray, sd: float
) -> FloatArray:
    """One Newton step for offsets with a Normal(0, sd²) prior."""
    n = current.size
    grad = np.bincount(index, residual, minlength=n) - current / sd**2
    hess = np.bincount(index, curvature, minlength=n) + 1.0 / sd**2
    return current + grad / hess


def _base_step(
    index: IntArray, residual: FloatArray, curvature: FloatArray, rate: FloatArray,
    centre: FloatArray,
) -> FloatArray:  # fmt: skip
    """One Newton step for per-concept rates in logits, with PRIOR_WEIGHT pseudo-answers at
    `centre`; returns the new rates."""
    w, n = fit.PRIOR_WEIGHT, rate.size
    grad = np.bincount(index, residual, minlength=n) + w * (centre - rate)
    hess = np.bincount(index, curvature, minlength=n) + w * rate * (1.0 - rate)
    return sigmoid(logit(rate) + grad / hess)


@dataclass
class _Offsets:
    prior: FloatArray
    question: FloatArray


def _m_step(
    packed: Packed,
    post: Posteriors,
    params: ParamArrays,
    centre: ParamArrays,
    offsets: _Offsets,
    student: IntArray,
    question: IntArray,
    active: np.ndarray,
) -> ParamArrays:
    c, y, numeric = packed.concept, packed.correct.astype(np.float64), packed.numeric
    known = post.known
    unknown = 1.0 - known

    # Prior offsets and p_init, from the expected state at each first attempt (step 0).
    sc = packed.sequence_concept
    first = known[: sc.size]
    p = sigmoid(logit(params.p_init[sc]) + offsets.prior[student])
    offsets.prior = _newton(student, first - p, p * (1 - p), offsets.prior, PRIOR_SD)
    p = sigmoid(logit(params.p_init[sc]) + offsets.prior[student])
    p_init = _base_step(sc, first - p, p * (1 - p), params.p_init, centre.p_init)

    right_known = 1.0 - params.slip[c]
    right_unknown = np.where(numeric, params.guess_numeric[c], params.guess_mcq[c])

    def residuals(effect: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        pk = sigmoid(logit(right_known) + effect)
        pu = sigmoid(logit(right_unknown) + effect)
        return known * (y - pk), known * pk * (1 - pk), unknown * (y - pu), unknown * pu * (1 - pu)

    rk, hk, ru, hu = residuals(offsets.question[question])
    offsets.question = _newton(question, rk + ru, hk + hu, offsets.question, EFFECT_SD)
    rk, hk, ru, hu = residuals(offsets.question[question])
    slip = 1.0 - _base_step(c, rk, hk, 1.0 - params.slip, 1.0 - centre.slip)
    mcq = ~numeric
    guess_mcq = _base_step(c[mcq], ru[mcq], hu[mcq], params.guess_mcq, centre.guess_mcq)
    guess_numeric = _base_step(c[numeric], ru[numeric], hu[numeric], params.guess_numeric,
                               centre.guess_numeric)  # fmt: skip
    learn, forget = fit.transitions(packed, post, params, active, centre)
    new = ParamArrays(
        p_init=fit.clip("p_init", p_init),
        p_learn=learn,
        forget_per_day=forget,
        guess_mcq=fit.clip("guess_mcq", guess_mcq),
        guess_numeric=fit.clip("guess_numeric", guess_numeric),
        slip=fit.clip("slip", slip),
    )
    return fit.merge(active, new, params)


def fit_individual(
    packed: Packed,
    n_concepts: int,
    student: IntArray,
    question: IntArray,
    *,
    max_iterations: int = fit.MAX_ITERATIONS,
    tolerance_per_attempt: float = fit.TOLERANCE_PER_ATTEMPT,
) -> IndividualFit:
    """`student`: per sequence rank; `question`: per packed entry (indices from 0). EM runs
    until the whole log-likelihood gains less than the tolerance per attempt (the offsets tie
    the concepts together, so they converge together)."""
    n = n_concepts
    attempts = np.bincount(packed.concept, minlength=n)
    students = np.bincount(packed.sequence_concept, minlength=n)
    fitted = (attempts >= fit.MIN_ATTEMPTS) & (students >= fit.MIN_STUDENTS)
    pooled = fit.fit_pooled(packed)
    centre = fit.broadcast(fit.to_arrays([pooled]), n)
    params = centre
    offsets = _Offsets(
        prior=np.zeros(int(student.max()) + 1),
        question=np.zeros(int(question.max()) + 1),
    )
    iterations = np.zeros(n, dtype=np.int64)
    previous = -np.inf
    for _ in range(max_iterations):
        init = sigmoid(logit(params.p_init[packed.sequence_concept]) + offsets.prior[student])
        effect = offsets.question[question]
        fw, post, _ = forward_backward(packed, params, init, effect)
        ll = float(np.log(fw.likelihood).sum())
        if ll - previous < tolerance_per_attempt * packed.size:
            break
        previous = ll
        iterations[fitted] += 1
        params = _m_step(packed, post, params, centre, offsets, student, question, fitted)
    init = sigmoid(logit(params.p_init[packed.sequence_concept]) + offsets.prior[student])
    effect = offsets.question[question]
    final = forward(packed, params, init=init, offset=effect)
    per_concept = np.asarray(
        np.bincount(packed.concept, np.log(final.likelihood), minlength=n), np.float64
    )
    return IndividualFit(
        concepts=fit.results(params, attempts, students, per_concept, iterations, fitted),
        prior_offset=offsets.prior,
        question_offset=offsets.question,
    )


__all__ = ["EFFECT_SD", "ITERATIONS", "PRIOR_SD", "IndividualFit", "fit_individual"]
