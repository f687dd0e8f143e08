"""`lyceum tutormax …`: TutorMax's init script; the churn model's train, score, evaluate;
`policy-sim`, the measured effect of targeting policies in the synthetic world."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.table import Table

from lyceum.core.cli import confirm, console, fail, run_async, settings_or_exit
from lyceum.core.db.engine import close_db_sync
from lyceum.core.errors import ConfigurationError, LyceumError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from lyceum.tutormax.policysim import PolicySimulation

commands = typer.Typer(
    help="TutorMax: initialise its database; train, score and evaluate the churn model;"
    " simulate intervention policies.",
    no_args_is_help=True,
)


@commands.command()
def init(
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete TutorMax's data first (asks first).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Verify the connection, create the schema through the migrations, print next steps."""
    from lyceum.tutormax.init_db import initialize

    settings = settings_or_exit()

    def ask(question: str) -> bool:
        confirm(question, yes)  # exits unless confirmed
        return True

    try:
        initialize(
            settings,
            reset=reset,
            confirm=ask,
            say=lambda line: console.print(line, markup=False, highlight=False, soft_wrap=True),
        )
    except (LyceumError, ConfigurationError) as exc:
        fail(str(exc))
    finally:
        close_db_sync()


# ---- policy-sim: measured effect in the synthetic world (pure; no database) -----------------


@commands.command("policy-sim")
def policy_sim(
    scale: Annotated[str, typer.Option(help="Synthetic scale: small or default.")] = "default",
    seed: Annotated[int, typer.Option(help="The synthetic history's seed.")] = 42,
    replicates: Annotated[
        int, typer.Option(help="Simulated futures (90 days each) every policy is run on.")
    ] = 10,
    capacity: Annotated[
        int | None,
        typer.Option(help="Interventions per policy (default: a tenth of the active tutors)."),
    ] = None,
    holdout: Annotated[
        float, typer.Option(help="Share of each policy's picks left untreated, at random.")
    ] = 0.1,
) -> None:
    """Compare targeting by behaviour, random targeting and no intervention at equal
    capacity on the same simulated futures; print churn prevented per 100 interventions and
    the uplift estimated from the holdout beside the true effect."""
    import time as clock

    from pydantic import ValidationError

    from lyceum.core.cli import progress_bar
    from lyceum.tutormax.policysim import (
        PolicySimConfig,
        TargetingPolicy,
        history_risk,
        simulate_policies,
    )
    from lyceum.tutormax.synthetic import SCALES, simulate_history

    if scale not in SCALES:
        fail(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    try:
        config = PolicySimConfig(capacity=capacity, holdout_share=holdout, replicates=replicates)
    except ValidationError as exc:
        option = {"holdout_share": "--holdout"}
        fail(
            "; ".join(
                f"{option.get(str(error['loc'][0]), '--' + str(error['loc'][0]))}: {error['msg']}"
                for error in exc.errors()
            )
        )
    started = clock.perf_counter()
    with progress_bar() as progress:
        history_task = progress.add_task("history", total=100)
        history = simulate_history(
            scale,
            seed,
            keep_world=True,
            report=lambda fraction: progress.update(history_task, completed=100 * fraction),
        )
        history_seconds = clock.perf_counter() - started
        assert history.world is not None
        risk = history_risk(history)
        runs_task = progress.add_task("futures", total=100)
        try:
            simulation = simulate_policies(
                history.world,
                [TargetingPolicy("behaviour score", risk.score), TargetingPolicy.random()],
                config,
                report=lambda fraction: progress.update(runs_task, completed=100 * fraction),
            )
        except LyceumError as exc:
            fail(exc.message)
    _print_policy_simulation(simulation, scale, seed, history_seconds, started)


def _print_policy_simulation(
    simulation: PolicySimulation, scale: str, seed: int, history_seconds: float, started: float
) -> None:
    import time as clock

    from rich import box
    from rich.console import Console
    from rich.table import Table

    from lyceum.tutormax.policysim.uplift import UpliftEstimate

    sim = simulation
    effect = sim.effect
    level = f"{sim.confidence:.0%}"
    # Piped output has no width to fit, and 80 columns would fold every interval.
    out = console if console.is_terminal else Console(width=132, file=console.file)
    say = out.print
    say(
        f"[bold]TutorMax policy simulation[/] — scale {scale}, seed {seed}: {sim.eligible} tutors"
        f" active at {sim.end_day}, {sim.replicates} simulated futures of {sim.horizon_days}"
        " days, the same futures for every policy."
    )
    say(
        f"Planted effect: an intervention is completed {effect.completion_probability:.0%} of"
        f" the time, {effect.delay_days[0]}-{effect.delay_days[1]} days after assignment; it"
        f" cuts the tutor's avoidable churn hazard by {effect.hazard_reduction:.0%} for"
        f" {effect.effect_days} days."
    )
    held = sim.results[1].held_out if len(sim.results) > 1 else 0
    say(
        f"Capacity {sim.capacity} interventions per policy; each policy also picks {held} more"
        f" tutors ({sim.holdout_share:.0%} of its picks) and leaves them untreated at random."
    )

    def interval(low: float, high: float) -> str:
        return f"[{low + 0.0:.1f}, {high + 0.0:.1f}]"  # + 0.0: no "-0.0"

    table = Table(
        title=f"Churn within {sim.horizon_days} days (mean over the futures, {level} t interval)",
        box=box.SIMPLE,
    )
    for column in ("policy", "treated", "held out", "churned", "prevented /100", "true /100"):
        table.add_column(column, justify="left" if column == "policy" else "right", no_wrap=True)
    for result in sim.results:
        churned = result.churned
        prevented = result.prevented_per_100
        table.add_row(
            result.name,
            str(result.interventions),
            str(result.held_out),
            f"{churned.mean:.1f} {interval(churned.low, churned.high)}",
            "—"
            if prevented is None
            else f"{prevented.mean:.1f} {interval(prevented.low, prevented.high)}",
            "—" if result.true_effect_per_100 is None else f"{result.true_effect_per_100:.1f}",
        )
    say(table)
    say(
        "treated: interventions per future; prevented /100: churns prevented per 100"
        " interventions against no intervention in the same future; true /100: the treated"
        " tutors' churn untreated minus treated, per 100 (from the counterfactual runs)."
    )

    def relative(estimate: UpliftEstimate) -> str:
        if estimate.relative_reduction is None or estimate.relative_interval is None:
            return "—"
        low, high = estimate.relative_interval
        return f"{estimate.relative_reduction:.0%} [{low:.0%}, {high:.0%}]"

    uplift = Table(
        title=f"Uplift: treated vs holdout, pooled over the futures ({level} Newcombe interval)",
        box=box.SIMPLE,
    )
    for column in (
        "policy",
        "treated churned",
        "holdout churned",
        "est. /100",
        "true /100",
        "est. relative",
        "true rel.",
        "MDE /100",
    ):
        uplift.add_column(column, justify="left" if column == "policy" else "right", no_wrap=True)
    for result in sim.results:
        estimate = result.uplift
        if estimate is None:
            continue
        low, high = estimate.prevented_per_100_interval
        true_relative = result.true_relative_reduction
        uplift.add_row(
            result.name,
            f"{estimate.treated_churned}/{estimate.treated} {estimate.treated_rate:.1%}",
            f"{estimate.holdout_churned}/{estimate.holdout} {estimate.holdout_rate:.1%}",
            f"{estimate.prevented_per_100 + 0.0:.1f} {interval(low, high)}",
            f"{result.true_effect_per_100:.1f}",
            relative(estimate),
            "—" if true_relative is None else f"{true_relative:.0%}",
            f"{100 * estimate.minimum_detectable_difference:.1f}",
        )
    say(uplift)
    aucs = ", ".join(f"{name} {value:.3f}" for name, value in sim.score_auc.items())
    say(
        f"Targeting AUC for {sim.horizon_days}-day churn without intervention: {aucs}; the"
        f" latent true hazard on the first day {sim.true_hazard_auc:.3f}."
    )
    say(
        "est.: what a team could measure without a counterfactual; true: the counterfactual."
        " MDE /100: the effect this many treated and held-out tutors would detect 4 times in 5;"
        " a smaller true effect will often look like none."
    )
    total = clock.perf_counter() - started
    say(f"Took {total:.1f} s ({history_seconds:.1f} s for the history and its tables).")


# ---- churn model ------------------------------------------------------------------------


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} takes a date as YYYY-MM-DD, got {value!r}", code=2)


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

    cut = _day(as_of, "--as-of")
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

    when = _day(day, "--date")
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

    cut = _day(as_of, "--as-of")
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
