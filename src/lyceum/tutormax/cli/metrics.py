"""`lyceum tutormax metrics [--date D | --from D1 --to D2]`: the evaluation engine."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from lyceum.core.cli import console, fail, run_async, settings_or_exit
from lyceum.core.errors import ConfigurationError, InvalidInput, LyceumError
from lyceum.tutormax.cli.app import commands
from lyceum.tutormax.enums import PerformanceTier


def _date_option(flag: str, help_text: str) -> Any:
    return typer.Option(
        flag, formats=["%Y-%m-%d"], show_default=False, metavar="YYYY-MM-DD", help=help_text
    )


# A typo such as 0026-11-02 would otherwise start a backfill of two thousand years.
MAX_BACKFILL_DAYS = 10 * 366


def requested_days(
    day: date | None, start: date | None, end: date | None, today: date
) -> tuple[date | None, date | None]:
    """The range the options ask for; (None, None) means "the default day"; None as the end
    of a range means "up to the default day"."""
    if day is not None and (start is not None or end is not None):
        raise InvalidInput("give either --date or --from/--to, not both")
    if end is not None and start is None:
        raise InvalidInput("--to needs --from (the first day of the backfill)")
    first, last = (day, day) if day is not None else (start, end)
    for value in (first, last):
        if value is not None and value > today:
            raise InvalidInput(
                f"{value} has not begun (today is {today} UTC); a calculation day's rows cover"
                " the whole days before it"
            )
    if first is not None and last is not None:
        if last < first:
            raise InvalidInput(f"--to ({last}) is before --from ({first})")
        if (last - first).days >= MAX_BACKFILL_DAYS:
            raise InvalidInput(f"a backfill covers at most {MAX_BACKFILL_DAYS} days")
    return first, last


@commands.command()
def metrics(
    date_: Annotated[datetime | None, _date_option("--date", "One calculation day.")] = None,
    start: Annotated[
        datetime | None, _date_option("--from", "First day of a daily backfill.")
    ] = None,
    end: Annotated[
        datetime | None,
        _date_option("--to", "Last day of the backfill (default: as without a date)."),
    ] = None,
) -> None:
    """Compute tutor performance metrics (7/30/90-day windows, score, tier, improvement areas)
    for one day or a range of days. Without a date: today (UTC), or the day after the last
    completed session if the recorded history stops earlier."""
    from lyceum.core.db.session import session
    from lyceum.tutormax.connection import POOL
    from lyceum.tutormax.repository import metrics as metrics_repository
    from lyceum.tutormax.service import metrics as metrics_service

    settings_or_exit()
    today = datetime.now(UTC).date()

    async def run() -> tuple[metrics_service.MetricsRun, dict[Any, dict[str | None, int]], float]:
        first, last = requested_days(
            date_.date() if date_ else None,
            start.date() if start else None,
            end.date() if end else None,
            today,
        )
        async with session(profile="tutormax", pool=POOL) as db:
            scorecard = metrics_service.active_scorecard()
            if first is None or last is None:
                fallback = await metrics_service.default_day(db, today=today)
                first, last = first or fallback, last or fallback
                if last < first:
                    raise InvalidInput(f"--from ({first}) is after the default day ({last})")
            started = time.perf_counter()
            done = await metrics_service.backfill(db, first, last, scorecard=scorecard)
            elapsed = time.perf_counter() - started
            tiers = await metrics_repository.tier_counts(db, last)
        return done, tiers, elapsed

    try:
        done, tiers, elapsed = run_async(run())
    except (LyceumError, ConfigurationError) as exc:
        fail(str(exc))
    if done.days == 1:
        span, who = str(done.first_day), f"{done.tutor_days:,} tutors"
    else:
        span = f"{done.first_day} to {done.last_day} ({done.days:,} days)"
        who = f"{done.tutor_days:,} tutor-days"
    console.print(
        f"TutorMax metrics for {span}: {who} x 3 windows = {done.rows:,} rows,"
        f" {done.written:,} new or changed, in {elapsed:.1f} s",
        highlight=False,
    )
    table = Table(title=f"Performance tiers on {done.last_day}", title_justify="left")
    table.add_column("window")
    order: list[str | None] = [tier.value for tier in PerformanceTier] + [None]
    for tier in order:
        table.add_column(tier or "not scored", justify="right")
    for window, counts in tiers.items():
        table.add_row(str(window), *(f"{counts.get(tier, 0):,}" for tier in order))
    console.print(table)
