"""Working-day arithmetic for due dates: Monday to Friday, minus the configured holidays."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

SATURDAY = 5  # date.weekday(): Monday is 0


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def next_working_day(day: date, holidays: Collection[date] = ()) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int, holidays: Collection[date] = ()) -> date:
    """The working day `count` working days after `day`.

    Counting starts from the first working day on or after `day`, so an intervention opened
    on a Saturday with two working days is due on Tuesday, like one opened on Monday; zero
    working days is that first working day itself.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    current = next_working_day(day, holidays)
    for _ in range(count):
        current = next_working_day(current + timedelta(days=1), holidays)
    return current


def working_days_between(start: date, end: date, holidays: Collection[date] = ()) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`
    (negative when `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start, holidays)
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(days=offset), holidays)
    )


__all__ = ["add_working_days", "is_working_day", "next_working_day", "working_days_between"]
