"""Tutor and student rows.

Tutors: ids `T00001` in order of joining; names from common US first and last names; email
`first.last<number>@example.com` (unique through the number); status at the history's end
('churned' with `churned_at`, 'inactive' for a break, else 'active'; a tutor whose churn
falls after the end is still 'active' here, the truth knows better). Churn and pauses
happen during the (UTC) day, after the last session.

Students: ids `S000001` in order of arrival, only students with at least one session. A
student's stage (grade 3-5, 6-8, 9-12, college, adult) follows the subject they came for
(SAT prep means high school, statistics often college), and their age the stage. Status at
the end: 'active' with a current tutor (or looking for one), 'inactive' when their last
session was within 60 days, else 'churned'.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from lyceum.tutormax.enums import StudentStatus, TutorStatus
from lyceum.tutormax.synthetic.catalog import (
    FIRST_NAMES,
    LAST_NAMES,
    MICROS_PER_DAY,
    MICROS_PER_HOUR,
    STAGE_WEIGHTS,
    STAGES,
    SUBJECT_NAMES,
    TIMEZONE_NAMES,
    IntArray,
    StrArray,
    as_timestamps,
    midnight_micros,
)
from lyceum.tutormax.synthetic.population import CHURNED, INACTIVE
from lyceum.tutormax.synthetic.sessions import Columns, SessionFacts, student_ids, tutor_ids
from lyceum.tutormax.synthetic.state import RawHistory

STUDENT_INACTIVE_DAYS = 60


def _names(first: IntArray, last: IntArray) -> tuple[StrArray, StrArray, StrArray]:
    first_names = np.asarray(FIRST_NAMES)[first]
    last_names = np.asarray(LAST_NAMES)[last]
    full = np.strings.add(np.strings.add(first_names, " "), last_names)
    return np.asarray(full), first_names, last_names


def departure_times(raw: RawHistory, tutors: int, start_day: date, seed: int) -> IntArray:
    """When each of the first `tutors` tutors churned or paused within the history
    (microseconds, between 12:00 and 23:00 UTC of the day), -1 if they did not."""
    rng = np.random.default_rng([seed, 7_501])
    left_day = raw.tutors.left_day[:tutors]
    seconds = rng.integers(12 * 3600, 23 * 3600, size=tutors)
    at = midnight_micros(start_day) + left_day.clip(max=raw.history_days) * MICROS_PER_DAY
    return np.where(left_day < raw.history_days, at + seconds * 1_000_000, -1)


def tutor_rows(raw: RawHistory, tutors: int, start_day: date, left_at: IntArray) -> Columns:
    table = raw.tutors
    index = np.arange(tutors)
    name, first, last = _names(table.first_name[:tutors], table.last_name[:tutors])
    local = np.strings.add(np.strings.add(np.strings.lower(first), "."), np.strings.lower(last))
    email = np.strings.add(np.strings.add(local, (index + 1).astype(np.str_)), "@example.com")
    left = left_at >= 0
    status = np.where(
        left & (table.status[:tutors] == CHURNED),
        TutorStatus.CHURNED.value,
        np.where(
            left & (table.status[:tutors] == INACTIVE),
            TutorStatus.INACTIVE.value,
            TutorStatus.ACTIVE.value,
        ),
    )
    onboarding = (
        midnight_micros(start_day)
        + table.joined_day[:tutors] * MICROS_PER_DAY
        + table.joined_second[:tutors] * 1_000_000
    )
    churned = status == TutorStatus.CHURNED.value
    names = np.asarray(SUBJECT_NAMES)
    experience = table.experience[:tutors]
    return {
        "tutor_id": tutor_ids(index),
        "name": name,
        "email": np.asarray(email),
        "onboarding_date": as_timestamps(onboarding),
        "status": status,
        "subjects": [names[row].tolist() for row in table.subjects[:tutors]],
        "baseline_sessions_per_week": table.baseline[:tutors].copy(),
        "timezone": np.asarray(TIMEZONE_NAMES)[table.timezone[:tutors]],
        "experience_years": np.maximum(experience, 0).astype(np.int32),
        "experience_years_null": experience < 0,
        "churned_at": as_timestamps(np.where(churned, left_at, 0)),
        "churned_at_null": ~churned,
        "created_at": as_timestamps(onboarding),
        "updated_at": as_timestamps(np.maximum(onboarding, left_at)),
    }


def student_rows(
    raw: RawHistory,
    students: IntArray,
    facts: SessionFacts,
    start_day: date,
    seed: int,
) -> Columns:
    """Rows for the model's students `students` (sorted), numbered in that order."""
    rng = np.random.default_rng([seed, 7_502])
    count = int(students.shape[0])
    name, _, _ = _names(
        rng.integers(0, len(FIRST_NAMES), count), rng.integers(0, len(LAST_NAMES), count)
    )
    subject = raw.student_subject[students]
    cumulative = np.cumsum(STAGE_WEIGHTS[subject], axis=1)
    stage = (rng.random(count)[:, None] >= cumulative).sum(axis=1).clip(0, len(STAGES) - 1)
    grade = np.empty(count, dtype="<U8")
    age = np.empty(count, dtype=np.int64)
    for index, (grades, youngest, oldest) in enumerate(STAGES):
        rows = np.flatnonzero(stage == index)
        pick = rng.integers(0, len(grades), rows.shape[0])
        grade[rows] = np.asarray(grades)[pick]
        if len(grades) > 1:
            # A school grade sets the age within a year: grade 3 is 8 or 9.
            age[rows] = youngest + pick + rng.integers(0, 2, rows.shape[0])
        else:
            age[rows] = rng.integers(youngest, oldest + 1, rows.shape[0])

    position = np.searchsorted(students, facts.student)
    held = facts.start < midnight_micros(start_day) + raw.history_days * MICROS_PER_DAY
    last = np.full(count, np.iinfo(np.int64).min)
    np.maximum.at(last, position[held], facts.start[held])
    created = (
        midnight_micros(start_day)
        + raw.student_created_day[students] * MICROS_PER_DAY
        + rng.integers(1 * MICROS_PER_HOUR, 6 * MICROS_PER_HOUR, count)
    )
    recent = (
        last
        >= midnight_micros(start_day) + (raw.history_days - STUDENT_INACTIVE_DAYS) * MICROS_PER_DAY
    )
    current = raw.student_current[students]
    status = np.where(
        current,
        StudentStatus.ACTIVE.value,
        np.where(recent, StudentStatus.INACTIVE.value, StudentStatus.CHURNED.value),
    )
    return {
        "student_id": student_ids(np.arange(count)),
        "name": name,
        "age": age.astype(np.int32),
        "grade_level": grade,
        "status": status,
        "created_at": as_timestamps(created),
        "updated_at": as_timestamps(np.maximum(created, last)),
    }


__all__ = ["departure_times", "student_rows", "tutor_rows"]
