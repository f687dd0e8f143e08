"""`lyceum tutormax daily [--date D]`: the daily job's work, run by hand; `lyceum tutormax
catch-up`: what it would have written over a history loaded at once."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from lyceum.core.cli import console, fail, run_async, settings_or_exit
from lyceum.core.errors import LyceumError
from lyceum.tutormax.cli.app import commands


@commands.command()
def daily(
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="The day (its data end at midnight UTC); default: today, or the day after "
            "the last recorded activity if the history stops earlier.",
        ),
    ] = None,
) -> None:
    """Compute the day's metrics, score every tutor (training a model first when none is
    recent), apply the intervention rules and escalate what is overdue — what the
    `tutormax:daily` job does each morning. Rerunning a day changes nothing."""
    from lyceum.tutormax.connection import get_session
    from lyceum.tutormax.service.daily import DailyReport, data_day, run_day

    chosen: date | None = None
    if day is not None:
        try:
            chosen = date.fromisoformat(day)
        except ValueError:
            fail(f"--date must be a date written YYYY-MM-DD, got {day!r}", code=2)
    settings_or_exit()

    async def run() -> DailyReport:
        async with get_session() as db:
            return await run_day(db, chosen or await data_day(db))

    try:
        report = run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    console.print(
        f"{report.day}: {report.metric_rows:,} metric rows; {report.predictions:,} predictions "
        f"with {report.model_version}{' (trained now)' if report.trained else ''}, "
        f"{report.outcomes_filled:,} outcomes filled; {report.interventions_opened:,} "
        f"interventions opened, {report.held_out:,} held out; {report.escalated:,} escalated; "
        f"{report.seconds:.1f} s",
        highlight=False,
    )


@commands.command(name="catch-up")
def catch_up_command(
    weeks: Annotated[
        int, typer.Option(min=1, max=104, help="Weeks of history to fill, up to its last day.")
    ] = 26,
) -> None:
    """Write what the daily job would have written over the history's last weeks (daily
    metrics, weekly scores, then the last day in full and the model's held-out figures),
    for a history loaded at once. Skipped when the last day is scored already;
    `lyceum up` runs it after generating the demo history."""
    from lyceum.tutormax.connection import get_session
    from lyceum.tutormax.service.daily import CatchUpReport, catch_up

    settings_or_exit()

    async def run() -> CatchUpReport:
        async with get_session() as db:
            return await catch_up(db, weeks=weeks)

    try:
        report = run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    console.print(report.describe(), highlight=False)
