"""The marketplace's fixed facts: subjects, their seasons and weekday shape, and the scales.

Every seasonal curve is a rule over the calendar (no table of years), so the live simulation
keeps producing believable seasons long after `HISTORY_END`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# A Monday. Histories end here (exclusive) and the live simulation continues from it, so the
# same seed gives the same data whatever today's date is.
HISTORY_END = date(2026, 8, 31)

DURATIONS_MINUTES = np.array([30, 45, 60, 90], dtype=np.int32)

# Students book after school on weekdays (Sun-Thu evenings are busiest); Fri/Sat are quiet.
# Index 0 is Monday (date.weekday()). Both shapes average 1.
DEMAND_WEEKDAY = np.array([1.20, 1.20, 1.15, 1.05, 0.60, 0.65, 1.15])
# Tutors spread their hours more evenly than students book them, so weekday evenings are tight.
SUPPLY_WEEKDAY = np.array([1.10, 1.10, 1.10, 1.05, 0.80, 0.80, 1.05])

ANNUAL_GROWTH = 0.25


@dataclass(frozen=True)
class Subject:
    name: str
    group: str
    share: float  # share of new enrollments in a neutral week
    profile: str  # "school", "sat", "act" or "language"
    amplitude: float  # how strongly the school-year curve applies (0 = flat)
    ap_exam: bool
    churn: float  # multiplier of the enrollment churn hazard
    durations: tuple[float, float, float, float]  # weights of 30/45/60/90 minutes


SUBJECTS: tuple[Subject, ...] = (
    Subject("Algebra", "math", 0.15, "school", 1.0, False, 1.0, (0.20, 0.30, 0.45, 0.05)),
    Subject("Geometry", "math", 0.08, "school", 1.0, False, 1.0, (0.20, 0.30, 0.45, 0.05)),
    Subject("Calculus", "math", 0.08, "school", 1.0, True, 1.0, (0.05, 0.25, 0.55, 0.15)),
    Subject("Statistics", "math", 0.05, "school", 0.9, True, 1.0, (0.10, 0.30, 0.50, 0.10)),
    Subject("Physics", "science", 0.06, "school", 1.0, True, 1.0, (0.05, 0.30, 0.55, 0.10)),
    Subject("Chemistry", "science", 0.08, "school", 1.0, True, 1.0, (0.05, 0.30, 0.55, 0.10)),
    Subject("Biology", "science", 0.06, "school", 1.0, True, 1.0, (0.10, 0.35, 0.50, 0.05)),
    Subject("English Writing", "english", 0.07, "school", 0.9, True, 1.0, (0.15, 0.35, 0.45, 0.05)),
    Subject("Reading", "english", 0.07, "school", 0.8, False, 0.9, (0.40, 0.35, 0.25, 0.00)),
    Subject("SAT Prep", "test_prep", 0.09, "sat", 1.0, False, 1.8, (0.00, 0.15, 0.50, 0.35)),
    Subject("ACT Prep", "test_prep", 0.05, "act", 1.0, False, 1.8, (0.00, 0.15, 0.50, 0.35)),
    Subject("Computer Science", "cs", 0.05, "school", 0.7, True, 1.0, (0.05, 0.20, 0.55, 0.20)),
    Subject("Spanish", "language", 0.05, "language", 0.35, False, 0.8, (0.30, 0.40, 0.30, 0.00)),
    Subject("History", "humanities", 0.04, "school", 0.9, True, 1.0, (0.15, 0.35, 0.45, 0.05)),
)
SUBJECT_NAMES: tuple[str, ...] = tuple(s.name for s in SUBJECTS)
SUBJECT_INDEX: dict[str, int] = {name: i for i, name in enumerate(SUBJECT_NAMES)}
N_SUBJECTS = len(SUBJECTS)

SHARES: FloatArray = np.array([s.share for s in SUBJECTS]) / sum(s.share for s in SUBJECTS)
CHURN_MULTIPLIER: FloatArray = np.array([s.churn for s in SUBJECTS])
DURATION_WEIGHTS: FloatArray = np.array([s.durations for s in SUBJECTS])
DURATION_WEIGHTS /= DURATION_WEIGHTS.sum(axis=1, keepdims=True)
MEAN_DURATION_MINUTES: FloatArray = DURATION_WEIGHTS @ DURATIONS_MINUTES.astype(np.float64)

_CROSS_GROUP_AFFINITY = {
    frozenset({"math", "science"}): 0.35,
    frozenset({"math", "test_prep"}): 0.6,
    frozenset({"english", "test_prep"}): 0.6,
    frozenset({"math", "cs"}): 0.45,
    frozenset({"english", "humanities"}): 0.5,
    frozenset({"english", "language"}): 0.15,
}


def _affinity() -> FloatArray:
    """How likely a person with subject i also has subject j (tutors and students alike)."""
    out = np.full((N_SUBJECTS, N_SUBJECTS), 0.04)
    for i, a in enumerate(SUBJECTS):
        for j, b in enumerate(SUBJECTS):
            if a.group == b.group:
                out[i, j] = 1.0
            else:
                out[i, j] = _CROSS_GROUP_AFFINITY.get(frozenset({a.group, b.group}), 0.04)
    out *= SHARES[None, :] / SHARES.mean()
    np.fill_diagonal(out, 0.0)
    return out


AFFINITY: FloatArray = _affinity()


@dataclass(frozen=True)
class MarketScale:
    """Targets of one scale over a 12-month history: mean sessions a day, tutors ever active
    and distinct students. Only the first two set the starting population; the rest follows
    from the dynamics."""

    name: str
    sessions_per_day: int
    tutors: int
    students: int


SCALES: dict[str, MarketScale] = {
    "small": MarketScale("small", 150, 50, 1_250),
    "default": MarketScale("default", 3_000, 1_000, 25_000),
    "large": MarketScale("large", 9_000, 3_000, 75_000),
}


def history_start(months: int) -> date:
    """`HISTORY_END` minus `months` calendar months (the day clamped to the month's length)."""
    if months < 0:
        raise ValueError("months must be >= 0")
    month_index = HISTORY_END.year * 12 + HISTORY_END.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(HISTORY_END.day, calendar.monthrange(year, month)[1]))


# School-year level at the middle of each month, January first.
_SCHOOL_MONTHLY = np.array([0.97, 1.05, 1.05, 1.07, 1.12, 0.78, 0.50, 0.58, 0.95, 1.10, 1.10, 1.05])


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _school_curve(day: date) -> float:
    """Smooth level between monthly anchors (linear in the day of the month)."""
    month = day.month - 1
    mid = 15
    if day.day >= mid:
        nxt = (month + 1) % 12
        length = calendar.monthrange(day.year, day.month)[1]
        frac = (day.day - mid) / length
        return float(_SCHOOL_MONTHLY[month] * (1 - frac) + _SCHOOL_MONTHLY[nxt] * frac)
    prev = (month - 1) % 12
    prev_year, prev_month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    length = calendar.monthrange(prev_year, prev_month)[1]
    frac = (day.day - mid + length) / length
    return float(_SCHOOL_MONTHLY[prev] * (1 - frac) + _SCHOOL_MONTHLY[month] * frac)


def _bump(day: date, centre: date, half_width: int, height: float) -> float:
    distance = abs((day - centre).days)
    return height * max(0.0, 1 - distance / half_width)


def _holiday_factor(day: date) -> float:
    """Thanksgiving week and winter break empty the calendar; a spring-break week dents it."""
    thanksgiving = _nth_weekday(day.year, 11, 3, 4)
    offset = (day - thanksgiving).days
    if -3 <= offset <= -1:
        return 0.75
    if 0 <= offset <= 3:
        return 0.35
    if (day.month == 12 and day.day >= 21) or (day.month == 1 and day.day <= 3):
        deep = (day.month == 12 and day.day in (24, 25, 26, 31)) or (day.month, day.day) == (1, 1)
        return 0.2 if deep else 0.45
    spring_break = _nth_weekday(day.year, 3, 0, 3)
    if 0 <= (day - spring_break).days <= 6:
        return 0.8
    return 1.0


def exam_dates(year: int, profile: str) -> list[date]:
    """Approximate US test days: SAT on early Saturdays, ACT on second Saturdays."""
    if profile == "sat":
        days = [_nth_weekday(year, m, 5, 1) for m in (3, 5, 6, 10, 11, 12)]
        return [*days, _last_weekday(year, 8, 5)]
    if profile == "act":
        days = [_nth_weekday(year, m, 5, 2) for m in (2, 4, 6, 7, 9, 12)]
        return [*days, _nth_weekday(year, 10, 5, 4)]
    return []


def _test_prep_factor(day: date, profile: str) -> float:
    """Demand builds over the four weeks before a test day and falls away after it."""
    factor = 1.0
    for year in (day.year - 1, day.year, day.year + 1):
        for exam in exam_dates(year, profile):
            before = (exam - day).days
            if 0 <= before <= 28:
                factor += 0.9 * (1 - before / 28) ** 0.7
            elif -7 <= before < 0:
                factor *= 0.7
    return factor


def _raw_season(day: date) -> FloatArray:
    school = _school_curve(day)
    holiday = _holiday_factor(day)
    finals = _bump(day, date(day.year, 12, 11), 12, 0.22) + _bump(
        day, date(day.year, 5, 27), 16, 0.18
    )
    ap = _bump(day, date(day.year, 5, 7), 18, 0.35)
    out = np.empty(N_SUBJECTS)
    for i, subject in enumerate(SUBJECTS):
        if subject.profile in ("sat", "act"):
            level = 0.75 + 0.25 * school
            level *= _test_prep_factor(day, subject.profile)
            level *= 1 - 0.6 * (1 - holiday)
        else:
            level = 1 + subject.amplitude * (school - 1 + finals + (ap if subject.ap_exam else 0))
            level *= 1 - subject.amplitude * (1 - holiday)
        out[i] = level
    return out


def _annual_mean() -> FloatArray:
    start = date(2025, 1, 1)
    days = [_raw_season(start + timedelta(days=k)) for k in range(365)]
    return np.asarray(np.mean(days, axis=0), dtype=np.float64)


_SEASON_NORM: FloatArray = _annual_mean()


@lru_cache(maxsize=4096)
def _season_cached(ordinal: int) -> FloatArray:
    out = _raw_season(date.fromordinal(ordinal)) / _SEASON_NORM
    out.setflags(write=False)
    return out


def subject_season(day: date) -> FloatArray:
    """Demand level of each subject on `day` relative to its annual mean (shape: subjects)."""
    return _season_cached(day.toordinal())


def enrollment_churn_season(day: date) -> float:
    """Students leave when the school year ends, and a little over winter break."""
    if (day.month == 6 and day.day >= 5) or (day.month == 7 and day.day <= 10):
        return 1.5
    if day.month == 5 and day.day >= 25:
        return 1.2
    if (day.month == 12 and day.day >= 18) or (day.month == 1 and day.day <= 5):
        return 1.1
    return 0.96


def _raw_arrival_season(day: date) -> float:
    level = float(SHARES @ subject_season(day + timedelta(days=14))) ** 0.3
    if (day.month == 8 and day.day >= 15) or day.month == 9:
        level *= 1.3
    elif day.month == 1 and 3 <= day.day <= 25:
        level *= 1.15
    return float(level)


_ARRIVAL_NORM = float(
    np.mean([_raw_arrival_season(date(2025, 1, 1) + timedelta(days=k)) for k in range(365)])
)


def enrollment_arrival_season(day: date) -> float:
    """Sign-ups lead demand by two weeks and surge when school starts (annual mean 1)."""
    return _raw_arrival_season(day) / _ARRIVAL_NORM


def _after_exam(day: date, profile: str) -> bool:
    return any(
        1 <= (day - exam).days <= 10
        for year in (day.year - 1, day.year)
        for exam in exam_dates(year, profile)
    )


@lru_cache(maxsize=4096)
def _churn_cached(ordinal: int) -> FloatArray:
    day = date.fromordinal(ordinal)
    out = CHURN_MULTIPLIER * enrollment_churn_season(day)
    for i, subject in enumerate(SUBJECTS):
        if subject.profile in ("sat", "act") and _after_exam(day, subject.profile):
            out[i] *= 2.5
    out.setflags(write=False)
    return out


def enrollment_churn_factors(day: date) -> FloatArray:
    """Multiplier of each subject's churn hazard on `day`: season, subject, and test-prep
    students finishing in the ten days after a test."""
    return _churn_cached(day.toordinal())


MEAN_CHURN_FACTORS: FloatArray = np.mean(
    [enrollment_churn_factors(date(2025, 1, 1) + timedelta(days=k)) for k in range(365)], axis=0
)


def weekday_demand(day: date) -> float:
    return float(DEMAND_WEEKDAY[day.weekday()])


def growth_factor(day: date) -> float:
    """Relative size of the market compared with one year before `HISTORY_END`."""
    years = (day - HISTORY_END).days / 365.25 + 1.0
    return float((1 + ANNUAL_GROWTH) ** years)
