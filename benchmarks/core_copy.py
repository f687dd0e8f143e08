"""Bulk-load benchmark: binary COPY encoded from NumPy columns against asyncpg's own
`copy_records_to_table` fed Python tuples (the same rows, same run).

1 M rows x 8 columns shaped like Nerdboard's sessions (uuid, text id, subject, uuid,
timestamptz, int4, float8, timestamptz) go into an unlogged scratch table without indexes, so
the figures are the encoding and the wire, not B-tree maintenance. Median of 3 runs each.

Run: `lyceum bench core` (uses DATABASE_URL, else the embedded server); BENCH_COPY_ROWS
changes the row count.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import asyncpg
import numpy as np

from lyceum.core.db.copy import (
    CopyColumn,
    copy_columns,
    encode_binary_copy,
    raw_asyncpg_connection,
)
from lyceum.core.db.engine import close_db, get_engine
from lyceum.core.ids import uuid7_array

ROWS = int(os.environ.get("BENCH_COPY_ROWS", "1000000"))
RUNS = 3
TABLE = "bench_core_copy"
SUBJECTS = [
    "Mathematics", "Physics", "Chemistry", "Biology", "English", "History",
    "Geography", "Computer Science", "Economics", "Spanish", "French", "Statistics",
]  # fmt: skip
COLUMNS_DDL = """
    id uuid, session_id text, subject text, student_id uuid, scheduled_time timestamptz,
    duration_minutes int4, rating float8, created_at timestamptz
"""


def make_columns(rows: int) -> list[CopyColumn]:
    rng = np.random.default_rng(2026)
    start = np.datetime64("2026-01-01T00:00:00", "us")
    year_us = 365 * 24 * 3600 * 1_000_000
    scheduled = np.sort(start + rng.integers(0, year_us, rows).astype("timedelta64[us]"))
    day = np.datetime_as_string(scheduled, unit="D")
    serial = np.strings.zfill(np.arange(rows).astype(str), 6)
    session_ids = np.strings.add(np.strings.add("SES-", np.strings.replace(day, "-", "")), "-")
    ratings = np.round(rng.uniform(1, 5, rows), 1)
    ratings[rng.random(rows) < 0.2] = np.nan  # unrated sessions
    created = scheduled - rng.integers(1, 14 * 24 * 3600, rows).astype("timedelta64[s]")
    return [
        CopyColumn("id", "uuid", uuid7_array(scheduled, rng)),
        CopyColumn("session_id", "text", np.strings.add(session_ids, serial)),
        CopyColumn("subject", "text", np.array(SUBJECTS)[rng.integers(0, len(SUBJECTS), rows)]),
        CopyColumn("student_id", "uuid", uuid7_array(created, rng)),
        CopyColumn("scheduled_time", "timestamptz", scheduled),
        CopyColumn("duration_minutes", "int4", rng.choice([30, 45, 60, 90], rows)),
        CopyColumn("rating", "float8", ratings),
        CopyColumn("created_at", "timestamptz", created),
    ]


def as_python_value(column: CopyColumn) -> list[Any]:
    """What a row-at-a-time generator would hold: UUID, str, aware datetime, int, float/None."""
    values = column.values
    match column.pgtype:
        case "uuid":
            raw = values.tobytes()
            return [uuid.UUID(bytes=raw[i : i + 16]) for i in range(0, len(raw), 16)]
        case "timestamptz":
            return [moment.replace(tzinfo=UTC) for moment in values.astype(object)]
        case "float8":
            return [None if math.isnan(x) else x for x in values.tolist()]
        case _:
            return list(values.tolist())


def build_tuples(columns: list[CopyColumn]) -> list[tuple[Any, ...]]:
    return list(zip(*(as_python_value(column) for column in columns), strict=True))


def encode_only(columns: list[CopyColumn]) -> int:
    return sum(len(chunk) for chunk in encode_binary_copy(columns))


@dataclass
class Timings:
    encode: list[float] = field(default_factory=list)
    numpy_copy: list[float] = field(default_factory=list)
    build: list[float] = field(default_factory=list)
    records_copy: list[float] = field(default_factory=list)


async def run_once(raw: asyncpg.Connection, columns: list[CopyColumn], timings: Timings) -> None:
    started = time.perf_counter()
    encode_only(columns)
    timings.encode.append(time.perf_counter() - started)

    await raw.execute("TRUNCATE public.bench_core_copy")
    started = time.perf_counter()
    await copy_columns(raw, "public", TABLE, columns)
    timings.numpy_copy.append(time.perf_counter() - started)
    assert await raw.fetchval("SELECT count(*) FROM public.bench_core_copy") == ROWS

    started = time.perf_counter()
    records = build_tuples(columns)
    timings.build.append(time.perf_counter() - started)
    await raw.execute("TRUNCATE public.bench_core_copy")
    started = time.perf_counter()
    await raw.copy_records_to_table(
        TABLE, schema_name="public", columns=[c.name for c in columns], records=records
    )
    timings.records_copy.append(time.perf_counter() - started)


async def main() -> None:
    columns = make_columns(ROWS)
    payload_bytes = encode_only(columns)
    timings = Timings()
    engine = get_engine()
    try:
        async with engine.connect() as connection:
            raw = await raw_asyncpg_connection(connection)
            server = await raw.fetchval("SHOW server_version")
            await raw.execute(f"DROP TABLE IF EXISTS public.{TABLE}")
            await raw.execute(f"CREATE UNLOGGED TABLE public.{TABLE} ({COLUMNS_DDL})")
            try:
                for _ in range(RUNS):
                    await run_once(raw, columns, timings)
            finally:
                await raw.execute(f"DROP TABLE IF EXISTS public.{TABLE}")
    finally:
        await close_db()

    def rate(seconds: list[float]) -> str:
        median = statistics.median(seconds)
        return f"{median:>9.3f}{ROWS / median / 1000:>14,.0f}"

    build_and_copy = [b + c for b, c in zip(timings.build, timings.records_copy, strict=True)]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"NumPy {np.__version__}, asyncpg {asyncpg.__version__}, PostgreSQL {server}")
    print(
        f"{ROWS:,} rows x {len(columns)} columns into an unlogged table without indexes;"
        f" COPY payload {payload_bytes / 1e6:.0f} MB; median of {RUNS}"
    )
    print(f"{'':<46}{'seconds':>9}{'k rows/s':>14}")
    print(f"{'(a) encode_binary_copy alone':<46}{rate(timings.encode)}")
    print(f"{'(b) copy_columns: encode + COPY':<46}{rate(timings.numpy_copy)}")
    print(f"{'(c) baseline: build Python tuples':<46}{rate(timings.build)}")
    print(f"{'    baseline: copy_records_to_table':<46}{rate(timings.records_copy)}")
    print(f"{'    baseline: build + copy':<46}{rate(build_and_copy)}")
    speedup = statistics.median(build_and_copy) / statistics.median(timings.numpy_copy)
    print(f"copy_columns vs tuples + copy_records_to_table: {speedup:.2f}x faster")


if __name__ == "__main__":
    asyncio.run(main())
