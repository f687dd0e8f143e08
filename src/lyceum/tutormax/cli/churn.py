"""`lyceum tutormax train | score | evaluate`: the churn model."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.table import Table

from lyceum.core.cli import console, fail, run_async, settings_or_exit
from lyceum.core.errors import LyceumError
from lyceum.tutormax.cli.app import commands, day_option

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _churn_session() -> AbstractAsyncContextManager[AsyncSession]:
    from lyceum.tutormax.connection import get_session

    return get_session()


@commands.command()
def train(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Train only on what was known at this day's midnight (UTC); default: the "
            "day after the last recorded activity.",
        ),
    ] = None,
) -> None:
    """Train the churn model (discrete-time hazard) and save it with its training metadata."""
    from lyceum.tutormax.service.churn import TrainingReport, train_model

    cut = day_option(as_of, "--as-of")
    settings_or_exit()

    async def run() -> TrainingReport:
        async with _churn_session() as db:
            return await train_model(db, cut)

    try:
        report = run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    meta = report.metadata
    console.print(
        f"trained [bold]{report.version}[/] on what was known at {report.as_of}: "
        f"{meta['snapshots']:,} weekly snapshots of {meta['tutors']:,} tutors "
        f"({meta['snapshot_days'][0]} to {meta['snapshot_days'][1]}), "
        f"{meta['person_periods']:,} person-periods, {meta['churned_tutors']} tutors churned; "
        f"{report.seconds:.1f} s",
        highlight=False,
    )
    weights = sorted(meta["weights"].items(), key=lambda item: -abs(item[1]))[:8]
    console.print(
        "strongest signals (log-odds per standard deviation): "
        + ", ".join(f"{name} {weight:+.2f}" for name, weight in weights if weight),
        highlight=False,
    )


@commands.command()
def score(
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="Predict as of this day's midnight (UTC); default: the day after the last "
            "recorded activity.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="A model version; default: the latest trained on data up to the date."
        ),
    ] = None,
) -> None:
    """Write churn predictions for every active tutor (one upsert; rerunning a day rewrites
    it) and fill the 30-day outcomes of earlier predictions."""
    from lyceum.tutormax.service.churn import ScoreReport, score_day

    when = day_option(day, "--date")
    settings_or_exit()

    async def run() -> ScoreReport:
        async with _churn_session() as db:
            return await score_day(db, when, model_version=model)

    try:
        report = run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    levels = ", ".join(
        f"{level} {report.levels.get(level, 0)}" for level in ("Low", "Medium", "High", "Critical")
    )
    console.print(
        f"{report.written:,} predictions for {report.day} with {report.version} ({levels}); "
        f"{report.outcomes_filled:,} earlier predictions got their 30-day outcome; "
        f"{report.seconds:.1f} s",
        highlight=False,
    )
    order = np.argsort(-report.predictions.p90)[:5]
    table = Table(title=f"Highest risk on {report.day}")
    for column in ("tutor", "score", "level", "P7", "P30", "P90", "top reason"):
        table.add_column(column, justify="left" if column in ("tutor", "level", "top reason")
                         else "right")  # fmt: skip
    for row in order:
        reasons = list(report.predictions.factors[row].values())
        table.add_row(
            report.predictions.tutor_id[row],
            str(report.predictions.risk_score[row]),
            report.predictions.risk_level[row].value,
            f"{report.predictions.p7[row]:.1%}",
            f"{report.predictions.p30[row]:.1%}",
            f"{report.predictions.p90[row]:.1%}",
            reasons[0]["reason"] if reasons else "",
        )
    console.print(table)


@commands.command()
def evaluate(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Where the holdout starts; default: 13 weeks before the data's end.",
        ),
    ] = None,
) -> None:
    """Train on the history before a cut-off, score the weeks after it beside the recency
    and logins-only baselines and the generator's true hazard; save the figures."""
    from lyceum.tutormax.service.churn import EvaluationReport, evaluate_holdout

    cut = day_option(as_of, "--as-of")
    settings_or_exit()

    async def run() -> EvaluationReport:
        async with _churn_session() as db:
            return await evaluate_holdout(db, cut)

    try:
        report = run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    _print_evaluation(report)


def _print_evaluation(report: Any) -> None:
    evaluation = report.evaluation
    days = evaluation.test_days
    console.print(
        f"[bold]{report.version}[/]: trained on the history before {evaluation.as_of}; "
        f"held out {len(days)} weekly snapshots {days[0]} to {days[-1]}; outcomes from "
        + (f"the generator's truth ({report.truth_note})" if "seed" in report.truth_note
           else f"the tables ({report.truth_note})"),
        highlight=False,
    )  # fmt: skip
    for horizon, rows in evaluation.scores.items():
        table = Table(title=f"{horizon}-day churn")
        for column in ("forecaster", "n", "churned", "AUC", "Brier", "ECE", "mean P", "observed"):
            table.add_column(column, justify="left" if column == "forecaster" else "right")
        for name, scores in rows.items():
            table.add_row(
                name,
                f"{scores.count:,}",
                str(scores.churned),
                f"{scores.auc:.3f}",
                f"{scores.brier:.5f}",
                f"{scores.ece:.4f}",
                f"{scores.mean_predicted:.4f}",
                f"{scores.observed:.4f}",
            )
        console.print(table)
        model_rows = rows["model"].calibration
        console.print(
            "  calibration (model; tenths by predicted): "
            + "  ".join(f"{b.mean_predicted:.3f}→{b.observed:.3f}" for b in model_rows),
            highlight=False,
        )
    levels = Table(title="Risk levels on the held-out snapshots")
    for column in (
        "level",
        "share",
        "predicted 30d",
        "observed 30d",
        "predicted 90d",
        "observed 90d",
    ):
        levels.add_column(column, justify="left" if column == "level" else "right")  # fmt: skip

    def pct(value: float | None) -> str:
        return "" if value is None else f"{value:.1%}"

    for row in evaluation.risk_levels:
        levels.add_row(
            row["level"],
            f"{row['share']:.1%}",
            pct(row["predicted_30d"]),
            pct(row["observed_30d"]),
            pct(row["predicted_90d"]),
            pct(row["observed_90d"]),
        )
    console.print(levels)
    for check in evaluation.targets:
        mark = "[green]met[/]" if check["met"] else "[red]missed[/]"
        console.print(
            f"  {mark}  {check['target']}: {check['model']:.5g} vs {check['against']:.5g}",
            highlight=False,
        )
    console.print(
        "seconds: " + ", ".join(f"{k} {v}" for k, v in report.seconds.items()), highlight=False
    )
