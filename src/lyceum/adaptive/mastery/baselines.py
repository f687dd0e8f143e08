"""The field's rules the mastery model is measured against, fitted on training attempts only
(pure NumPy/SciPy).

Both see, for each attempt, only the student's earlier attempts at the same concept (train
and test alike, like the model), ordered by time.

- Kolibri's m-of-n rule: "mastered" once 3 of the last 5 answers (or of all of them, with
  fewer than 5) are right. A rule says yes or no; to score it as a probability, each
  (mastered?, question kind) cell predicts the share of right answers among training
  attempts in that cell (Laplace-smoothed). Per kind because a rule-user who knows that MCQs
  can be guessed would do the same; it only helps the rule.
- Running accuracy: (a + right so far) / (a + b + attempts so far) per student and concept,
  with the Beta(a, b) prior chosen to minimise the training log-loss of exactly these
  predictions. Per kind as well (the prior and the counts of MCQs and numeric answers apart):
  again the stronger variant, since MCQs are right more often.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize  # type: ignore[import-untyped]

from lyceum.adaptive.mastery.sequences import BoolArray, FloatArray, IntArray

MASTERY_M, MASTERY_N = 3, 5
_EPS = 1e-6


def _ordered(key: IntArray, days: FloatArray) -> tuple[IntArray, BoolArray]:
    """The order by (key, time), and per ordered entry whether it starts a new key."""
    order = np.lexsort((np.arange(key.size), days, key))
    k = key[order]
    return order, np.r_[True, k[1:] != k[:-1]]


def _prefix_counts(
    key: IntArray, days: FloatArray, values: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per attempt: how many earlier attempts of its key, and the sum of their `values`."""
    order, starts = _ordered(key, days)
    v = values[order]
    group = np.cumsum(starts) - 1
    first_index = np.flatnonzero(starts)
    total = np.cumsum(v) - v  # exclusive cumulative sum
    before = total - total[first_index][group]
    position = np.arange(key.size) - first_index[group]
    n_out, s_out = np.empty(key.size), np.empty(key.size)
    n_out[order], s_out[order] = position, before
    return n_out, s_out


def recent_correct(
    key: IntArray, days: FloatArray, correct: BoolArray, window: int = MASTERY_N
) -> tuple[FloatArray, FloatArray]:
    """Per attempt: right answers among the previous `window` attempts of its key, and how
    many previous attempts there were (at most `window`)."""
    order, starts = _ordered(key, days)
    y = correct[order].astype(np.float64)
    group = np.cumsum(starts) - 1
    first_index = np.flatnonzero(starts)
    position = np.arange(key.size) - first_index[group]
    c = np.r_[0.0, np.cumsum(y)]  # c[i] = right answers among ordered entries < i
    i = np.arange(key.size)
    lo = np.maximum(i - window, first_index[group])
    right = c[i] - c[lo]
    seen = np.minimum(position, window).astype(np.float64)
    r_out, s_out = np.empty(key.size), np.empty(key.size)
    r_out[order], s_out[order] = right, seen
    return r_out, s_out


@dataclass(frozen=True, slots=True)
class Kolibri:
    """P(right) per (mastered?, numeric?) cell."""

    table: FloatArray  # [mastered, numeric]

    def predict(self, mastered: BoolArray, numeric: BoolArray) -> FloatArray:
        return np.asarray(self.table[mastered.astype(int), numeric.astype(int)], np.float64)


def kolibri_mastered(key: IntArray, days: FloatArray, correct: BoolArray) -> BoolArray:
    right, _ = recent_correct(key, days, correct)
    return right >= MASTERY_M


def fit_kolibri(
    mastered: BoolArray, numeric: BoolArray, correct: BoolArray, train: BoolArray
) -> Kolibri:
    table = np.empty((2, 2))
    for m in (0, 1):
        for k in (0, 1):
            cell = train & (mastered == bool(m)) & (numeric == bool(k))
            table[m, k] = (correct[cell].sum() + 1.0) / (cell.sum() + 2.0)
    return Kolibri(table)


@dataclass(frozen=True, slots=True)
class RunningAccuracy:
    """Beta(alpha, beta) prior per question kind (index 0 MCQ, 1 numeric)."""

    alpha: FloatArray
    beta: FloatArray

    def predict(self, numeric: BoolArray, seen: FloatArray, right: FloatArray) -> FloatArray:
        k = numeric.astype(int)
        return np.asarray(
            (self.alpha[k] + right) / (self.alpha[k] + self.beta[k] + seen), np.float64
        )


def running_counts(
    key: IntArray, days: FloatArray, correct: BoolArray, numeric: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Per attempt: earlier attempts of the same key and question kind, and how many right."""
    kind_key = key * 2 + numeric.astype(np.int64)
    return _prefix_counts(kind_key, days, correct.astype(np.float64))


def _log_loss(p: FloatArray, y: BoolArray) -> float:
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


def fit_running_accuracy(
    numeric: BoolArray, seen: FloatArray, right: FloatArray, correct: BoolArray, train: BoolArray
) -> RunningAccuracy:
    alpha, beta = np.empty(2), np.empty(2)
    for k in (0, 1):
        cell = train & (numeric == bool(k))
        s, r, y = seen[cell], right[cell], correct[cell]

        def loss(x: FloatArray, s: FloatArray = s, r: FloatArray = r, y: BoolArray = y) -> float:
            a, b = np.exp(x)
            return _log_loss((a + r) / (a + b + s), y)

        best = minimize(loss, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-4})
        alpha[k], beta[k] = np.exp(best.x)
    return RunningAccuracy(alpha, beta)


__all__ = [
    "MASTERY_M",
    "MASTERY_N",
    "Kolibri",
    "RunningAccuracy",
    "fit_kolibri",
    "fit_running_accuracy",
    "kolibri_mastered",
    "recent_correct",
    "running_counts",
]
