"""The day loop: the starting population, one day's step, and whole histories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np

from lyceum.core.ids import uuid7_array
from lyceum.nerdboard.marketplace.batch import Columns, MarketBatch, merge_batches
from lyceum.nerdboard.marketplace.catalog import (
    ANNUAL_GROWTH,
    HISTORY_END,
    MEAN_CHURN_FACTORS,
    MEAN_DURATION_MINUTES,
    N_SUBJECTS,
    SCALES,
    SHARES,
    MarketScale,
    growth_factor,
    history_start,
)
from lyceum.nerdboard.marketplace.enrollments import (
    GROWTH_PER_DAY,
    MEAN_SUBJECTS_PER_STUDENT,
    arrive,
    churn_enrollments,
    engagement_hazard,
    enrollment_rows,
    new_students,
    risk_factors,
)
from lyceum.nerdboard.marketplace.ids import session_ids, tutor_ids
from lyceum.nerdboard.marketplace.metrics import capacity_snapshots, health_metrics
from lyceum.nerdboard.marketplace.sessions import Assignment, Bookings, assign_tutors, book_sessions
from lyceum.nerdboard.marketplace.state import (
    RECENT_DAYS,
    DaySessions,
    IntArray,
    MarketState,
    TutorTable,
    day_start,
    empty_tutors,
    session_frequency,
    subject_name_array,
)
from lyceum.nerdboard.marketplace.streams import Stream, day_rng, times_in_day
from lyceum.nerdboard.marketplace.tutors import (
    MEAN_CAPACITY_HOURS,
    TARGET_UTILIZATION,
    append_tutors,
    new_tutors,
    step_tutors,
)

# Active enrollments per session a day at the start, tuned so a 12-month history averages
# the scale's sessions a day.
ENROLLMENTS_PER_DAILY_SESSION = 2.7
MAX_AGE_DAYS = 720


def _scale(scale: str | MarketScale) -> MarketScale:
    if isinstance(scale, MarketScale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; known: {', '.join(SCALES)}") from None


def tutor_rows(tutors: TutorTable, index: IntArray) -> Columns:
    return {
        "id": tutors.id[index],
        "tutor_id": tutor_ids(tutors.number[index]),
        "subjects": [list(tutors.subjects[i]) for i in index.tolist()],
        "weekly_capacity_hours": tutors.weekly_capacity_hours[index].copy(),
        "utilization_rate": tutors.utilization_rate[index].copy(),
        "avg_response_time_hours": tutors.avg_response_time_hours[index].copy(),
        "created_at": tutors.created_at[index].copy(),
        "updated_at": tutors.updated_at[index].copy(),
    }


def initial_state(
    scale: str | MarketScale, seed: int, start: date
) -> tuple[MarketState, MarketBatch]:
    """The market as it stands on `start`: active enrollments and tutors created before it
    (their rows are in the batch); nothing of the past is recorded but them."""
    spec = _scale(scale)
    rng = day_rng(seed, start, Stream.INITIAL)
    level = growth_factor(start) / np.sqrt(1 + ANNUAL_GROWTH)
    wanted = round(float(ENROLLMENTS_PER_DAILY_SESSION * spec.sessions_per_day * level))

    # Long-lived enrollments are over-represented among those still active: sample students
    # in proportion to how long they stay (1 / hazard), subjects in proportion to share/churn.
    candidates = int(wanted / MEAN_SUBJECTS_PER_STUDENT * 2) + 10
    weights = SHARES / MEAN_CHURN_FACTORS
    placeholder = np.full(candidates, day_start(start), dtype="datetime64[us]")
    rows, engagement, subjects = new_students(rng, placeholder, weights / weights.sum())
    hazard = engagement_hazard(engagement) * MEAN_CHURN_FACTORS[subjects]
    student_hazard = np.bincount(rows, weights=hazard, minlength=candidates) / np.maximum(
        np.bincount(rows, minlength=candidates), 1
    )
    priority = rng.random(candidates) ** student_hazard  # Efraimidis-Spirakis, weight 1/hazard
    order = np.argsort(-priority, kind="stable")
    enrollments_per_student = np.bincount(rows, minlength=candidates)
    taken = order[: int(np.searchsorted(np.cumsum(enrollments_per_student[order]), wanted)) + 1]
    chosen = np.zeros(candidates, dtype=bool)
    chosen[taken] = True

    age = np.minimum(rng.exponential(1 / (student_hazard + GROWTH_PER_DAY)), MAX_AGE_DAYS)
    days_before = (np.ceil(age) + 1).astype(np.int64)
    second = rng.integers(7 * 3600, 23 * 3600, size=candidates)
    created = (
        day_start(start) - (days_before * 86_400 - second) * np.timedelta64(1_000_000, "us")
    ).astype("datetime64[us]")
    student_ids = uuid7_array(created, rng)
    keep = chosen[rows]
    table, enrollment_batch = enrollment_rows(
        rng, student_ids[rows[keep]], subjects[keep], engagement[keep], created[rows[keep]]
    )

    weekly_minutes = (
        np.bincount(
            table.subject_index,
            weights=session_frequency(table.engagement_score),
            minlength=N_SUBJECTS,
        )
        * MEAN_DURATION_MINUTES
    )
    need = weekly_minutes / TARGET_UTILIZATION
    tutor_count = max(round(float(need.sum()) / (MEAN_CAPACITY_HOURS * 60.0)), 1)
    primary = rng.choice(N_SUBJECTS, size=tutor_count, p=need / need.sum())
    tutor_age = np.minimum(rng.exponential(420, size=tutor_count), 1500).astype(np.int64) + 1
    tutor_created = times_in_day(rng, start, tutor_count, 8, 18) - tutor_age * np.timedelta64(
        1, "D"
    )
    tutors = empty_tutors()
    append_tutors(tutors, new_tutors(rng, tutor_created, primary, 1))
    utilization = np.round(np.clip(rng.normal(0.7, 0.12, tutor_count), 0.05, 1), 4)
    tutors.utilization_rate = np.asarray(utilization, dtype=np.float64)

    state = MarketState(start, tutors, table, [])
    batch = MarketBatch(
        enrollments=enrollment_batch, tutors=tutor_rows(tutors, np.arange(tutor_count))
    )
    return state, batch


def _session_rows(
    tutors: TutorTable, bookings: Bookings, assignment: Assignment, day: date, seed: int
) -> Columns:
    count = len(bookings)
    rng = day_rng(seed, day, Stream.SESSION_IDS)
    null = assignment.tutor_index < 0
    tutor_uuid = np.zeros((count, 16), dtype=np.uint8)
    tutor_uuid[~null] = tutors.id[assignment.tutor_index[~null]]
    return {
        "id": uuid7_array(bookings.created_at, rng),
        "session_id": session_ids(day, count),
        "subject": subject_name_array(bookings.subject_index),
        "tutor_id": tutor_uuid,
        "tutor_id_null": null,
        "student_id": bookings.student_id,
        "scheduled_time": bookings.scheduled_time,
        "duration_minutes": bookings.duration_minutes,
        "created_at": bookings.created_at,
        "updated_at": bookings.created_at.copy(),
    }


def advance_day(state: MarketState, day: date, seed: int) -> MarketBatch:
    """Simulate `day` (which must be `state.next_day`), mutating `state` to the end of it.

    Order within the day: tutors leave, review capacity, get Monday statistics and are hired;
    on Mondays last week's health is measured; enrollments churn; the remaining ones book
    sessions, which are assigned; capacity is snapshotted; today's sign-ups arrive (they book
    from tomorrow)."""
    if day != state.next_day:
        raise ValueError(f"the state is at {state.next_day}, not {day}")
    tutor_day = step_tutors(state, day, seed)
    health = health_metrics(state, day, seed) if day.weekday() == 0 else None
    risk = risk_factors(state)
    ends, stay = churn_enrollments(state, day, seed, risk)
    bookings = book_sessions(state, day, seed)
    assignment = assign_tutors(state.tutors, bookings, day, seed)
    snapshots = capacity_snapshots(state.tutors, bookings, assignment, day, seed)
    enrollments = arrive(state, day, seed, risk[stay])

    if len(bookings):
        state.recent.append(
            DaySessions(
                day.toordinal(),
                bookings.student_id,
                assignment.tutor_index,
                bookings.subject_index,
                bookings.duration_minutes,
            )
        )
    oldest = day.toordinal() + 1 - RECENT_DAYS
    state.recent = [chunk for chunk in state.recent if chunk.ordinal >= oldest]
    state.next_day = day + timedelta(days=1)

    tutors = state.tutors
    changed = np.flatnonzero(tutor_day.changed)
    batch = MarketBatch(
        enrollments=enrollments,
        enrollment_ends=ends,
        tutors=tutor_rows(tutors, np.arange(tutor_day.first_new, len(tutors))),
        tutor_updates={
            "id": tutors.id[changed],
            "weekly_capacity_hours": tutors.weekly_capacity_hours[changed].copy(),
            "utilization_rate": tutors.utilization_rate[changed].copy(),
            "avg_response_time_hours": tutors.avg_response_time_hours[changed].copy(),
            "updated_at": tutors.updated_at[changed].copy(),
        },
        sessions=_session_rows(tutors, bookings, assignment, day, seed),
        capacity_snapshots=snapshots,
    )
    if health is not None:
        batch.health_metrics = health
    return batch


def simulate_days(
    state: MarketState,
    days: int,
    seed: int,
    progress: Callable[[float], None] | None = None,
) -> list[MarketBatch]:
    """Advance `state` by `days` days; one batch per day."""
    out: list[MarketBatch] = []
    for step in range(days):
        out.append(advance_day(state, state.next_day, seed))
        if progress is not None:
            progress((step + 1) / days)
    return out


def generate_history(
    scale: str = "default",
    seed: int = 0,
    months: int = 12,
    progress: Callable[[float], None] | None = None,
) -> tuple[MarketBatch, MarketState]:
    """`months` months ending at `HISTORY_END` (exclusive): every row as the database should
    hold it afterwards (tutors and enrollments in their final state), and the state to
    continue from with `advance_day(state, HISTORY_END, seed)`."""
    start = history_start(months)
    state, initial = initial_state(scale, seed, start)
    days = simulate_days(state, (HISTORY_END - start).days, seed, progress)
    return merge_batches([initial, *days]), state
