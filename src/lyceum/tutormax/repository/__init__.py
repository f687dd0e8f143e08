"""All of TutorMax's SQL. `tutors`: the tutor reads and seed 002's eleven utility functions
(re-exported here, where the seed's `utils` alias and the service find them). Each engine adds
its own module beside it and is imported by module (`from lyceum.tutormax.repository import
metrics`)."""

from lyceum.tutormax.repository.tutors import (
    TRUNCATE_ALL,
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
    list_tutors,
)

__all__ = [
    "TRUNCATE_ALL",
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
    "list_tutors",
]
