"""Seeds 001/002's `src/database/utils.py`, by the name their examples import it under.

An alias only: the eleven query helpers live in `lyceum.tutormax.repository` with the rest of
the app's SQL. `from src.database.utils import get_tutor_by_id` reads here as
`from lyceum.tutormax.utils import get_tutor_by_id`.
"""

from __future__ import annotations

from lyceum.tutormax.repository import (
    get_active_tutors,
    get_first_sessions,
    get_high_risk_tutors,
    get_latest_churn_prediction,
    get_latest_performance_metrics,
    get_pending_interventions,
    get_tutor_by_id,
    get_tutor_events,
    get_tutor_sessions,
    get_tutor_statistics,
    get_tutors_by_risk_level,
)

__all__ = [
    "get_active_tutors",
    "get_first_sessions",
    "get_high_risk_tutors",
    "get_latest_churn_prediction",
    "get_latest_performance_metrics",
    "get_pending_interventions",
    "get_tutor_by_id",
    "get_tutor_events",
    "get_tutor_sessions",
    "get_tutor_statistics",
    "get_tutors_by_risk_level",
]
