"""Session rows: times, ids, statuses and the measured details of each booked session.

- Times. A session starts at its pairing's usual local time (weekday or weekend slot, on the
  half hour) converted to UTC with the tutor's zone; a reschedule moves it by one to three
  hours within the day (`scheduled_start` is the latest time). It was booked 1-14 days
  ahead (2-72 hours for a first session).
- Statuses. Whatever has not started by the history's end is 'scheduled' (no outcome yet);
  that includes next week's bookings. `actual_start` (late by 0.5 + 6 (1 - reliability)
  minutes on average) and `actual_duration_minutes` (shorter when motivation is low) exist
  only for completed sessions, `no_show_by` only for no-shows, `rescheduled_by` only for
  rescheduled sessions: the table's CHECKs.
- Measures. `engagement_score` (0-1, platform-measured) and `learning_objectives_met` (the
  tutor's report) follow the session's latent quality; both are NULL until the session ran.
- Ids. `SES-YYYYMMDD-NNNNN`: the UTC start date and the rank within that date, so ids sort
  like start times (and COPY appends to the primary-key index).
- `is_first_session` marks the student's first session with that tutor: the first booked
  session of a pairing that began within the history (or is about to begin), and only if
  the two never met before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from lyceum.tutormax.enums import InitiatedBy, SessionStatus
from lyceum.tutormax.synthetic.behaviour import (
    CANCEL_STUDENT,
    CANCEL_TUTOR,
    COMPLETED,
    NO_SHOW_STUDENT,
    NO_SHOW_TUTOR,
    NOT_RESCHEDULED,
    RESCHEDULED_STUDENT,
    RESCHEDULED_TUTOR,
)
from lyceum.tutormax.synthetic.catalog import (
    MICROS_PER_DAY,
    MICROS_PER_HOUR,
    MICROS_PER_MINUTE,
    SUBJECT_NAMES,
    TIMEZONE_OFFSETS,
    BoolArray,
    FloatArray,
    IntArray,
    StrArray,
    as_timestamps,
    midnight_micros,
)
from lyceum.tutormax.synthetic.state import RawHistory
from lyceum.tutormax.synthetic.text import fixed_width

SCHEDULED = 5  # outcome code of a session that has not happened yet
STATUS_TEXT = np.array(
    [
        SessionStatus.COMPLETED.value,
        SessionStatus.NO_SHOW.value,
        SessionStatus.NO_SHOW.value,
        SessionStatus.CANCELLED.value,
        SessionStatus.CANCELLED.value,
        SessionStatus.SCHEDULED.value,
    ]
)
# Who, by outcome code and by reschedule code ("" where nobody).
OUTCOME_BY = np.array(
    ["", InitiatedBy.TUTOR.value, InitiatedBy.STUDENT.value, "tutor", "student", ""]
)
RESCHEDULED_BY = np.array(
    ["", InitiatedBy.TUTOR.value, InitiatedBy.STUDENT.value, InitiatedBy.SYSTEM.value]
)
_SHIFT_MINUTES = np.array([-180, -120, -60, 60, 120, 180])

Columns = dict[str, np.ndarray]


@dataclass(frozen=True)
class SessionFacts:
    """The rows' facts other tables derive from (feedback, events), in row order."""

    session_id: StrArray
    tutor: IntArray
    student: IntArray
    start: IntArray  # microseconds since the epoch
    outcome: IntArray
    rescheduled: IntArray
    rescheduled_at: IntArray
    cancelled_at: IntArray
    actual_end: IntArray
    quality: FloatArray
    motivation: FloatArray
    rated: BoolArray
    rating: IntArray


def _ids(start: IntArray) -> StrArray:
    """`SES-YYYYMMDD-NNNNN` for rows already sorted by start."""
    days = (start // MICROS_PER_DAY).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    month = months.astype(np.int64) % 12 + 1
    day_of_month = (days - months).astype(np.int64) + 1
    # Sorted rows: a new day starts wherever the date changes.
    boundary = np.concatenate([[True], days[1:] != days[:-1]])
    first_of_day = np.maximum.accumulate(np.where(boundary, np.arange(start.shape[0]), 0))
    rank = np.arange(start.shape[0]) - first_of_day
    stamp = year * 10_000 + month * 100 + day_of_month
    return fixed_width(("SES-", (stamp, 8), "-", (rank + 1, 5)), start.shape[0])


def _lognormal_hours(rng: np.random.Generator, median: FloatArray, sigma: float) -> FloatArray:
    return np.asarray(median * np.exp(sigma * rng.standard_normal(median.shape[0])))


def session_rows(
    raw: RawHistory, start_day: date, end_day: date, seed: int, student_number: IntArray
) -> tuple[Columns, SessionFacts]:
    """Every booked session of the history and next week; `student_number` maps the model's
    student index to the row number of the students table."""
    rng = np.random.default_rng([seed, 7_201])
    pairings, tutors = raw.pairings, raw.tutors
    history_count = int(raw.session_day.shape[0])
    day = np.concatenate([raw.session_day, raw.scheduled_day])
    pairing = np.concatenate([raw.session_pairing, raw.scheduled_pairing])
    count = int(day.shape[0])
    booked_first = np.concatenate([raw.session_first, raw.scheduled_first])
    outcome = np.concatenate([raw.session_outcome, np.full(raw.scheduled_day.shape[0], SCHEDULED)])
    rescheduled = np.concatenate(
        [raw.session_rescheduled, np.full(raw.scheduled_day.shape[0], NOT_RESCHEDULED)]
    )
    padding = count - history_count
    quality = np.concatenate([raw.session_quality, np.zeros(padding)])
    rated = np.concatenate([raw.session_rated, np.zeros(padding, dtype=bool)])
    rating = np.concatenate([raw.session_rating, np.zeros(padding, dtype=np.int64)])

    tutor = pairings.column("tutor")[pairing]
    student = pairings.column("student")[pairing]
    weekend = (start_day.weekday() + day) % 7 >= 5
    minute = np.where(
        weekend,
        pairings.column("weekend_minute")[pairing],
        pairings.column("weekday_minute")[pairing],
    )
    moved = rescheduled != NOT_RESCHEDULED
    minute = np.clip(
        minute + np.where(moved, rng.choice(_SHIFT_MINUTES, count), 0), 8 * 60, 21 * 60
    )
    origin = midnight_micros(start_day)
    end = midnight_micros(end_day)
    start = (
        origin
        + day * MICROS_PER_DAY
        + (minute + 60 * TIMEZONE_OFFSETS[tutors.timezone[tutor]]) * MICROS_PER_MINUTE
    )
    # Not started by the end: booked, nothing happened yet.
    pending = start >= end
    outcome = np.where(pending, SCHEDULED, outcome)
    rescheduled = np.where(pending, NOT_RESCHEDULED, rescheduled)
    moved = rescheduled != NOT_RESCHEDULED
    rated &= ~pending

    order = np.lexsort((pairing, start))
    day, pairing, tutor, student, start = (a[order] for a in (day, pairing, tutor, student, start))
    outcome, rescheduled, moved, booked_first = (
        a[order] for a in (outcome, rescheduled, moved, booked_first)
    )
    quality, rated, rating = quality[order], rated[order], rating[order]

    # First session: the pairing's first booking, unless the two met in an earlier pairing.
    pair_key = student * (tutors.count + 1) + tutor
    _, earliest = np.unique(pair_key, return_index=True)
    is_earliest = np.zeros(count, dtype=bool)
    is_earliest[earliest] = True
    first = booked_first & is_earliest

    reliability = tutors.reliability[tutor]
    history_day = np.minimum(day, raw.history_days - 1)
    motivation = np.nan_to_num(raw.motivation[tutor, history_day], nan=0.5)
    duration = pairings.column("duration")[pairing]

    lead_hours = np.where(first, rng.uniform(2, 72, count), rng.uniform(24, 14 * 24, count))
    created = start - (lead_hours * MICROS_PER_HOUR).astype(np.int64)
    created = np.where(
        outcome == SCHEDULED,
        np.minimum(created, end - rng.integers(10 * MICROS_PER_MINUTE, 6 * MICROS_PER_DAY, count)),
        created,
    )
    notice_median = np.select(
        [rescheduled == RESCHEDULED_TUTOR, rescheduled == RESCHEDULED_STUDENT],
        [6 + 30 * reliability, np.full(count, 24.0)],
        np.full(count, 2.0),
    )
    notice = np.minimum(_lognormal_hours(rng, notice_median, 0.7), 0.8 * lead_hours)
    rescheduled_at = np.where(moved, start - (notice * MICROS_PER_HOUR).astype(np.int64), 0)
    cancelled = np.isin(outcome, (CANCEL_TUTOR, CANCEL_STUDENT))
    cancel_median = np.where(outcome == CANCEL_TUTOR, 2 + 20 * motivation, 12.0)
    cancel_notice = np.minimum(_lognormal_hours(rng, cancel_median, 0.8), 0.8 * lead_hours)
    cancelled_at = np.where(
        cancelled, start - (cancel_notice * MICROS_PER_HOUR).astype(np.int64), 0
    )

    completed = outcome == COMPLETED
    late_minutes = np.clip(0.5 + 6 * (1 - reliability) + 2.0 * rng.standard_normal(count), -3, 25)
    actual_start = start + (late_minutes * 60).astype(np.int64) * 1_000_000
    actual_duration = np.clip(
        np.rint(duration + 4 * rng.standard_normal(count) - 8 * (1 - motivation)), 5, duration + 20
    ).astype(np.int64)
    actual_end = actual_start + actual_duration * MICROS_PER_MINUTE
    engagement = np.round(
        np.clip(0.2 + 0.6 * quality + 0.15 * motivation + 0.06 * rng.standard_normal(count), 0, 1),
        3,
    )
    objectives = rng.random(count) < 1 / (1 + np.exp(-8 * (quality - 0.45)))

    no_show = np.isin(outcome, (NO_SHOW_TUTOR, NO_SHOW_STUDENT))
    updated = np.select(
        [completed, no_show, cancelled],
        [
            actual_end + rng.integers(MICROS_PER_MINUTE, 30 * MICROS_PER_MINUTE, count),
            start + 20 * MICROS_PER_MINUTE,
            cancelled_at,
        ],
        created,
    )
    updated = np.minimum(np.maximum(updated, np.where(moved, rescheduled_at, created)), end)
    updated = np.maximum(updated, created)

    session_id = _ids(start)
    columns: Columns = {
        "session_id": session_id,
        # Formatted once per tutor and student, then looked up.
        "tutor_id": tutor_ids(np.arange(tutors.count))[tutor],
        "student_id": student_ids(np.arange(int(student_number.max()) + 1))[
            student_number[student]
        ],
        "subject": np.asarray(SUBJECT_NAMES)[pairings.column("subject")[pairing]],
        "scheduled_start": as_timestamps(start),
        "duration_minutes": duration.astype(np.int32),
        "status": STATUS_TEXT[outcome],
        "actual_start": as_timestamps(actual_start),
        "actual_start_null": ~completed,
        "actual_duration_minutes": actual_duration.astype(np.int32),
        "actual_duration_minutes_null": ~completed,
        "is_first_session": first,
        "no_show_by": OUTCOME_BY[outcome],
        "no_show_by_null": ~no_show,
        "was_rescheduled": moved,
        "rescheduled_by": RESCHEDULED_BY[rescheduled],
        "rescheduled_by_null": ~moved,
        "engagement_score": np.where(completed, engagement, np.nan),
        "learning_objectives_met": objectives,
        "learning_objectives_met_null": ~completed,
        "created_at": as_timestamps(created),
        "updated_at": as_timestamps(updated),
    }
    facts = SessionFacts(
        session_id=session_id,
        tutor=tutor,
        student=student,
        start=start,
        outcome=outcome,
        rescheduled=rescheduled,
        rescheduled_at=rescheduled_at,
        cancelled_at=cancelled_at,
        actual_end=actual_end,
        quality=quality,
        motivation=motivation,
        rated=rated & completed,
        rating=rating,
    )
    return columns, facts


def tutor_ids(index: IntArray) -> StrArray:
    """`T00001` for tutor row 0."""
    return fixed_width(("T", (np.asarray(index) + 1, 5)), np.asarray(index).shape[0])


def student_ids(index: IntArray) -> StrArray:
    """`S000001` for student row 0."""
    return fixed_width(("S", (np.asarray(index) + 1, 6)), np.asarray(index).shape[0])


__all__ = [
    "RESCHEDULED_BY",
    "SCHEDULED",
    "STATUS_TEXT",
    "SessionFacts",
    "session_rows",
    "student_ids",
    "tutor_ids",
]
