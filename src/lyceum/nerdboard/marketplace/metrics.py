"""Daily capacity snapshots and weekly customer health."""

from __future__ import annotations

from datetime import date

import numpy as np

from lyceum.core.ids import uuid7_array
from lyceum.nerdboard.marketplace.batch import Columns
from lyceum.nerdboard.marketplace.catalog import N_SUBJECTS, SUBJECT_NAMES
from lyceum.nerdboard.marketplace.ids import uuid_keys, uuid_low64, uuid_text
from lyceum.nerdboard.marketplace.sessions import Assignment, Bookings
from lyceum.nerdboard.marketplace.state import MarketState, TutorTable, day_start, model_engagement
from lyceum.nerdboard.marketplace.streams import Stream, day_rng

SPARE_MINUTES = 30  # a tutor with at least this much left could still take a session
SNAPSHOT_TIME = np.timedelta64(23 * 3600 + 55 * 60, "s")
HEALTH_TIME = np.timedelta64(45 * 60, "s")
_MISSING_SNAPSHOT_PERIOD = 173  # planted defect: one subject's snapshot lost about twice a year
AT_RISK_SCORE = 40.0


def snapshot_missing(day: date, seed: int) -> bool:
    return day.toordinal() % _MISSING_SNAPSHOT_PERIOD == seed % _MISSING_SNAPSHOT_PERIOD


def capacity_snapshots(
    tutors: TutorTable, bookings: Bookings, assignment: Assignment, day: date, seed: int
) -> Columns:
    """One row per subject.

    used = booked hours (sessions with a tutor), rounded. total = the hours the subject had:
    its booked hours plus the unbooked hours of its qualified active tutors, each tutor's
    unbooked hours split evenly over their subjects, rounded up. A tutor's hours thus count
    once across subjects, so utilization reads like the tutors' own (a tutor's full capacity
    counted in each of their subjects would show half-empty subjects that turn students
    away). used <= total always."""
    qualified = np.ascontiguousarray(tutors.qualified.T, dtype=np.float64)
    assigned = assignment.tutor_index >= 0
    booked = np.bincount(
        bookings.subject_index[assigned],
        weights=bookings.duration_minutes[assigned],
        minlength=N_SUBJECTS,
    )
    unbooked = (assignment.capacity_minutes - assignment.booked_minutes).astype(np.float64)
    subject_count = np.maximum(tutors.qualified.sum(axis=1), 1)
    total = np.ceil((booked + qualified @ (unbooked / subject_count)) / 60).astype(np.int64)
    used = np.rint(booked / 60).astype(np.int64)
    spare = tutors.active & (unbooked >= SPARE_MINUTES)
    available = (qualified @ spare.astype(np.float64)).astype(np.int64)
    utilization = np.where(total > 0, used / np.maximum(total, 1), 0.0)

    rng = day_rng(seed, day, Stream.SNAPSHOTS)
    keep = np.ones(N_SUBJECTS, dtype=bool)
    if snapshot_missing(day, seed):
        keep[rng.integers(0, N_SUBJECTS)] = False
    count = int(keep.sum())
    stamp = np.full(count, day_start(day) + SNAPSHOT_TIME, dtype="datetime64[us]")
    return {
        "id": uuid7_array(stamp, rng),
        "subject": np.asarray(SUBJECT_NAMES, dtype=str)[keep],
        "date": np.full(count, day_start(day), dtype="datetime64[us]"),
        "total_capacity_hours": total[keep].astype(np.int32),
        "used_capacity_hours": used[keep].astype(np.int32),
        "available_tutors_count": available[keep].astype(np.int32),
        "utilization_rate": utilization[keep],
        "created_at": stamp,
        "updated_at": stamp.copy(),
    }


def health_metrics(state: MarketState, day: date, seed: int) -> Columns:
    """Monday: last week's health of every student holding an active enrollment (kept in
    the state: it drives churn until next Monday).

    Completion is drawn from a propensity that rises with engagement; sessions without a
    tutor are scheduled but never completed. Tickets rise as completion falls and with
    unmet sessions. The score mixes completion, attended sessions, engagement and tickets."""
    table = state.enrollments
    rng = day_rng(seed, day, Stream.HEALTH)
    keys = uuid_keys(table.student_id)
    students, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    count = students.shape[0]
    engagement = np.bincount(
        inverse, weights=model_engagement(table.engagement_score), minlength=count
    ) / np.maximum(np.bincount(inverse, minlength=count), 1)

    scheduled = np.zeros(count, dtype=np.int64)
    unmet = np.zeros(count, dtype=np.int64)
    first_day = day.toordinal() - 7
    for chunk in state.recent:
        if chunk.ordinal < first_day or count == 0:
            continue
        session_keys = uuid_keys(chunk.student_id)
        position = np.minimum(np.searchsorted(students, session_keys), count - 1)
        known = students[position] == session_keys
        scheduled += np.bincount(position[known], minlength=count)
        unmet += np.bincount(position[known & (chunk.tutor_index < 0)], minlength=count)

    propensity = np.clip(0.62 + 0.36 * engagement + rng.normal(0, 0.06, count), 0.05, 0.99)
    completed = rng.binomial(scheduled - unmet, propensity)
    had_sessions = scheduled > 0
    rate = np.where(had_sessions, completed / np.maximum(scheduled, 1), np.nan)
    # A quiet week is a warning, not yet a failure.
    completion = np.where(had_sessions, rate, 0.75 * propensity)
    tickets = rng.poisson(0.04 + 1.2 * (1 - completion) ** 2 + 0.45 * unmet)
    score = (
        100 * (0.45 * completion + 0.25 * np.minimum(completed / 2, 1) + 0.30 * engagement)
        - 8 * tickets
        + rng.normal(0, 5, count)
    )
    health = np.asarray(np.round(np.clip(score, 0, 100), 1), dtype=np.float64)
    state.set_health(uuid_low64(table.student_id[first]), health)
    stamp = np.full(count, day_start(day) + HEALTH_TIME, dtype="datetime64[us]")
    return {
        "id": uuid7_array(stamp, rng),
        "customer_id": uuid_text(table.student_id[first]),
        "date": np.full(count, day_start(day), dtype="datetime64[us]"),
        "health_score": health,
        "engagement_level": completed.astype(np.int32),
        "support_ticket_count": tickets.astype(np.int32),
        "session_completion_rate": rate,
        "created_at": stamp,
        "updated_at": stamp.copy(),
    }
