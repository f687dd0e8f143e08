"""`lyceum nerdboard …`: data-quality checks, forecast backtest, simulation controls."""

from __future__ import annotations

import asyncio
import signal
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from lyceum.core.cli import console, fail, run_async, settings_or_exit
from lyceum.core.db.session import session
from lyceum.core.errors import LyceumError
from lyceum.nerdboard.connection import POOL

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from lyceum.nerdboard.forecasting.evaluation import BacktestResult

commands = typer.Typer(
    help="Nerdboard: data quality, forecast backtest and the live simulation.",
    no_args_is_help=True,
)
sim_app = typer.Typer(help="The simulation clock: status, start, pause, resume, speed, reset, run.")
commands.add_typer(sim_app, name="sim")


def _session() -> AbstractAsyncContextManager[AsyncSession]:
    return session(profile="nerdboard", pool=POOL)


@commands.command()
def quality(
    window_days: Annotated[
        int, typer.Option(min=1, max=365, help="Days before the simulation clock to check.")
    ] = 7,
) -> None:
    """Run every data-quality check now and log the results (data_quality_log)."""
    from datetime import timedelta

    from lyceum.nerdboard.scoring.quality import QualityResult
    from lyceum.nerdboard.service.quality import run_quality_checks

    settings_or_exit()

    async def run() -> list[QualityResult]:
        async with _session() as db:
            return await run_quality_checks(db, window=timedelta(days=window_days))

    results = run_async(run())
    table = Table(title=f"Data quality (last {window_days} simulated days)")
    for column in ("check", "status", "score", "affected", "details"):
        table.add_column(column)
    worst = 5.0
    for result in results:
        worst = min(worst, result.quality_score)
        colour = {"passed": "green", "warning": "yellow", "failed": "red"}[result.status]
        table.add_row(
            result.check_name,
            f"[{colour}]{result.status}[/]",
            f"{result.quality_score:.2f}",
            f"{result.affected_count} / {result.checked_count}",
            result.error_details,
        )
    console.print(table)
    console.print(f"{len(results)} checks logged; lowest score {worst:.2f} / 5")


@commands.command()
def backtest(
    horizon: Annotated[int, typer.Option(min=1, max=12, help="Weeks ahead to forecast.")] = 4,
    origins: Annotated[int, typer.Option(min=1, max=26, help="Rolling forecast origins.")] = 8,
) -> None:
    """Forecast error (sMAPE, MASE) per subject on a rolling holdout, beside seasonal naive."""
    from lyceum.nerdboard.service.forecast import backtest_subjects

    settings_or_exit()

    async def run() -> list[BacktestResult]:
        async with _session() as db:
            return await backtest_subjects(db, horizon_weeks=horizon, origins=origins)

    rows = run_async(run())
    if not rows:
        fail("no demand history to backtest; run `lyceum generate nerdboard` first")
    table = Table(title=f"Rolling backtest: {origins} origins, {horizon}-week horizon")
    for column in ("subject", "model", "sMAPE %", "MASE", "naive sMAPE %", "naive MASE", "better"):
        table.add_column(column, justify="right" if column != "subject" else "left")
    wins = 0
    for row in rows:
        better = row.model_mase < row.baseline_mase
        wins += better
        table.add_row(
            row.subject,
            row.model_method.split(" ")[0],
            f"{row.model_smape:.1f}",
            f"{row.model_mase:.3f}",
            f"{row.baseline_smape:.1f}",
            f"{row.baseline_mase:.3f}",
            "yes" if better else "no",
        )
    console.print(table)
    mean_model = sum(r.model_mase for r in rows) / len(rows)
    mean_naive = sum(r.baseline_mase for r in rows) / len(rows)
    console.print(
        f"mean MASE: model {mean_model:.3f} vs seasonal naive {mean_naive:.3f}; "
        f"model better for {wins}/{len(rows)} subjects"
    )


# ---- simulation ---------------------------------------------------------------------


def _print_state(state: object) -> None:
    console.print(
        f"clock {getattr(state, 'current_date', '?')} · "
        f"{'running' if getattr(state, 'is_running', False) else 'paused'} · "
        f"speed {getattr(state, 'speed_multiplier', '?')}x · "
        f"last event: {getattr(state, 'last_event', '') or '-'}"
    )


def _control(action: str, speed: int | None = None) -> None:
    from lyceum.nerdboard import repository, service

    settings_or_exit()

    async def run() -> repository.ClockRow:
        async with _session() as db:
            if action == "status":
                return await repository.read_clock(db)
            if action == "start":
                return await service.start(db, speed, "cli")
            if action == "pause":
                return await service.pause(db, "cli")
            if action == "resume":
                return await service.resume(db, "cli")
            assert speed is not None
            return await service.set_speed(db, speed, "cli")

    try:
        _print_state(run_async(run()))
    except LyceumError as exc:
        fail(str(exc))


SpeedOption = Annotated[
    int | None,
    typer.Option(
        min=1, max=7 * 86_400, help="Simulated seconds per real second (3600 = an hour a second)."
    ),
]


@sim_app.command("status")
def sim_status() -> None:
    """Show the simulation clock."""
    _control("status")


@sim_app.command("start")
def sim_start(speed: SpeedOption = None) -> None:
    """Start the clock (a running ticker — `lyceum worker`, or `sim run` — advances it)."""
    _control("start", speed)


@sim_app.command("pause")
def sim_pause() -> None:
    """Pause the clock."""
    _control("pause")


@sim_app.command("resume")
def sim_resume() -> None:
    """Resume a paused clock at its current speed."""
    _control("resume")


@sim_app.command("speed")
def sim_speed(
    multiplier: Annotated[int, typer.Argument(min=1, max=7 * 86_400, help="Simulated s per s.")],
) -> None:
    """Change the speed."""
    _control("speed", multiplier)


@sim_app.command("reset")
def sim_reset(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Pause and rebuild the generated history from its recorded seed (drops simulated data)."""
    from lyceum.core.cli import confirm, progress_bar, refuse_in_production
    from lyceum.nerdboard.generate import reset_history

    settings = settings_or_exit()
    refuse_in_production(settings, "nerdboard sim reset")
    confirm("Rebuild Nerdboard's history and drop everything the simulation wrote?", yes)

    async def run() -> str:
        with progress_bar() as progress:
            return await reset_history(progress, who="cli")

    try:
        console.print(run_async(run()))
    except LyceumError as exc:
        fail(str(exc))


@sim_app.command("run")
def sim_run() -> None:
    """Run the simulation ticker alone in the foreground until Ctrl-C (without `lyceum worker`)."""
    from lyceum.nerdboard.runtime import run_worker

    settings = settings_or_exit()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        console.print("simulation worker running; Ctrl-C stops it")
        await run_worker(settings, stop)

    run_async(run())
