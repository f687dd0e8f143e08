"""Acceptance: on the generated marketplace, the forecast beats the seasonal-naive baseline."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from lyceum.nerdboard.forecasting.evaluation import rolling_backtest
from lyceum.nerdboard.marketplace import SUBJECT_NAMES, generate_history, history_start

pytestmark = pytest.mark.slow


def daily_demand_hours(seed: int) -> tuple[np.ndarray, date, list[str]]:
    """Subjects x days of demanded hours (booked and unassigned), as the dashboard reads it."""
    batch, _state = generate_history("default", seed, 12)
    sessions = batch.sessions
    start = np.datetime64(history_start(12), "D")
    day = (sessions["scheduled_time"].astype("datetime64[D]") - start).astype(np.int64)
    names, subject = np.unique(sessions["subject"], return_inverse=True)
    assert list(names) == sorted(SUBJECT_NAMES)
    days = int(day.max()) + 1
    hours = np.zeros((len(names), days))
    np.add.at(hours, (subject, day), sessions["duration_minutes"] / 60.0)
    return hours, history_start(12), list(names)


@pytest.mark.parametrize("seed", [42, 2027])
def test_ets_beats_seasonal_naive_on_generated_demand(seed: int) -> None:
    hours, first_day, names = daily_demand_hours(seed)
    results = [
        rolling_backtest(row, first_day, horizon_weeks=4, origins=8, subject=name)
        for name, row in zip(names, hours, strict=True)
    ]
    model = float(np.mean([r.model_mase for r in results]))
    baseline = float(np.mean([r.baseline_mase for r in results]))
    assert model < baseline, f"model MASE {model:.3f} vs seasonal naive {baseline:.3f}"
    assert sum(r.model_mase < r.baseline_mase for r in results) > len(results) / 2
