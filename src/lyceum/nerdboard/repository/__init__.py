"""All of Nerdboard's SQL: the dashboard's reads and the clock (`dashboard`, re-exported
here), the bulk COPY of the simulated marketplace (`bulk`), the data-quality checks and their
log (`quality`)."""

from lyceum.nerdboard.repository.dashboard import (
    ClockRow,
    at_risk_customers,
    capacity_series,
    daily_demand_hours,
    health_scores,
    health_summary,
    history_run,
    latest_health_date,
    notify_tick,
    read_clock,
    session_window_counts,
    subjects,
    tutor_skills,
    tutor_supply,
    write_clock,
)

__all__ = [
    "ClockRow",
    "at_risk_customers",
    "capacity_series",
    "daily_demand_hours",
    "health_scores",
    "health_summary",
    "history_run",
    "latest_health_date",
    "notify_tick",
    "read_clock",
    "session_window_counts",
    "subjects",
    "tutor_skills",
    "tutor_supply",
    "write_clock",
]
