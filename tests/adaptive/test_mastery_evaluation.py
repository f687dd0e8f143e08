"""The honest evaluation (`mastery/evaluation.py`) at small scale: the served model (the
individualised BKT) and plain BKT against the field's rules on a time holdout, and the rules
fitted on training attempts only."""

from __future__ import annotations

import numpy as np
import pytest

from lyceum.adaptive.mastery import baselines
from lyceum.adaptive.mastery.evaluation import (
    SERVED_MODEL,
    Evaluation,
    attempt_arrays,
    evaluate,
)
from lyceum.adaptive.synthetic import simulate


@pytest.fixture(scope="module")
def small() -> Evaluation:
    return evaluate("small", seed=0)


def _by_name(e: Evaluation) -> dict[str, float]:
    return {s.name: s.log_loss for s in (*e.models, *e.baselines, e.truth)}


@pytest.mark.slow
def test_models_against_the_rules_at_small_scale(small: Evaluation) -> None:
    loss = _by_name(small)
    # The holdout is the last fifth of the window, and nothing is lost or counted twice.
    assert small.train_attempts + small.test_attempts == small.attempts
    assert 0.15 < small.test_attempts / small.attempts < 0.3
    # The served model (the individualised BKT, first) beats every baseline, the student's
    # running accuracy over all concepts (the best) included: +1.7 % in log-loss at seed 0
    # (0.5949 against 0.6051), far short of the 10 % target (the ceiling is 11.2 %).
    assert small.served.name == SERVED_MODEL == small.models[0].name
    assert loss[SERVED_MODEL] < min(b.log_loss for b in small.baselines)
    assert small.improvement(small.served) > 0.01
    # Plain per-concept BKT, kept as a row, beats Kolibri's rule and the running accuracy at
    # the concept, but not the student's running accuracy over all concepts (what the
    # offsets add).
    assert loss["bkt_forgetting"] < loss["kolibri_3_of_5"]
    assert loss["bkt_forgetting"] < loss["running_accuracy"]
    assert loss[SERVED_MODEL] < loss["bkt_forgetting"]
    # AUC agrees on the served model.
    auc = {s.name: s.auc for s in (*small.models, *small.baselines)}
    assert auc[SERVED_MODEL] > max(b.auc for b in small.baselines)
    # Nothing beats the generator's own probabilities, and the served model's final P(L)
    # tracks the true mastery better than plain BKT's (r 0.714 against 0.632 at seed 0): the
    # product reads P(L), which is why there is no per-student answer offset.
    assert loss["generator_truth"] < min(v for k, v in loss.items() if k != "generator_truth")
    assert small.final_mastery_correlation > small.plain_final_mastery_correlation + 0.04
    assert small.final_mastery_correlation > 0.65


def test_the_rules_are_fitted_on_training_attempts_only() -> None:
    """Rewriting every test answer changes no fitted number of either baseline (the
    predictions for test attempts still use earlier answers, as the model's do)."""
    history = simulate("small", 0, months=2)
    x = attempt_arrays(history)
    train = x.days < np.quantile(x.days, 0.8)
    flipped = np.where(train, x.correct, ~x.correct)

    def fitted(correct: np.ndarray) -> tuple[list[float], list[float]]:
        mastered = baselines.kolibri_mastered(x.key, x.days, correct)
        kolibri = baselines.fit_kolibri(mastered, x.numeric, correct, train)
        seen, right = baselines.running_counts(x.key, x.days, correct, x.numeric)
        running = baselines.fit_running_accuracy(x.numeric, seen, right, correct, train)
        return kolibri.table.ravel().tolist(), [*running.alpha, *running.beta]

    assert fitted(x.correct) == fitted(flipped)
    # The same fit with the training answers changed does move (the check can fail).
    changed = np.where(train & (x.days < np.quantile(x.days, 0.4)), ~x.correct, x.correct)
    assert fitted(changed) != fitted(x.correct)


def test_kolibri_rule_and_running_counts() -> None:
    """3 of the last 5 answers (or of all, with fewer), counted before each attempt."""
    key = np.zeros(8, dtype=np.int64)
    days = np.arange(8, dtype=np.float64)
    correct = np.array([1, 1, 0, 1, 0, 0, 1, 1], dtype=bool)
    mastered = baselines.kolibri_mastered(key, days, correct)
    # Before attempt i: right answers among attempts max(0, i - 5)..i - 1.
    assert mastered.tolist() == [False, False, False, False, True, True, False, False]
    seen, right = baselines.running_counts(key, days, correct, np.zeros(8, dtype=bool))
    assert seen.tolist() == list(range(8))
    assert right.tolist() == [0, 1, 2, 2, 3, 3, 3, 4]
