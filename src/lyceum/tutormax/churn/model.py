"""The hazard model: a logistic discrete-time hazard with sign constraints.

For a tutor with features x in interval k after the snapshot (`survival.py`),

    logit h_k(x) = b_k + sum_j w_j z_j,    z_j = (t_j(x_j) - mean_j) / scale_j,

where t_j is the feature's transform (a logarithm for heavy-tailed ones, else none), missing
values take the training median, and mean and scale are the training rows'. `b_k` is the
baseline hazard of interval k (its shape over the 90 days); `w` is shared by all intervals,
so a tutor's risk moves the whole curve. Weights minimise the mean log-loss plus a small
ridge penalty, with each weight's sign fixed where the field says which way a signal
points (`DIRECTIONS`: more reschedules can only raise the risk), so the fitted model never
explains a tutor's risk with a reason pointing the wrong way.

Why not gradient-boosted trees: measured on a backtest that ends before the evaluation's
holdout (train on the history before 2026-05-04, score the 13 weeks after; default scale,
seed 42), LightGBM on the same person-period rows reached a 30-day AUC of 0.74-0.75
whatever its size and constraints, this model 0.77, the generator's true hazard 0.79; trees
boosted on top of this model (its logits as the starting score) lowered it. A couple of
hundred churners are too few for trees to assemble a risk that is, as in the field,
roughly log-linear in many weak signals. Leaving the signs free gained nothing there
(0.776) and lets collinear signals take opposite signs, which reads as nonsense ("more
sessions raised the risk"). Each feature's contribution is exact: w_j z_j log-odds, the
same for every interval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize  # type: ignore[import-untyped]

from lyceum.tutormax.churn.features import FEATURE_NAMES
from lyceum.tutormax.churn.survival import DAYS_AHEAD, INTERVAL_EDGES, INTERVALS
from lyceum.tutormax.churn.types import FloatArray

METHOD = "discrete-time logistic hazard, sign-constrained (8 intervals to 90 days)"
# Ridge penalty on the standardised weights, per training row's mean log-loss.
PENALTY = 1e-4
# Heavy-tailed features enter through their logarithm.
LOG_FEATURES = frozenset({"response_minutes_7d", "response_minutes_30d", "tenure_days"})
# Which way each feature may push the hazard (+1: more of it, more risk; -1: less risk;
# absent: either way).
DIRECTIONS: dict[str, int] = {
    "tutor_reschedule_rate_7d": 1, "tutor_reschedule_rate_30d": 1,
    "tutor_reschedule_rate_90d": 1, "tutor_no_show_rate_90d": 1, "tutor_no_shows_30d": 1,
    "tutor_cancellation_rate_30d": 1, "low_rating_share_30d": 1, "low_rating_share_90d": 1,
    "average_rating_90d": -1, "engagement_score_30d": -1, "objectives_met_share_30d": -1,
    "first_session_rebook_rate_90d": -1, "logins_per_day_7d": -1, "logins_per_day_30d": -1,
    "login_trend": -1, "login_trend_7d": -1, "days_since_last_login": 1,
    "response_minutes_7d": 1, "response_minutes_30d": 1, "minutes_late_90d": 1,
    "minutes_short_7d": 1, "minutes_short_30d": 1, "session_trend": -1,
    "session_trend_7d": -1, "days_since_last_session": 1, "availability_decreases_30d": 1,
    "profile_updates_90d": -1, "trainings_90d": -1, "new_tutor": 1, "tenure_days": -1,
}  # fmt: skip
ARTIFACT_FORMAT = "lyceum.tutormax.churn.logistic-hazard/1"


@dataclass(frozen=True)
class HazardModel:
    """A fitted hazard model: everything needed to predict, as plain numbers."""

    features: tuple[str, ...]
    medians: FloatArray  # of the transformed features, for missing values
    means: FloatArray
    scales: FloatArray
    weights: FloatArray
    interval_intercepts: FloatArray  # b_k, one per interval
    training: dict[str, Any] = field(default_factory=dict)

    def standardised(self, frame: pd.DataFrame) -> FloatArray:
        """z: transformed, missing values filled, centred and scaled (rows of `frame`)."""
        values = _transformed(frame, self.features)
        values = np.where(np.isnan(values), self.medians, values)
        return np.asarray((values - self.means) / self.scales, dtype=np.float64)

    def contributions(self, frame: pd.DataFrame) -> FloatArray:
        """(n, features) each feature's exact contribution to every interval's log-odds,
        measured from a tutor whose every feature is the training average."""
        return self.standardised(frame) * self.weights

    def risk_shift(self, frame: pd.DataFrame) -> FloatArray:
        """The sum of the contributions: how far the tutor's log-odds sit from average."""
        return np.asarray(self.contributions(frame).sum(axis=1), dtype=np.float64)

    def hazards_for_shift(self, shift: FloatArray) -> FloatArray:
        """(n, INTERVALS) interval hazards for given log-odds shifts."""
        logits = np.asarray(shift)[:, None] + self.interval_intercepts[None, :]
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float64)

    def hazards(self, frame: pd.DataFrame) -> FloatArray:
        return self.hazards_for_shift(self.risk_shift(frame))

    def to_text(self) -> str:
        return json.dumps(
            {
                "format": ARTIFACT_FORMAT,
                "features": list(self.features),
                "log_features": sorted(LOG_FEATURES & set(self.features)),
                "medians": self.medians.tolist(),
                "means": self.means.tolist(),
                "scales": self.scales.tolist(),
                "weights": self.weights.tolist(),
                "interval_edges": list(INTERVAL_EDGES),
                "interval_intercepts": self.interval_intercepts.tolist(),
                "training": self.training,
            },
            sort_keys=True,
        )

    @classmethod
    def from_text(cls, text: str) -> HazardModel:
        data = json.loads(text)
        if data.get("format") != ARTIFACT_FORMAT or tuple(data["features"]) != FEATURE_NAMES:
            raise ValueError(
                "the stored model was made by another version of the churn code (other "
                "features or format); train a new one with `lyceum tutormax train`"
            )
        return cls(
            features=tuple(data["features"]),
            medians=np.asarray(data["medians"], dtype=np.float64),
            means=np.asarray(data["means"], dtype=np.float64),
            scales=np.asarray(data["scales"], dtype=np.float64),
            weights=np.asarray(data["weights"], dtype=np.float64),
            interval_intercepts=np.asarray(data["interval_intercepts"], dtype=np.float64),
            training=dict(data.get("training", {})),
        )

    def weights_by_feature(self) -> dict[str, float]:
        return {name: float(w) for name, w in zip(self.features, self.weights, strict=True)}


def _transformed(frame: pd.DataFrame, features: tuple[str, ...]) -> FloatArray:
    values = frame[list(features)].to_numpy(dtype=np.float64, na_value=np.nan).copy()
    for index, name in enumerate(features):
        if name in LOG_FEATURES:
            column = values[:, index]
            values[:, index] = np.log(np.where(column > 0, column, np.nan) + 1.0)
    return values


def _objective(
    params: FloatArray, z: FloatArray, interval: FloatArray, target: FloatArray, penalty: float
) -> tuple[float, FloatArray]:
    """Mean log-loss + penalty/2 |w|^2, and its gradient (w then b)."""
    features = z.shape[1]
    weights, intercepts = params[:features], params[features:]
    logits = z @ weights + intercepts[interval.astype(np.int64)]
    # log(1 + e^x) - y x, written to stay finite for large |x|.
    loss = np.logaddexp(0.0, logits) - target * logits
    residual = 1.0 / (1.0 + np.exp(-logits)) - target
    rows = float(z.shape[0])
    value = float(loss.sum() / rows + 0.5 * penalty * weights @ weights)
    gradient_w = z.T @ residual / rows + penalty * weights
    gradient_b = np.bincount(interval.astype(np.int64), weights=residual, minlength=INTERVALS)
    return value, np.concatenate([gradient_w, gradient_b / rows])


def _bounds(direction: int) -> tuple[float | None, float | None]:
    """A weight's allowed range: >= 0 for risk-raising signals, <= 0 for protective ones."""
    if direction > 0:
        return (0.0, None)
    if direction < 0:
        return (None, 0.0)
    return (None, None)


def fit_hazard_model(
    periods: pd.DataFrame, targets: pd.Series, penalty: float = PENALTY
) -> HazardModel:
    """Fit the hazard model on person-period rows (`survival.person_periods`)."""
    target = targets.to_numpy(dtype=np.float64)
    if target.sum() == 0:
        raise ValueError("no tutor churned in the training window: nothing to learn from")
    features = FEATURE_NAMES
    values = _transformed(periods, features)
    medians = np.nanmedian(values, axis=0)
    medians = np.where(np.isnan(medians), 0.0, medians)
    values = np.where(np.isnan(values), medians, values)
    means = values.mean(axis=0)
    scales = values.std(axis=0)
    scales = np.where(scales > 1e-9, scales, 1.0)
    z = (values - means) / scales
    interval = np.searchsorted(INTERVAL_EDGES, periods[DAYS_AHEAD].to_numpy(), side="right") - 1
    # Start from each interval's observed hazard, weights at zero.
    rate = np.bincount(interval, weights=target, minlength=INTERVALS) / np.maximum(
        np.bincount(interval, minlength=INTERVALS), 1
    )
    rate = np.clip(rate, 1e-6, 1 - 1e-6)
    start = np.concatenate([np.zeros(len(features)), np.log(rate / (1 - rate))])
    bounds = [_bounds(DIRECTIONS.get(name, 0)) for name in features]
    bounds += [(None, None)] * INTERVALS
    result = minimize(
        _objective,
        start,
        args=(z, interval.astype(np.float64), target, penalty),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8},
    )
    weights = np.asarray(result.x[: len(features)], dtype=np.float64)
    return HazardModel(
        features=features,
        medians=medians,
        means=means,
        scales=scales,
        weights=weights,
        interval_intercepts=np.asarray(result.x[len(features) :], dtype=np.float64),
        training={
            "penalty": penalty,
            "converged": bool(result.success),
            "iterations": int(result.nit),
            "log_loss": float(result.fun),
        },
    )


__all__ = [
    "ARTIFACT_FORMAT",
    "DIRECTIONS",
    "LOG_FEATURES",
    "METHOD",
    "PENALTY",
    "HazardModel",
    "fit_hazard_model",
]
