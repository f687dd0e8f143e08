"""Mathvidya's SLA engine (pure: standard library and NumPy only).

- `calendar`: the working-hours clock (09:00-18:00 IST, Monday to Saturday, holidays off):
  deadlines, working time between two instants, the next working moment.
- `forecast`: when each open evaluation will be finished, which teacher a new one goes to,
  and which evaluations to move so that none misses its deadline.
- `settings`: the workflow's numbers from `system_config`, with the seeded defaults.
"""

from lyceum.mathvidya.sla.calendar import WorkingCalendar, default_calendar
from lyceum.mathvidya.sla.forecast import (
    Move,
    OpenEvaluation,
    TeacherCapacity,
    choose_teacher,
    estimate_minutes_per_evaluation,
    forecast_completions,
    plan_reassignments,
)
from lyceum.mathvidya.sla.settings import SlaSettings

__all__ = [
    "Move",
    "OpenEvaluation",
    "SlaSettings",
    "TeacherCapacity",
    "WorkingCalendar",
    "choose_teacher",
    "default_calendar",
    "estimate_minutes_per_evaluation",
    "forecast_completions",
    "plan_reassignments",
]
