"""A day's bookings and who teaches them.

Each active enrollment books at most one session a day with probability frequency/7 x
weekday shape x subject season. Sessions are assigned first-come-first-served (by booking
time) to an active, qualified tutor with room left that day, drawn in proportion to the
room left; a session no such tutor can fit stays without a tutor (unmet demand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from lyceum.nerdboard.marketplace.catalog import (
    DEMAND_WEEKDAY,
    DURATION_WEIGHTS,
    DURATIONS_MINUTES,
    subject_season,
)
from lyceum.nerdboard.marketplace.state import (
    FloatArray,
    Int32Array,
    IntArray,
    MarketState,
    TimeArray,
    TutorTable,
    day_start,
    is_dormant,
    session_frequency,
)
from lyceum.nerdboard.marketplace.streams import Stream, day_rng
from lyceum.nerdboard.marketplace.tutors import daily_capacity_minutes

# The rest of the season shows as fewer active enrollments (summer churn, autumn sign-ups).
SESSION_SEASON_EXPONENT = 1.0
DOUBLE_BOOKING_RATE = 0.0005  # planted defect: the same booking saved twice
_WEEKDAY_HOURS = np.arange(14, 22)
_WEEKDAY_HOUR_WEIGHTS = np.array([2, 6, 10, 12, 12, 10, 6, 3], dtype=np.float64)
_WEEKEND_HOURS = np.arange(9, 19)
_WEEKEND_HOUR_WEIGHTS = np.array([4, 7, 9, 9, 8, 8, 8, 7, 5, 3], dtype=np.float64)
_SECOND = np.timedelta64(1_000_000, "us")


@dataclass
class Bookings:
    """Today's sessions in booking order (the order of their session ids)."""

    student_id: npt.NDArray[np.uint8]
    subject_index: npt.NDArray[np.int16]
    duration_minutes: Int32Array
    scheduled_time: TimeArray
    created_at: TimeArray

    def __len__(self) -> int:
        return int(self.subject_index.shape[0])


def _categorical(rng: np.random.Generator, weights: FloatArray, count: int) -> IntArray:
    cumulative = np.cumsum(weights) / weights.sum()
    return np.minimum(np.searchsorted(cumulative, rng.random(count), "right"), weights.size - 1)


def book_sessions(state: MarketState, day: date, seed: int) -> Bookings:
    table = state.enrollments
    rng = day_rng(seed, day, Stream.SESSIONS)
    season = subject_season(day) ** SESSION_SEASON_EXPONENT
    probability = (
        session_frequency(table.engagement_score)
        / 7
        * DEMAND_WEEKDAY[day.weekday()]
        * season[table.subject_index]
    )
    booked = np.flatnonzero(rng.random(len(table)) < probability)
    doubled = booked[rng.random(booked.shape[0]) < DOUBLE_BOOKING_RATE]
    count = booked.shape[0]
    subject = table.subject_index[booked]

    cumulative = np.cumsum(DURATION_WEIGHTS, axis=1)[subject]
    duration_class = np.minimum((cumulative <= rng.random(count)[:, None]).sum(axis=1), 3)
    duration = DURATIONS_MINUTES[duration_class]

    weekend = day.weekday() >= 5
    hours, hour_weights = (
        (_WEEKEND_HOURS, _WEEKEND_HOUR_WEIGHTS)
        if weekend
        else (_WEEKDAY_HOURS, _WEEKDAY_HOUR_WEIGHTS)
    )
    start_minute = hours[_categorical(rng, hour_weights, count)] * 60 + rng.integers(0, 60, count)
    scheduled = day_start(day) + (start_minute * 60 * 1_000_000).astype("timedelta64[us]")
    # Booked some time between midnight and half an hour before the start.
    lead = rng.integers(0, (start_minute - 30) * 60, size=count)
    created = day_start(day) + lead * _SECOND

    duplicate = np.searchsorted(booked, doubled)
    again = created[duplicate] + rng.integers(60, 1800, size=duplicate.shape[0]) * _SECOND
    rows = np.concatenate([np.arange(count), duplicate])
    created = np.concatenate([created, again])
    order = np.lexsort((rows, created))
    rows, created = rows[order], created[order]
    return Bookings(
        student_id=table.student_id[booked][rows],
        subject_index=subject[rows],
        duration_minutes=duration[rows].astype(np.int32),
        scheduled_time=scheduled[rows],
        created_at=created,
    )


@dataclass
class Assignment:
    tutor_index: Int32Array  # per session, -1 when no tutor could take it
    capacity_minutes: IntArray  # per tutor: minutes offered today (0 when inactive)
    booked_minutes: IntArray  # per tutor


def assign_tutors(tutors: TutorTable, bookings: Bookings, day: date, seed: int) -> Assignment:
    """Rounds of weighted draws: every pending session draws a tutor who could fit it, each
    tutor keeps the earliest bookings that fit, the rest draw again. Each round settles at
    least one session per drawn tutor, so the loop ends; a session stops when no tutor can
    fit it."""
    rng = day_rng(seed, day, Stream.ASSIGNMENT)
    tutor_count = len(tutors)
    capacity = np.where(tutors.active, daily_capacity_minutes(tutors.weekly_capacity_hours, day), 0)
    remaining = np.where(is_dormant(tutors.number), 0, capacity).astype(np.int64)
    result = np.full(len(bookings), -1, dtype=np.int32)
    if tutor_count == 0 or len(bookings) == 0:
        return Assignment(result, capacity, np.zeros(tutor_count, dtype=np.int64))

    durations = DURATIONS_MINUTES.astype(np.int64)
    classes = durations.shape[0]
    duration = bookings.duration_minutes.astype(np.int64)
    row_of = bookings.subject_index.astype(np.int64) * classes + np.searchsorted(
        durations, duration
    )
    pending = np.arange(len(bookings))
    while pending.size:
        # Only tutors who could still take the shortest session take part in this round.
        live = np.flatnonzero(remaining >= durations[0])
        room = remaining[live]
        qualified = np.ascontiguousarray(tutors.qualified[live].T, dtype=np.int64)
        fitting = room[None, :] * (room[None, :] >= durations[:, None])  # (classes, live)
        weights = (qualified[:, None, :] * fitting[None, :, :]).reshape(-1, live.size)
        totals = weights.sum(axis=1)
        rows = row_of[pending]
        possible = totals[rows] > 0
        pending, rows = pending[possible], rows[possible]
        if pending.size == 0:
            break
        flat = np.cumsum(weights.reshape(-1))
        offsets = np.concatenate([[0], flat])[rows * live.size]
        target = offsets + (rng.random(pending.size) * totals[rows]).astype(np.int64)
        chosen = live[np.searchsorted(flat, target, "right") - rows * live.size]

        order = np.lexsort((pending, chosen))
        pending, chosen = pending[order], chosen[order]
        running = np.cumsum(duration[pending])
        starts = np.flatnonzero(np.r_[True, chosen[1:] != chosen[:-1]])
        group_offset = np.repeat(
            running[starts] - duration[pending[starts]], np.diff(np.r_[starts, chosen.size])
        )
        fits = running - group_offset <= remaining[chosen]
        result[pending[fits]] = chosen[fits]
        remaining -= np.bincount(
            chosen[fits], weights=duration[pending[fits]], minlength=tutor_count
        ).astype(np.int64)
        pending = np.sort(pending[~fits])

    assigned = result >= 0
    booked = np.bincount(
        result[assigned], weights=duration[assigned], minlength=tutor_count
    ).astype(np.int64)
    return Assignment(result, capacity, booked)
