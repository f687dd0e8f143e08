"""Policy simulation: which tutors to call, compared at equal capacity on the same futures.

At the history's end each policy picks `capacity` tutors to intervene on among the eligible
ones (active at the end):

- a **targeting policy** takes the top of a per-tutor score (the honest behaviour score of
  `targeting`; later the churn model's risk or the rule engine's picks);
- **random** targeting picks at random: what a score must beat to be worth having;
- **no intervention** treats nobody: the baseline, and every treated tutor's counterfactual.

Each policy also keeps a **holdout**, as the intervention engine does: it selects
`capacity + holdout` tutors, `holdout = round(capacity * share / (1 - share))`, and leaves a
random `holdout` of them untreated, so exactly `capacity` are treated and the holdout is a
fair comparison group for them (`uplift`).

Every policy is run on the same `replicates` futures of the world (`forward.continue_world`,
common random numbers): replicate r of a policy and replicate r of no intervention share
every draw, so their difference is the policy's effect in that future, with little noise.

Figures, per policy, over the replicates:

- **churned**: tutors active at the end who churned within the horizon (90 days), mean and
  interval;
- **churn prevented per 100 interventions**: 100 * (churned without intervention - churned
  under the policy) / capacity, per replicate (paired by seed), mean and interval; it counts
  every tutor present at the end, so it includes the knock-on effects of a tutor staying;
- **true effect on the treated**: the treated tutors' churn in the no-intervention run of
  the same replicate minus their churn when treated, pooled over replicates (per 100
  treated, and relative); the estimand the uplift estimator aims at;
- **uplift estimate**: `uplift.estimate_uplift` on the treated against the holdout, pooled
  over replicates: what a team could measure without a counterfactual.

The interval of the first two is a t interval over the replicates (mean +- t * sd / sqrt(R));
it says how precisely the simulation has pinned down the mean over futures *of this world*,
not how much one real quarter would vary: that is what the uplift interval shows.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats  # type: ignore[import-untyped]

from lyceum.core.errors import InvalidInput
from lyceum.tutormax.policysim.uplift import UpliftEstimate, estimate_uplift
from lyceum.tutormax.synthetic import TRUTH_HORIZON_DAYS
from lyceum.tutormax.synthetic.forward import ForwardRun, World, continue_world
from lyceum.tutormax.synthetic.sessions import tutor_ids
from lyceum.tutormax.synthetic.treatment import (
    PLANTED_EFFECT,
    InterventionEffect,
    InterventionSchedule,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
Score = FloatArray | Callable[[StrArray], FloatArray]

NO_INTERVENTION = "no intervention"
RANDOM = "random"
DEFAULT_CAPACITY_SHARE = 0.1


class PolicySimConfig(BaseModel):
    """How a policy simulation runs (validated at the edge and again here)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capacity: int | None = Field(
        default=None,
        ge=1,
        description="Interventions per policy; default: a tenth of those eligible.",
    )
    holdout_share: float = Field(default=0.1, ge=0.0, le=0.9)
    replicates: int = Field(default=10, ge=2, le=1000)
    horizon_days: int = Field(default=TRUTH_HORIZON_DAYS, ge=1, le=TRUTH_HORIZON_DAYS)
    confidence: float = Field(default=0.95, ge=0.5, lt=1.0)


@dataclass(frozen=True)
class TargetingPolicy:
    """Treat the top of `score` (one value per tutor row, higher first; a callable gets
    the tutor ids, `T00001` first); `score=None` targets at random."""

    name: str
    score: Score | None

    @classmethod
    def random(cls) -> TargetingPolicy:
        return cls(RANDOM, None)


@dataclass(frozen=True)
class ReplicateOutcome:
    """One policy in one replicate (counts over tutors active at the history's end)."""

    replicate: int
    interventions: int
    held_out: int
    churned: int
    treated_churned: int
    holdout_churned: int
    treated_churned_untreated: int  # the same tutors in the no-intervention run
    holdout_churned_untreated: int
    reached: int  # treated tutors whose intervention was completed while active
    treated: IntArray  # tutor rows treated (empty for no intervention)
    held: IntArray  # tutor rows picked but held out

    @property
    def true_difference(self) -> float:
        """This future's effect on the treated: their churn rate treated minus untreated."""
        if not self.interventions:
            return 0.0
        return (self.treated_churned - self.treated_churned_untreated) / self.interventions


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class PolicyResult:
    name: str
    interventions: int
    held_out: int
    outcomes: list[ReplicateOutcome]
    churned: Interval
    prevented_per_100: Interval | None  # None for no intervention
    true_effect_per_100: float | None  # churn prevented per 100 treated, from counterfactuals
    true_relative_reduction: float | None
    uplift: UpliftEstimate | None  # None without a holdout

    @property
    def reached_share(self) -> float:
        treated = sum(o.interventions for o in self.outcomes)
        return sum(o.reached for o in self.outcomes) / treated if treated else 0.0

    @property
    def true_difference(self) -> float | None:
        """The true effect as the uplift estimator states it: treated minus untreated rate."""
        return None if self.true_effect_per_100 is None else -self.true_effect_per_100 / 100.0


@dataclass(frozen=True)
class PolicySimulation:
    end_day: str
    eligible: int
    capacity: int
    holdout_share: float
    replicates: int
    horizon_days: int
    confidence: float
    effect: InterventionEffect
    results: list[PolicyResult]  # no intervention first, then the policies in order
    score_auc: dict[str, float]  # each score's AUC for churn within the horizon
    true_hazard_auc: float  # the latent hazard on the first day, for reference

    def result(self, name: str) -> PolicyResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)


def holdout_size(capacity: int, share: float) -> int:
    return round(capacity * share / (1.0 - share))


def mean_interval(values: Sequence[float], confidence: float) -> Interval:
    """Mean and t interval over replicates."""
    data = np.asarray(values, dtype=np.float64)
    mean = float(data.mean())
    if data.shape[0] < 2:
        return Interval(mean, float("nan"), float("nan"))
    half = float(
        stats.t.ppf(0.5 + confidence / 2.0, data.shape[0] - 1)
        * data.std(ddof=1)
        / np.sqrt(data.shape[0])
    )
    return Interval(mean, mean - half, mean + half)


def auc(score: FloatArray, label: BoolArray) -> float:
    """The probability a random positive outranks a random negative (ties count half)."""
    positives = int(label.sum())
    negatives = int(label.shape[0]) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = stats.rankdata(score)
    return float((ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _scores(world: World, policy: TargetingPolicy) -> FloatArray | None:
    if policy.score is None:
        return None
    raw = (
        policy.score(tutor_ids(np.arange(world.tutors))) if callable(policy.score) else policy.score
    )
    score = np.asarray(raw, dtype=np.float64)
    if score.shape != (world.tutors,):
        raise InvalidInput(
            f"the score of {policy.name!r} has {score.shape[0] if score.ndim else 0} values;"
            f" the world has {world.tutors} tutors"
        )
    return np.where(np.isnan(score), -np.inf, score)


def _rng(world: World, replicate: int, name: str) -> np.random.Generator:
    return np.random.default_rng([world.seed, replicate, zlib.crc32(name.encode()), 0xA551])


def _select(
    eligible: IntArray,
    score: FloatArray | None,
    count: int,
    held: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """(treated, held out): the policy's `count + held` picks, `held` of them at random."""
    if score is None:
        picks = rng.choice(eligible, size=count + held, replace=False)
    else:
        order = np.argsort(-score[eligible], kind="stable")
        picks = eligible[order[: count + held]]
    held_mask = np.zeros(picks.shape[0], dtype=bool)
    held_mask[rng.choice(picks.shape[0], size=held, replace=False)] = True
    return np.sort(picks[~held_mask]), np.sort(picks[held_mask])


def simulate_policies(
    world: World,
    policies: Sequence[TargetingPolicy],
    config: PolicySimConfig | None = None,
    effect: InterventionEffect = PLANTED_EFFECT,
    eligible: BoolArray | None = None,
    report: Callable[[float], None] | None = None,
) -> PolicySimulation:
    """Run no intervention and every policy on the same replicates (module docstring)."""
    config = config or PolicySimConfig()
    names = [policy.name for policy in policies]
    if NO_INTERVENTION in names or len(set(names)) != len(names):
        raise InvalidInput(f"policy names must be distinct and not {NO_INTERVENTION!r}")
    mask = world.active_at_end if eligible is None else np.asarray(eligible, dtype=bool)
    if mask.shape != (world.tutors,):
        raise InvalidInput(f"eligible must have one entry per tutor ({world.tutors})")
    pool = np.flatnonzero(mask & world.active_at_end).astype(np.int64)
    capacity = config.capacity or max(1, round(DEFAULT_CAPACITY_SHARE * pool.shape[0]))
    held = holdout_size(capacity, config.holdout_share)
    if capacity + held > pool.shape[0]:
        raise InvalidInput(
            f"{capacity} interventions with a {config.holdout_share:.0%} holdout need"
            f" {capacity + held} eligible tutors; only {pool.shape[0]} are active at the end"
        )
    scores = [_scores(world, policy) for policy in policies]
    horizon = config.horizon_days
    runs_total = config.replicates * (1 + len(policies))
    done = 0

    none_rows: list[ReplicateOutcome] = []
    rows: list[list[ReplicateOutcome]] = [[] for _ in policies]
    labels: list[BoolArray] = []
    first_hazard = np.zeros(0)
    for replicate in range(config.replicates):
        baseline = continue_world(world, replicate, None, effect, horizon)
        untreated = baseline.churned()
        labels.append(untreated[pool])
        first_hazard = baseline.hazard[pool, 0]
        nobody = np.zeros(0, dtype=np.int64)
        none_rows.append(
            ReplicateOutcome(
                replicate, 0, 0, int(untreated[pool].sum()), 0, 0, 0, 0, 0, nobody, nobody
            )
        )
        done += 1
        if report is not None:
            report(done / runs_total)
        for index, policy in enumerate(policies):
            treated, holdout = _select(
                pool, scores[index], capacity, held, _rng(world, replicate, policy.name)
            )
            run = continue_world(
                world, replicate, InterventionSchedule.at_end(treated), effect, horizon
            )
            rows[index].append(_outcome(replicate, run, untreated, pool, treated, holdout))
            done += 1
            if report is not None:
                report(done / runs_total)

    none_churned = [row.churned for row in none_rows]
    results = [
        PolicyResult(
            name=NO_INTERVENTION,
            interventions=0,
            held_out=0,
            outcomes=none_rows,
            churned=mean_interval(none_churned, config.confidence),
            prevented_per_100=None,
            true_effect_per_100=None,
            true_relative_reduction=None,
            uplift=None,
        )
    ]
    for policy, outcomes in zip(policies, rows, strict=True):
        results.append(_result(policy.name, outcomes, none_churned, capacity, held, config))

    label = np.concatenate(labels)
    score_auc = {
        policy.name: auc(np.tile(score[pool], config.replicates), label)
        for policy, score in zip(policies, scores, strict=True)
        if score is not None
    }
    return PolicySimulation(
        end_day=world.end.isoformat(),
        eligible=int(pool.shape[0]),
        capacity=capacity,
        holdout_share=config.holdout_share,
        replicates=config.replicates,
        horizon_days=horizon,
        confidence=config.confidence,
        effect=effect,
        results=results,
        score_auc=score_auc,
        true_hazard_auc=auc(np.tile(first_hazard, config.replicates), label),
    )


def _outcome(
    replicate: int,
    run: ForwardRun,
    untreated: BoolArray,
    pool: IntArray,
    treated: IntArray,
    holdout: IntArray,
) -> ReplicateOutcome:
    churned = run.churned()
    return ReplicateOutcome(
        replicate=replicate,
        interventions=int(treated.shape[0]),
        held_out=int(holdout.shape[0]),
        churned=int(churned[pool].sum()),
        treated_churned=int(churned[treated].sum()),
        holdout_churned=int(churned[holdout].sum()),
        treated_churned_untreated=int(untreated[treated].sum()),
        holdout_churned_untreated=int(untreated[holdout].sum()),
        reached=int(run.reached[treated].sum()),
        treated=treated,
        held=holdout,
    )


def _result(
    name: str,
    outcomes: list[ReplicateOutcome],
    none_churned: list[int],
    capacity: int,
    held: int,
    config: PolicySimConfig,
) -> PolicyResult:
    prevented = [
        100.0 * (base - row.churned) / capacity
        for base, row in zip(none_churned, outcomes, strict=True)
    ]
    treated = sum(row.interventions for row in outcomes)
    churned_treated = sum(row.treated_churned for row in outcomes)
    churned_untreated = sum(row.treated_churned_untreated for row in outcomes)
    uplift = None
    if held:
        uplift = estimate_uplift(
            churned_treated,
            treated,
            sum(row.holdout_churned for row in outcomes),
            held * len(outcomes),
            config.confidence,
        )
    return PolicyResult(
        name=name,
        interventions=capacity,
        held_out=held,
        outcomes=outcomes,
        churned=mean_interval([row.churned for row in outcomes], config.confidence),
        prevented_per_100=mean_interval(prevented, config.confidence),
        true_effect_per_100=100.0 * (churned_untreated - churned_treated) / treated,
        true_relative_reduction=(
            1.0 - churned_treated / churned_untreated if churned_untreated else None
        ),
        uplift=uplift,
    )


__all__ = [
    "NO_INTERVENTION",
    "RANDOM",
    "Interval",
    "PolicyResult",
    "PolicySimConfig",
    "PolicySimulation",
    "ReplicateOutcome",
    "TargetingPolicy",
    "auc",
    "holdout_size",
    "mean_interval",
    "simulate_policies",
]
