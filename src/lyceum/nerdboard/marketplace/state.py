"""The simulation's state: nothing but what the tables hold.

`MarketState.from_tables` rebuilds it from rows as the database returns them, so the live
simulation continues a generated history exactly. Every per-entity attribute the model uses
beyond the stored columns is a fixed function of them (see `session_frequency`,
`is_dormant`, `response_time_base`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from lyceum.nerdboard.marketplace.catalog import N_SUBJECTS, SUBJECT_INDEX, SUBJECT_NAMES
from lyceum.nerdboard.marketplace.ids import (
    UuidArray,
    empty_uuids,
    order_by_uuid,
    tutor_ids,
    tutor_numbers,
    uuid_from_text,
    uuid_keys,
    uuid_low64,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]
TimeArray = npt.NDArray[np.datetime64]

RECENT_DAYS = 28  # the longest look-back of any rule (tutor utilization, hiring)
NEUTRAL_ENGAGEMENT = 0.5  # what the model assumes when engagement_score is NULL
_DORMANT_MODULUS = 211
_DORMANT_REMAINDER = 7


def day_start(day: date) -> np.datetime64:
    return np.datetime64(day.isoformat(), "us")


def empty_times() -> TimeArray:
    return np.zeros(0, dtype="datetime64[us]")


def subject_indices(names: npt.ArrayLike) -> npt.NDArray[np.int16]:
    lookup = np.vectorize(lambda name: SUBJECT_INDEX.get(str(name), -1), otypes=[np.int16])
    values = np.asarray(names, dtype=str)
    return lookup(values) if values.size else np.zeros(0, dtype=np.int16)


def model_engagement(scores: FloatArray) -> FloatArray:
    return np.where(np.isnan(scores), NEUTRAL_ENGAGEMENT, scores)


def session_frequency(scores: FloatArray) -> FloatArray:
    """Sessions a week an enrollment asks for in a neutral week (0.6 to 3.2)."""
    return 0.6 + 2.6 * model_engagement(scores)


def is_dormant(numbers: IntArray) -> BoolArray:
    """Tutors who keep offering hours but are never booked (a planted data defect)."""
    return np.asarray(numbers % _DORMANT_MODULUS == _DORMANT_REMAINDER)


def response_time_base(ids: UuidArray) -> FloatArray:
    """A tutor's typical response time, 2 to 12 hours (log-uniform), fixed by their id."""
    fraction = (ids[:, 15].astype(np.float64) + 0.5) / 256.0
    return np.asarray(2.0 * 6.0**fraction)


@dataclass
class TutorTable:
    """Every tutor ever (leavers keep capacity 0), ordered by their number."""

    id: UuidArray
    number: IntArray
    subjects: list[list[str]]
    qualified: BoolArray  # (n, subjects)
    weekly_capacity_hours: Int32Array
    utilization_rate: FloatArray
    avg_response_time_hours: FloatArray
    created_at: TimeArray
    updated_at: TimeArray

    @property
    def active(self) -> BoolArray:
        return np.asarray(self.weekly_capacity_hours > 0)

    @property
    def tutor_id(self) -> npt.NDArray[np.str_]:
        return tutor_ids(self.number)

    def __len__(self) -> int:
        return int(self.number.shape[0])

    @staticmethod
    def qualification_matrix(subjects: Sequence[Sequence[str]]) -> BoolArray:
        out = np.zeros((len(subjects), N_SUBJECTS), dtype=bool)
        for row, names in enumerate(subjects):
            for name in names:
                index = SUBJECT_INDEX.get(name)
                if index is not None:
                    out[row, index] = True
        return out


@dataclass
class EnrollmentTable:
    """Active enrollments, ordered by id."""

    id: UuidArray
    student_id: UuidArray
    subject_index: npt.NDArray[np.int16]
    engagement_score: FloatArray  # NaN = NULL
    start_date: TimeArray
    created_at: TimeArray

    def __len__(self) -> int:
        return int(self.id.shape[0])

    def take(self, index: npt.NDArray[Any]) -> EnrollmentTable:
        return EnrollmentTable(
            self.id[index],
            self.student_id[index],
            self.subject_index[index],
            self.engagement_score[index],
            self.start_date[index],
            self.created_at[index],
        )


@dataclass
class DaySessions:
    """One day's sessions, reduced to what later rules read."""

    ordinal: int
    student_id: UuidArray
    tutor_index: Int32Array  # -1: unassigned
    subject_index: npt.NDArray[np.int16]
    duration_minutes: Int32Array
    requested_minutes: FloatArray = field(init=False)  # per subject, assigned or not

    def __post_init__(self) -> None:
        self.requested_minutes = np.asarray(
            np.bincount(self.subject_index, weights=self.duration_minutes, minlength=N_SUBJECTS),
            dtype=np.float64,
        )


@dataclass
class MarketState:
    """Everything `advance_day` reads. `advance_day` mutates it in place."""

    next_day: date
    tutors: TutorTable
    enrollments: EnrollmentTable
    recent: list[DaySessions] = field(default_factory=list)  # oldest first, <= RECENT_DAYS
    # The latest weekly health batch: students (uuid_low64 keys, sorted) and their scores.
    health_key: npt.NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, np.uint64))
    health_score: FloatArray = field(default_factory=lambda: np.zeros(0))

    def copy(self) -> MarketState:
        return copy.deepcopy(self)

    @classmethod
    def from_tables(
        cls,
        next_day: date,
        tutors: Mapping[str, Any],
        enrollments: Mapping[str, Any],
        sessions: Mapping[str, Any],
        health_metrics: Mapping[str, Any] | None = None,
    ) -> MarketState:
        """Rebuild the state the way the database holds it.

        `next_day` is the first day still to simulate. `tutors`: every tutor row with keys id,
        tutor_id, subjects, weekly_capacity_hours, utilization_rate, avg_response_time_hours,
        created_at, updated_at. `enrollments`: rows with id, student_id, subject,
        engagement_score (NaN for NULL), start_date, created_at, updated_at; ended ones
        (`updated_at > created_at`) may be included and are dropped. `sessions`: at least the
        rows scheduled in the `RECENT_DAYS` days before `next_day`, with student_id, tutor_id,
        tutor_id_null, subject, duration_minutes, scheduled_time; older rows are ignored.
        `health_metrics`: at least the rows of the latest weekly batch before `next_day`, with
        customer_id, date, health_score (older rows are ignored; None = no batch yet).
        Enrollments in subjects the catalog does not know are ignored.
        """
        numbers = tutor_numbers(tutors["tutor_id"])
        tutor_uuids = np.asarray(tutors["id"], dtype=np.uint8).reshape(-1, 16)
        by_id = order_by_uuid(tutor_uuids)
        order = by_id[np.argsort(numbers[by_id], kind="stable")]
        subjects = [list(tutors["subjects"][i]) for i in order.tolist()]
        tutor_table = TutorTable(
            id=tutor_uuids[order],
            number=numbers[order],
            subjects=subjects,
            qualified=TutorTable.qualification_matrix(subjects),
            weekly_capacity_hours=np.asarray(tutors["weekly_capacity_hours"], np.int32)[order],
            utilization_rate=np.asarray(tutors["utilization_rate"], np.float64)[order],
            avg_response_time_hours=np.asarray(tutors["avg_response_time_hours"], np.float64)[
                order
            ],
            created_at=np.asarray(tutors["created_at"], "datetime64[us]")[order],
            updated_at=np.asarray(tutors["updated_at"], "datetime64[us]")[order],
        )

        created = np.asarray(enrollments["created_at"], "datetime64[us]")
        updated = np.asarray(enrollments["updated_at"], "datetime64[us]")
        subject_index = subject_indices(enrollments["subject"])
        keep = np.flatnonzero((updated <= created) & (subject_index >= 0))
        ids = np.asarray(enrollments["id"], dtype=np.uint8).reshape(-1, 16)[keep]
        order = keep[order_by_uuid(ids)]
        enrollment_table = EnrollmentTable(
            id=np.asarray(enrollments["id"], dtype=np.uint8).reshape(-1, 16)[order],
            student_id=np.asarray(enrollments["student_id"], dtype=np.uint8).reshape(-1, 16)[order],
            subject_index=subject_index[order],
            engagement_score=np.asarray(enrollments["engagement_score"], np.float64)[order],
            start_date=np.asarray(enrollments["start_date"], "datetime64[us]")[order],
            created_at=created[order],
        )

        recent = _recent_from_rows(next_day, tutor_table, sessions)
        state = cls(next_day, tutor_table, enrollment_table, recent)
        if health_metrics is not None and len(health_metrics["date"]):
            dates = np.asarray(health_metrics["date"], "datetime64[us]")
            before = dates < day_start(next_day)
            if before.any():
                latest = before & (dates == dates[before].max())
                state.set_health(
                    uuid_low64(uuid_from_text(np.asarray(health_metrics["customer_id"])[latest])),
                    np.asarray(health_metrics["health_score"], np.float64)[latest],
                )
        return state

    def set_health(self, keys: npt.NDArray[np.uint64], scores: FloatArray) -> None:
        order = np.argsort(keys, kind="stable")
        self.health_key = keys[order]
        self.health_score = scores[order]

    def latest_health(self, student_id: UuidArray) -> FloatArray:
        """Each student's score in the latest weekly batch (NaN when they had none)."""
        keys = uuid_low64(student_id)
        if self.health_key.size == 0:
            return np.full(keys.shape[0], np.nan)
        position = np.minimum(np.searchsorted(self.health_key, keys), self.health_key.size - 1)
        return np.where(self.health_key[position] == keys, self.health_score[position], np.nan)


def _recent_from_rows(
    next_day: date, tutors: TutorTable, sessions: Mapping[str, Any]
) -> list[DaySessions]:
    scheduled = np.asarray(sessions["scheduled_time"], "datetime64[us]")
    day_ordinal = scheduled.astype("datetime64[D]").astype(np.int64) + date(1970, 1, 1).toordinal()
    first = (next_day - timedelta(days=RECENT_DAYS)).toordinal()
    window = (day_ordinal >= first) & (day_ordinal < next_day.toordinal())
    index = np.flatnonzero(window)
    index = index[np.argsort(day_ordinal[index], kind="stable")]

    tutor_uuid = np.asarray(sessions["tutor_id"], dtype=np.uint8).reshape(-1, 16)[index]
    null = np.asarray(sessions["tutor_id_null"], dtype=bool)[index]
    tutor_order = order_by_uuid(tutors.id)
    sorted_keys = uuid_keys(tutors.id)[tutor_order]
    position = np.searchsorted(sorted_keys, uuid_keys(tutor_uuid))
    position = np.minimum(position, max(len(tutors) - 1, 0))
    found = ~null & (len(tutors) > 0)
    if len(tutors):
        found &= sorted_keys[position] == uuid_keys(tutor_uuid)
    tutor_index = np.where(found, tutor_order[position] if len(tutors) else -1, -1)

    ordinals = day_ordinal[index]
    student = np.asarray(sessions["student_id"], dtype=np.uint8).reshape(-1, 16)[index]
    subject = subject_indices(np.asarray(sessions["subject"])[index])
    duration = np.asarray(sessions["duration_minutes"], np.int32)[index]
    out: list[DaySessions] = []
    for ordinal in range(first, next_day.toordinal()):
        lo, hi = np.searchsorted(ordinals, [ordinal, ordinal + 1])
        out.append(
            DaySessions(
                ordinal,
                student[lo:hi],
                tutor_index[lo:hi].astype(np.int32),
                subject[lo:hi],
                duration[lo:hi],
            )
        )
    return [chunk for chunk in out if chunk.student_id.shape[0] > 0]


def empty_tutors() -> TutorTable:
    return TutorTable(
        id=empty_uuids(),
        number=np.zeros(0, dtype=np.int64),
        subjects=[],
        qualified=np.zeros((0, N_SUBJECTS), dtype=bool),
        weekly_capacity_hours=np.zeros(0, dtype=np.int32),
        utilization_rate=np.zeros(0),
        avg_response_time_hours=np.zeros(0),
        created_at=empty_times(),
        updated_at=empty_times(),
    )


def subject_name_array(index: npt.NDArray[Any]) -> npt.NDArray[np.str_]:
    names: npt.NDArray[np.str_] = np.asarray(SUBJECT_NAMES, dtype=str)[index]
    return names
