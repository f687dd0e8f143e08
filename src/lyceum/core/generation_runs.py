"""The record of generated demo data (`lyceum.generation_runs`), shared by every app.

Generators are deterministic, so the latest run's parameters are enough to rebuild its data
and to tell whether `lyceum up` already generated it. Functions only flush.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.appspec import GenerateOptions
from lyceum.core.models import GenerationRun


async def latest_generation_run(session: AsyncSession, app: str) -> GenerationRun | None:
    return (
        await session.execute(
            select(GenerationRun)
            .where(GenerationRun.app == app)
            .order_by(GenerationRun.generated_at.desc(), GenerationRun.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def record_generation_run(
    session: AsyncSession, app: str, options: GenerateOptions, summary: dict[str, Any]
) -> GenerationRun:
    run = GenerationRun(
        app=app, seed=options.seed, scale=options.scale, months=options.months, summary=summary
    )
    session.add(run)
    await session.flush()
    return run


def same_parameters(run: GenerationRun | None, options: GenerateOptions) -> bool:
    return run is not None and (run.seed, run.scale, run.months) == (
        options.seed,
        options.scale,
        options.months,
    )


async def already_generated(
    session: AsyncSession, app: str, options: GenerateOptions, probe_table: str
) -> bool:
    """Whether `app`'s data for `options` is in place: its latest run had these parameters
    and `probe_table` (schema-qualified, a constant of the app's) still has rows."""
    if not same_parameters(await latest_generation_run(session, app), options):
        return False
    probe = text(f"SELECT EXISTS (SELECT FROM {probe_table})")  # noqa: S608 - the app's constant
    return bool((await session.execute(probe)).scalar())


__all__ = [
    "already_generated",
    "latest_generation_run",
    "record_generation_run",
    "same_parameters",
]
