"""Policy simulation (`lyceum.tutormax.policysim`): equal capacity, holdouts drawn from each
policy's own picks, targeting by the honest behaviour score beats random targeting on the
same futures, the score reads only the tables as of its date, and `lyceum tutormax
policy-sim` prints the comparison."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from lyceum.core.errors import InvalidInput
from lyceum.tutormax.cli import commands
from lyceum.tutormax.policysim import (
    NO_INTERVENTION,
    RANDOM,
    PolicySimConfig,
    PolicySimulation,
    TargetingPolicy,
    history_risk,
    simulate_policies,
)
from lyceum.tutormax.policysim.simulation import auc, holdout_size, mean_interval
from lyceum.tutormax.policysim.targeting import behaviour_risk
from lyceum.tutormax.synthetic import HISTORY_END, TutorMaxHistory, TutorMaxScale, simulate_history
from lyceum.tutormax.synthetic.forward import World

SCORE = "behaviour score"


@pytest.fixture(scope="module")
def history() -> TutorMaxHistory:
    # 300 tutors: enough churn in 90 days for the comparison, about a second to build.
    return simulate_history(
        TutorMaxScale("policy-test", 300, 900), 7, 12, HISTORY_END, keep_world=True
    )


@pytest.fixture(scope="module")
def world(history: TutorMaxHistory) -> World:
    assert history.world is not None
    return history.world


@pytest.fixture(scope="module")
def simulation(history: TutorMaxHistory, world: World) -> PolicySimulation:
    score = history_risk(history).score
    config = PolicySimConfig(capacity=80, holdout_share=0.2, replicates=8)
    return simulate_policies(
        world, [TargetingPolicy(SCORE, score), TargetingPolicy.random()], config
    )


def test_every_policy_treats_the_same_number_and_holds_out_its_own_picks(
    history: TutorMaxHistory, simulation: PolicySimulation
) -> None:
    assert [r.name for r in simulation.results] == [NO_INTERVENTION, SCORE, RANDOM]
    held = holdout_size(80, 0.2)
    assert held == 20
    score = history_risk(history).score
    eligible = np.flatnonzero(history.tutors["status"] == "active")
    top = set(eligible[np.argsort(-score[eligible], kind="stable")[:100]].tolist())
    held_sets = set()
    for result in simulation.results[1:]:
        assert (result.interventions, result.held_out) == (80, held)
        for row in result.outcomes:
            assert row.treated.shape[0] == 80 and row.held.shape[0] == held
            picks = np.concatenate([row.treated, row.held])
            assert np.unique(picks).shape[0] == 100
            assert history.tutors["status"][picks].tolist() == ["active"] * 100
            if result.name == SCORE:
                # The top 100 by score every time; which 20 are held out is chance.
                assert set(picks.tolist()) == top
                held_sets.add(tuple(row.held.tolist()))
    assert len(held_sets) > 1
    nobody = simulation.result(NO_INTERVENTION)
    assert nobody.prevented_per_100 is None and nobody.uplift is None
    assert all(row.interventions == 0 for row in nobody.outcomes)


def test_targeting_by_behaviour_beats_random_targeting(simulation: PolicySimulation) -> None:
    """On the same futures, the score's picks churn more when untreated, so treating them
    prevents more; both prevent some, and the simulation's per-100 figure agrees with the
    counterfactual effect on the treated (the rest is knock-on effects and noise)."""
    targeted, random = simulation.result(SCORE), simulation.result(RANDOM)
    assert targeted.prevented_per_100 is not None and random.prevented_per_100 is not None
    assert targeted.true_effect_per_100 is not None and random.true_effect_per_100 is not None
    assert targeted.true_effect_per_100 > random.true_effect_per_100 >= 0
    assert targeted.prevented_per_100.mean > random.prevented_per_100.mean
    assert abs(targeted.prevented_per_100.mean - targeted.true_effect_per_100) < 3.0
    untreated_rate = {
        r.name: sum(o.treated_churned_untreated for o in r.outcomes) / (80 * 8)
        for r in (targeted, random)
    }
    assert untreated_rate[SCORE] > 1.5 * untreated_rate[RANDOM]
    # About three calls in four reach the tutor (completion 75 %, a few leave first).
    assert 0.65 < targeted.reached_share < 0.8
    assert simulation.score_auc[SCORE] > 0.62
    assert RANDOM not in simulation.score_auc


def test_no_intervention_churn_is_each_futures_own(simulation: PolicySimulation) -> None:
    nobody = simulation.result(NO_INTERVENTION)
    counts = [row.churned for row in nobody.outcomes]
    assert len(set(counts)) > 1
    assert nobody.churned.low < np.mean(counts) == nobody.churned.mean < nobody.churned.high
    for result in simulation.results[1:]:
        prevented = [
            100 * (base - row.churned) / 80
            for base, row in zip(counts, result.outcomes, strict=True)
        ]
        assert result.prevented_per_100 is not None
        assert result.prevented_per_100.mean == pytest.approx(np.mean(prevented))


def test_a_score_may_be_a_function_of_the_tutor_ids(world: World) -> None:
    def by_number(ids: np.ndarray) -> np.ndarray:
        return np.array([float(i[1:]) for i in ids])

    config = PolicySimConfig(capacity=5, holdout_share=0.0, replicates=2, horizon_days=20)
    result = simulate_policies(world, [TargetingPolicy("newest", by_number)], config)
    active = np.flatnonzero(world.active_at_end)
    for row in result.result("newest").outcomes:
        assert row.treated.tolist() == active[-5:].tolist() and row.held.shape[0] == 0
    assert result.result("newest").uplift is None


def test_bad_simulations_are_refused_with_a_reason(world: World) -> None:
    random = [TargetingPolicy.random()]
    with pytest.raises(InvalidInput, match="eligible tutors"):
        simulate_policies(world, random, PolicySimConfig(capacity=290, replicates=2))
    with pytest.raises(InvalidInput, match="distinct"):
        simulate_policies(world, random * 2, PolicySimConfig(replicates=2))
    with pytest.raises(InvalidInput, match="values"):
        simulate_policies(world, [TargetingPolicy("short", np.zeros(3))], PolicySimConfig())
    with pytest.raises(ValidationError):
        PolicySimConfig(replicates=1)
    with pytest.raises(ValidationError):
        PolicySimConfig(holdout_share=0.95)
    with pytest.raises(ValidationError):
        PolicySimConfig.model_validate({"replicates": 3, "seed": 1})


def test_the_score_reads_only_what_was_known_at_its_date(history: TutorMaxHistory) -> None:
    """Rows after the date change nothing; the tutors it may target are those active then."""
    as_of = history.end - timedelta(days=120)
    cut = np.datetime64(as_of, "us")
    before = history_risk(history, as_of)

    def keep(columns: dict[str, Any], stamp: str) -> dict[str, Any]:
        rows = np.asarray(columns[stamp]) < cut
        return {name: np.asarray(values)[rows] for name, values in columns.items()}

    tutors = dict(history.tutors)
    tutors["status"] = np.where(tutors["churned_at_null"], "active", "churned")  # as if re-run
    truncated = behaviour_risk(
        tutors,
        keep(history.sessions, "scheduled_start"),
        keep(history.tutor_events, "event_timestamp"),
        keep(history.student_feedback, "submitted_at"),
        as_of,
        status_is_current=False,
    )
    assert np.array_equal(truncated.score, before.score)
    assert np.array_equal(truncated.active, before.active)
    joined_later = history.tutors["onboarding_date"] >= cut
    assert joined_later.any() and not before.active[joined_later].any()
    # At the end, exactly the tutors the model has active (paused ones are out).
    assert history.world is not None
    assert np.array_equal(history_risk(history).active, history.world.active_at_end)


def test_statistics_helpers() -> None:
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True])) == 0.75
    assert auc(np.array([1.0, 1.0]), np.array([True, False])) == 0.5
    interval = mean_interval([1.0, 2.0, 3.0], 0.95)
    assert interval.mean == 2.0
    assert interval.high - 2.0 == pytest.approx(4.302653 / np.sqrt(3), rel=1e-5)


def test_policy_sim_command_prints_the_comparison() -> None:
    result = CliRunner().invoke(commands, ["policy-sim", "--scale", "small", "--replicates", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    for text in (NO_INTERVENTION, SCORE, RANDOM, "prevented /100", "Newcombe", "Planted effect"):
        assert text in out
    assert "Took" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--holdout", "0.95", "--replicates", "2"], "--holdout"),
        (["--replicates", "1"], "--replicates"),
        (["--scale", "huge"], "unknown scale"),
        (["--scale", "small", "--capacity", "60", "--replicates", "2"], "eligible tutors"),
    ],
)
def test_policy_sim_command_refuses_bad_options(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(commands, ["policy-sim", *arguments])
    assert result.exit_code == 1
    assert message in result.output
