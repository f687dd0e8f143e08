"""`lyceum generate tutormax`: a year of synthetic TutorMax history, bulk-loaded in one
transaction.

The model (`synthetic/`, pure NumPy) runs in a worker thread; its columns go in by binary
COPY with the secondary indexes and foreign keys (`core.db.bulk.deferred_indexes`) and the
primary and unique keys (`core.db.bulk.deferred_keys`: string keys here) dropped for the load
and rebuilt after. TRUNCATE, COPY, the rebuild, ANALYZE and the generation record share one
transaction, so a failure anywhere leaves the previous data as it was.

The history ends at `synthetic.HISTORY_END` (fixed, so a seed gives the same rows on any
day). UUID keys of feedback and events are version-7 UUIDs of their timestamps with random
bits from the seed: deterministic and time-ordered.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.sql.expression import FromClause

from lyceum.core.appspec import GenerateOptions
from lyceum.core.db.bulk import copy_table, deferred_indexes, deferred_keys
from lyceum.core.db.copy import raw_asyncpg_connection
from lyceum.core.db.session import session
from lyceum.core.errors import InvalidInput
from lyceum.core.generation_runs import (
    already_generated,
    record_generation_run,
)
from lyceum.core.ids import uuid7_array
from lyceum.tutormax.connection import POOL
from lyceum.tutormax.models import SCHEMA, Session, Student, StudentFeedback, Tutor, TutorEvent
from lyceum.tutormax.repository import TRUNCATE_ALL
from lyceum.tutormax.synthetic import HISTORY_END, SCALES, TutorMaxHistory, simulate_history

if TYPE_CHECKING:
    from rich.progress import Progress

APP = "tutormax"
# Loaded in this order (foreign keys point backwards); the other three tables stay empty.
LOADED: tuple[tuple[str, FromClause], ...] = (
    ("tutors", Tutor.__table__),
    ("students", Student.__table__),
    ("sessions", Session.__table__),
    ("student_feedback", StudentFeedback.__table__),
    ("tutor_events", TutorEvent.__table__),
)
ANALYZE = tuple(f"ANALYZE tutormax.{name}" for name, _ in LOADED)
MAX_MONTHS = 60


def _validate(options: GenerateOptions) -> None:
    if options.scale not in SCALES:
        raise InvalidInput(f"unknown scale {options.scale!r}; choose one of {', '.join(SCALES)}")
    if not 1 <= options.months <= MAX_MONTHS:
        raise InvalidInput(f"months must be between 1 and {MAX_MONTHS}, got {options.months}")


def keyed_tables(history: TutorMaxHistory, seed: int) -> dict[str, dict[str, Any]]:
    """The loaded tables' columns, with time-ordered UUID keys for feedback and events."""
    feedback = history.student_feedback
    events = history.tutor_events
    return {
        "tutors": history.tutors,
        "students": history.students,
        "sessions": history.sessions,
        "student_feedback": {
            "feedback_id": uuid7_array(
                feedback["submitted_at"], np.random.default_rng([seed, 7_601])
            ),
            **feedback,
        },
        "tutor_events": {
            "event_id": uuid7_array(
                events["event_timestamp"], np.random.default_rng([seed, 7_602])
            ),
            **events,
        },
    }


async def generate(options: GenerateOptions, progress: Progress) -> str:
    """Replace TutorMax's data with the history for `options`; returns a one-line summary."""
    _validate(options)
    if options.skip_if_present:
        async with session(profile=APP, pool=POOL) as db:
            if await already_generated(db, APP, options, "tutormax.sessions"):
                return f"history already generated (seed {options.seed}, {options.scale} scale)"

    started = time.perf_counter()
    model_task = progress.add_task(f"TutorMax: simulating {options.months} months", total=100)

    def report(fraction: float) -> None:
        progress.update(model_task, completed=round(100 * fraction, 1))

    history = await asyncio.to_thread(
        simulate_history, options.scale, options.seed, options.months, HISTORY_END, report
    )
    tables = keyed_tables(history, options.seed)
    counts = history.row_counts()
    progress.update(model_task, completed=100)
    modelled = time.perf_counter() - started

    load_task = progress.add_task(
        "TutorMax: loading (COPY)", total=sum(counts[name] for name, _ in LOADED)
    )
    async with session(profile=APP, pool=POOL) as db:
        await db.execute(text(TRUNCATE_ALL))
        raw = await raw_asyncpg_connection(await db.connection())
        written: dict[str, int] = {}
        loaded = [name for name, _ in LOADED]
        async with deferred_indexes(raw, SCHEMA, loaded), deferred_keys(raw, SCHEMA, loaded):
            for name, table in LOADED:
                written[name] = await copy_table(raw, table, tables[name])
                progress.advance(load_task, written[name])
            copied = time.perf_counter() - started
        indexed = time.perf_counter() - started
        for statement in ANALYZE:
            await db.execute(text(statement))
        await record_generation_run(
            db,
            APP,
            options,
            {
                "rows": written,
                "start": history.start.isoformat(),
                "end": history.end.isoformat(),
                "model_seconds": round(modelled, 2),
                "copy_seconds": round(copied - modelled, 2),
                "index_seconds": round(indexed - copied, 2),
            },
        )
    elapsed = time.perf_counter() - started
    return (
        f"{written['tutors']:,} tutors, {written['students']:,} students,"
        f" {written['sessions']:,} sessions, {written['student_feedback']:,} ratings,"
        f" {written['tutor_events']:,} events from {history.start} to {history.end}"
        f" (seed {options.seed}, {options.scale}) in {elapsed:.1f} s (model {modelled:.1f} s,"
        f" COPY {copied - modelled:.1f} s, indexes {indexed - copied:.1f} s)"
    )


__all__ = ["LOADED", "generate", "keyed_tables"]
