"""How far simulated time moves per tick, and which simulated days a tick completes.

`speed_multiplier` is simulated seconds per real second: 1 is real time, 3,600 an hour a
second (a day every 24 s), 86,400 a day a second. Data is written a whole simulated day at
a time, when the clock passes midnight, so a tick that crosses no midnight only moves the
clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

MIN_SPEED = 1
# A week a second: beyond that a tick writes more days than one transaction should hold.
MAX_SPEED = 7 * 86_400
# However long the worker was stalled, one tick never writes more than this many days.
MAX_DAYS_PER_TICK = 7


@dataclass(frozen=True, slots=True)
class TickPlan:
    new_time: datetime
    completed_days: tuple[date, ...]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def validate_speed(speed: int) -> int:
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(
            f"speed_multiplier must be between {MIN_SPEED} and {MAX_SPEED} "
            f"(simulated seconds per real second); got {speed}"
        )
    return speed


def plan_tick(current: datetime, speed: int, real_elapsed_seconds: float) -> TickPlan:
    """Advance `current` by `real_elapsed_seconds` at `speed`; list the days it completes.

    A day is complete when the clock reaches the following midnight. If the advance would
    complete more than MAX_DAYS_PER_TICK days, the clock stops at the midnight ending the
    last allowed day, so every day is still written exactly once, just over more ticks.
    """
    if current.tzinfo is None:
        raise ValueError("the simulation clock must be timezone-aware")
    if real_elapsed_seconds < 0:
        raise ValueError("elapsed time cannot be negative")
    validate_speed(speed)
    target = current + timedelta(seconds=real_elapsed_seconds * speed)
    first_open_day = current.astimezone(UTC).date()
    completed: list[date] = []
    day = first_open_day
    while midnight(day + timedelta(days=1)) <= target:
        completed.append(day)
        if len(completed) == MAX_DAYS_PER_TICK:
            target = midnight(day + timedelta(days=1))
            break
        day += timedelta(days=1)
    return TickPlan(new_time=target, completed_days=tuple(completed))


__all__ = ["MAX_DAYS_PER_TICK", "MAX_SPEED", "MIN_SPEED", "TickPlan", "midnight", "plan_tick"]
