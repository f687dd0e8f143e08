"""`lyceum tutormax policy-sim`: the measured effect of targeting policies in the synthetic
world. The world is pure; when the database holds the same generated history, TutorMax's own
decisions on its last day (the churn model's scores and the intervention rules, in a
transaction rolled back) are two more policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lyceum.core.cli import console, fail
from lyceum.core.errors import LyceumError
from lyceum.tutormax.cli.app import commands

if TYPE_CHECKING:
    from collections.abc import Callable

    from lyceum.tutormax.churn.types import FloatArray
    from lyceum.tutormax.policysim import PolicySimulation, TargetingPolicy
    from lyceum.tutormax.policysim.simulation import StrArray
    from lyceum.tutormax.service.policysim import DailyJobTargeting


def _daily_job(scale: str, seed: int, months: int) -> tuple[DailyJobTargeting | None, str]:
    """What the daily job decides on the history's last day, if the database holds that
    history (nothing is kept), else why not."""
    from lyceum.core.cli import run_async
    from lyceum.tutormax.connection import get_session
    from lyceum.tutormax.service.policysim import daily_job_targeting, history_in_database

    async def ask() -> tuple[DailyJobTargeting | None, str]:
        async with get_session() as db:
            why_not = await history_in_database(db, scale, seed, months)
            if why_not is not None:
                return None, why_not
            try:
                return await daily_job_targeting(db), ""
            finally:
                await db.rollback()

    try:
        return run_async(ask())
    except (LyceumError, OSError) as exc:
        return None, f"the database could not be read ({exc})"


def _by_tutor_id(scores: dict[str, float]) -> Callable[[StrArray], FloatArray]:
    import numpy as np

    def score(tutor_ids: StrArray) -> FloatArray:
        # Tutors the day did not score (none active at the end is left out) come last.
        return np.array([scores.get(str(tutor), -1.0) for tutor in tutor_ids], dtype=np.float64)

    return score


def _daily_job_policies(
    scale: str, seed: int, months: int, end_day: str
) -> tuple[list[TargetingPolicy], str]:
    from lyceum.tutormax.policysim import TargetingPolicy

    targeting, why_not = _daily_job(scale, seed, months)
    if targeting is None:
        return [], (
            f"Not compared: the churn model and the rules ({why_not}; run `lyceum generate "
            f"tutormax --scale {scale} --seed {seed}` for them)."
        )
    note = (
        f"TutorMax's daily job on {targeting.day} (the world ends {end_day}): model "
        f"{targeting.model_version}; the rules matched {targeting.matched_tutors} tutors."
    )
    return [
        TargetingPolicy("rules (daily job)", _by_tutor_id(targeting.rules_rank)),
        TargetingPolicy("churn model", _by_tutor_id(targeting.risk_score)),
    ], note


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
    database: Annotated[
        bool,
        typer.Option(
            help="Add the rules' and the churn model's picks when the database holds this "
            "history (read in a transaction rolled back)."
        ),
    ] = True,
) -> None:
    """Compare TutorMax's rules and churn model (when the database holds this history),
    targeting by behaviour, random targeting and no intervention at equal capacity on the
    same simulated futures; print churn prevented per 100 interventions and the uplift
    estimated from the holdout beside the true effect."""
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
        ours, note = (
            _daily_job_policies(scale, seed, history.months, history.world.end.isoformat())
            if database
            else ([], "")
        )
        runs_task = progress.add_task("futures", total=100)
        try:
            simulation = simulate_policies(
                history.world,
                [*ours, TargetingPolicy("behaviour score", risk.score), TargetingPolicy.random()],
                config,
                report=lambda fraction: progress.update(runs_task, completed=100 * fraction),
            )
        except LyceumError as exc:
            fail(exc.message)
    if note:
        console.print(note, highlight=False)
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
