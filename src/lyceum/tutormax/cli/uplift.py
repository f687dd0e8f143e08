"""`lyceum tutormax uplift`: did the interventions work? Treated against held-out tutors."""

from __future__ import annotations

from typing import Annotated

import typer

from lyceum.core.cli import console, fail, run_async, settings_or_exit
from lyceum.core.errors import LyceumError
from lyceum.tutormax.cli.app import commands, day_option


@commands.command()
def uplift(
    since: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="First match day counted.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="Last match day counted (default and latest: the last whose outcome is known).",
        ),
    ] = None,
    horizon: Annotated[
        int, typer.Option(min=1, max=365, help="Days after the match in which churn counts.")
    ] = 90,
) -> None:
    """Estimate what the interventions prevented: churn of the tutors the rules treated
    against the random holdout they left alone, each tutor once (their first match), with
    95 % intervals and the smallest effect this many tutors could detect."""
    from lyceum.tutormax.connection import get_session
    from lyceum.tutormax.service.uplift import UpliftReport, measure_uplift

    first, last = day_option(since, "--since"), day_option(until, "--until")
    settings_or_exit()

    async def run() -> UpliftReport:
        async with get_session() as db:
            return await measure_uplift(db, since=first, until=last, horizon_days=horizon)

    try:
        report = run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    estimate = report.estimate
    low, high = estimate.prevented_per_100_interval
    say = console.print
    say(
        f"Matches from {report.first_day} to {report.last_day} (data to {report.today}), "
        f"churn within {report.horizon_days} days of each tutor's first match; rules with a "
        f"holdout: {', '.join(report.rules)}.",
        highlight=False,
    )
    say(
        f"treated: {estimate.treated_churned}/{estimate.treated} churned "
        f"({estimate.treated_rate:.1%}); held out: {estimate.holdout_churned}/"
        f"{estimate.holdout} ({estimate.holdout_rate:.1%})",
        highlight=False,
    )
    say(
        f"prevented per 100 treated: {estimate.prevented_per_100 + 0.0:.1f} "
        f"[{low + 0.0:.1f}, {high + 0.0:.1f}] ({estimate.confidence:.0%} Newcombe interval)",
        highlight=False,
    )
    if estimate.relative_reduction is not None and estimate.relative_interval is not None:
        rel_low, rel_high = estimate.relative_interval
        say(
            f"relative reduction: {estimate.relative_reduction:.0%} "
            f"[{rel_low:.0%}, {rel_high:.0%}]",
            highlight=False,
        )
    detectable = 100 * estimate.minimum_detectable_difference
    verdict = (
        "the interval excludes no effect"
        if low > 0
        else "the interval includes no effect"
        if low <= 0 <= high
        else "the interval says the interventions raised churn"
    )
    say(
        f"{verdict}; this many tutors detect an effect of {detectable:.1f} per 100 four times "
        "in five (a smaller one often looks like none).",
        highlight=False,
    )
