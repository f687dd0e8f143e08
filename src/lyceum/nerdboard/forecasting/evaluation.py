"""Forecast accuracy: sMAPE, MASE and a rolling-origin backtest against the seasonal naive.

Both the model and the baseline are scored on the same holdout weeks from the same origins in
one run, so the comparison printed by `lyceum nerdboard backtest` is like for like.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lyceum.nerdboard.forecasting.demand import (
    DAYS_PER_WEEK,
    DEFAULT_LEVELS,
    forecast_weekly_demand,
    seasonal_naive_weekly,
)

FloatArray = NDArray[np.float64]

# The MASE scale needs at least one week-over-week difference.
MIN_TRAINING_WEEKS = 2


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Symmetric MAPE in percent (0-200); a pair where both are zero counts as no error."""
    a = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    if a.shape != f.shape or a.size == 0:
        raise ValueError("actual and forecast must be non-empty and of the same shape")
    denominator = np.abs(a) + np.abs(f)
    ratio = np.divide(2.0 * np.abs(f - a), denominator, out=np.zeros_like(a), where=denominator > 0)
    return float(100.0 * ratio.mean())


def mase(actual: ArrayLike, forecast: ArrayLike, training_weekly: ArrayLike) -> float:
    """Mean absolute error scaled by the in-sample MAE of the one-week naive on weekly totals.

    Returns NaN when the scale is zero (a perfectly flat training history): the ratio is then
    undefined, and aggregates skip it (`nanmean`) rather than divide by zero.
    """
    a = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    history = np.asarray(training_weekly, dtype=np.float64)
    if a.shape != f.shape or a.size == 0:
        raise ValueError("actual and forecast must be non-empty and of the same shape")
    if history.size < MIN_TRAINING_WEEKS:
        raise ValueError("the MASE scale needs at least two training weeks")
    scale = float(np.mean(np.abs(np.diff(history))))
    if scale == 0.0:
        return math.nan
    return float(np.mean(np.abs(f - a)) / scale)


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class IntervalCoverage:
    """Share of holdout weeks whose actual total fell inside the model's `level` interval."""

    level: float
    coverage: float

    def to_dict(self) -> dict[str, float | None]:
        return {"level": self.level, "coverage": _json_float(self.coverage)}


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Rolling-origin accuracy of the model and of the seasonal naive for one subject.

    sMAPE is in percent, averaged over every (origin, week) pair; MASE is averaged over origins
    (NaN origins, with a flat history, are skipped). `origins` are the Mondays the forecasts were
    made from, oldest first. Empty `origins` means the history was too short to test.
    """

    subject: str
    horizon_weeks: int
    origins: tuple[date, ...]
    model_method: str
    model_smape: float
    model_mase: float
    baseline_smape: float
    baseline_mase: float
    coverage: tuple[IntervalCoverage, ...] = ()
    model_mase_by_origin: tuple[float, ...] = field(default=())
    baseline_mase_by_origin: tuple[float, ...] = field(default=())

    @property
    def beats_baseline(self) -> bool:
        return bool(self.model_mase < self.baseline_mase)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "horizon_weeks": self.horizon_weeks,
            "origins": [o.isoformat() for o in self.origins],
            "model_method": self.model_method,
            "model_smape": _json_float(self.model_smape),
            "model_mase": _json_float(self.model_mase),
            "baseline_smape": _json_float(self.baseline_smape),
            "baseline_mase": _json_float(self.baseline_mase),
            "coverage": [c.to_dict() for c in self.coverage],
            "model_mase_by_origin": [_json_float(v) for v in self.model_mase_by_origin],
            "baseline_mase_by_origin": [_json_float(v) for v in self.baseline_mase_by_origin],
        }


def _mean_or_nan(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def _origin_indices(
    n_days: int, first_monday: int, horizon_weeks: int, origins: int, step_weeks: int
) -> list[int]:
    """Day indices of Monday origins, oldest first, each with its holdout weeks in the data."""
    latest = n_days - horizon_weeks * DAYS_PER_WEEK
    if latest < first_monday:
        return []
    latest -= (latest - first_monday) % DAYS_PER_WEEK
    earliest = first_monday + MIN_TRAINING_WEEKS * DAYS_PER_WEEK
    picked = [latest - k * step_weeks * DAYS_PER_WEEK for k in range(origins)]
    return sorted(i for i in picked if i >= earliest)


def rolling_backtest(
    daily_hours: NDArray[Any],
    first_day: date,
    *,
    horizon_weeks: int = 4,
    origins: int = 8,
    step_weeks: int = 1,
    subject: str = "",
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    seed: int = 0,
) -> BacktestResult:
    """Re-fit at each of the last `origins` Mondays and score the next `horizon_weeks` weeks.

    Each origin is `step_weeks` before the next; the latest is the last Monday whose holdout
    weeks lie wholly inside the data. The MASE scale comes from the complete Monday-based weeks
    of the training part at that origin.
    """
    if horizon_weeks < 1 or origins < 1 or step_weeks < 1:
        raise ValueError("horizon_weeks, origins and step_weeks must all be at least 1")
    values = np.asarray(daily_hours, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError("daily_hours must be one-dimensional")
    values = np.where(np.isfinite(values) & (values > 0.0), values, 0.0)
    first_monday = (DAYS_PER_WEEK - first_day.weekday()) % DAYS_PER_WEEK
    indices = _origin_indices(len(values), first_monday, horizon_weeks, origins, step_weeks)

    model_smapes: list[float] = []
    baseline_smapes: list[float] = []
    model_mases: list[float] = []
    baseline_mases: list[float] = []
    inside = {level: 0 for level in levels}
    methods: list[str] = []
    for origin in indices:
        train = values[:origin]
        actual = (
            values[origin : origin + horizon_weeks * DAYS_PER_WEEK]
            .reshape(horizon_weeks, DAYS_PER_WEEK)
            .sum(axis=1)
        )
        training_weekly = values[first_monday:origin].reshape(-1, DAYS_PER_WEEK).sum(axis=1)
        model = forecast_weekly_demand(train, first_day, horizon_weeks, levels=levels, seed=seed)
        baseline = seasonal_naive_weekly(train, first_day, horizon_weeks, levels=levels)
        methods.append(model.method)
        model_smapes.append(smape(actual, model.points()))
        baseline_smapes.append(smape(actual, baseline.points()))
        model_mases.append(mase(actual, model.points(), training_weekly))
        baseline_mases.append(mase(actual, baseline.points(), training_weekly))
        for level in levels:
            lower, upper = model.bounds(level)
            inside[level] += int(np.sum((actual >= lower) & (actual <= upper)))

    evaluated = len(indices) * horizon_weeks
    coverage = tuple(
        IntervalCoverage(level, inside[level] / evaluated if evaluated else math.nan)
        for level in levels
    )
    return BacktestResult(
        subject=subject,
        horizon_weeks=horizon_weeks,
        origins=tuple(first_day + timedelta(days=i) for i in indices),
        model_method=" / ".join(dict.fromkeys(methods)),
        model_smape=_mean_or_nan(model_smapes),
        model_mase=_mean_or_nan(model_mases),
        baseline_smape=_mean_or_nan(baseline_smapes),
        baseline_mase=_mean_or_nan(baseline_mases),
        coverage=coverage,
        model_mase_by_origin=tuple(model_mases),
        baseline_mase_by_origin=tuple(baseline_mases),
    )


def _cell(value: float, digits: int) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "-"


def format_backtest_table(results: Sequence[BacktestResult]) -> str:
    """A plain-text table: one row per subject, model next to the seasonal-naive baseline."""
    header = (
        f"{'subject':<20} {'sMAPE %':>8} {'naive %':>8} {'MASE':>6} {'naive':>6} "
        f"{'80% cov':>8} {'origins':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        cover = next((c.coverage for c in r.coverage if math.isclose(c.level, 0.8)), math.nan)
        lines.append(
            f"{r.subject[:20]:<20} {_cell(r.model_smape, 1):>8} {_cell(r.baseline_smape, 1):>8} "
            f"{_cell(r.model_mase, 2):>6} {_cell(r.baseline_mase, 2):>6} "
            f"{_cell(100.0 * cover, 0):>8} {len(r.origins):>7}"
        )
    if results:
        model = _mean_or_nan([r.model_mase for r in results])
        naive = _mean_or_nan([r.baseline_mase for r in results])
        lines.append("-" * len(header))
        lines.append(f"{'mean MASE':<20} {'':>8} {'':>8} {_cell(model, 2):>6} {_cell(naive, 2):>6}")
    return "\n".join(lines)
