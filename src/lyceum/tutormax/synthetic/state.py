"""The day loop's bookkeeping: random streams, rolling per-tutor sums, students looking for
a tutor, the loop's state between two days, and the record it leaves for the row builders."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from lyceum.tutormax.synthetic.catalog import BoolArray, FloatArray, IntArray
from lyceum.tutormax.synthetic.population import Pairings, TutorTable

WINDOW_DAYS = 30


class Stream(IntEnum):
    TUTORS = 1
    PAIRINGS = 2
    EXITS = 3
    HIRING = 4
    MOTIVATION = 5
    BOOKING = 6
    SESSIONS = 7
    ENDS = 8
    MATCHING = 9
    SCHEDULED = 10


def stream(seed: int, which: IntEnum) -> np.random.Generator:
    return np.random.default_rng([seed, 7_100 + int(which)])


class Rolling:
    """Per-tutor sums over the last `WINDOW_DAYS` days (the tutor count only grows)."""

    def __init__(self) -> None:
        self.total = np.zeros(0)
        self._days: deque[FloatArray] = deque()

    def grow(self, count: int) -> None:
        if count > self.total.shape[0]:
            self.total = np.concatenate([self.total, np.zeros(count - self.total.shape[0])])

    def copy(self) -> Rolling:
        """An independent copy (the days kept are never written after they are pushed)."""
        other = Rolling()
        other.total = self.total.copy()
        other._days = deque(self._days)
        return other

    def push(self, today: FloatArray) -> None:
        self.grow(today.shape[0])
        self.total += today
        self._days.append(today)
        if len(self._days) > WINDOW_DAYS:
            old = self._days.popleft()
            self.total[: old.shape[0]] -= old


@dataclass
class Seekers:
    """Students looking for a (new) tutor in a subject, never the one they just left."""

    student: IntArray
    subject: IntArray
    exclude: IntArray
    since: IntArray

    @classmethod
    def empty(cls) -> Seekers:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none.copy(), none.copy(), none.copy())

    def add(self, student: IntArray, subject: IntArray, exclude: IntArray, day: int) -> None:
        self.student = np.concatenate([self.student, student])
        self.subject = np.concatenate([self.subject, subject])
        self.exclude = np.concatenate([self.exclude, exclude])
        self.since = np.concatenate([self.since, np.full(student.shape[0], day)])

    def copy(self) -> Seekers:
        return Seekers(
            self.student.copy(), self.subject.copy(), self.exclude.copy(), self.since.copy()
        )

    def keep(self, mask: BoolArray) -> None:
        self.student, self.subject = self.student[mask], self.subject[mask]
        self.exclude, self.since = self.exclude[mask], self.since[mask]


@dataclass(frozen=True)
class MarketState:
    """The day loop's state before day `next_day`: what it needs to go on (`forward`)."""

    next_day: int
    tutors: TutorTable
    pairings: Pairings
    seekers: Seekers
    booked: Rolling
    rescheduled: Rolling
    ratings: Rolling
    low: Rolling
    students: int
    left_yesterday: int

    def copy(self) -> MarketState:
        return MarketState(
            next_day=self.next_day,
            tutors=self.tutors.copy(),
            pairings=self.pairings.copy(),
            seekers=self.seekers.copy(),
            booked=self.booked.copy(),
            rescheduled=self.rescheduled.copy(),
            ratings=self.ratings.copy(),
            low=self.low.copy(),
            students=self.students,
            left_yesterday=self.left_yesterday,
        )


@dataclass
class RawHistory:
    """The loop's record; `rows.py` turns it into table columns."""

    history_days: int
    total_days: int
    tutors: TutorTable
    pairings: Pairings
    student_created_day: IntArray
    student_subject: IntArray
    # Sessions of the history: one entry per booked session.
    session_day: IntArray
    session_pairing: IntArray
    session_first: BoolArray
    session_rescheduled: IntArray
    session_outcome: IntArray
    session_quality: FloatArray
    session_rated: BoolArray
    session_rating: IntArray
    # Next week's booked sessions (from the pairings active at the end).
    scheduled_day: IntArray
    scheduled_pairing: IntArray
    scheduled_first: BoolArray
    # Students with an active pairing, or looking for a tutor, at the end.
    student_current: BoolArray
    # (tutors, total_days): NaN where the tutor is not active that day.
    hazard: FloatArray
    motivation: FloatArray
    # (tutors, history_days): sessions booked per tutor and day.
    booked: IntArray
    # The loop's state at the history's end, when asked for (`run_market(keep_end_state)`).
    end_state: MarketState | None = None


class Recorder:
    def __init__(self) -> None:
        self.parts: dict[str, list[npt.NDArray[Any]]] = {}

    def add(self, **columns: npt.NDArray[Any]) -> None:
        for name, values in columns.items():
            self.parts.setdefault(name, []).append(values)

    def column(self, name: str, dtype: type) -> npt.NDArray[Any]:
        parts = self.parts.get(name)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def matrix(rows: list[FloatArray], width: int, fill: float) -> FloatArray:
    out = np.full((width, len(rows)), fill)
    for day, row in enumerate(rows):
        out[: row.shape[0], day] = row
    return out


def choose(rng: np.random.Generator, weights: FloatArray, size: int) -> IntArray:
    return choose_with(weights, rng.random(size))


def choose_with(weights: FloatArray, uniform: FloatArray) -> IntArray:
    """Indices drawn with probability proportional to `weights`, one per uniform in [0, 1)."""
    cumulative = np.cumsum(weights)
    picks = np.searchsorted(cumulative, uniform * cumulative[-1], side="right")
    return np.asarray(np.minimum(picks, weights.shape[0] - 1), dtype=np.int64)


__all__ = [
    "WINDOW_DAYS",
    "MarketState",
    "RawHistory",
    "Recorder",
    "Rolling",
    "Seekers",
    "Stream",
    "choose",
    "choose_with",
    "matrix",
    "stream",
]
