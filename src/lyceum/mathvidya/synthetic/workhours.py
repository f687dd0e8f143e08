"""The SLA clock for the synthetic history: working hours (09:00-18:00 IST, Monday to
Saturday, holidays off) added to an instant, as migration 0007's `sla.*` settings describe it.

A thin front to `lyceum.mathvidya.sla` (the application's own SLA engine), so the generated
deadlines are the ones the application computes; the calendar of a holiday set is built once.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import date, datetime
from functools import lru_cache

from lyceum.mathvidya.sla.calendar import WorkingCalendar, default_calendar


@lru_cache(maxsize=16)
def _calendar(holidays: frozenset[date]) -> WorkingCalendar:
    return default_calendar(holidays)


def is_working_day(day: date, holidays: Set[date]) -> bool:
    return _calendar(frozenset(holidays)).is_working_day(day)


def add_working_hours(start: datetime, hours: float, holidays: Set[date]) -> datetime:
    """The instant `hours` working hours after `start` (aware, returned in UTC)."""
    return _calendar(frozenset(holidays)).add_working_hours(start, hours)


__all__ = ["add_working_hours", "is_working_day"]
