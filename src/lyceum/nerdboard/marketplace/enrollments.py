"""Student demand: sign-ups (new students and added subjects) and churn.

An enrollment is active from its `start_date` (the day after it was created) until it
churns; churn is written as the row's `updated_at` (the churn instant), so `updated_at >
created_at` means "ended". The churn hazard is memoryless: it falls with engagement and with
the student's latest weekly health score, and rises for students whose sessions went without
a tutor last week.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from lyceum.core.ids import uuid7_array
from lyceum.nerdboard.marketplace.batch import Columns
from lyceum.nerdboard.marketplace.catalog import (
    AFFINITY,
    ANNUAL_GROWTH,
    MEAN_CHURN_FACTORS,
    N_SUBJECTS,
    SHARES,
    enrollment_arrival_season,
    enrollment_churn_factors,
    subject_season,
)
from lyceum.nerdboard.marketplace.ids import uuid_low64
from lyceum.nerdboard.marketplace.state import (
    BoolArray,
    EnrollmentTable,
    FloatArray,
    IntArray,
    MarketState,
    TimeArray,
    model_engagement,
    subject_name_array,
)
from lyceum.nerdboard.marketplace.streams import Stream, day_rng, times_in_day

BASE_CHURN_PER_DAY = 1 / 95
ENGAGEMENT_CHURN_SLOPE = 1.5
UNMET_CHURN = 0.3  # extra relative hazard per session left without a tutor last week
HEALTH_CHURN_SLOPE = 0.03  # per health point below (above) NEUTRAL_HEALTH
NEUTRAL_HEALTH = 65.0
NEW_STUDENT_SHARE = 0.8  # of new enrollments; the rest are students adding a subject
STUDENT_SUBJECT_WEIGHTS = np.array([0.62, 0.28, 0.10])
MEAN_SUBJECTS_PER_STUDENT = float(STUDENT_SUBJECT_WEIGHTS @ np.arange(1, 4))
NULL_ENGAGEMENT_RATE = 0.0004  # planted defect: engagement never recorded
GROWTH_PER_DAY = float(np.log1p(ANNUAL_GROWTH) / 365.25)
ONE_DAY = np.timedelta64(1, "D")
UInt64Array = npt.NDArray[np.uint64]


def engagement_hazard(engagement: FloatArray) -> FloatArray:
    """Daily churn hazard before subject and calendar (NaN engagement counts as neutral)."""
    return np.asarray(
        BASE_CHURN_PER_DAY * np.exp(-ENGAGEMENT_CHURN_SLOPE * (model_engagement(engagement) - 0.55))
    )


def cohort_ids(start: TimeArray) -> npt.NDArray[np.str_]:
    """Term cohorts: '2025-FALL' (Aug-Dec), '2026-SPRING' (Jan-May), '2026-SUMMER'."""
    months = start.astype("datetime64[M]").astype(np.int64)
    year = months // 12 + 1970
    month = months % 12 + 1
    term = np.where(month >= 8, "FALL", np.where(month >= 6, "SUMMER", "SPRING"))
    return np.char.add(np.char.add(year.astype(str), "-"), term)


def risk_factors(state: MarketState) -> FloatArray:
    """Per active enrollment: how much the student's recent experience multiplies the hazard
    — their latest health score (neutral when none yet) and each session left without a
    tutor in the last seven days."""
    first = state.next_day.toordinal() - 7
    keys = [
        uuid_low64(chunk.student_id[chunk.tutor_index < 0])
        for chunk in state.recent
        if chunk.ordinal >= first
    ]
    unmet = np.sort(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.uint64)
    student = uuid_low64(state.enrollments.student_id)
    count = np.searchsorted(unmet, student, "right") - np.searchsorted(unmet, student)
    health = state.latest_health(state.enrollments.student_id)
    health = np.where(np.isnan(health), NEUTRAL_HEALTH, health)
    return np.asarray(
        (1.0 + UNMET_CHURN * count) * np.exp(-HEALTH_CHURN_SLOPE * (health - NEUTRAL_HEALTH))
    )


def churn_enrollments(
    state: MarketState, day: date, seed: int, risk: FloatArray
) -> tuple[Columns, BoolArray]:
    """Remove today's churned enrollments from the state; return their end updates and which
    of the enrollments (as they were, aligned with `risk` from `risk_factors`) stay."""
    table = state.enrollments
    rng = day_rng(seed, day, Stream.ENROLLMENT_CHURN)
    hazard = (
        engagement_hazard(table.engagement_score)
        * enrollment_churn_factors(day)[table.subject_index]
        * risk
    )
    ended = rng.random(len(table)) < hazard
    ends: Columns = {
        "id": table.id[ended],
        "updated_at": times_in_day(rng, day, int(ended.sum()), 7, 23),
    }
    state.enrollments = table.take(np.flatnonzero(~ended))
    return ends, ~ended


def _draw_rows(rng: np.random.Generator, weights: FloatArray) -> IntArray:
    """One column index per row of `weights`, with probability proportional to the row."""
    cumulative = np.cumsum(weights, axis=1)
    target = rng.random(weights.shape[0]) * cumulative[:, -1]
    drawn = np.minimum((cumulative <= target[:, None]).sum(axis=1), weights.shape[1] - 1)
    return np.asarray(drawn, dtype=np.int64)


def new_students(
    rng: np.random.Generator, created_at: TimeArray, subject_weights: FloatArray
) -> tuple[IntArray, FloatArray, IntArray]:
    """Subjects of new students (1-3, related) → (student row, subject, engagement) per
    enrollment."""
    count = created_at.shape[0]
    k = rng.choice(3, size=count, p=STUDENT_SUBJECT_WEIGHTS) + 1
    first = _draw_rows(rng, np.broadcast_to(subject_weights, (count, N_SUBJECTS)))
    weights = AFFINITY[first] * subject_weights
    weights[np.arange(count), first] = 0
    second = _draw_rows(rng, weights)
    weights = weights + AFFINITY[second] * subject_weights
    weights[np.arange(count), first] = 0
    weights[np.arange(count), second] = 0
    third = _draw_rows(rng, weights)
    base = np.asarray(rng.beta(2.2, 1.8, size=count), dtype=np.float64)

    rows = np.concatenate([np.arange(count), np.flatnonzero(k >= 2), np.flatnonzero(k >= 3)])
    subjects = np.concatenate([first, second[k >= 2], third[k >= 3]])
    order = np.argsort(rows, kind="stable")
    rows, subjects = rows[order], subjects[order]
    engagement = np.clip(base[rows] + rng.normal(0, 0.08, size=rows.shape[0]), 0.02, 0.98)
    return rows, np.round(engagement, 3), subjects


def enrollment_rows(
    rng: np.random.Generator,
    student_id: npt.NDArray[np.uint8],
    subject: IntArray,
    engagement: FloatArray,
    created_at: TimeArray,
) -> tuple[EnrollmentTable, Columns]:
    """Enrollment rows (ordered by id) and the state entries they add."""
    engagement = np.where(
        rng.random(engagement.shape[0]) < NULL_ENGAGEMENT_RATE, np.nan, engagement
    )
    ids = uuid7_array(created_at, rng)
    order = np.argsort(ids.view("V16").reshape(-1), kind="stable")
    start = np.asarray(created_at.astype("datetime64[D]") + ONE_DAY, dtype="datetime64[us]")
    table = EnrollmentTable(
        id=ids[order],
        student_id=student_id[order],
        subject_index=subject[order].astype(np.int16),
        engagement_score=engagement[order],
        start_date=start[order],
        created_at=created_at[order],
    )
    rows: Columns = {
        "id": table.id,
        "student_id": table.student_id,
        "subject": subject_name_array(table.subject_index),
        "cohort_id": cohort_ids(table.start_date),
        "start_date": table.start_date,
        "engagement_score": table.engagement_score,
        "created_at": table.created_at,
        "updated_at": table.created_at.copy(),
    }
    return table, rows


def _pair_keys(student_id: npt.NDArray[np.uint8], subject: npt.NDArray[Any]) -> UInt64Array:
    return (uuid_low64(student_id) >> np.uint64(4) << np.uint64(4)) | subject.astype(np.uint64)


def _addon_choices(
    rng: np.random.Generator, table: EnrollmentTable, count: int, subject_weights: FloatArray
) -> tuple[IntArray, IntArray]:
    """`count` (enrollment whose student adds a subject, new subject) pairs. A student never
    holds two active enrollments in one subject: clashing draws are replaced by spares."""
    if count == 0 or len(table) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pick = rng.integers(0, len(table), size=2 * count + 4)
    subject = _draw_rows(rng, AFFINITY[table.subject_index[pick]] * subject_weights)
    candidate = _pair_keys(table.student_id[pick], subject)
    fresh = np.zeros(pick.size, dtype=bool)
    fresh[np.unique(candidate, return_index=True)[1]] = True
    fresh &= ~(candidate[:, None] == _pair_keys(table.student_id, table.subject_index)).any(axis=1)
    keep = np.flatnonzero(fresh)[:count]
    return pick[keep], subject[keep]


def arrive(state: MarketState, day: date, seed: int, risk: FloatArray) -> Columns:
    """Today's sign-ups, appended to the state; they book from tomorrow. `risk`: the
    `risk_factors` of the enrollments now in the state.

    The arrival rate replaces the churn expected in an average week and adds the market's
    growth, both scaled by the sign-up season, so the market's size is carried by the state
    alone. (Marketing replaces the students a shortfall drives away; those students are
    still lost, and their health said so.)"""
    table = state.enrollments
    rng = day_rng(seed, day, Stream.ENROLLMENT_ARRIVALS)
    expected_churn = (
        engagement_hazard(table.engagement_score) * MEAN_CHURN_FACTORS[table.subject_index] * risk
    )
    expected = float(expected_churn.sum()) + GROWTH_PER_DAY * len(table)
    rate = enrollment_arrival_season(day) * expected
    subject_weights = SHARES * subject_season(day + timedelta(days=14))

    student_count = int(rng.poisson(rate * NEW_STUDENT_SHARE / MEAN_SUBJECTS_PER_STUDENT))
    created = times_in_day(rng, day, student_count, 7, 23)
    student_rows, engagement, subjects = new_students(rng, created, subject_weights)
    student_ids = uuid7_array(created, rng)

    addon_count = int(rng.poisson(rate * (1 - NEW_STUDENT_SHARE))) if len(table) else 0
    pick, addon_subject = _addon_choices(rng, table, addon_count, subject_weights)
    addon_engagement = np.round(
        np.clip(
            model_engagement(table.engagement_score[pick]) + rng.normal(0, 0.1, pick.size),
            0.02,
            0.98,
        ),
        3,
    )
    addon_created = times_in_day(rng, day, pick.size, 7, 23)

    added, rows = enrollment_rows(
        rng,
        np.concatenate([student_ids[student_rows], table.student_id[pick]]),
        np.concatenate([subjects, addon_subject]),
        np.concatenate([engagement, addon_engagement]),
        np.concatenate([created[student_rows], addon_created]),
    )
    state.enrollments = EnrollmentTable(
        id=np.concatenate([table.id, added.id]),
        student_id=np.concatenate([table.student_id, added.student_id]),
        subject_index=np.concatenate([table.subject_index, added.subject_index]),
        engagement_score=np.concatenate([table.engagement_score, added.engagement_score]),
        start_date=np.concatenate([table.start_date, added.start_date]),
        created_at=np.concatenate([table.created_at, added.created_at]),
    )
    return rows
