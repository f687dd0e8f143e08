"""The uplift estimator (`lyceum.tutormax.policysim.uplift`): Newcombe's published examples,
nominal coverage on binomial data, and, in the simulated world, recovery of the planted
effect: its interval covers the true effect on the treated computed from the untreated
(counterfactual) runs of the same futures."""

from __future__ import annotations

import numpy as np
import pytest

from lyceum.core.errors import InvalidInput
from lyceum.tutormax.policysim import (
    RANDOM,
    PolicyResult,
    PolicySimConfig,
    TargetingPolicy,
    estimate_uplift,
    estimate_uplift_from_outcomes,
    simulate_policies,
)
from lyceum.tutormax.policysim.uplift import wilson_interval
from lyceum.tutormax.synthetic import TutorMaxScale
from lyceum.tutormax.synthetic.forward import World, world_at_end
from lyceum.tutormax.synthetic.treatment import PLANTED_EFFECT, InterventionEffect

# Every behavioural hazard removed for the whole horizon, every call made at once: the
# largest effect the world allows, to test recovery with power to spare.
STRONG = InterventionEffect(
    completion_probability=1.0, delay_days=(0, 0), hazard_reduction=1.0, effect_days=90
)


def test_newcombes_published_intervals() -> None:
    """Newcombe (1998), method 10, examples (a) and (c); Wilson's interval for 81/263."""
    first = estimate_uplift(56, 70, 48, 80)
    assert first.difference == pytest.approx(0.2)
    assert first.difference_interval == pytest.approx((0.0524, 0.3339), abs=5e-5)
    second = estimate_uplift(9, 10, 3, 10)
    assert second.difference_interval == pytest.approx((0.1705, 0.8090), abs=5e-5)
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)


@pytest.mark.parametrize(
    ("treated", "treated_rate", "holdout", "holdout_rate"),
    [(200, 0.10, 50, 0.15), (1000, 0.05, 110, 0.07), (60, 0.20, 60, 0.30)],
)
def test_intervals_cover_at_their_nominal_rate(
    treated: int, treated_rate: float, holdout: int, holdout_rate: float
) -> None:
    rng = np.random.default_rng(treated)
    trials = 2000
    difference = relative = 0
    for _ in range(trials):
        estimate = estimate_uplift(
            int(rng.binomial(treated, treated_rate)),
            treated,
            int(rng.binomial(holdout, holdout_rate)),
            holdout,
        )
        difference += estimate.covers(treated_rate - holdout_rate)
        assert estimate.relative_interval is not None
        low, high = estimate.relative_interval
        relative += low <= 1 - treated_rate / holdout_rate <= high
    # 2,000 trials: the binomial spread around 95 % is 0.5 points.
    assert 0.935 < difference / trials < 0.975
    assert 0.935 < relative / trials < 0.975


def test_estimates_read_as_documented() -> None:
    estimate = estimate_uplift(30, 300, 20, 100)
    assert estimate.treated_rate == 0.1 and estimate.holdout_rate == 0.2
    assert estimate.difference == pytest.approx(-0.1)
    assert estimate.prevented_per_100 == pytest.approx(10.0)
    low, high = estimate.prevented_per_100_interval
    assert low < 10.0 < high and low > 0
    assert estimate.relative_reduction == pytest.approx(0.5)
    assert estimate.relative_interval is not None
    assert estimate.relative_interval[0] < 0.5 < estimate.relative_interval[1]
    # A smaller study detects only larger effects.
    assert estimate_uplift(3, 30, 2, 10).minimum_detectable_difference > (
        estimate.minimum_detectable_difference
    )
    same = estimate_uplift_from_outcomes([True] * 30 + [False] * 270, [True] * 20 + [False] * 80)
    assert same == estimate
    # No churn at all: a difference with an interval, no relative reduction.
    nothing = estimate_uplift(0, 50, 0, 10)
    assert nothing.difference == 0 and nothing.relative_reduction is None
    assert nothing.difference_interval[0] < 0 < nothing.difference_interval[1]
    # None in the holdout: the relative interval still exists (half an event added).
    assert estimate_uplift(5, 50, 0, 10).relative_interval is not None


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        estimate_uplift(0, 10, 0, 0)
    with pytest.raises(InvalidInput, match="must lie"):
        estimate_uplift(11, 10, 0, 5)
    with pytest.raises(InvalidInput, match="confidence"):
        estimate_uplift(1, 10, 1, 10, confidence=1.0)


# ---- recovery of the planted effect in the simulated world --------------------------------


@pytest.fixture(scope="module")
def world() -> World:
    # 300 tutors (a custom small scale): about 300 eligible a future at 0.25 s per 90 days,
    # six times the tutors of `small` for the same time.
    return world_at_end(TutorMaxScale("uplift-test", 300, 900), 7)


def _half_and_half(world: World, effect: InterventionEffect, replicates: int) -> PolicyResult:
    """Random targeting of half the eligible tutors, the other half held out."""
    capacity = int(world.active_at_end.sum()) // 2
    config = PolicySimConfig(capacity=capacity, holdout_share=0.5, replicates=replicates)
    simulation = simulate_policies(world, [TargetingPolicy.random()], config, effect)
    return simulation.result(RANDOM)


def test_the_estimate_recovers_a_strong_planted_effect(world: World) -> None:
    """Not luck: the interval excludes no effect by a wide margin and still covers the
    truth; the relative interval covers the true relative reduction; and the futures'
    own intervals cover their own truth about as often as they should."""
    result = _half_and_half(world, STRONG, replicates=10)
    estimate = result.uplift
    assert estimate is not None and result.true_difference is not None
    assert result.true_difference < -0.02  # the treatment works, in the world's truth
    assert estimate.covers(result.true_difference)
    low, high = estimate.difference_interval
    assert high < 0 and high - low < -result.true_difference
    assert estimate.relative_interval is not None and result.true_relative_reduction is not None
    assert estimate.relative_interval[0] <= result.true_relative_reduction
    assert result.true_relative_reduction <= estimate.relative_interval[1]
    covered = [
        estimate_uplift(o.treated_churned, o.interventions, o.holdout_churned, o.held_out).covers(
            o.true_difference
        )
        for o in result.outcomes
    ]
    assert sum(covered) >= 8


def test_the_estimate_covers_the_documented_planted_effect(world: World) -> None:
    """With the world's own effect, smaller: the truth is a fraction of a point, and an
    interval under 2.2 points wide (3,600 tutor-futures a group) still covers it."""
    result = _half_and_half(world, PLANTED_EFFECT, replicates=24)
    estimate = result.uplift
    assert estimate is not None and result.true_difference is not None
    assert -0.02 < result.true_difference < -0.003
    assert estimate.covers(result.true_difference)
    low, high = estimate.difference_interval
    assert high - low < 0.022
    assert result.true_relative_reduction is not None
    assert 0.05 < result.true_relative_reduction < 0.4
