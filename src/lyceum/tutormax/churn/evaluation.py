"""The honest evaluation: a model trained on what was known at a cut-off, scored on the
weeks after it beside the baselines (fitted in the same run) and, for generated histories,
the generator's own hazard.

Held-out rows are snapshots on and after the cut-off (the training data ends there); each
horizon is scored on the snapshots whose outcome is known. The generator's hazard is
turned into a forecast the same way a model's would be: the hazard h of the snapshot day,
held for the horizon, P = 1 - (1 - h)^H. It knows the latent motivation and traits no
table holds, so its AUC is about the best a forecast made that day can do.

Targets (issue 14): beat both baselines on AUC and Brier at every horizon; a 30-day AUC of
at least 0.95 times the true hazard's; an expected calibration error under 0.03.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from lyceum.tutormax.churn.baselines import BASELINES, TITLES, fit_baseline
from lyceum.tutormax.churn.metrics import Scores, score
from lyceum.tutormax.churn.model import HazardModel
from lyceum.tutormax.churn.predict import predict
from lyceum.tutormax.churn.survival import HORIZONS, offsets
from lyceum.tutormax.churn.types import BoolArray, FloatArray
from lyceum.tutormax.enums import RiskLevel

MODEL = "model"
TRUTH = "true hazard"
AUC_SHARE_OF_TRUTH = 0.95
MAX_ECE = 0.03


@dataclass(frozen=True)
class Outcomes:
    """What happened after each held-out snapshot, per horizon: churned within it, and
    whether that is known (the horizon ended before what the data or the truth covers)."""

    churned: dict[int, BoolArray]
    known: dict[int, BoolArray]


@dataclass(frozen=True)
class Evaluation:
    as_of: str
    test_days: list[str]
    scores: dict[int, dict[str, Scores]]
    risk_levels: list[dict[str, Any]]
    targets: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "test_days": self.test_days,
            "forecasters": {MODEL: "this model", **TITLES, TRUTH: _TRUTH_TITLE},
            "horizons": {
                str(horizon): {name: s.as_dict() for name, s in by_name.items()}
                for horizon, by_name in self.scores.items()
            },
            "risk_levels": self.risk_levels,
            "targets": self.targets,
        }


_TRUTH_TITLE = "the generator's own hazard that day, held for the horizon (not a model)"


def training_labels(
    features: pd.DataFrame, exits: pd.DataFrame, as_of: datetime, horizon: int
) -> tuple[pd.DataFrame, BoolArray]:
    """The training snapshots whose `horizon` ended before `as_of` without a break, and
    whether each churned within it (for the baselines)."""
    joined = features.merge(exits, on="tutor_id", how="left", validate="many_to_one")
    churn = offsets(joined["churned_at"], joined["day"])
    pause = offsets(joined["paused_at"], joined["day"])
    cutoff = offsets(pd.Series([as_of] * len(joined)), joined["day"])
    seen = (cutoff >= horizon) & (pause >= horizon)
    return features.loc[seen].reset_index(drop=True), churn[seen] < horizon


def true_forecast(daily_hazard: FloatArray, horizon: int) -> FloatArray:
    return np.asarray(1.0 - (1.0 - np.clip(daily_hazard, 0.0, 1.0)) ** horizon, np.float64)


def evaluate(
    model: HazardModel,
    train_features: pd.DataFrame,
    train_exits: pd.DataFrame,
    as_of: datetime,
    test_features: pd.DataFrame,
    outcomes: Outcomes,
    true_hazard: FloatArray | None = None,
) -> Evaluation:
    """Score the model, the baselines and (when given) the true hazard on the held-out
    snapshots, per horizon."""
    predictions = predict(model, test_features)
    by_horizon = {7: predictions.p7, 30: predictions.p30, 90: predictions.p90}
    scores: dict[int, dict[str, Scores]] = {}
    for horizon in HORIZONS:
        known = outcomes.known[horizon]
        churned = outcomes.churned[horizon][known]
        if not known.any():
            continue
        rows = {MODEL: score(by_horizon[horizon][known], churned)}
        labelled, labels = training_labels(train_features, train_exits, as_of, horizon)
        for name in BASELINES:
            baseline = fit_baseline(name, labelled, labels)
            rows[name] = score(baseline.predict(test_features)[known], churned)
        if true_hazard is not None:
            rows[TRUTH] = score(true_forecast(true_hazard, horizon)[known], churned)
        scores[horizon] = rows
    days = sorted({str(day)[:10] for day in test_features["day"]})
    levels = _risk_level_table(predictions.risk_level, by_horizon, outcomes)
    return Evaluation(
        as_of=as_of.date().isoformat(),
        test_days=days,
        scores=scores,
        risk_levels=levels,
        targets=check_targets(scores),
    )


def _risk_level_table(
    levels: list[RiskLevel], by_horizon: dict[int, FloatArray], outcomes: Outcomes
) -> list[dict[str, Any]]:
    """Per risk level: share of held-out snapshots, mean predicted and observed churn."""
    level_array = np.array([level.value for level in levels])
    table = []
    for level in RiskLevel:
        rows = level_array == level.value
        entry: dict[str, Any] = {
            "level": level.value,
            "count": int(rows.sum()),
            "share": float(rows.mean()) if rows.size else 0.0,
        }
        for horizon in (30, 90):
            known = rows & outcomes.known[horizon]
            entry[f"predicted_{horizon}d"] = (
                float(by_horizon[horizon][known].mean()) if known.any() else None
            )
            entry[f"observed_{horizon}d"] = (
                float(outcomes.churned[horizon][known].mean()) if known.any() else None
            )
        table.append(entry)
    return table


def check_targets(scores: dict[int, dict[str, Scores]]) -> list[dict[str, Any]]:
    """Each target with the figures it compares and whether it is met."""
    checks: list[dict[str, Any]] = []
    for horizon, rows in sorted(scores.items()):
        model = rows[MODEL]
        for name in BASELINES:
            other = rows[name]
            checks.append(
                {
                    "target": f"{horizon}d: AUC above {name}",
                    "model": model.auc,
                    "against": other.auc,
                    "met": bool(model.auc > other.auc),
                }
            )
            checks.append(
                {
                    "target": f"{horizon}d: Brier below {name}",
                    "model": model.brier,
                    "against": other.brier,
                    "met": bool(model.brier < other.brier),
                }
            )
        checks.append(
            {
                "target": f"{horizon}d: ECE below {MAX_ECE}",
                "model": model.ece,
                "against": MAX_ECE,
                "met": bool(model.ece < MAX_ECE),
            }
        )
    if 30 in scores and TRUTH in scores[30]:
        model_auc, true_auc = scores[30][MODEL].auc, scores[30][TRUTH].auc
        checks.append(
            {
                "target": f"30d: AUC at least {AUC_SHARE_OF_TRUTH} x the true hazard's",
                "model": model_auc,
                "against": AUC_SHARE_OF_TRUTH * true_auc,
                "ratio": model_auc / true_auc,
                "met": bool(model_auc >= AUC_SHARE_OF_TRUTH * true_auc),
            }
        )
    return checks


__all__ = [
    "AUC_SHARE_OF_TRUTH",
    "MAX_ECE",
    "MODEL",
    "TRUTH",
    "Evaluation",
    "Outcomes",
    "check_targets",
    "evaluate",
    "training_labels",
    "true_forecast",
]
