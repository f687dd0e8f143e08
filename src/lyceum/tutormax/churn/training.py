"""Training as one pure step: snapshot days, person-period rows, the fit, and what the
model card records about it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from lyceum.tutormax.churn.model import METHOD, HazardModel, fit_hazard_model
from lyceum.tutormax.churn.predict import reference_p90
from lyceum.tutormax.churn.survival import INTERVAL_EDGES, person_periods

# One snapshot a week, counted back from the cut-off: a snapshot a day adds rows, not
# churners, and measured no better (backtest, default scale).
SNAPSHOT_STEP_DAYS = 7
# The first snapshot comes this long after the first recorded day, so every snapshot has
# at least four weeks behind it.
WARM_UP_DAYS = 28


def snapshot_days(first_recorded: date, last: date, step: int = SNAPSHOT_STEP_DAYS) -> list[date]:
    """`last`, `last - step`, ... back to `first_recorded + WARM_UP_DAYS`, oldest first."""
    earliest = first_recorded + timedelta(days=WARM_UP_DAYS)
    days = []
    day = last
    while day >= earliest:
        days.append(day)
        day -= timedelta(days=step)
    return days[::-1]


@dataclass(frozen=True)
class Trained:
    model: HazardModel
    metadata: dict[str, Any]


def train(features: pd.DataFrame, exits: pd.DataFrame, as_of: datetime) -> Trained:
    """Fit on the snapshots in `features` (all before `as_of`), with exits known at
    `as_of`; the metadata says what it learnt from."""
    started = time.perf_counter()
    periods, targets = person_periods(features, exits, as_of)
    model = fit_hazard_model(periods, targets)
    churners = features.merge(exits.dropna(subset=["churned_at"]), on="tutor_id")
    days = sorted({str(day)[:10] for day in features["day"]})
    metadata = {
        "method": METHOD,
        "as_of": as_of.isoformat(),
        "snapshots": len(features),
        "snapshot_days": [days[0], days[-1]] if days else [],
        "snapshot_step_days": SNAPSHOT_STEP_DAYS,
        "tutors": int(features["tutor_id"].nunique()),
        "person_periods": len(periods),
        "churn_events": int(targets.sum()),
        "churned_tutors": int(churners["tutor_id"].nunique()),
        "interval_edges_days": list(INTERVAL_EDGES),
        "reference_p90": reference_p90(model),
        "weights": model.weights_by_feature(),
        "fit": model.training,
        "fit_seconds": round(time.perf_counter() - started, 2),
    }
    return Trained(model, metadata)


__all__ = ["SNAPSHOT_STEP_DAYS", "WARM_UP_DAYS", "Trained", "snapshot_days", "train"]
