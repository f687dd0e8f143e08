"""Demand forecasting, forecast evaluation and staffing for Nerdboard: pure, no DB or HTTP.

The dashboard path: `forecast_weekly_demand` per subject -> `required_hours` at the target
utilization -> `shortfall_alerts` (which calls `allocate_supply` week by week, counting each
multi-subject tutor's hours once). `rolling_backtest` scores the model against the seasonal
naive for `lyceum nerdboard backtest`.
"""

from lyceum.nerdboard.forecasting.demand import (
    PredictionInterval,
    WeekForecast,
    WeeklyForecast,
    forecast_weekly_demand,
    seasonal_naive_weekly,
)
from lyceum.nerdboard.forecasting.evaluation import (
    BacktestResult,
    IntervalCoverage,
    format_backtest_table,
    mase,
    rolling_backtest,
    smape,
)
from lyceum.nerdboard.forecasting.staffing import (
    Allocation,
    ShortfallAlert,
    agents_for_service_level,
    allocate_supply,
    concurrent_tutors_needed,
    erlang_b,
    erlang_c_wait_probability,
    required_hours,
    service_level,
    shortfall_alerts,
)

__all__ = [
    "Allocation",
    "BacktestResult",
    "IntervalCoverage",
    "PredictionInterval",
    "ShortfallAlert",
    "WeekForecast",
    "WeeklyForecast",
    "agents_for_service_level",
    "allocate_supply",
    "concurrent_tutors_needed",
    "erlang_b",
    "erlang_c_wait_probability",
    "forecast_weekly_demand",
    "format_backtest_table",
    "mase",
    "required_hours",
    "rolling_backtest",
    "seasonal_naive_weekly",
    "service_level",
    "shortfall_alerts",
    "smape",
]
