"""How every app's `lyceum generate APP` runs, written once.

An app's `generate.py` supplies what is its own — how to build the synthetic data (a pure
model, in a worker thread) and how to load it (COPY or executemany, in the caller's
transaction) — as a `Generator`. `run_generator` does the rest, the same way for all four:

1. validate the options (scale, months; demo accounts never in production);
2. skip when `lyceum up` finds this data already loaded (same parameters, rows present);
3. build the model, timed;
4. load it, ANALYZE what was loaded, and record the run (`lyceum.generation_runs`: the
   parameters that rebuild it, rows per table, and how long each phase took), all in one
   transaction: a failure anywhere leaves the previous data as it was;
5. return a one-line summary with the timings.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import text

from lyceum.core.appspec import GenerateOptions
from lyceum.core.db.engine import PLATFORM_POOL, PoolConfig
from lyceum.core.db.session import session
from lyceum.core.errors import Forbidden, InvalidInput
from lyceum.core.generation_runs import already_generated, record_generation_run
from lyceum.core.settings import get_settings

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy.ext.asyncio import AsyncSession

Model = TypeVar("Model")
Report = Callable[[float], None]


class PhaseTimer:
    """Seconds per named phase, each measured from the end of the one before."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self._last = self.started
        self.phases: dict[str, float] = {}

    def mark(self, phase: str) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + (now - self._last)
        self._last = now
        return self.phases[phase]

    @property
    def total(self) -> float:
        return time.perf_counter() - self.started

    def describe(self) -> str:
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases.items())
        # Phase names are identifiers in the run's record; "index_rebuild" reads as words.
        return f"in {self.total:.1f} s ({parts.replace('_', ' ')})"


def reporter(progress: Progress, description: str) -> Report:
    """A progress bar for a model that reports the fraction done (0..1) from its thread."""
    task = progress.add_task(description, total=100)

    def report(fraction: float) -> None:
        progress.update(task, completed=round(100 * fraction, 1))

    return report


class Generator(ABC, Generic[Model]):
    """What an app tells `run_generator` about its synthetic data."""

    app: str
    title: str
    profile: str
    pool: PoolConfig = PLATFORM_POOL
    scales: Collection[str]
    max_months: int
    # A table of the app's (schema-qualified) that holds rows once the data is loaded.
    presence_table: str
    # The tables to ANALYZE after the load (schema-qualified).
    analyzed: tuple[str, ...] = ()
    # Accounts sharing a published password: such data is refused in production.
    demo_accounts: bool = False
    months_explained: str = ""

    def validate(self, options: GenerateOptions) -> None:
        if options.scale not in self.scales:
            raise InvalidInput(
                f"unknown scale {options.scale!r}; choose one of {', '.join(self.scales)}"
            )
        if not 1 <= options.months <= self.max_months:
            raise InvalidInput(
                f"months must be between 1 and {self.max_months}{self.months_explained},"
                f" got {options.months}"
            )
        if self.demo_accounts and get_settings().env == "production":
            raise Forbidden(
                f"{self.title} demo data (accounts with a published password) is not generated"
                " in production"
            )

    @abstractmethod
    async def build(self, db: AsyncSession, options: GenerateOptions, progress: Progress) -> Model:
        """Make the synthetic data (pure work in a thread); `db` is for reading reference
        rows the model builds on."""

    @abstractmethod
    async def load(
        self, db: AsyncSession, model: Model, options: GenerateOptions, progress: Progress,
        timer: PhaseTimer,
    ) -> dict[str, int]:  # fmt: skip
        """Replace the app's generated rows with `model`'s in `db`'s transaction; rows written
        per table. May `timer.mark(...)` phases of its own (COPY, index rebuild)."""

    def details(self, model: Model) -> Mapping[str, Any]:
        """What else the run's record keeps (the model's dates, say)."""
        return {}

    async def after_load(
        self,
        db: AsyncSession,
        model: Model,
        options: GenerateOptions,
        written: dict[str, int],
        timer: PhaseTimer,
    ) -> None:
        """Work that belongs in the load's transaction after ANALYZE (checks, a clock); may
        mark a phase of its own."""

    @abstractmethod
    def summarize(self, model: Model, written: dict[str, int], options: GenerateOptions) -> str:
        """What was generated, in one line (without the timings)."""


async def run_generator(
    generator: Generator[Model], options: GenerateOptions, progress: Progress
) -> str:
    """Generate, load and record `generator`'s data for `options`; a one-line summary."""
    generator.validate(options)
    if options.skip_if_present:
        async with session(profile=generator.profile, pool=generator.pool) as db:
            if await already_generated(db, generator.app, options, generator.presence_table):
                return f"data already generated (seed {options.seed}, {options.scale} scale)"
    timer = PhaseTimer()
    # A session of its own for the model's reads: no transaction stays open while it builds.
    async with session(profile=generator.profile, pool=generator.pool) as db:
        model = await generator.build(db, options, progress)
    timer.mark("model")
    async with session(profile=generator.profile, pool=generator.pool) as db:
        marked = len(timer.phases)
        written = await generator.load(db, model, options, progress, timer)
        if len(timer.phases) == marked:
            timer.mark("load")
        for table in generator.analyzed:
            await db.execute(text(f"ANALYZE {table}"))
        timer.mark("analyze")
        await generator.after_load(db, model, options, written, timer)
        seconds = {f"{name}_seconds": round(value, 2) for name, value in timer.phases.items()}
        await record_generation_run(
            db,
            generator.app,
            options,
            {"rows": written, **generator.details(model), **seconds},
        )
    return f"{generator.summarize(model, written, options)} {timer.describe()}"


__all__ = ["Generator", "PhaseTimer", "Report", "reporter", "run_generator"]
