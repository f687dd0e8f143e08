"""The SLA clock: working hours (09:00-18:00 IST, Monday to Saturday, holidays off) added to
an instant, as migration 0007's `sla.*` settings describe it."""

from __future__ import annotations

from collections.abc import Set
from datetime import UTC, date, datetime, timedelta

from lyceum.mathvidya.synthetic.catalog import IST, WORKDAY_END, WORKDAY_START, WORKING_WEEKDAYS


def is_working_day(day: date, holidays: Set[date]) -> bool:
    return day.weekday() in WORKING_WEEKDAYS and day not in holidays


def add_working_hours(start: datetime, hours: float, holidays: Set[date]) -> datetime:
    """The instant `hours` working hours after `start` (aware, returned in UTC)."""
    if hours <= 0:
        raise ValueError(f"hours must be positive, got {hours}")
    remaining = timedelta(hours=hours)
    moment = start.astimezone(IST)
    while True:
        day = moment.date()
        if is_working_day(day, holidays):
            opens = datetime.combine(day, WORKDAY_START, IST)
            closes = datetime.combine(day, WORKDAY_END, IST)
            moment = max(moment, opens)
            if moment < closes:
                if remaining <= closes - moment:
                    return (moment + remaining).astimezone(UTC)
                remaining -= closes - moment
        moment = datetime.combine(day + timedelta(days=1), WORKDAY_START, IST)


__all__ = ["add_working_hours", "is_working_day"]
