"""Fitting BKT with forgetting by EM (`mastery/fit.py`): the vectorised forward pass is the
online update, EM recovers the parameters of a world whose truth is BKT, the bounds hold on
data no BKT generated, and concepts with too little history keep the pooled fit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.mastery.bkt import DEFAULT_PARAMS, BktParams, Observation
from lyceum.adaptive.mastery.fit import BOUNDS, ConceptFit, fit_packed, fit_pooled, to_arrays
from lyceum.adaptive.mastery.individual import IndividualFit
from lyceum.adaptive.mastery.recovery import fit_world, recovery
from lyceum.adaptive.mastery.sequences import forward, pack
from lyceum.adaptive.synthetic.bkt_world import CONCEPTS, simulate_bkt

START = datetime(2025, 7, 1, tzinfo=UTC)


def test_forward_pass_is_repeated_update() -> None:
    """Predictions and final states from the vectorised pass equal `bkt.update`'s, attempt by
    attempt, for sequences of different lengths, concepts, kinds and gaps."""
    rng = np.random.default_rng(5)
    params = [
        BktParams(0.2, 0.15, 0.02, 0.25, 0.04, 0.08),
        BktParams(0.6, 0.05, 0.1, 0.3, 0.01, 0.2),
    ]
    n = 400
    key = rng.integers(0, 30, n)
    concept = key % 2
    seconds = rng.uniform(0, 60 * 86_400, n).round()
    correct = rng.random(n) < 0.6
    numeric = rng.random(n) < 0.4
    ids = [uuid.UUID(int=int(i)) for i in rng.permutation(n) + 1]
    # Ties in time, broken by id as `bkt.replay` breaks them.
    seconds[:20] = seconds[20:40]
    tiebreak = np.array([i.int for i in ids])
    packed = pack(key, concept, seconds / 86_400, correct, numeric, tiebreak=tiebreak)
    fw = forward(packed, to_arrays(params))
    predicted = np.empty(n)
    predicted[packed.source] = fw.right

    for k in np.unique(key):
        rows = sorted(np.flatnonzero(key == k), key=lambda i: (seconds[i], ids[i]))
        p = params[int(concept[rows[0]])]
        state = bkt.initial_state(p)
        observations = []
        for i in rows:
            at = START + timedelta(seconds=float(seconds[i]))
            kind = "numeric" if numeric[i] else "mcq"
            assert bkt.predict_correct(p, state, at, kind) == pytest.approx(predicted[i], abs=1e-9)
            state = bkt.update(p, state, bool(correct[i]), at, kind)
            observations.append(Observation(ids[i], at, bool(correct[i]), kind))
        replayed = bkt.replay(p, reversed(observations))
        assert replayed.p_mastered == pytest.approx(state.p_mastered, abs=1e-12)
        last = np.flatnonzero(packed.sequence_key == k)[0]
        entry = packed.offsets[len(rows) - 1] + last
        filtered = fw.filtered[entry]
        assert filtered + (1 - filtered) * p.p_learn == pytest.approx(state.p_mastered, abs=1e-9)


def test_individualised_forward_pass_is_repeated_update_with_offsets() -> None:
    """The served model: `IndividualFit`'s vectorised pass, with a prior offset per student and
    an answer offset per question, equals `bkt.update` called attempt by attempt with
    `initial_state(prior_offset=)` and `effect=` the question's offset; and
    `bkt.replay` with each observation's effect ends where the updates ended. Zero offsets
    change nothing (plain BKT)."""
    rng = np.random.default_rng(8)
    params = [
        BktParams(0.2, 0.15, 0.02, 0.25, 0.04, 0.08),
        BktParams(0.6, 0.05, 0.1, 0.3, 0.01, 0.2),
    ]
    n, students, questions = 500, 12, 9
    student = rng.integers(0, students, n)
    concept = rng.integers(0, 2, n)
    question = concept * questions + rng.integers(0, questions, n)  # a concept's own questions
    seconds = rng.uniform(0, 60 * 86_400, n).round()
    correct = rng.random(n) < 0.6
    numeric = rng.random(n) < 0.4
    ids = [uuid.UUID(int=int(i)) for i in rng.permutation(n) + 1]
    tiebreak = np.array([i.int for i in ids])
    prior = rng.normal(0, 1.0, students)
    question_effect = rng.normal(0, 0.6, 2 * questions)
    concepts = [ConceptFit(p, 0, 0, 0.0, 0, fitted=True) for p in params]
    model = IndividualFit(concepts, prior, question_effect)
    key = student * 2 + concept
    packed = pack(key, concept, seconds / 86_400, correct, numeric, tiebreak=tiebreak)
    fw = model.forward(packed, packed.sequence_key // 2, question[packed.source])
    predicted = np.empty(n)
    predicted[packed.source] = fw.right
    # The offsets matter here (else the check below could not fail).
    plain = np.empty(n)
    plain[packed.source] = forward(packed, to_arrays(params)).right
    assert np.abs(predicted - plain).max() > 0.05

    for k in np.unique(key):
        rows = sorted(np.flatnonzero(key == k), key=lambda i: (seconds[i], ids[i]))
        s, p = int(k // 2), params[int(k % 2)]
        state = bkt.initial_state(p, prior_offset=float(prior[s]))
        observations = []
        for i in rows:
            at = START + timedelta(seconds=float(seconds[i]))
            kind = "numeric" if numeric[i] else "mcq"
            effect = float(question_effect[question[i]])
            got = bkt.predict_correct(p, state, at, kind, effect=effect)
            assert got == pytest.approx(predicted[i], abs=1e-9)
            state = bkt.update(p, state, bool(correct[i]), at, kind, effect=effect)
            observations.append(Observation(ids[i], at, bool(correct[i]), kind, effect))
        replayed = bkt.replay(p, reversed(observations), prior_offset=float(prior[s]))
        assert replayed.p_mastered == pytest.approx(state.p_mastered, abs=1e-12)
        assert replayed.attempts_count == len(rows)

    # Zero offsets are plain BKT to the last bit.
    p, state = params[0], bkt.initial_state(params[0], prior_offset=0.0)
    assert state == bkt.initial_state(p)
    at = START + timedelta(days=3)
    for right in (True, False):
        assert bkt.update(p, state, right, at, "mcq", effect=0.0) == bkt.update(
            p, state, right, at, "mcq"
        )
    # A positive effect makes a right answer less informative (it was easier) and a prior
    # offset raises P(L) before any attempt.
    easy = bkt.posterior(p, 0.4, True, "mcq", effect=1.5)
    assert easy < bkt.posterior(p, 0.4, True, "mcq")
    assert bkt.initial_state(p, prior_offset=1.0).p_mastered > p.p_init


@pytest.mark.slow
def test_em_recovers_the_truth_of_a_bkt_world() -> None:
    """300 students (the default scale): guess, slip and learning rates within 0.05 of the
    truth for at least 90 % of concepts and 0.025 on average; and far closer than where EM
    started (the defaults)."""
    world = simulate_bkt("default", seed=3)
    fits = fit_world(world)
    assert all(f.fitted for f in fits)
    for name in ("guess_mcq", "guess_numeric", "slip", "p_learn"):
        fitted = np.array([getattr(f.params, name) for f in fits])
        true = np.array([getattr(t, name) for t in world.truth])
        error = np.abs(fitted - true)
        start = np.abs(getattr(DEFAULT_PARAMS, name) - true)
        assert np.mean(error <= 0.05) >= 0.9, name
        assert error.mean() <= 0.025, name
        assert error.mean() < 0.6 * start.mean(), name


def test_recovery_at_small_scale_within_stated_tolerance() -> None:
    """30 students (~180 attempts a concept): coarser, as stated in docs/adaptive.md: mean
    absolute error within 0.06 for guess, slip and learning rate."""
    report = recovery("small", seed=0)
    assert report.students == 30 and report.concepts_fitted >= 100
    for name in ("guess_mcq", "guess_numeric", "slip", "p_learn"):
        assert report.error(name).mean <= 0.06, name


def test_bounds_hold_on_data_no_bkt_generated() -> None:
    """Answers right 92 % of the time whatever the history: unbounded EM would call that a
    guess rate near 0.9 (Baker, Corbett and Aleven's degenerate model); the bounds stop it."""
    rng = np.random.default_rng(9)
    n = 6_000
    key = rng.integers(0, 400, n)
    concept = key % 4
    days = rng.uniform(0, 120, n)
    correct = rng.random(n) < 0.92
    numeric = rng.random(n) < 0.5
    fits = fit_packed(pack(key, concept, days, correct, numeric), 4)
    for f in fits:
        assert f.fitted
        for name, (low, high) in BOUNDS.items():
            assert low <= getattr(f.params, name) <= high, name
    assert max(f.params.guess_mcq for f in fits) == pytest.approx(BOUNDS["guess_mcq"][1])


def test_sparse_concepts_keep_the_pooled_fit() -> None:
    """Concept 3 has at most 40 attempts by 5 students (below MIN_ATTEMPTS and MIN_STUDENTS): it is
    not fitted and gets the pooled parameters of all concepts; the others are fitted."""
    world = simulate_bkt("small", seed=1)
    keep = world.concept < 3
    keep[np.flatnonzero((world.concept == 3) & (world.student < 5))[:40]] = True
    concept, student = world.concept[keep], world.student[keep]
    packed = pack(student * CONCEPTS + concept, concept, world.days[keep], world.correct[keep],
                  world.numeric[keep])  # fmt: skip
    fits = fit_packed(packed, 4)
    pooled = fit_pooled(packed)
    assert [f.fitted for f in fits] == [True, True, True, False]
    assert fits[3].params == pooled and fits[3].iterations == 0
    assert fits[3].attempts_used == int((concept == 3).sum()) > 20
    assert fits[3].students_used <= 5
    assert pooled != DEFAULT_PARAMS
    assert all(f.params != pooled for f in fits[:3])
    # With nothing to pool at all, the defaults.
    empty = pack(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool),
                 np.zeros(0, bool))  # fmt: skip
    assert fit_pooled(empty) == DEFAULT_PARAMS
