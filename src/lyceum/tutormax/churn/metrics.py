"""How good a churn forecast is: ranking (AUC), accuracy of the probabilities (Brier score)
and calibration (a table of predicted against observed, and its expected calibration error).

- AUC: the chance a tutor who churned was ranked above one who did not (0.5 is a coin, 1.0
  perfect). Only the order matters.
- Brier score: the mean squared difference between the probability and what happened (0/1);
  lower is better. It rewards right-sized probabilities, not only the order.
- Calibration table: tutors in ten groups by predicted probability (cut at its deciles); in each,
  the mean prediction beside the share that churned. The expected calibration error (ECE)
  is the groups' absolute gaps weighted by size: 0.01 means predictions are off by one
  percentage point on average.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score  # type: ignore[import-untyped]

from lyceum.tutormax.churn.types import BoolArray, FloatArray

CALIBRATION_BINS = 10


@dataclass(frozen=True)
class CalibrationBin:
    count: int
    predicted_low: float
    predicted_high: float
    mean_predicted: float
    observed: float


@dataclass(frozen=True)
class Scores:
    """One forecaster at one horizon on one set of outcomes."""

    count: int
    churned: int
    auc: float
    brier: float
    ece: float
    mean_predicted: float
    observed: float
    calibration: tuple[CalibrationBin, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def auc(predicted: FloatArray, outcome: BoolArray) -> float:
    """Area under the ROC curve (ties count half); NaN when only one class is present."""
    if outcome.all() or not outcome.any():
        return float("nan")
    return float(roc_auc_score(outcome, predicted))


def brier(predicted: FloatArray, outcome: BoolArray) -> float:
    return float(brier_score_loss(outcome, np.clip(predicted, 0.0, 1.0)))


def calibration_table(
    predicted: FloatArray, outcome: BoolArray, bins: int = CALIBRATION_BINS
) -> tuple[CalibrationBin, ...]:
    """Groups of about equal size by predicted probability, cut at its deciles; equal
    predictions always share a group (so a constant forecast is one group, not ten)."""
    edges = np.quantile(predicted, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    group_of = np.searchsorted(np.unique(edges), predicted, side="right")
    groups = [np.flatnonzero(group_of == g) for g in np.unique(group_of)]
    return tuple(
        CalibrationBin(
            count=int(group.size),
            predicted_low=float(predicted[group].min()),
            predicted_high=float(predicted[group].max()),
            mean_predicted=float(predicted[group].mean()),
            observed=float(outcome[group].mean()),
        )
        for group in groups
    )


def expected_calibration_error(table: tuple[CalibrationBin, ...]) -> float:
    total = sum(row.count for row in table)
    if total == 0:
        return float("nan")
    return float(sum(row.count * abs(row.mean_predicted - row.observed) for row in table) / total)


def score(predicted: FloatArray, outcome: BoolArray) -> Scores:
    """AUC, Brier, calibration table and ECE of `predicted` against `outcome`."""
    predicted = np.asarray(predicted, dtype=np.float64)
    outcome = np.asarray(outcome, dtype=np.bool_)
    if predicted.shape != outcome.shape or predicted.size == 0:
        raise ValueError("predictions and outcomes must be non-empty and of equal length")
    table = calibration_table(predicted, outcome)
    return Scores(
        count=int(predicted.size),
        churned=int(outcome.sum()),
        auc=auc(predicted, outcome),
        brier=brier(predicted, outcome),
        ece=expected_calibration_error(table),
        mean_predicted=float(predicted.mean()),
        observed=float(outcome.mean()),
        calibration=table,
    )


__all__ = [
    "CALIBRATION_BINS",
    "CalibrationBin",
    "Scores",
    "auc",
    "brier",
    "calibration_table",
    "expected_calibration_error",
    "score",
]
