"""The SLA settings in `system_config` (migrations 0007 and 0014), parsed from their JSON
values with the seeded value as the default for a key that is missing or malformed.

A malformed value is logged and ignored rather than raised: an admin's typo in one setting
must not stop evaluations from being assigned; the seeded value is the documented behaviour.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lyceum.mathvidya.sla.calendar import (
    DEFAULT_CLOSES,
    DEFAULT_OPENS,
    DEFAULT_TIMEZONE,
    DEFAULT_WORKING_WEEKDAYS,
    WorkingCalendar,
)

logger = logging.getLogger(__name__)

# system_config keys (migration 0007 for the calendar and the warning and the teacher's limit,
# 0014 for the rest).
WORKING_HOURS_START = "sla.working_hours_start"
WORKING_HOURS_END = "sla.working_hours_end"
TIMEZONE = "sla.timezone"
WORKING_DAYS = "sla.working_days"
WARNING_HOURS = "sla.warning_hours_before_deadline"
REASSIGN_MARGIN_HOURS = "sla.reassign_margin_hours"
CLAIM_HOURS = "evaluation.claim_hours"
PRIOR_MINUTES = "evaluation.prior_minutes_per_evaluation"
MAX_ACTIVE = "evaluation.max_active_per_teacher"
CALENDAR_KEYS = (WORKING_HOURS_START, WORKING_HOURS_END, TIMEZONE, WORKING_DAYS)
SETTINGS_KEYS = (WARNING_HOURS, REASSIGN_MARGIN_HOURS, CLAIM_HOURS, PRIOR_MINUTES, MAX_ACTIVE)


@dataclass(frozen=True)
class SlaSettings:
    """The evaluation workflow's numbers; the defaults are the seeded values."""

    # Working hours before the deadline at which the teacher and the admins are warned.
    warning_hours_before_deadline: float = 6.0
    # An evaluation forecast to finish within this many working hours of its deadline (or
    # after it) is moved to a teacher who can finish it sooner.
    reassign_margin_hours: float = 2.0
    # Working hours a teacher holds an evaluation without marking before it is released.
    claim_hours: float = 8.0
    # Working minutes an evaluation is expected to take a teacher with no history.
    prior_minutes_per_evaluation: float = 40.0
    # Open evaluations a teacher may hold.
    max_active_per_teacher: int = 20

    @classmethod
    def from_config(cls, values: Mapping[str, object]) -> SlaSettings:
        """Settings from `system_config` values by key (JSON already decoded)."""
        defaults = cls()
        return cls(
            warning_hours_before_deadline=_number(
                values, WARNING_HOURS, defaults.warning_hours_before_deadline, minimum=0.0
            ),
            reassign_margin_hours=_number(
                values, REASSIGN_MARGIN_HOURS, defaults.reassign_margin_hours, minimum=0.0
            ),
            claim_hours=_number(values, CLAIM_HOURS, defaults.claim_hours, positive=True),
            prior_minutes_per_evaluation=_number(
                values, PRIOR_MINUTES, defaults.prior_minutes_per_evaluation, positive=True
            ),
            max_active_per_teacher=_whole(values, MAX_ACTIVE, defaults.max_active_per_teacher),
        )


def calendar_from_config(
    values: Mapping[str, object], holidays: Iterable[date] = ()
) -> WorkingCalendar:
    """The working calendar the `sla.*` values describe, with `holidays` off."""
    opens = _clock_time(values, WORKING_HOURS_START, DEFAULT_OPENS)
    closes = _clock_time(values, WORKING_HOURS_END, DEFAULT_CLOSES)
    if opens >= closes:
        logger.warning(
            "%s..%s is not a working day; using the seeded %s-%s",
            WORKING_HOURS_START,
            WORKING_HOURS_END,
            DEFAULT_OPENS,
            DEFAULT_CLOSES,
        )
        opens, closes = DEFAULT_OPENS, DEFAULT_CLOSES
    return WorkingCalendar(
        opens=opens,
        closes=closes,
        working_weekdays=_weekdays(values),
        holidays=frozenset(holidays),
        timezone=_zone(values),
    )


def _ignored(key: str, value: object, default: object) -> None:
    logger.warning("system_config %s = %r is malformed; using %r", key, value, default)


def _number(
    values: Mapping[str, object],
    key: str,
    default: float,
    *,
    minimum: float | None = None,
    positive: bool = False,
) -> float:
    if key not in values:
        return default
    value = values[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or (positive and value <= 0)
        or (minimum is not None and value < minimum)
    ):
        _ignored(key, value, default)
        return default
    return float(value)


def _whole(values: Mapping[str, object], key: str, default: int) -> int:
    if key not in values:
        return default
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        _ignored(key, value, default)
        return default
    return value


def _clock_time(values: Mapping[str, object], key: str, default: time) -> time:
    if key not in values:
        return default
    value = values[key]
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        parsed = time.fromisoformat(value)
    except ValueError:
        _ignored(key, value, default)
        return default
    if parsed.tzinfo is not None:
        _ignored(key, value, default)
        return default
    return parsed


def _weekdays(values: Mapping[str, object]) -> frozenset[int]:
    if WORKING_DAYS not in values:
        return DEFAULT_WORKING_WEEKDAYS
    value = values[WORKING_DAYS]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in value)
    ):
        _ignored(WORKING_DAYS, value, sorted(DEFAULT_WORKING_WEEKDAYS))
        return DEFAULT_WORKING_WEEKDAYS
    return frozenset(value)


def _zone(values: Mapping[str, object]) -> ZoneInfo:
    value = values.get(TIMEZONE, DEFAULT_TIMEZONE)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        _ignored(TIMEZONE, value, DEFAULT_TIMEZONE)
        return ZoneInfo(DEFAULT_TIMEZONE)


__all__ = [
    "CALENDAR_KEYS",
    "SETTINGS_KEYS",
    "SlaSettings",
    "calendar_from_config",
]
