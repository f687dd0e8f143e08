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
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.sql.expression import FromClause

from lyceum.core.appspec import GenerateOptions
from lyceum.core.db.bulk import copy_table, deferred_indexes, deferred_keys
from lyceum.core.db.copy import raw_asyncpg_connection
from lyceum.core.generation import Generator, PhaseTimer, reporter, run_generator
from lyceum.core.ids import uuid7_array
from lyceum.tutormax.connection import POOL
from lyceum.tutormax.models import SCHEMA, Session, Student, StudentFeedback, Tutor, TutorEvent
from lyceum.tutormax.repository import TRUNCATE_ALL
from lyceum.tutormax.synthetic import HISTORY_END, SCALES, TutorMaxHistory, simulate_history

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy.ext.asyncio import AsyncSession

APP = "tutormax"
# Loaded in this order (foreign keys point backwards); the other three tables stay empty.
LOADED: tuple[tuple[str, FromClause], ...] = (
    ("tutors", Tutor.__table__),
    ("students", Student.__table__),
    ("sessions", Session.__table__),
    ("student_feedback", StudentFeedback.__table__),
    ("tutor_events", TutorEvent.__table__),
)
MAX_MONTHS = 60


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


class TutorMaxGenerator(Generator[TutorMaxHistory]):
    app = APP
    title = "TutorMax"
    profile = APP
    pool = POOL
    scales = SCALES
    max_months = MAX_MONTHS
    presence_table = f"{SCHEMA}.sessions"
    analyzed = tuple(f"{SCHEMA}.{name}" for name, _ in LOADED)

    async def build(
        self, db: AsyncSession, options: GenerateOptions, progress: Progress
    ) -> TutorMaxHistory:
        report = reporter(progress, f"TutorMax: simulating {options.months} months")
        history = await asyncio.to_thread(
            simulate_history, options.scale, options.seed, options.months, HISTORY_END, report
        )
        report(1.0)
        return history

    async def load(
        self,
        db: AsyncSession,
        model: TutorMaxHistory,
        options: GenerateOptions,
        progress: Progress,
        timer: PhaseTimer,
    ) -> dict[str, int]:
        tables = keyed_tables(model, options.seed)
        counts = model.row_counts()
        task = progress.add_task(
            "TutorMax: loading (COPY)", total=sum(counts[name] for name, _ in LOADED)
        )
        await db.execute(text(TRUNCATE_ALL))
        raw = await raw_asyncpg_connection(await db.connection())
        written: dict[str, int] = {}
        loaded = [name for name, _ in LOADED]
        async with deferred_indexes(raw, SCHEMA, loaded), deferred_keys(raw, SCHEMA, loaded):
            for name, table in LOADED:
                written[name] = await copy_table(raw, table, tables[name])
                progress.advance(task, written[name])
            timer.mark("copy")
        timer.mark("indexes")
        return written

    def details(self, model: TutorMaxHistory) -> dict[str, Any]:
        return {"start": model.start.isoformat(), "end": model.end.isoformat()}

    def summarize(
        self, model: TutorMaxHistory, written: dict[str, int], options: GenerateOptions
    ) -> str:
        return (
            f"{written['tutors']:,} tutors, {written['students']:,} students,"
            f" {written['sessions']:,} sessions, {written['student_feedback']:,} ratings,"
            f" {written['tutor_events']:,} events from {model.start} to {model.end}"
            f" (seed {options.seed}, {options.scale})"
        )


async def generate(options: GenerateOptions, progress: Progress) -> str:
    """Replace TutorMax's data with the history for `options`; returns a one-line summary."""
    return await run_generator(TutorMaxGenerator(), options, progress)


__all__ = ["LOADED", "TutorMaxGenerator", "generate", "keyed_tables"]
