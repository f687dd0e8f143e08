"""Tutor supply: joining (lagging demand), capacity changes, leaving, weekly statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from lyceum.core.ids import uuid7_array
from lyceum.nerdboard.marketplace.catalog import (
    AFFINITY,
    N_SUBJECTS,
    SUBJECT_NAMES,
    SUPPLY_WEEKDAY,
)
from lyceum.nerdboard.marketplace.state import (
    RECENT_DAYS,
    BoolArray,
    FloatArray,
    IntArray,
    MarketState,
    TimeArray,
    TutorTable,
    day_start,
    is_dormant,
    response_time_base,
)
from lyceum.nerdboard.marketplace.streams import Stream, day_rng, times_in_day

SUBJECT_COUNT_WEIGHTS = np.array([0.55, 0.28, 0.12, 0.05])
BASE_LEAVE_PER_YEAR = 0.10
IDLE_LEAVE_PER_YEAR = 0.4  # per unit of utilization below IDLE_UTILIZATION
IDLE_UTILIZATION = 0.6
CAPACITY_REVIEW_PER_DAY = 1 / 30
MEAN_CAPACITY_HOURS = 27.0
TARGET_UTILIZATION = 0.8  # hiring aims at this share of the demand seen in the look-back
HIRING_DAYS = 12  # a shortfall takes about this long to be hired away
MIN_HIRING_EVIDENCE_DAYS = 7
WEEKLY_UPDATE_TIME = np.timedelta64(30 * 60, "s")
_SUPPLY_PERCENT = np.rint(SUPPLY_WEEKDAY * 100).astype(np.int64)


def daily_capacity_minutes(weekly_hours: npt.NDArray[np.int32], day: date) -> IntArray:
    """Minutes a tutor offers on `day`: the week's hours shaped by the weekday, floored."""
    return np.asarray(weekly_hours.astype(np.int64) * 60 * _SUPPLY_PERCENT[day.weekday()] // 700)


def draw_capacity(rng: np.random.Generator, count: int) -> npt.NDArray[np.int32]:
    hours = np.rint(rng.lognormal(np.log(27.0), 0.35, size=count))
    return np.clip(hours, 5, 40).astype(np.int32)


def draw_subject_sets(rng: np.random.Generator, primary: IntArray) -> list[list[int]]:
    """The primary subject plus 0-3 related ones (maths together, sciences together, test
    prep with maths or English)."""
    counts = np.asarray(rng.choice(4, size=primary.shape[0], p=SUBJECT_COUNT_WEIGHTS)) + 1
    out: list[list[int]] = []
    for first, count in zip(primary.tolist(), counts.tolist(), strict=True):
        chosen = [first]
        while len(chosen) < count:
            weights = AFFINITY[chosen].max(axis=0)
            weights[chosen] = 0.0
            chosen.append(int(rng.choice(N_SUBJECTS, p=weights / weights.sum())))
        out.append(chosen)
    return out


def new_tutors(
    rng: np.random.Generator,
    created_at: TimeArray,
    primary: IntArray,
    first_number: int,
) -> TutorTable:
    order = np.argsort(created_at, kind="stable")
    created_at = created_at[order]
    primary = primary[order]
    count = primary.shape[0]
    ids = uuid7_array(created_at, rng)
    subject_sets = draw_subject_sets(rng, primary)
    qualified = np.zeros((count, N_SUBJECTS), dtype=bool)
    for row, chosen in enumerate(subject_sets):
        qualified[row, chosen] = True
    response = response_time_base(ids) * rng.lognormal(0.0, 0.25, size=count)
    return TutorTable(
        id=ids,
        number=np.arange(first_number, first_number + count, dtype=np.int64),
        subjects=[[SUBJECT_NAMES[i] for i in chosen] for chosen in subject_sets],
        qualified=qualified,
        weekly_capacity_hours=draw_capacity(rng, count),
        utilization_rate=np.zeros(count),
        avg_response_time_hours=np.round(response, 2),
        created_at=created_at,
        updated_at=created_at.copy(),
    )


def append_tutors(table: TutorTable, extra: TutorTable) -> None:
    table.id = np.concatenate([table.id, extra.id])
    table.number = np.concatenate([table.number, extra.number])
    table.subjects = table.subjects + extra.subjects
    table.qualified = np.concatenate([table.qualified, extra.qualified])
    table.weekly_capacity_hours = np.concatenate(
        [table.weekly_capacity_hours, extra.weekly_capacity_hours]
    )
    table.utilization_rate = np.concatenate([table.utilization_rate, extra.utilization_rate])
    table.avg_response_time_hours = np.concatenate(
        [table.avg_response_time_hours, extra.avg_response_time_hours]
    )
    table.created_at = np.concatenate([table.created_at, extra.created_at])
    table.updated_at = np.concatenate([table.updated_at, extra.updated_at])


def booked_minutes(state: MarketState, days: int) -> FloatArray:
    """Minutes booked with each tutor over the last `days` days."""
    first = state.next_day.toordinal() - days
    booked = np.zeros(len(state.tutors))
    for chunk in state.recent:
        if chunk.ordinal >= first:
            assigned = chunk.tutor_index >= 0
            booked += np.bincount(
                chunk.tutor_index[assigned],
                weights=chunk.duration_minutes[assigned],
                minlength=booked.shape[0],
            )
    return booked


def requested_minutes(state: MarketState, days: int) -> tuple[FloatArray, int]:
    """Minutes asked for per subject over the last `days` days (with a tutor or not), and how
    many days the record actually covers."""
    first = state.next_day.toordinal() - days
    chunks = [chunk for chunk in state.recent if chunk.ordinal >= first]
    if not chunks:
        return np.zeros(N_SUBJECTS), 0
    total = np.sum([chunk.requested_minutes for chunk in chunks], axis=0)
    return total, state.next_day.toordinal() - min(chunk.ordinal for chunk in chunks)


def age_days(table: TutorTable, day: date) -> IntArray:
    return np.asarray((day_start(day) - table.created_at).astype("timedelta64[D]").astype(np.int64))


@dataclass
class TutorDay:
    """Which pre-existing tutors changed today (and when), and where today's hires start."""

    changed: BoolArray
    changed_at: TimeArray
    first_new: int


def step_tutors(state: MarketState, day: date, seed: int) -> TutorDay:
    """Leaving, capacity reviews, Monday statistics and hiring, all before today's bookings."""
    tutors = state.tutors
    count = len(tutors)
    changed_at = np.full(count, np.datetime64("NaT"), dtype="datetime64[us]")
    dormant = is_dormant(tutors.number)
    age = age_days(tutors, day)

    rng = day_rng(seed, day, Stream.TUTOR_CHURN)
    idle = np.where(
        age >= RECENT_DAYS, np.maximum(0.0, IDLE_UTILIZATION - tutors.utilization_rate), 0
    )
    leave_probability = (BASE_LEAVE_PER_YEAR + IDLE_LEAVE_PER_YEAR * idle) / 365
    leaves = tutors.active & ~dormant & (rng.random(count) < leave_probability)
    tutors.weekly_capacity_hours[leaves] = 0
    changed_at[leaves] = times_in_day(rng, day, int(leaves.sum()), 6, 12)

    rng = day_rng(seed, day, Stream.TUTOR_CAPACITY)
    review = tutors.active & (rng.random(count) < CAPACITY_REVIEW_PER_DAY)
    util = tutors.utilization_rate[review]
    # Busy tutors offer more hours, idle ones fewer.
    low = np.select([util > 0.9, util > 0.75, util < 0.4], [1.1, 1.0, 0.6], 0.85)
    high = np.select([util > 0.9, util > 0.75, util < 0.4], [1.6, 1.35, 0.95], 1.2)
    factor = rng.uniform(low, high)
    old = tutors.weekly_capacity_hours[review]
    new = np.clip(np.rint(old * factor), 5, 40).astype(np.int32)
    tutors.weekly_capacity_hours[review] = new
    moved = np.flatnonzero(review)[new != old]
    changed_at[moved] = times_in_day(rng, day, moved.shape[0], 6, 12)

    if day.weekday() == 0:
        _weekly_statistics(state, day, seed, changed_at)

    changed = ~np.isnat(changed_at)
    tutors.updated_at[changed] = np.maximum(tutors.updated_at[changed], changed_at[changed])
    _hire(state, day, seed)
    return TutorDay(changed, changed_at, count)


def _weekly_statistics(state: MarketState, day: date, seed: int, changed_at: TimeArray) -> None:
    """Monday: utilization over the last 28 days and a fresh response-time average."""
    tutors = state.tutors
    rng = day_rng(seed, day, Stream.TUTOR_WEEKLY)
    booked = booked_minutes(state, RECENT_DAYS)
    days = np.clip(age_days(tutors, day), 1, RECENT_DAYS)
    offered = tutors.weekly_capacity_hours * 60.0 * days / 7
    active = tutors.active
    utilization = np.clip(booked / np.maximum(offered, 1.0), 0.0, 1.0)
    noise = rng.lognormal(0.0, 0.25, size=len(tutors))
    response = response_time_base(tutors.id) * noise * (0.85 + 0.4 * utilization)
    tutors.utilization_rate[active] = np.round(utilization[active], 4)
    tutors.avg_response_time_hours[active] = np.round(response[active], 2)
    stamp = day_start(day) + WEEKLY_UPDATE_TIME
    changed_at[active] = np.where(
        np.isnat(changed_at[active]), stamp, np.maximum(changed_at[active], stamp)
    )


def _hire(state: MarketState, day: date, seed: int) -> None:
    """Hire towards the demand of the last four weeks: recruiting trails demand, so a
    season's ramp-up outruns it."""
    tutors = state.tutors
    requested, covered = requested_minutes(state, RECENT_DAYS)
    if covered < MIN_HIRING_EVIDENCE_DAYS:
        return
    weekly_demand = requested / covered * 7
    share = tutors.qualified / np.maximum(tutors.qualified.sum(axis=1, keepdims=True), 1)
    effective = (tutors.weekly_capacity_hours * 60.0) @ share
    gap = np.maximum(weekly_demand / TARGET_UTILIZATION - effective, 0.0)
    if gap.sum() <= 0:
        return
    rng = day_rng(seed, day, Stream.TUTOR_HIRING)
    rate = gap.sum() / (MEAN_CAPACITY_HOURS * 60.0) / HIRING_DAYS
    count = int(rng.poisson(rate))
    if count == 0:
        return
    primary = rng.choice(N_SUBJECTS, size=count, p=gap / gap.sum())
    created_at = times_in_day(rng, day, count, 8, 18)
    first_number = int(tutors.number.max()) + 1 if len(tutors) else 1
    append_tutors(tutors, new_tutors(rng, created_at, primary, first_number))
