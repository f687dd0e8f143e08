"""The yardsticks the model is printed beside, fitted in the same run on the same training
snapshots:

- recency: a logistic regression on days since the last session and the session trend
  (sessions in the last 30 days against the 60 before), the rule of thumb "quiet lately";
- logins: a logistic regression on logins a day over the last 30 days alone (one signal,
  so its ranking is the logins ranking; the regression only sizes its probabilities).

Each is fitted once per horizon on snapshots whose horizon was fully seen before the
training cut-off, with the target "churned within h days".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline, make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

from lyceum.tutormax.churn.types import BoolArray, FloatArray

BASELINES: dict[str, tuple[str, ...]] = {
    "recency": ("days_since_last_session", "session_trend"),
    "logins": ("logins_per_day_30d",),
}
TITLES = {
    "recency": "recency (logistic: days since last session, session trend)",
    "logins": "logins only (logistic: logins a day over 30 days)",
}


@dataclass(frozen=True)
class Baseline:
    name: str
    columns: tuple[str, ...]
    pipeline: Pipeline

    def predict(self, features: pd.DataFrame) -> FloatArray:
        values = features[list(self.columns)].to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(self.pipeline.predict_proba(values)[:, 1], dtype=np.float64)


def fit_baseline(name: str, features: pd.DataFrame, churned: BoolArray) -> Baseline:
    """`features`: training snapshots (whose horizon was observed); `churned`: within h."""
    columns = BASELINES[name]
    if churned.all() or not churned.any():
        raise ValueError(f"the {name} baseline needs both churners and stayers to fit")
    pipeline = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1000)
    )
    values = features[list(columns)].to_numpy(dtype=np.float64, na_value=np.nan)
    pipeline.fit(values, churned)
    return Baseline(name, columns, pipeline)


__all__ = ["BASELINES", "TITLES", "Baseline", "fit_baseline"]
