"""TutorMax's fixed facts: where histories end, the scales, subjects, time zones, calendar.

The history ends at a fixed instant, `HISTORY_END` (midnight UTC, exclusive), so a seed gives
the same rows whatever day the generator runs; it is a Monday in the busy autumn term.
Everything about the calendar is a rule over dates (no table of years), so any `end` works.

Time zones carry their standard UTC offset; daylight saving time is ignored, which moves a
session by an hour in summer and changes nothing a model could use.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
DayArray = npt.NDArray[np.datetime64]

HISTORY_END = date(2026, 11, 2)
# Sessions already booked for the week after the history's end (status 'scheduled').
SCHEDULED_DAYS_AHEAD = 7
# The model keeps running this long after the end, out of the product tables, so churn
# predictions made at the end can be scored against what "then" happened.
TRUTH_HORIZON_DAYS = 90


MICROS_PER_MINUTE = 60_000_000
MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE
MICROS_PER_DAY = 24 * MICROS_PER_HOUR


def midnight_micros(day: date) -> int:
    """Microseconds since the Unix epoch of `day` at 00:00 UTC."""
    return (day - date(1970, 1, 1)).days * MICROS_PER_DAY


def as_timestamps(micros: IntArray) -> DayArray:
    return np.asarray(micros, dtype=np.int64).astype("datetime64[us]")


@dataclass(frozen=True)
class TutorMaxScale:
    """A scale's targets: the active tutor headcount (hiring replaces leavers) and the mean
    number of sessions booked a day over the history."""

    name: str
    tutors: int
    sessions_per_day: int


SCALES: dict[str, TutorMaxScale] = {
    "small": TutorMaxScale("small", 50, 150),
    "default": TutorMaxScale("default", 1_000, 3_000),
    "large": TutorMaxScale("large", 3_000, 9_000),
}


def history_start(end: date, months: int) -> date:
    """`end` minus `months` calendar months (the day clamped to the month's length)."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    index = end.year * 12 + end.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(end.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Subject:
    name: str
    group: str
    share: float  # share of new tutoring relationships
    # Weights of the student's stage: grades 3-5, 6-8, 9-12, college, adult.
    stages: tuple[float, float, float, float, float]
    # Weights of 30, 45, 60 and 90 minute sessions.
    durations: tuple[float, float, float, float]


_SCHOOL = (0.15, 0.30, 0.45, 0.10)
_ADVANCED = (0.05, 0.25, 0.55, 0.15)
_TEST_PREP = (0.00, 0.15, 0.50, 0.35)
SUBJECTS: tuple[Subject, ...] = (
    Subject("Algebra", "math", 0.13, (0.02, 0.35, 0.55, 0.05, 0.03), _SCHOOL),
    Subject("Geometry", "math", 0.07, (0.00, 0.15, 0.80, 0.03, 0.02), _SCHOOL),
    Subject("Pre-Calculus", "math", 0.05, (0.00, 0.02, 0.88, 0.08, 0.02), _SCHOOL),
    Subject("Calculus", "math", 0.07, (0.00, 0.00, 0.70, 0.27, 0.03), _ADVANCED),
    Subject("Statistics", "math", 0.05, (0.00, 0.00, 0.45, 0.45, 0.10), _ADVANCED),
    Subject("Physics", "science", 0.06, (0.00, 0.05, 0.65, 0.27, 0.03), _ADVANCED),
    Subject("Chemistry", "science", 0.07, (0.00, 0.05, 0.70, 0.23, 0.02), _ADVANCED),
    Subject("Biology", "science", 0.06, (0.00, 0.15, 0.60, 0.22, 0.03), _SCHOOL),
    Subject("English", "english", 0.08, (0.35, 0.35, 0.25, 0.02, 0.03), _SCHOOL),
    Subject("Essay Writing", "english", 0.06, (0.02, 0.13, 0.55, 0.25, 0.05), _SCHOOL),
    Subject("SAT Prep", "test_prep", 0.08, (0.00, 0.00, 1.00, 0.00, 0.00), _TEST_PREP),
    Subject("ACT Prep", "test_prep", 0.05, (0.00, 0.00, 1.00, 0.00, 0.00), _TEST_PREP),
    Subject("Computer Science", "cs", 0.05, (0.00, 0.10, 0.45, 0.30, 0.15), _ADVANCED),
    Subject("Spanish", "language", 0.05, (0.10, 0.20, 0.40, 0.15, 0.15), _SCHOOL),
    Subject("History", "humanities", 0.04, (0.05, 0.25, 0.55, 0.12, 0.03), _SCHOOL),
    Subject("Economics", "humanities", 0.03, (0.00, 0.00, 0.45, 0.45, 0.10), _ADVANCED),
)
SUBJECT_NAMES: tuple[str, ...] = tuple(s.name for s in SUBJECTS)
N_SUBJECTS = len(SUBJECTS)
SUBJECT_SHARES: FloatArray = np.array([s.share for s in SUBJECTS]) / sum(s.share for s in SUBJECTS)
STAGE_WEIGHTS: FloatArray = np.array([s.stages for s in SUBJECTS])
STAGE_WEIGHTS /= STAGE_WEIGHTS.sum(axis=1, keepdims=True)
DURATIONS_MINUTES = np.array([30, 45, 60, 90], dtype=np.int64)
DURATION_WEIGHTS: FloatArray = np.array([s.durations for s in SUBJECTS])
DURATION_WEIGHTS /= DURATION_WEIGHTS.sum(axis=1, keepdims=True)

# Tutors teach neighbouring subjects: same group always fits, these pairs often do.
_RELATED_GROUPS = {
    frozenset({"math", "science"}): 0.4,
    frozenset({"math", "test_prep"}): 0.6,
    frozenset({"english", "test_prep"}): 0.6,
    frozenset({"math", "cs"}): 0.5,
    frozenset({"english", "humanities"}): 0.5,
    frozenset({"english", "language"}): 0.2,
    frozenset({"science", "cs"}): 0.2,
}


def _subject_affinity() -> FloatArray:
    """Weight of adding subject j to a tutor who teaches subject i."""
    out = np.empty((N_SUBJECTS, N_SUBJECTS))
    for i, a in enumerate(SUBJECTS):
        for j, b in enumerate(SUBJECTS):
            related = 1.0 if a.group == b.group else None
            out[i, j] = related or _RELATED_GROUPS.get(frozenset({a.group, b.group}), 0.03)
    out *= SUBJECT_SHARES[None, :]
    np.fill_diagonal(out, 0.0)
    return out


SUBJECT_AFFINITY: FloatArray = _subject_affinity()

# Stage -> (grade_level text per choice, age range) for students.
STAGES: tuple[tuple[tuple[str, ...], int, int], ...] = (
    (("3", "4", "5"), 8, 11),
    (("6", "7", "8"), 11, 14),
    (("9", "10", "11", "12"), 14, 18),
    (("college",), 18, 23),
    (("adult",), 24, 58),
)

# IANA zone, standard UTC offset in hours (added to local time gives UTC), share of tutors.
TIMEZONES: tuple[tuple[str, int, float], ...] = (
    ("America/New_York", 5, 0.45),
    ("America/Chicago", 6, 0.26),
    ("America/Denver", 7, 0.08),
    ("America/Phoenix", 7, 0.03),
    ("America/Los_Angeles", 8, 0.18),
)
TIMEZONE_NAMES: tuple[str, ...] = tuple(t[0] for t in TIMEZONES)
TIMEZONE_OFFSETS = np.array([t[1] for t in TIMEZONES], dtype=np.int64)
TIMEZONE_SHARES: FloatArray = np.array([t[2] for t in TIMEZONES])

# Students book after school on weekdays; Sunday evenings fill up before the week; Friday and
# Saturday are quiet. Index 0 is Monday; the mean is 1.
WEEKDAY_SHAPE: FloatArray = np.array([1.15, 1.15, 1.10, 1.05, 0.65, 0.70, 1.20])
# The school year at mid-month, January first: summer is slow, October and spring busy.
_MONTHLY_LEVEL: FloatArray = np.array(
    [1.02, 1.08, 1.10, 1.06, 1.08, 0.80, 0.62, 0.72, 1.00, 1.12, 1.08, 0.92]
)


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _holiday_factor(day: date) -> float:
    """Thanksgiving week and the winter break empty the calendar."""
    offset = (day - _thanksgiving(day.year)).days
    if -2 <= offset <= 3:
        return 0.45
    if (day.month == 12 and day.day >= 21) or (day.month == 1 and day.day <= 2):
        return 0.4
    return 1.0


def _school_level(day: date) -> float:
    """Linear between the monthly anchors (placed on the 15th)."""
    anchor = date(day.year, day.month, 15)
    if day < anchor:
        month_before = date(day.year, day.month, 1) - timedelta(days=1)
        anchor_before = date(month_before.year, month_before.month, 15)
        low, high = _MONTHLY_LEVEL[month_before.month - 1], _MONTHLY_LEVEL[day.month - 1]
        frac = (day - anchor_before).days / (anchor - anchor_before).days
    else:
        month_after = date(day.year, day.month, 28) + timedelta(days=7)
        anchor_after = date(month_after.year, month_after.month, 15)
        low, high = _MONTHLY_LEVEL[day.month - 1], _MONTHLY_LEVEL[month_after.month - 1]
        frac = (day - anchor).days / (anchor_after - anchor).days
    return float(low + (high - low) * frac)


def demand_shape(start: date, days: int) -> FloatArray:
    """Each day's booking level (school year, holidays, weekday), before normalisation."""
    out = np.empty(days)
    for k in range(days):
        day = start + timedelta(days=k)
        out[k] = _school_level(day) * _holiday_factor(day) * WEEKDAY_SHAPE[day.weekday()]
    return out


FIRST_NAMES: tuple[str, ...] = (
    "Aaliyah", "Adam", "Aisha", "Alejandro", "Amara", "Andre", "Anna", "Ben", "Bianca", "Carlos",
    "Chen", "Chloe", "Daniel", "Diana", "Diego", "Elena", "Emily", "Ethan", "Fatima", "Gabriel",
    "Grace", "Hannah", "Hiro", "Isabel", "Jamal", "James", "Jasmine", "Jin", "Jordan", "Julia",
    "Kai", "Kevin", "Laila", "Leo", "Lucia", "Maria", "Marcus", "Maya", "Michael", "Mei",
    "Nadia", "Nathan", "Noah", "Olivia", "Omar", "Priya", "Rafael", "Ravi", "Rosa", "Ryan",
    "Samir", "Sara", "Sofia", "Tariq", "Thomas", "Valentina", "Victor", "Wei", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Adams", "Ahmed", "Alvarez", "Anderson", "Baker", "Bennett", "Brooks", "Campbell", "Chen",
    "Clark", "Cohen", "Diaz", "Edwards", "Evans", "Fischer", "Flores", "Garcia", "Gomez",
    "Green", "Gupta", "Hall", "Harris", "Hernandez", "Hill", "Ito", "Jackson", "Johnson", "Kim",
    "Khan", "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Miller", "Moore", "Nguyen", "Novak",
    "Okafor", "Park", "Patel", "Perez", "Reed", "Rivera", "Roberts", "Robinson", "Rossi",
    "Sanchez", "Scott", "Shah", "Singh", "Smith", "Taylor", "Thomas", "Torres", "Walker",
    "Wang", "White", "Williams", "Wilson", "Wright", "Young", "Zhang",
)  # fmt: skip

__all__ = [
    "DURATIONS_MINUTES",
    "DURATION_WEIGHTS",
    "FIRST_NAMES",
    "HISTORY_END",
    "LAST_NAMES",
    "MICROS_PER_DAY",
    "MICROS_PER_HOUR",
    "MICROS_PER_MINUTE",
    "N_SUBJECTS",
    "SCALES",
    "SCHEDULED_DAYS_AHEAD",
    "STAGES",
    "STAGE_WEIGHTS",
    "SUBJECTS",
    "SUBJECT_AFFINITY",
    "SUBJECT_NAMES",
    "SUBJECT_SHARES",
    "TIMEZONES",
    "TIMEZONE_NAMES",
    "TIMEZONE_OFFSETS",
    "TIMEZONE_SHARES",
    "TRUTH_HORIZON_DAYS",
    "WEEKDAY_SHAPE",
    "TutorMaxScale",
    "as_timestamps",
    "demand_shape",
    "history_start",
    "midnight_micros",
]
