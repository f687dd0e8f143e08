"""The model's populations: tutors (traits, profile, status) and student-tutor pairings.

A pairing is a student's standing arrangement with one tutor in one subject: a number of
sessions a week at a usual local time. Sessions are drawn from the active pairings every
day; a pairing ends when the student stops or the tutor leaves.

Tutor profiles: 1-4 subjects (a primary one by demand share, the rest from related
subjects: same group, or math-science, English-test prep, ...); committed sessions a week
from a gamma distribution around the scale's need (15 % more than the mean demand); a US
time zone by population share; teaching experience (years, loosely tied to quality; 4 %
left blank); tenure on the platform for tutors present at the start exponential with mean
14 months, capped at six years.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from lyceum.tutormax.synthetic.catalog import (
    FIRST_NAMES,
    LAST_NAMES,
    N_SUBJECTS,
    SUBJECT_AFFINITY,
    SUBJECT_SHARES,
    TIMEZONE_SHARES,
    BoolArray,
    FloatArray,
    IntArray,
    TutorMaxScale,
)
from lyceum.tutormax.synthetic.churn import draw_traits

ACTIVE, INACTIVE, CHURNED = 0, 1, 2
NEVER = np.iinfo(np.int64).max // 4
SUBJECT_COUNT_WEIGHTS = np.array([0.30, 0.35, 0.25, 0.10])
CAPACITY_HEADROOM = 1.15
MEAN_TENURE_DAYS = 420
MAX_TENURE_DAYS = 6 * 365


@dataclass
class TutorTable:
    """Every tutor the model has created, in order of joining (row i is tutor number i+1)."""

    reliability: FloatArray
    quality: FloatArray
    engagement: FloatArray
    joined_day: IntArray  # day index relative to the history's start (negative: before)
    joined_second: IntArray  # second of that day (UTC) they signed up
    baseline: FloatArray  # committed sessions a week
    timezone: IntArray
    experience: IntArray  # years; -1 = not given
    subjects: BoolArray  # (tutors, subjects)
    first_name: IntArray
    last_name: IntArray
    status: IntArray
    left_day: IntArray  # day they churned or paused, NEVER while active
    motivation: FloatArray
    burnout_left: IntArray

    @property
    def count(self) -> int:
        return int(self.reliability.shape[0])

    def copy(self) -> TutorTable:
        return TutorTable(
            **{field.name: getattr(self, field.name).copy() for field in fields(self)}
        )

    def extend(self, other: TutorTable) -> None:
        for field in fields(self):
            mine: Any = getattr(self, field.name)
            setattr(self, field.name, np.concatenate([mine, getattr(other, field.name)]))


def _subject_sets(rng: np.random.Generator, count: int) -> BoolArray:
    """1-4 subjects each: a primary one by share, the others by affinity (Gumbel top-k)."""
    primary = rng.choice(N_SUBJECTS, size=count, p=SUBJECT_SHARES)
    extra = rng.choice(4, size=count, p=SUBJECT_COUNT_WEIGHTS)
    with np.errstate(divide="ignore"):
        keys = np.log(SUBJECT_AFFINITY[primary]) + rng.gumbel(size=(count, N_SUBJECTS))
    ranked = np.argsort(-keys, axis=1, kind="stable")
    out = np.zeros((count, N_SUBJECTS), dtype=bool)
    out[np.arange(count), primary] = True
    for k in range(3):
        take = extra > k
        out[np.flatnonzero(take), ranked[take, k]] = True
    return out


def new_tutors(rng: np.random.Generator, spec: TutorMaxScale, joined_day: IntArray) -> TutorTable:
    count = int(joined_day.shape[0])
    reliability, quality, engagement = draw_traits(rng, count)
    mean_baseline = CAPACITY_HEADROOM * 7 * spec.sessions_per_day / spec.tutors
    baseline = np.clip(rng.gamma(4.0, mean_baseline / 4.0, size=count), 2.0, 60.0)
    experience = np.clip(np.rint(rng.gamma(2.0, 3.5, size=count) + 6 * (quality - 0.69)), 0, 45)
    experience = np.where(rng.random(count) < 0.04, -1, experience).astype(np.int64)
    return TutorTable(
        reliability=reliability,
        quality=quality,
        engagement=engagement,
        joined_day=joined_day.astype(np.int64),
        # Sign-ups land in the small hours UTC (US evenings), before their first working day.
        joined_second=rng.integers(3600, 6 * 3600, size=count),
        baseline=np.round(baseline * 2) / 2,
        timezone=rng.choice(TIMEZONE_SHARES.shape[0], size=count, p=TIMEZONE_SHARES),
        experience=experience,
        subjects=_subject_sets(rng, count),
        first_name=rng.integers(0, len(FIRST_NAMES), size=count),
        last_name=rng.integers(0, len(LAST_NAMES), size=count),
        status=np.full(count, ACTIVE, dtype=np.int64),
        left_day=np.full(count, NEVER, dtype=np.int64),
        motivation=np.clip(engagement + 0.05 * rng.standard_normal(count), 0.01, 1.0),
        burnout_left=np.zeros(count, dtype=np.int64),
    )


def initial_tutors(rng: np.random.Generator, spec: TutorMaxScale) -> TutorTable:
    """The tutors present on the first day, in order of joining."""
    tenure = np.minimum(rng.exponential(MEAN_TENURE_DAYS, size=spec.tutors), MAX_TENURE_DAYS)
    joined = -np.sort(np.ceil(tenure).astype(np.int64) + 1)[::-1]
    return new_tutors(rng, spec, joined)


class Pairings:
    """Student-tutor pairings in growable arrays; `active` marks the current ones."""

    COLUMNS = (
        "tutor",
        "student",
        "subject",
        "frequency",
        "duration",
        "weekday_minute",
        "weekend_minute",
        "sessions_done",
        "started_day",
    )

    def __init__(self, capacity: int = 1024) -> None:
        self.count = 0
        self._arrays: dict[str, IntArray] = {
            name: np.zeros(capacity, dtype=np.int64) for name in self.COLUMNS
        }
        self._active = np.zeros(capacity, dtype=bool)

    def copy(self) -> Pairings:
        other = Pairings(capacity=0)
        other.count = self.count
        other._arrays = {name: array.copy() for name, array in self._arrays.items()}
        other._active = self._active.copy()
        return other

    def column(self, name: str) -> IntArray:
        """A live view of the first `count` rows (writes go through)."""
        return self._arrays[name][: self.count]

    @property
    def active(self) -> BoolArray:
        return self._active[: self.count]

    def add(self, **columns: IntArray) -> IntArray:
        """Append active pairings; returns their indices."""
        size = int(columns["tutor"].shape[0])
        needed = self.count + size
        if needed > self._active.shape[0]:
            capacity = max(needed, 2 * self._active.shape[0])
            for name, array in self._arrays.items():
                self._arrays[name] = np.concatenate(
                    [array, np.zeros(capacity - array.shape[0], dtype=np.int64)]
                )
            self._active = np.concatenate(
                [self._active, np.zeros(capacity - self._active.shape[0], dtype=bool)]
            )
        rows = np.arange(self.count, needed)
        for name in self.COLUMNS:
            self._arrays[name][rows] = columns[name]
        self._active[rows] = True
        self.count = needed
        return rows


__all__ = [
    "ACTIVE",
    "CHURNED",
    "INACTIVE",
    "NEVER",
    "Pairings",
    "TutorTable",
    "initial_tutors",
    "new_tutors",
]
