"""`lyceum generate nerdboard`: a 12-month marketplace history, bulk-loaded in one transaction.

The marketplace model (`marketplace/`, pure NumPy) simulates every day of the history; the
rows go in by binary COPY straight from its arrays. Everything happens in one transaction
that also holds the clock row's lock, so a failure leaves the previous data untouched and a
running simulation worker waits instead of writing into a half-loaded history.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from lyceum.core.appspec import GenerateOptions
from lyceum.core.db.copy import raw_asyncpg_connection
from lyceum.core.db.session import session
from lyceum.core.errors import InvalidInput
from lyceum.core.generation_runs import (
    already_generated,
    latest_generation_run,
    record_generation_run,
)
from lyceum.nerdboard import bulk, repository
from lyceum.nerdboard.connection import POOL
from lyceum.nerdboard.marketplace import HISTORY_END, SCALES, generate_history, history_start
from lyceum.nerdboard.quality import run_quality_checks
from lyceum.nerdboard.simulation.clock import midnight

if TYPE_CHECKING:
    from rich.progress import Progress

# A simulated hour a real second: a day every 24 s, a week of dashboards in under 3 minutes.
DEFAULT_SPEED = 3600
# Quality checks are run for each of the history's last weeks, so the dashboard has a trend.
QUALITY_WEEKS = 8


async def generate(options: GenerateOptions, progress: Progress) -> str:
    """Replace Nerdboard's data with the history for `options`; returns a one-line summary."""
    if options.scale not in SCALES:
        raise InvalidInput(f"unknown scale {options.scale!r}; choose one of {', '.join(SCALES)}")
    if options.skip_if_present:
        async with session(profile="nerdboard", pool=POOL) as db:
            if await already_generated(db, "nerdboard", options, "nerdboard.sessions"):
                return f"history already generated (seed {options.seed}, {options.scale} scale)"
    return await _generate(options, progress, event="history generated")


async def _generate(options: GenerateOptions, progress: Progress, *, event: str) -> str:
    started = time.perf_counter()
    model_task = progress.add_task("Nerdboard: simulating 12 months", total=100)

    def report(fraction: float) -> None:
        progress.update(model_task, completed=round(100 * fraction, 1))

    batch, _state = await asyncio.to_thread(
        generate_history, options.scale, options.seed, options.months, report
    )
    progress.update(model_task, completed=100)
    modelled = time.perf_counter() - started

    total_rows = sum(len(getattr(batch, name)["id"]) for name, _ in bulk.BATCH_TABLES)
    load_task = progress.add_task("Nerdboard: loading (COPY)", total=total_rows)
    async with session(profile="nerdboard", pool=POOL) as db:
        await repository.read_clock(db, for_update=True)
        await db.execute(text(f"TRUNCATE {', '.join(f'nerdboard.{t}' for t in bulk.DATA_TABLES)}"))
        raw = await raw_asyncpg_connection(await db.connection())
        async with bulk.deferred_indexes(raw, [name for name, _ in bulk.BATCH_TABLES]):
            written = await bulk.copy_batch(
                raw, batch, lambda _name, rows: progress.advance(load_task, rows)
            )
            copied = time.perf_counter() - started
        loaded = time.perf_counter() - started
        for table in bulk.DATA_TABLES:
            await db.execute(text(f"ANALYZE nerdboard.{table}"))
        end = midnight(HISTORY_END)
        for week in range(QUALITY_WEEKS - 1, -1, -1):
            until = end - timedelta(weeks=week)
            await run_quality_checks(db, until=until, checked_at=until)
        summary = (
            f"{written['sessions']:,} sessions, {written['enrollments']:,} enrollments,"
            f" {written['tutors']:,} tutors, {written['capacity_snapshots']:,} snapshots,"
            f" {written['health_metrics']:,} health rows from {history_start(options.months)}"
            f" to {HISTORY_END} (seed {options.seed}, {options.scale})"
        )
        await repository.write_clock(
            db,
            current_date=end,
            is_running=False,
            speed_multiplier=DEFAULT_SPEED,
            last_event=f"{event}: {summary}",
        )
        await record_generation_run(
            db,
            "nerdboard",
            options,
            {
                "rows": written,
                "model_seconds": round(modelled, 2),
                "load_seconds": round(loaded, 2),
            },
        )
        await repository.notify_tick(db, '{"reason": "history generated"}')
    elapsed = time.perf_counter() - started
    return (
        f"{summary} in {elapsed:.1f} s (model {modelled:.1f} s, COPY {copied - modelled:.1f} s,"
        f" indexes {loaded - copied:.1f} s)"
    )


async def reset_history(progress: Progress, *, who: str) -> str:
    """Pause the simulation and rebuild the last generated history (same seed, same data)."""
    async with session(profile="nerdboard", pool=POOL) as db:
        previous = await latest_generation_run(db, "nerdboard")
        await repository.write_clock(db, is_running=False, last_event=f"reset requested by {who}")
    options = (
        GenerateOptions(seed=previous.seed, scale=previous.scale, months=previous.months)
        if previous is not None
        else GenerateOptions(scale="small")
    )
    return await _generate(options, progress, event=f"reset by {who}")


__all__ = ["DEFAULT_SPEED", "generate", "reset_history"]
