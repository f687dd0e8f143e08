"""Nerdboard's use cases, one module per concern, flushing and never committing:

- `dashboard`: the cached dashboard reads (overview, capacity, customer health) and the clock
  cache their keys hang off (re-exported here);
- `simulation`: the clock's controls and the history reset job (re-exported here);
- `forecast`: weekly demand, staffing against it, shortfall alerts, the backtest;
- `quality`: running, logging and reporting the data-quality checks.
"""

from lyceum.nerdboard.service.dashboard import (
    CACHE_TAG,
    CACHE_TTL_SECONDS,
    DEFAULT_TARGET_UTILIZATION,
    ClockCache,
    cached,
    cached_capacity,
    cached_customer_health,
    cached_overview,
    capacity,
    clock_version,
    customer_health,
    overview,
)
from lyceum.nerdboard.service.simulation import (
    RESET_JOB,
    pause,
    request_reset,
    resume,
    set_speed,
    start,
    state_model,
)

__all__ = [
    "CACHE_TAG",
    "CACHE_TTL_SECONDS",
    "DEFAULT_TARGET_UTILIZATION",
    "RESET_JOB",
    "ClockCache",
    "cached",
    "cached_capacity",
    "cached_customer_health",
    "cached_overview",
    "capacity",
    "clock_version",
    "customer_health",
    "overview",
    "pause",
    "request_reset",
    "resume",
    "set_speed",
    "start",
    "state_model",
]
