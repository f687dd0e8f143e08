"""Everything a prediction row holds, for many tutors at once: the three horizons from one
survival curve, the risk score and level, and the reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lyceum.tutormax.churn import explain, risk
from lyceum.tutormax.churn.model import HazardModel
from lyceum.tutormax.churn.survival import horizon_probabilities
from lyceum.tutormax.churn.types import FloatArray, IntArray
from lyceum.tutormax.enums import RiskLevel


@dataclass(frozen=True)
class Predictions:
    tutor_id: list[str]
    p7: FloatArray
    p30: FloatArray
    p90: FloatArray
    risk_score: IntArray
    risk_level: list[RiskLevel]
    factors: list[dict[str, dict[str, Any]]]

    def __len__(self) -> int:
        return len(self.tutor_id)


def reference_p90(model: HazardModel) -> float:
    """P90 of the typical tutor (every contribution zero)."""
    return risk.reference_p90(model.hazards_for_shift(np.zeros(1)))


def predict(model: HazardModel, features: pd.DataFrame) -> Predictions:
    """Predictions for the rows of `features` (one tutor each, one snapshot day). The
    medians in the reasons are those of these rows: the tutors scored that day."""
    contributions = model.contributions(features)
    hazards = model.hazards_for_shift(contributions.sum(axis=1))
    horizons = horizon_probabilities(hazards)
    reference = reference_p90(model)
    scores = risk.risk_scores(horizons[90], reference)
    values = features[list(model.features)].to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(all="ignore"):
        medians = (
            np.nanmedian(values, axis=0) if len(features) else np.full(values.shape[1], np.nan)
        )
    reasons = explain.factors(
        model.features, values, medians, risk.points(contributions, horizons[90], reference)
    )
    return Predictions(
        tutor_id=features["tutor_id"].astype(str).tolist(),
        p7=horizons[7],
        p30=horizons[30],
        p90=horizons[90],
        risk_score=scores,
        risk_level=risk.risk_levels(scores),
        factors=reasons,
    )


__all__ = ["Predictions", "predict", "reference_p90"]
