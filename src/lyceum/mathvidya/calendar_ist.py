"""India-time calendar arithmetic for subscriptions and quotas (pure: standard library only).

Mathvidya counts months in India's time zone (Asia/Kolkata, UTC+05:30, no daylight saving):
an exam started at 20:00 UTC on 31 March is an April exam. The exam quota resets on the first
day of each IST month; `ist_month_start` names the month a moment falls in (the value the
`subscriptions.usage_month` column holds) and `next_reset` the day the quota starts again.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a moment must carry its time zone (a naive datetime is ambiguous)")
    return at


def ist_date(at: datetime) -> date:
    """The calendar day in India at the moment `at`."""
    return _aware(at).astimezone(IST).date()


def ist_month_start(at: datetime) -> date:
    """The first day of the IST month `at` falls in."""
    return ist_date(at).replace(day=1)


def next_reset(at: datetime) -> date:
    """The first day of the IST month after the one `at` falls in: when the quota resets."""
    start = ist_month_start(at)
    if start.month == 12:
        return date(start.year + 1, 1, 1)
    return date(start.year, start.month + 1, 1)


def exams_remaining(exams_per_month: int, exams_used: int, usage_month: date, at: datetime) -> int:
    """Exams left this IST month on a subscription whose counter says `exams_used` in
    `usage_month`: a counter of an earlier month counts as 0 used (the exam service resets it
    at the next start)."""
    used = exams_used if usage_month >= ist_month_start(at) else 0
    return max(0, exams_per_month - used)


def add_years(at: datetime, years: int = 1) -> datetime:
    """The same IST wall-clock moment `years` later (29 February becomes 28 February)."""
    local = _aware(at).astimezone(IST)
    try:
        moved = local.replace(year=local.year + years)
    except ValueError:
        moved = local.replace(year=local.year + years, day=28)
    return moved.astimezone(at.tzinfo)


def financial_year(at: datetime) -> str:
    """India's financial year (April to March) of the moment `at`, as invoices write it:
    `2026-27` for 1 April 2026 to 31 March 2027."""
    day = ist_date(at)
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


__all__ = [
    "IST",
    "add_years",
    "exams_remaining",
    "financial_year",
    "ist_date",
    "ist_month_start",
    "next_reset",
]
