"""`lyceum generate nerdboard`: a 12-month marketplace history, bulk-loaded in one transaction.

The marketplace model (`marketplace/`, pure NumPy) simulates every day of the history; the
rows go in by binary COPY straight from its arrays. Everything happens in one transaction
that also holds the clock row's lock, so a failure leaves the previous data untouched and a
running simulation worker waits instead of writing into a half-loaded history.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from lyceum.core.appspec import GenerateOptions
from lyceum.core.db.copy import raw_asyncpg_connection
from lyceum.core.db.session import session
from lyceum.core.generation import Generator, PhaseTimer, reporter, run_generator
from lyceum.core.generation_runs import latest_generation_run
from lyceum.nerdboard import repository
from lyceum.nerdboard.connection import POOL, PROFILE
from lyceum.nerdboard.marketplace import (
    HISTORY_END,
    SCALES,
    MarketBatch,
    generate_history,
    history_start,
)
from lyceum.nerdboard.repository import bulk
from lyceum.nerdboard.service.quality import run_quality_checks
from lyceum.nerdboard.simulation.clock import midnight

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy.ext.asyncio import AsyncSession

# A simulated hour a real second: a day every 24 s, a week of dashboards in under 3 minutes.
DEFAULT_SPEED = 3600
# Quality checks are run for each of the history's last weeks, so the dashboard has a trend.
QUALITY_WEEKS = 8
# The longest history `lyceum generate nerdboard --months` builds.
MAX_MONTHS = 36


class NerdboardGenerator(Generator[MarketBatch]):
    app = "nerdboard"
    title = "Nerdboard"
    profile = PROFILE
    pool = POOL
    scales = SCALES
    max_months = MAX_MONTHS
    presence_table = "nerdboard.sessions"
    analyzed = tuple(f"nerdboard.{table}" for table in bulk.DATA_TABLES)

    def __init__(self, event: str = "history generated") -> None:
        # What the clock's last event says once the history is in place.
        self.event = event

    async def build(
        self, db: AsyncSession, options: GenerateOptions, progress: Progress
    ) -> MarketBatch:
        report = reporter(progress, f"Nerdboard: simulating {options.months} months")
        batch, _state = await asyncio.to_thread(
            generate_history, options.scale, options.seed, options.months, report
        )
        report(1.0)
        return batch

    async def load(
        self,
        db: AsyncSession,
        model: MarketBatch,
        options: GenerateOptions,
        progress: Progress,
        timer: PhaseTimer,
    ) -> dict[str, int]:
        total_rows = sum(len(getattr(model, name)["id"]) for name, _ in bulk.BATCH_TABLES)
        task = progress.add_task("Nerdboard: loading (COPY)", total=total_rows)
        # The clock row's lock: a running simulation worker waits instead of writing into a
        # half-loaded history.
        await repository.read_clock(db, for_update=True)
        await db.execute(text(f"TRUNCATE {', '.join(f'nerdboard.{t}' for t in bulk.DATA_TABLES)}"))
        raw = await raw_asyncpg_connection(await db.connection())
        async with bulk.deferred_indexes(raw, [name for name, _ in bulk.BATCH_TABLES]):
            written = await bulk.copy_batch(
                raw, model, lambda _name, rows: progress.advance(task, rows)
            )
            timer.mark("copy")
        timer.mark("indexes")
        return written

    async def after_load(
        self,
        db: AsyncSession,
        model: MarketBatch,
        options: GenerateOptions,
        written: dict[str, int],
        timer: PhaseTimer,
    ) -> None:
        end = midnight(HISTORY_END)
        for week in range(QUALITY_WEEKS - 1, -1, -1):
            until = end - timedelta(weeks=week)
            await run_quality_checks(db, until=until, checked_at=until)
        await repository.write_clock(
            db,
            current_date=end,
            is_running=False,
            speed_multiplier=DEFAULT_SPEED,
            last_event=f"{self.event}: {self.summarize(model, written, options)}",
        )
        await repository.notify_tick(db, '{"reason": "history generated"}')
        timer.mark("checks")

    def summarize(
        self, model: MarketBatch, written: dict[str, int], options: GenerateOptions
    ) -> str:
        return (
            f"{written['sessions']:,} sessions, {written['enrollments']:,} enrollments,"
            f" {written['tutors']:,} tutors, {written['capacity_snapshots']:,} snapshots,"
            f" {written['health_metrics']:,} health rows from {history_start(options.months)}"
            f" to {HISTORY_END} (seed {options.seed}, {options.scale})"
        )


async def generate(options: GenerateOptions, progress: Progress) -> str:
    """Replace Nerdboard's data with the history for `options`; returns a one-line summary."""
    return await run_generator(NerdboardGenerator(), options, progress)


async def reset_history(progress: Progress, *, who: str) -> str:
    """Pause the simulation and rebuild the last generated history (same seed, same data)."""
    async with session(profile=PROFILE, pool=POOL) as db:
        previous = await latest_generation_run(db, "nerdboard")
        await repository.write_clock(db, is_running=False, last_event=f"reset requested by {who}")
    options = (
        GenerateOptions(seed=previous.seed, scale=previous.scale, months=previous.months)
        if previous is not None
        else GenerateOptions(scale="small")
    )
    return await run_generator(NerdboardGenerator(event=f"reset by {who}"), options, progress)


__all__ = ["DEFAULT_SPEED", "NerdboardGenerator", "generate", "reset_history"]
