"""Bulk SQL: the marketplace model's batches in (binary COPY, set-based UPDATEs) and its
state out (the rows `MarketState.from_tables` rebuilds the simulation from)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import numpy as np
import numpy.typing as npt
from sqlalchemy.sql.expression import FromClause

from lyceum.core.db.bulk import copy_table
from lyceum.core.db.bulk import deferred_indexes as core_deferred_indexes
from lyceum.nerdboard.marketplace import MarketBatch
from lyceum.nerdboard.marketplace.state import RECENT_DAYS
from lyceum.nerdboard.models import (
    CapacitySnapshot,
    Enrollment,
    HealthMetric,
    Session,
    Tutor,
)
from lyceum.nerdboard.simulation.clock import midnight

SCHEMA = "nerdboard"
# Insert order respects the one foreign key (sessions -> tutors).
BATCH_TABLES: tuple[tuple[str, FromClause], ...] = (
    ("tutors", Tutor.__table__),
    ("enrollments", Enrollment.__table__),
    ("sessions", Session.__table__),
    ("capacity_snapshots", CapacitySnapshot.__table__),
    ("health_metrics", HealthMetric.__table__),
)
DATA_TABLES = (
    "sessions",
    "enrollments",
    "tutors",
    "capacity_snapshots",
    "health_metrics",
    "data_quality_log",
)


def _row_count(rows: Mapping[str, Any]) -> int:
    return len(rows["id"])


async def copy_batch(
    connection: asyncpg.Connection,
    batch: MarketBatch,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """COPY every table of `batch`; returns rows written per table."""
    written: dict[str, int] = {}
    for name, table in BATCH_TABLES:
        rows: Mapping[str, Any] = getattr(batch, name)
        if _row_count(rows) == 0:
            written[name] = 0
            continue
        written[name] = await copy_table(connection, table, rows)
        if progress is not None:
            progress(name, written[name])
    return written


@asynccontextmanager
async def deferred_indexes(
    connection: asyncpg.Connection, tables: Sequence[str]
) -> AsyncIterator[None]:
    """Nerdboard's tables without secondary indexes and foreign keys while a batch loads
    (student and customer ids arrive in random order); see `core.db.bulk.deferred_indexes`."""
    async with core_deferred_indexes(connection, SCHEMA, tables):
        yield


def _uuids(raw: npt.NDArray[np.uint8]) -> list[uuid.UUID]:
    return [uuid.UUID(bytes=bytes(row)) for row in np.asarray(raw, dtype=np.uint8)]


def _datetimes(values: npt.NDArray[np.datetime64]) -> list[datetime]:
    micros = np.asarray(values, "datetime64[us]").astype(np.int64)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return [epoch + timedelta(microseconds=int(m)) for m in micros]


def _floats(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in np.asarray(values, np.float64)]


async def apply_updates(connection: asyncpg.Connection, batch: MarketBatch) -> None:
    """Tutor changes and enrollment ends, as two set-based UPDATEs.

    `updated_at` is set explicitly: the trigger keeps an explicit value, and for enrollments
    `updated_at > created_at` is what marks the enrollment as ended.
    """
    tutors = batch.tutor_updates
    if len(tutors["id"]):
        await connection.execute(
            "UPDATE nerdboard.tutors AS t SET weekly_capacity_hours = u.capacity,"
            " utilization_rate = u.utilization, avg_response_time_hours = u.response,"
            " updated_at = u.updated_at"
            " FROM unnest($1::uuid[], $2::int4[], $3::float8[], $4::float8[], $5::timestamptz[])"
            " AS u(id, capacity, utilization, response, updated_at) WHERE t.id = u.id",
            _uuids(tutors["id"]),
            [int(v) for v in tutors["weekly_capacity_hours"]],
            _floats(tutors["utilization_rate"]),
            _floats(tutors["avg_response_time_hours"]),
            _datetimes(tutors["updated_at"]),
        )
    ends = batch.enrollment_ends
    if len(ends["id"]):
        await connection.execute(
            "UPDATE nerdboard.enrollments AS e SET updated_at = u.updated_at"
            " FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, updated_at) WHERE e.id = u.id",
            _uuids(ends["id"]),
            _datetimes(ends["updated_at"]),
        )


# ---- reading the state back ----------------------------------------------------------


def _uuid_matrix(values: Sequence[bytes]) -> npt.NDArray[np.uint8]:
    if not values:
        return np.zeros((0, 16), dtype=np.uint8)
    return np.frombuffer(b"".join(values), dtype=np.uint8).reshape(-1, 16).copy()


def _times(values: Sequence[int]) -> npt.NDArray[np.datetime64]:
    return np.asarray(values, dtype=np.int64).astype("datetime64[us]")


async def _fetch_columns(
    connection: asyncpg.Connection, sql: str, *args: Any
) -> list[asyncpg.Record]:
    return list(await connection.fetch(sql, *args))


# Timestamps travel as int8 microseconds: NumPy reads those without a datetime per row.
async def load_market_tables(connection: asyncpg.Connection, next_day: date) -> dict[str, Any]:
    """Everything `MarketState.from_tables` needs to continue at `next_day`."""
    start = midnight(next_day)
    recent_start = start - timedelta(days=RECENT_DAYS)
    tutor_rows = await _fetch_columns(
        connection,
        "SELECT uuid_send(id), tutor_id, subjects, weekly_capacity_hours, utilization_rate,"
        " coalesce(avg_response_time_hours, 'NaN'),"
        " (extract(epoch FROM created_at) * 1000000)::int8,"
        " (extract(epoch FROM updated_at) * 1000000)::int8 FROM nerdboard.tutors",
    )
    enrollment_rows = await _fetch_columns(
        connection,
        "SELECT uuid_send(id), uuid_send(student_id), subject,"
        " coalesce(engagement_score, 'NaN'), (extract(epoch FROM start_date) * 1000000)::int8,"
        " (extract(epoch FROM created_at) * 1000000)::int8,"
        " (extract(epoch FROM updated_at) * 1000000)::int8"
        " FROM nerdboard.enrollments WHERE updated_at <= created_at",
    )
    session_rows = await _fetch_columns(
        connection,
        "SELECT uuid_send(student_id), uuid_send(coalesce(tutor_id,"
        " '00000000-0000-0000-0000-000000000000')), tutor_id IS NULL, subject,"
        " duration_minutes, (extract(epoch FROM scheduled_time) * 1000000)::int8"
        " FROM nerdboard.sessions"
        " WHERE scheduled_time >= $1 AND scheduled_time < $2",
        recent_start,
        start,
    )
    health_rows = await _fetch_columns(
        connection,
        "SELECT customer_id, (extract(epoch FROM date) * 1000000)::int8, health_score"
        " FROM nerdboard.health_metrics"
        " WHERE date = (SELECT max(date) FROM nerdboard.health_metrics WHERE date < $1)",
        start,
    )

    def column(rows: list[asyncpg.Record], i: int) -> list[Any]:
        return [r[i] for r in rows]

    return {
        "tutors": {
            "id": _uuid_matrix(column(tutor_rows, 0)),
            "tutor_id": np.asarray(column(tutor_rows, 1), dtype=np.str_),
            "subjects": [list(s) for s in column(tutor_rows, 2)],
            "weekly_capacity_hours": np.asarray(column(tutor_rows, 3), dtype=np.int32),
            "utilization_rate": np.asarray(column(tutor_rows, 4), dtype=np.float64),
            "avg_response_time_hours": np.asarray(column(tutor_rows, 5), dtype=np.float64),
            "created_at": _times(column(tutor_rows, 6)),
            "updated_at": _times(column(tutor_rows, 7)),
        },
        "enrollments": {
            "id": _uuid_matrix(column(enrollment_rows, 0)),
            "student_id": _uuid_matrix(column(enrollment_rows, 1)),
            "subject": np.asarray(column(enrollment_rows, 2), dtype=np.str_),
            "engagement_score": np.asarray(column(enrollment_rows, 3), dtype=np.float64),
            "start_date": _times(column(enrollment_rows, 4)),
            "created_at": _times(column(enrollment_rows, 5)),
            "updated_at": _times(column(enrollment_rows, 6)),
        },
        "sessions": {
            "student_id": _uuid_matrix(column(session_rows, 0)),
            "tutor_id": _uuid_matrix(column(session_rows, 1)),
            "tutor_id_null": np.asarray(column(session_rows, 2), dtype=np.bool_),
            "subject": np.asarray(column(session_rows, 3), dtype=np.str_),
            "duration_minutes": np.asarray(column(session_rows, 4), dtype=np.int32),
            "scheduled_time": _times(column(session_rows, 5)),
        },
        "health_metrics": {
            "customer_id": np.asarray(column(health_rows, 0), dtype=np.str_),
            "date": _times(column(health_rows, 1)),
            "health_score": np.asarray(column(health_rows, 2), dtype=np.float64),
        },
    }


__all__ = [
    "DATA_TABLES",
    "apply_updates",
    "copy_batch",
    "deferred_indexes",
    "load_market_tables",
]
