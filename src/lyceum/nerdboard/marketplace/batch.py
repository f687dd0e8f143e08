"""What the model emits: rows per table, as columns keyed by the models' column names.

Conventions: uuid columns are (n, 16) uint8 arrays; timestamps are datetime64[us] in UTC;
text is a NumPy str array; Integer columns int32, Float columns float64 with NaN meaning
NULL; `tutors["subjects"]` is a list of lists; `sessions["tutor_id_null"]` marks the rows
whose tutor_id is NULL (their tutor_id bytes are zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from lyceum.nerdboard.marketplace.ids import empty_uuids, uuid_keys

Columns = dict[str, Any]

ENROLLMENT_COLUMNS = (
    "id",
    "student_id",
    "subject",
    "cohort_id",
    "start_date",
    "engagement_score",
    "created_at",
    "updated_at",
)
ENROLLMENT_END_COLUMNS = ("id", "updated_at")
TUTOR_COLUMNS = (
    "id",
    "tutor_id",
    "subjects",
    "weekly_capacity_hours",
    "utilization_rate",
    "avg_response_time_hours",
    "created_at",
    "updated_at",
)
TUTOR_UPDATE_COLUMNS = (
    "id",
    "weekly_capacity_hours",
    "utilization_rate",
    "avg_response_time_hours",
    "updated_at",
)
SESSION_COLUMNS = (
    "id",
    "session_id",
    "subject",
    "tutor_id",
    "tutor_id_null",
    "student_id",
    "scheduled_time",
    "duration_minutes",
    "created_at",
    "updated_at",
)
HEALTH_COLUMNS = (
    "id",
    "customer_id",
    "date",
    "health_score",
    "engagement_level",
    "support_ticket_count",
    "session_completion_rate",
    "created_at",
    "updated_at",
)
SNAPSHOT_COLUMNS = (
    "id",
    "subject",
    "date",
    "total_capacity_hours",
    "used_capacity_hours",
    "available_tutors_count",
    "utilization_rate",
    "created_at",
    "updated_at",
)

_EMPTY_BY_NAME: dict[str, Any] = {
    "id": empty_uuids,
    "student_id": empty_uuids,
    "subjects": list,
    "tutor_id_null": lambda: np.zeros(0, dtype=bool),
    "created_at": lambda: np.zeros(0, dtype="datetime64[us]"),
    "updated_at": lambda: np.zeros(0, dtype="datetime64[us]"),
    "start_date": lambda: np.zeros(0, dtype="datetime64[us]"),
    "scheduled_time": lambda: np.zeros(0, dtype="datetime64[us]"),
    "date": lambda: np.zeros(0, dtype="datetime64[us]"),
}
_INT_COLUMNS = {
    "weekly_capacity_hours",
    "duration_minutes",
    "engagement_level",
    "support_ticket_count",
    "total_capacity_hours",
    "used_capacity_hours",
    "available_tutors_count",
}
_FLOAT_COLUMNS = {
    "engagement_score",
    "utilization_rate",
    "avg_response_time_hours",
    "health_score",
    "session_completion_rate",
}


def empty_columns(names: Sequence[str], *, uuid_tutor: bool = False) -> Columns:
    out: Columns = {}
    for name in names:
        if name == "tutor_id" and uuid_tutor:
            out[name] = empty_uuids()
        elif name in _EMPTY_BY_NAME:
            out[name] = _EMPTY_BY_NAME[name]()
        elif name in _INT_COLUMNS:
            out[name] = np.zeros(0, dtype=np.int32)
        elif name in _FLOAT_COLUMNS:
            out[name] = np.zeros(0, dtype=np.float64)
        else:
            out[name] = np.zeros(0, dtype=str)
    return out


def _empty_sessions() -> Columns:
    return empty_columns(SESSION_COLUMNS, uuid_tutor=True)


@dataclass
class MarketBatch:
    """Rows to write. For one day (`advance_day`): inserts for every table, plus
    `enrollment_ends` (UPDATE enrollments SET updated_at) and `tutor_updates` (UPDATE tutors SET
    the four columns) for rows written earlier. `merge_batches` folds those updates into rows
    inserted in the same merged batch, so a history's tutors and enrollments are final rows."""

    enrollments: Columns = field(default_factory=lambda: empty_columns(ENROLLMENT_COLUMNS))
    enrollment_ends: Columns = field(default_factory=lambda: empty_columns(ENROLLMENT_END_COLUMNS))
    tutors: Columns = field(default_factory=lambda: empty_columns(TUTOR_COLUMNS))
    tutor_updates: Columns = field(default_factory=lambda: empty_columns(TUTOR_UPDATE_COLUMNS))
    sessions: Columns = field(default_factory=_empty_sessions)
    health_metrics: Columns = field(default_factory=lambda: empty_columns(HEALTH_COLUMNS))
    capacity_snapshots: Columns = field(default_factory=lambda: empty_columns(SNAPSHOT_COLUMNS))

    def row_counts(self) -> dict[str, int]:
        return {f.name: len(getattr(self, f.name)["id"]) for f in fields(self)}


DayBatch = MarketBatch  # what `advance_day` returns: one day's rows and updates


def concat_columns(parts: Sequence[Columns], names: Sequence[str]) -> Columns:
    out: Columns = {}
    for name in names:
        values = [part[name] for part in parts]
        if name == "subjects":
            out[name] = [row for value in values for row in value]
        else:
            out[name] = np.concatenate(values)
    return out


def _last_per_id(updates: Columns, names: Sequence[str]) -> Columns:
    """Keep the last update of each id (updates are in time order)."""
    count = len(updates["id"])
    if count == 0:
        return updates
    keys = uuid_keys(updates["id"])
    reverse = np.arange(count)[::-1]
    _, first_of_reversed = np.unique(keys[reverse], return_index=True)
    keep = np.sort(reverse[first_of_reversed])
    return {name: updates[name][keep] for name in names}


def _apply(rows: Columns, updates: Columns, names: Sequence[str]) -> tuple[Columns, Columns]:
    """Apply updates to the rows they target; return (rows, updates aimed elsewhere)."""
    if len(updates["id"]) == 0 or len(rows["id"]) == 0:
        return rows, updates
    row_keys = uuid_keys(rows["id"])
    order = np.argsort(row_keys)
    update_keys = uuid_keys(updates["id"])
    position = np.minimum(np.searchsorted(row_keys[order], update_keys), len(order) - 1)
    hit = row_keys[order][position] == update_keys
    target = order[position[hit]]
    rows = dict(rows)
    for name in names:
        if name == "id":
            continue
        column = rows[name].copy()
        column[target] = updates[name][hit]
        rows[name] = column
    return rows, {name: updates[name][~hit] for name in names}


def merge_batches(batches: Sequence[MarketBatch]) -> MarketBatch:
    """One batch equivalent to applying `batches` in order."""
    if not batches:
        return MarketBatch()

    def gather(attribute: str, names: Sequence[str]) -> Columns:
        return concat_columns([getattr(b, attribute) for b in batches], names)

    ends = _last_per_id(gather("enrollment_ends", ENROLLMENT_END_COLUMNS), ENROLLMENT_END_COLUMNS)
    enrollments, ends = _apply(
        gather("enrollments", ENROLLMENT_COLUMNS), ends, ENROLLMENT_END_COLUMNS
    )
    updates = _last_per_id(gather("tutor_updates", TUTOR_UPDATE_COLUMNS), TUTOR_UPDATE_COLUMNS)
    tutors, updates = _apply(gather("tutors", TUTOR_COLUMNS), updates, TUTOR_UPDATE_COLUMNS)
    return MarketBatch(
        enrollments=enrollments,
        enrollment_ends=ends,
        tutors=tutors,
        tutor_updates=updates,
        sessions=gather("sessions", SESSION_COLUMNS),
        health_metrics=gather("health_metrics", HEALTH_COLUMNS),
        capacity_snapshots=gather("capacity_snapshots", SNAPSHOT_COLUMNS),
    )
