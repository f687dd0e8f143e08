"""Continuing the synthetic world past the history's end (`synthetic.forward`): the history
is unchanged by keeping the world, the continuation starts exactly where the history ends,
runs are deterministic, and draws are common random numbers across interventions; the
planted effect (`synthetic.treatment`) acts as documented."""

from __future__ import annotations

import numpy as np
import pytest

from lyceum.tutormax.synthetic import (
    HISTORY_END,
    SCALES,
    TABLES,
    TutorMaxHistory,
    TutorMaxScale,
    simulate_history,
)
from lyceum.tutormax.synthetic.churn import life_hazard
from lyceum.tutormax.synthetic.forward import ForwardRun, World, continue_world, world_at_end
from lyceum.tutormax.synthetic.keyed import KeyedDraws
from lyceum.tutormax.synthetic.treatment import (
    PLANTED_EFFECT,
    InterventionEffect,
    InterventionSchedule,
    plan_effects,
    reduce_hazard,
)


@pytest.fixture(scope="module")
def history() -> TutorMaxHistory:
    return simulate_history("small", 11, 12, HISTORY_END, keep_world=True)


@pytest.fixture(scope="module")
def world(history: TutorMaxHistory) -> World:
    assert history.world is not None
    return history.world


@pytest.fixture(scope="module")
def untreated(world: World) -> ForwardRun:
    return continue_world(world, 0)


def _same_run(a: ForwardRun, b: ForwardRun) -> bool:
    return (
        np.array_equal(a.hazard, b.hazard, equal_nan=True)
        and np.array_equal(a.churn_day, b.churn_day)
        and np.array_equal(a.pause_day, b.pause_day)
        and a.hires == b.hires
    )


def test_keeping_the_world_changes_no_array(history: TutorMaxHistory) -> None:
    plain = simulate_history("small", 11, 12, HISTORY_END)
    assert plain.world is None
    for name in TABLES:
        mine, theirs = history.table(name), plain.table(name)
        assert mine.keys() == theirs.keys()
        for column, values in mine.items():
            other = theirs[column]
            if isinstance(values, np.ndarray) and values.dtype.kind == "f":
                assert np.array_equal(values, other, equal_nan=True), f"{name}.{column}"
            elif isinstance(values, np.ndarray):
                assert np.array_equal(values, other), f"{name}.{column}"
            else:
                assert list(values) == list(other), f"{name}.{column}"
    for field in ("churn_day", "pause_day", "hazard", "motivation", "reliability"):
        assert np.array_equal(
            getattr(history.truth, field), getattr(plain.truth, field), equal_nan=True
        ), field


def test_the_world_is_the_histories_end(history: TutorMaxHistory, world: World) -> None:
    assert world.end == history.end
    assert world.tutors == len(history.tutors["tutor_id"])
    # Active at the end in the model is 'active' in the table (churn after the end is not).
    assert np.array_equal(world.active_at_end, history.tutors["status"] == "active")
    alone = world_at_end(SCALES["small"], 11, 12, HISTORY_END)
    assert alone.history_days == world.history_days
    assert np.array_equal(alone.state.tutors.motivation, world.state.tutors.motivation)
    assert np.array_equal(alone.state.pairings.active, world.state.pairings.active)


def test_the_continuation_starts_where_the_history_ends(
    history: TutorMaxHistory, untreated: ForwardRun
) -> None:
    """Day 0's hazard depends only on the state at the end, so it is the truth's, exactly."""
    truth = history.truth
    recorded = truth.hazard[:, truth.history_days]
    assert np.array_equal(untreated.hazard[:, 0], recorded, equal_nan=True)
    assert np.array_equal(~np.isnan(untreated.hazard[:, 0]), untreated.active_at_end)


def test_a_continuation_is_a_plausible_future_of_the_same_world() -> None:
    """Over replicates, 90-day churn of the tutors active at the end is what the recorded
    future's hazards say it should be (a loose band: a different model would miss it)."""
    spec = TutorMaxScale("forward-test", 300, 900)
    history = simulate_history(spec, 5, 12, HISTORY_END, keep_world=True)
    assert history.world is not None
    expected = np.nansum(history.truth.churn_probability(history.end, 90))
    churned = [continue_world(history.world, r).churned().sum() for r in range(6)]
    assert 0.6 * expected < np.mean(churned) < 1.6 * expected


def test_runs_are_deterministic_and_replicates_differ(world: World, untreated: ForwardRun) -> None:
    assert _same_run(untreated, continue_world(world, 0))
    others = [continue_world(world, r) for r in (1, 2)]
    assert not all(_same_run(untreated, other) for other in others)
    # Only whose draws, not whose hazard: a replicate is another future of the same state.
    assert np.array_equal(others[0].hazard[:, 0], untreated.hazard[:, 0], equal_nan=True)


def test_an_intervention_without_effect_changes_nothing(
    world: World, untreated: ForwardRun
) -> None:
    """Common random numbers: treating every tutor with no effect, or with calls that never
    happen, draws exactly what the untreated run drew."""
    everyone = InterventionSchedule.at_end(np.flatnonzero(world.active_at_end))
    no_effect = InterventionEffect(hazard_reduction=0.0)
    never = InterventionEffect(completion_probability=0.0)
    assert _same_run(untreated, continue_world(world, 0, everyone, no_effect))
    assert _same_run(untreated, continue_world(world, 0, everyone, never))


def test_the_effect_starts_with_the_call_and_cuts_the_avoidable_hazard(
    world: World, untreated: ForwardRun
) -> None:
    active = np.flatnonzero(world.active_at_end)
    schedule = InterventionSchedule.at_end(active)
    treated = continue_world(world, 0, schedule)
    windows = treated.windows
    first = int(windows.start[windows.completed].min())
    # Before the first call the two futures are the same, draw for draw.
    assert np.array_equal(treated.hazard[:, :first], untreated.hazard[:, :first], equal_nan=True)
    # On that day (exits come first, nothing has diverged yet) the called tutors' hazard is
    # the untreated one with its behavioural part halved, and everyone else's is unchanged.
    called = windows.tutor[windows.completed & (windows.start == first)]
    called = called[~np.isnan(untreated.hazard[called, first])]
    assert called.shape[0] > 0
    tenure = world.history_days + first - world.state.tutors.joined_day[called]
    expected = reduce_hazard(untreated.hazard[called, first], tenure, 0.5)
    assert np.allclose(treated.hazard[called, first], expected, rtol=1e-12, atol=0)
    assert (treated.hazard[called, first] < untreated.hazard[called, first]).all()
    assert (treated.hazard[called, first] > life_hazard(tenure)).all()
    others = np.setdiff1d(np.arange(world.tutors), called)
    assert np.array_equal(
        treated.hazard[others, first], untreated.hazard[others, first], equal_nan=True
    )
    # Reached: the completed calls whose tutor was still there on the day of the call.
    done = windows.completed
    still_there = ~np.isnan(treated.hazard[windows.tutor[done], windows.start[done]])
    assert treated.reached.sum() == still_there.sum() > 0
    assert not treated.reached[~world.active_at_end].any()


def test_completion_and_delay_follow_the_documented_effect() -> None:
    tutors = np.arange(20_000, dtype=np.int64)
    windows = plan_effects(InterventionSchedule.at_end(tutors), PLANTED_EFFECT, KeyedDraws(1, 2))
    assert 0.74 < windows.completed.mean() < 0.76
    delay = windows.start
    assert (delay.min(), delay.max()) == PLANTED_EFFECT.delay_days
    counts = np.bincount(delay)[2:]
    assert counts.min() > 0.9 * counts.mean()
    assert ((windows.stop - windows.start) == PLANTED_EFFECT.effect_days).all()
    # Keyed by tutor: tutor 17's fate does not depend on who else is treated.
    alone = plan_effects(InterventionSchedule.at_end([17]), PLANTED_EFFECT, KeyedDraws(1, 2))
    assert alone.completed[0] == windows.completed[17] and alone.start[0] == windows.start[17]


def test_keyed_draws_depend_only_on_the_key_and_the_entity() -> None:
    draws = KeyedDraws(3, 4)
    many = np.arange(200_000, dtype=np.int64)
    uniform = draws.uniform(7, 400, many)
    assert uniform.min() >= 0.0 and uniform.max() < 1.0
    assert abs(uniform.mean() - 0.5) < 0.005 and abs(uniform.var() - 1 / 12) < 0.002
    assert np.array_equal(draws.uniform(7, 400, many[[5, 123_456]]), uniform[[5, 123_456]])
    assert abs(np.corrcoef(uniform, draws.uniform(7, 401, many))[0, 1]) < 0.01
    assert abs(np.corrcoef(uniform, draws.uniform(7, 400, many, lane=1))[0, 1]) < 0.01
    assert abs(np.corrcoef(uniform[:-1], uniform[1:])[0, 1]) < 0.01
    normal = draws.normal(7, 400, many)
    assert abs(normal.mean()) < 0.01 and abs(normal.std() - 1.0) < 0.01
    geometric = draws.geometric(7, 400, many, 1 / 45)
    assert geometric.min() >= 1 and abs(geometric.mean() - 45) < 0.5


def test_bad_continuations_are_refused(world: World) -> None:
    with pytest.raises(ValueError, match="tutor index"):
        continue_world(world, 0, InterventionSchedule.at_end([world.tutors]))
    with pytest.raises(ValueError, match="days"):
        continue_world(world, 0, days=91)
    with pytest.raises(ValueError, match="within the"):
        continue_world(world, 0, InterventionSchedule(np.array([0]), np.array([30])), days=30)
    with pytest.raises(ValueError, match="hazard_reduction"):
        InterventionEffect(hazard_reduction=1.5)
