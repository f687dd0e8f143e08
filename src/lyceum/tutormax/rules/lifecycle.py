"""An intervention's lifecycle: which status may follow which.

    pending ──► in_progress ──► completed (with an outcome)
       │             │
       └──► cancelled ◄┘

Completed and cancelled are final: a closed intervention is history the uplift estimate
reads, so it is never reopened (open a new one instead). Completing needs an outcome, which
is what makes "did it work?" answerable.
"""

from __future__ import annotations

from lyceum.core.errors import Conflict
from lyceum.tutormax.enums import InterventionStatus

PENDING = InterventionStatus.PENDING
IN_PROGRESS = InterventionStatus.IN_PROGRESS
COMPLETED = InterventionStatus.COMPLETED
CANCELLED = InterventionStatus.CANCELLED

NEXT_STATUSES: dict[InterventionStatus, frozenset[InterventionStatus]] = {
    PENDING: frozenset({IN_PROGRESS, CANCELLED}),
    IN_PROGRESS: frozenset({COMPLETED, CANCELLED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}
# At most one of these per tutor and type (a partial unique index holds the database to it).
OPEN_STATUSES: tuple[InterventionStatus, ...] = (PENDING, IN_PROGRESS)
FINAL_STATUSES: tuple[InterventionStatus, ...] = (COMPLETED, CANCELLED)


class TransitionRefused(Conflict):
    """A status change the lifecycle does not allow (HTTP 409)."""


def is_open(status: InterventionStatus) -> bool:
    return status in OPEN_STATUSES


def _listed(statuses: frozenset[InterventionStatus]) -> str:
    names = sorted(status.value for status in statuses)
    return " or ".join(names)


def check_transition(current: InterventionStatus, target: InterventionStatus) -> None:
    """Refuse (TransitionRefused, with a sentence saying why and what is allowed) any change
    the lifecycle does not allow, including a change to the status it already has."""
    if target in NEXT_STATUSES[current]:
        return
    prefix = f"an intervention cannot go from {current.value} to {target.value}"
    if current in FINAL_STATUSES:
        reason = f"{current.value} is final; open a new intervention instead"
    elif current == target:
        reason = f"it is already {current.value}"
    elif current == PENDING and target == COMPLETED:
        reason = "start it first (in_progress), then complete it with an outcome"
    else:
        reason = f"from {current.value} it can only go to {_listed(NEXT_STATUSES[current])}"
    raise TransitionRefused(
        f"{prefix}: {reason}",
        details={"from": current.value, "to": target.value},
    )


def escalated_priority(priority: int, steps: int = 1) -> int:
    """A priority raised by `steps` levels (1 is the most urgent and stays 1)."""
    return max(1, priority - steps)


__all__ = [
    "FINAL_STATUSES",
    "NEXT_STATUSES",
    "OPEN_STATUSES",
    "TransitionRefused",
    "check_transition",
    "escalated_priority",
    "is_open",
]
