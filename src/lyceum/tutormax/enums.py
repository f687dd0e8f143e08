"""TutorMax's eleven enums (seed 002: "11 type-safe enums for status fields").

They are stored as strings (seed 001: "All enum types are stored as strings for
flexibility"), and each column carries a CHECK constraint listing the values, so the
database refuses anything else however the row arrives. Adding a value is a migration that
replaces one CHECK, not an `ALTER TYPE` that cannot run inside a transaction.
"""

from __future__ import annotations

import enum


class TutorStatus(enum.StrEnum):
    ACTIVE = "active"
    # Still on the platform but taking no sessions (on a break, paused by ops).
    INACTIVE = "inactive"
    # Left for good; `tutors.churned_at` says when.
    CHURNED = "churned"


class StudentStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    CHURNED = "churned"


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class InitiatedBy(enum.StrEnum):
    """Who caused a no-show or a reschedule: the difference between a tutor problem and not."""

    TUTOR = "tutor"
    STUDENT = "student"
    SYSTEM = "system"


class MetricWindow(enum.StrEnum):
    SEVEN_DAY = "7day"
    THIRTY_DAY = "30day"
    NINETY_DAY = "90day"


class PerformanceTier(enum.StrEnum):
    EXEMPLARY = "Exemplary"
    STRONG = "Strong"
    DEVELOPING = "Developing"
    NEEDS_ATTENTION = "Needs Attention"
    AT_RISK = "At Risk"


class RiskLevel(enum.StrEnum):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    CRITICAL = "Critical"


class InterventionType(enum.StrEnum):
    AUTOMATED_COACHING = "automated_coaching"
    TRAINING_MODULE = "training_module"
    FIRST_SESSION_CHECKIN = "first_session_checkin"
    RESCHEDULING_ALERT = "rescheduling_alert"
    MANAGER_COACHING = "manager_coaching"
    PEER_MENTORING = "peer_mentoring"
    PERFORMANCE_IMPROVEMENT_PLAN = "performance_improvement_plan"
    RETENTION_INTERVIEW = "retention_interview"
    RECOGNITION = "recognition"


class InterventionStatus(enum.StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class InterventionOutcome(enum.StrEnum):
    IMPROVED = "improved"
    NO_CHANGE = "no_change"
    DECLINED = "declined"
    CHURNED = "churned"


class EventType(enum.StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    SESSION_SCHEDULED = "session_scheduled"
    SESSION_COMPLETED = "session_completed"
    SESSION_RESCHEDULED = "session_rescheduled"
    SESSION_CANCELLED = "session_cancelled"
    NO_SHOW = "no_show"
    MESSAGE_RESPONSE = "message_response"
    AVAILABILITY_CHANGED = "availability_changed"
    PROFILE_UPDATED = "profile_updated"
    TRAINING_COMPLETED = "training_completed"
    STATUS_CHANGED = "status_changed"


# Risk score bands (0-100). `get_high_risk_tutors(min_score=51)` is "High or worse".
RISK_BANDS: tuple[tuple[RiskLevel, int, int], ...] = (
    (RiskLevel.LOW, 0, 25),
    (RiskLevel.MEDIUM, 26, 50),
    (RiskLevel.HIGH, 51, 75),
    (RiskLevel.CRITICAL, 76, 100),
)


def risk_level_for(score: int) -> RiskLevel:
    """The risk level a 0-100 risk score falls in."""
    for level, low, high in RISK_BANDS:
        if low <= score <= high:
            return level
    raise ValueError(f"risk score must be between 0 and 100, got {score}")


ENUMS: tuple[type[enum.StrEnum], ...] = (
    TutorStatus,
    StudentStatus,
    SessionStatus,
    InitiatedBy,
    MetricWindow,
    PerformanceTier,
    RiskLevel,
    InterventionType,
    InterventionStatus,
    InterventionOutcome,
    EventType,
)
