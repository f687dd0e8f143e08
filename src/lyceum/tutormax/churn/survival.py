"""Discrete-time survival: person-period rows for training, and one survival curve per
tutor for prediction.

Time after a snapshot day D is cut into intervals (`INTERVAL_EDGES`, in days): a week at a
time for the first month, then fortnights to 90 days. A training row is one snapshot in one
interval the tutor entered still active; its target is whether they churned in it. The
model learns the hazard h_k = P(churn in interval k | active at its start), and

    S(t_k) = (1 - h_0)(1 - h_1)...(1 - h_{k-1}),    P(churn within t_k days) = 1 - S(t_k).

The probabilities for 7, 30 and 90 days come from that one curve, so they can only grow
with the horizon: monotone by construction, not by a clip.

Censoring: an interval is used only if it ended before the training cut-off (`as_of`) and
the tutor did not go on a break before its end (a paused tutor cannot churn, and whether
they would have is unknown). Intervals half-seen at the cut-off are left out rather than
counted as survived, which would bias the hazard down.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from lyceum.tutormax.churn.types import FloatArray

INTERVAL_EDGES: tuple[int, ...] = (0, 7, 14, 21, 30, 45, 60, 75, 90)
INTERVALS = len(INTERVAL_EDGES) - 1
HORIZONS: tuple[int, ...] = (7, 30, 90)
# The column the model sees for "which interval": its first day after the snapshot.
DAYS_AHEAD = "days_ahead"
DAY = pd.Timedelta(days=1)


def offsets(moments: pd.Series, days: pd.Series) -> FloatArray:
    """Days from each snapshot's midnight (UTC) to `moments` (+inf where there is none)."""
    at = pd.to_datetime(moments, utc=True)
    start = pd.to_datetime(days).dt.tz_localize("UTC")
    offset = ((at - start) / DAY).to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isnan(offset), np.inf, offset)


def person_periods(
    features: pd.DataFrame, exits: pd.DataFrame, as_of: datetime
) -> tuple[pd.DataFrame, pd.Series]:
    """Training rows: each snapshot (a row of `features`) repeated for every interval the
    tutor entered active and that was fully observed before `as_of`, with `days_ahead`
    added; and the targets (1 = churned in that interval).

    `exits` holds `tutor_id`, `churned_at` and `paused_at` as known at `as_of`."""
    joined = features.merge(exits, on="tutor_id", how="left", validate="many_to_one")
    churn = offsets(joined["churned_at"], joined["day"])
    pause = offsets(joined["paused_at"], joined["day"])
    cutoff = offsets(pd.Series([as_of] * len(joined)), joined["day"])
    frames = []
    targets = []
    for index in range(INTERVALS):
        start, end = INTERVAL_EDGES[index], INTERVAL_EDGES[index + 1]
        keep = (churn >= start) & (pause >= end) & (cutoff >= end)
        rows = joined.loc[keep, features.columns].copy()
        rows[DAYS_AHEAD] = float(start)
        frames.append(rows)
        targets.append((churn[keep] < end).astype(np.int64))
    periods = pd.concat(frames, ignore_index=True)
    return periods, pd.Series(np.concatenate(targets), name="churned")


def survival_curves(hazards: FloatArray) -> FloatArray:
    """S at each interval's end, from an (n, INTERVALS) matrix of interval hazards."""
    return np.asarray(np.cumprod(1.0 - np.clip(hazards, 0.0, 1.0), axis=1), dtype=np.float64)


def horizon_probabilities(hazards: FloatArray) -> dict[int, FloatArray]:
    """P(churn within h days) for each of `HORIZONS`, read off one survival curve."""
    survival = survival_curves(hazards)
    return {horizon: 1.0 - survival[:, INTERVAL_EDGES.index(horizon) - 1] for horizon in HORIZONS}


__all__ = [
    "DAYS_AHEAD",
    "HORIZONS",
    "INTERVALS",
    "INTERVAL_EDGES",
    "horizon_probabilities",
    "offsets",
    "person_periods",
    "survival_curves",
]
