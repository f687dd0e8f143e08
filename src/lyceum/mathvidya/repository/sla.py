"""The SLA engine's inputs from the database: the `sla.*` and `evaluation.*` settings in
`system_config` and every row of `holidays` (parsing and defaults live in the pure
`lyceum.mathvidya.sla.settings`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models import Holiday, SystemConfig
from lyceum.mathvidya.sla.calendar import WorkingCalendar
from lyceum.mathvidya.sla.settings import (
    CALENDAR_KEYS,
    SETTINGS_KEYS,
    SlaSettings,
    calendar_from_config,
)


async def _config(db: AsyncSession, keys: tuple[str, ...]) -> dict[str, Any]:
    rows = await db.execute(
        select(SystemConfig.config_key, SystemConfig.config_value).where(
            SystemConfig.config_key.in_(keys)
        )
    )
    return {key: value for key, value in rows}


# Calendars already built in this process, by their settings and holidays (a calendar is a
# frozen, hashable value): the settings are read on every call, but an unchanged calendar's
# table of working days is built once, not on every queue page. A few at most (a changed
# setting or holiday makes a new one); cleared when it grows past that.
_BUILT: dict[WorkingCalendar, WorkingCalendar] = {}
_MAX_BUILT = 8


async def load_calendar(db: AsyncSession) -> WorkingCalendar:
    """The working calendar as configured now, with every holiday in the table."""
    values = await _config(db, CALENDAR_KEYS)
    holidays = (await db.execute(select(Holiday.holiday_date).distinct())).scalars().all()
    calendar = calendar_from_config(values, holidays)
    if calendar not in _BUILT and len(_BUILT) >= _MAX_BUILT:
        _BUILT.clear()
    return _BUILT.setdefault(calendar, calendar)


async def load_sla_settings(db: AsyncSession) -> SlaSettings:
    """The workflow's numbers as configured now (the seeded value for a missing key)."""
    return SlaSettings.from_config(await _config(db, SETTINGS_KEYS))


__all__ = ["load_calendar", "load_sla_settings"]
