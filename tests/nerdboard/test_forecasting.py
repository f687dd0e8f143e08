"""Demand forecasts, backtests and staffing maths, on synthetic school-year demand (no database)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.sparse import csr_array  # type: ignore[import-untyped]
from scipy.sparse.csgraph import maximum_flow  # type: ignore[import-untyped]

from lyceum.nerdboard.forecasting.demand import (
    METHOD_ETS,
    forecast_weekly_demand,
    seasonal_naive_weekly,
)
from lyceum.nerdboard.forecasting.evaluation import (
    BacktestResult,
    format_backtest_table,
    mase,
    rolling_backtest,
    smape,
)
from lyceum.nerdboard.forecasting.staffing import (
    MIN_TARGET_UTILIZATION,
    ShortfallAlert,
    agents_for_service_level,
    allocate_supply,
    concurrent_tutors_needed,
    erlang_b,
    erlang_c_wait_probability,
    required_hours,
    shortfall_alerts,
)

# --- synthetic demand -------------------------------------------------------------------------

# Mon..Sun: Sunday to Thursday busy, Friday and Saturday quiet.
WEEKDAY_SHAPE = np.array([1.1, 1.1, 1.05, 1.0, 0.55, 0.45, 1.0])
# (month, day, factor) anchors of the US school year, interpolated between.
SCHOOL_YEAR = [
    (1, 6, 1.0),
    (3, 15, 1.05),
    (4, 25, 1.1),
    (5, 12, 1.35),
    (5, 31, 0.9),
    (6, 20, 0.5),
    (8, 10, 0.45),
    (9, 1, 0.75),
    (9, 30, 1.0),
    (11, 15, 1.1),
    (12, 10, 1.4),
    (12, 20, 0.45),
    (12, 31, 0.4),
]
SESSION_HOURS = 1.25


def _day_of_common_year(day: date) -> int:
    return date(2001, day.month, min(day.day, 28) if day.month == 2 else day.day).toordinal()


def _school_factor(day: date) -> float:
    start = date(2001, 1, 1).toordinal() - 1
    anchors = [date(2001, m, d).toordinal() - start for m, d, _ in SCHOOL_YEAR]
    factors = [f for _, _, f in SCHOOL_YEAR]
    x = [*anchors, anchors[0] + 365]
    y = [*factors, factors[0]]
    day_of_year = _day_of_common_year(day) - start
    position = day_of_year if day_of_year >= anchors[0] else day_of_year + 365
    factor = float(np.interp(position, x, y))
    first_of_november = date(day.year, 11, 1)
    thanksgiving = first_of_november + timedelta(days=(3 - first_of_november.weekday()) % 7 + 21)
    if thanksgiving - timedelta(days=1) <= day <= thanksgiving + timedelta(days=3):
        factor *= 0.6
    return factor


def synthetic_demand(
    first_day: date, days: int, hours_per_day: float, seed: int, growth: float = 0.25
) -> NDArray[np.float64]:
    """Daily demand hours: weekday shape x school year x growth x Poisson session counts."""
    rng = np.random.default_rng(seed)
    dates = [first_day + timedelta(days=i) for i in range(days)]
    school = np.array([_school_factor(d) for d in dates])
    weekday = WEEKDAY_SHAPE[[d.weekday() for d in dates]]
    trend = (1.0 + growth) ** (np.arange(days) / 365.0)
    mean_sessions = hours_per_day * weekday * school * trend / SESSION_HOURS
    hours: NDArray[np.float64] = rng.poisson(mean_sessions).astype(np.float64) * SESSION_HOURS
    return hours


@dataclass(frozen=True)
class Subject:
    name: str
    hours_per_day: float
    last_day: date
    seed: int


# Different sizes and different places in the school year for the holdout weeks.
SUBJECTS = [
    Subject("Algebra", 150.0, date(2026, 11, 8), 1),
    Subject("Physics", 60.0, date(2026, 4, 19), 2),
    Subject("Chemistry", 25.0, date(2026, 10, 11), 3),
    Subject("Biology", 40.0, date(2027, 2, 14), 4),
    Subject("Latin", 8.0, date(2026, 12, 6), 5),
    Subject("Calculus", 90.0, date(2026, 9, 27), 6),
]


def _year_of(subject: Subject) -> tuple[NDArray[np.float64], date]:
    first_day = subject.last_day - timedelta(days=364)
    return synthetic_demand(first_day, 365, subject.hours_per_day, subject.seed), first_day


@pytest.fixture(scope="module")
def backtests() -> list[BacktestResult]:
    results = []
    for subject in SUBJECTS:
        series, first_day = _year_of(subject)
        results.append(rolling_backtest(series, first_day, subject=subject.name))
    return results


# --- forecasts --------------------------------------------------------------------------------


def test_intervals_are_ordered_and_widen_with_horizon() -> None:
    first_day = date(2025, 9, 1)  # a Monday, so the origin is one too
    series = synthetic_demand(first_day, 364, 80.0, seed=11)
    forecast = forecast_weekly_demand(series, first_day, 8)

    assert forecast.method == METHOD_ETS
    assert forecast.origin == first_day + timedelta(days=364)
    assert forecast.week_starts == [forecast.origin + timedelta(weeks=k) for k in range(8)]
    lower80, upper80 = forecast.bounds(0.8)
    lower95, upper95 = forecast.bounds(0.95)
    points = forecast.points()
    assert np.all(lower95 <= lower80) and np.all(lower80 <= points)
    assert np.all(points <= upper80) and np.all(upper80 <= upper95)
    assert np.all(np.diff(upper80 - lower80) >= 0.0)
    assert (upper95 - lower95)[-1] > 1.5 * (upper95 - lower95)[0]
    # The forecast is in the right range: near the last observed week, not wildly off.
    last_week = series[-7:].sum()
    assert 0.5 * last_week < points[0] < 1.5 * last_week


def test_forecast_is_reproducible_for_a_seed() -> None:
    first_day = date(2025, 9, 1)
    series = synthetic_demand(first_day, 200, 30.0, seed=3)
    first = forecast_weekly_demand(series, first_day, 4, seed=7)
    again = forecast_weekly_demand(series, first_day, 4, seed=7)
    assert first == again


def test_mid_week_origin_counts_the_observed_days_of_this_week() -> None:
    first_day = date(2025, 9, 1)
    series = synthetic_demand(first_day, 367, 50.0, seed=5)  # ends on a Wednesday
    forecast = forecast_weekly_demand(series, first_day, 3)

    assert forecast.origin.weekday() == 3
    this_week = forecast.weeks[0]
    assert this_week.week_start == forecast.origin - timedelta(days=3)
    assert this_week.observed_hours == pytest.approx(series[-3:].sum())
    assert this_week.interval(0.95).lower >= this_week.observed_hours
    assert [w.week_start.weekday() for w in forecast.weeks] == [0, 0, 0]


def test_seasonal_naive_repeats_last_weeks_total() -> None:
    first_day = date(2026, 1, 5)
    series = synthetic_demand(first_day, 70, 20.0, seed=9)
    baseline = seasonal_naive_weekly(series, first_day, 3)
    assert baseline.method == "seasonal-naive"
    np.testing.assert_allclose(baseline.points(), [series[-7:].sum()] * 3)
    lower, upper = baseline.bounds(0.8)
    assert np.all(np.diff(upper - lower) > 0.0)


@pytest.mark.parametrize(
    ("series", "method_part"),
    [
        (np.array([]), "history under 3 weeks"),
        (np.array([3.0, 0.0, 5.0]), "history under 3 weeks"),
        (np.arange(15, dtype=float), "history under 3 weeks"),
        (np.zeros(200), "constant series"),
        (np.full(200, 7.0), "constant series"),
        ((np.arange(150) % 23 == 0) * 2.0, "ets"),
        (np.where(np.arange(120) % 5 == 0, np.nan, -1.0) + np.arange(120) % 7, "ets"),
    ],
    ids=["empty", "three-days", "two-weeks", "zeros", "constant", "sparse", "nan-and-negative"],
)
def test_awkward_series_still_give_ordered_finite_forecasts(
    series: NDArray[np.float64], method_part: str
) -> None:
    forecast = forecast_weekly_demand(series, date(2026, 3, 2), 4)
    assert method_part in forecast.method
    for week in forecast.weeks:
        assert math.isfinite(week.point) and week.point >= 0.0
        for interval in week.intervals:
            assert 0.0 <= interval.lower <= week.point <= interval.upper
    json.dumps(forecast.to_dict())


def test_constant_series_forecasts_the_constant() -> None:
    forecast = forecast_weekly_demand(np.full(200, 7.0), date(2026, 3, 2), 2)
    np.testing.assert_allclose(forecast.points(), [49.0, 49.0])


# --- accuracy ---------------------------------------------------------------------------------


def test_smape_on_known_values() -> None:
    assert smape([100.0, 0.0], [110.0, 0.0]) == pytest.approx(100.0 * (20.0 / 210.0) / 2.0)
    assert smape([0.0], [5.0]) == pytest.approx(200.0)
    assert smape([4.0, 4.0], [4.0, 4.0]) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        smape([1.0], [1.0, 2.0])


def test_mase_on_known_values() -> None:
    # Training weekly totals 10, 12, 11, 15: naive errors 2, 1, 4, scale 7/3.
    assert mase([20.0, 22.0], [18.0, 25.0], [10.0, 12.0, 11.0, 15.0]) == pytest.approx(
        2.5 / (7.0 / 3.0)
    )
    assert math.isnan(mase([5.0], [6.0], [3.0, 3.0, 3.0]))
    with pytest.raises(ValueError, match="two training weeks"):
        mase([5.0], [6.0], [3.0])


def test_forecast_beats_seasonal_naive_on_generated_data(
    backtests: list[BacktestResult],
) -> None:
    model = np.mean([r.model_mase for r in backtests])
    baseline = np.mean([r.baseline_mase for r in backtests])
    assert all(len(r.origins) == 8 and r.horizon_weeks == 4 for r in backtests)
    assert all(METHOD_ETS in r.model_method for r in backtests)
    assert model < baseline
    assert np.mean([r.model_smape for r in backtests]) < np.mean(
        [r.baseline_smape for r in backtests]
    )


def test_eighty_percent_intervals_cover_about_eighty_percent(
    backtests: list[BacktestResult],
) -> None:
    coverage = {
        level: np.mean([c.coverage for r in backtests for c in r.coverage if c.level == level])
        for level in (0.8, 0.95)
    }
    assert 0.6 <= coverage[0.8] <= 0.95
    assert coverage[0.95] >= coverage[0.8]


def test_backtest_origins_are_mondays_with_holdout_inside_the_data(
    backtests: list[BacktestResult],
) -> None:
    subject = SUBJECTS[0]
    result = backtests[0]
    assert all(o.weekday() == 0 for o in result.origins)
    assert list(result.origins) == sorted(result.origins)
    assert result.origins[-1] + timedelta(weeks=4) <= subject.last_day + timedelta(days=1)
    assert np.diff([o.toordinal() for o in result.origins]).tolist() == [7] * 7


def test_backtest_of_a_too_short_history_reports_nothing_to_score() -> None:
    result = rolling_backtest(np.ones(30), date(2026, 1, 5), subject="Latin")
    assert result.origins == ()
    assert math.isnan(result.model_mase)
    assert json.loads(json.dumps(result.to_dict()))["model_mase"] is None


def test_backtest_table_shows_model_next_to_baseline(backtests: list[BacktestResult]) -> None:
    table = format_backtest_table(backtests)
    for result in backtests:
        row = next(line for line in table.splitlines() if line.startswith(result.subject))
        assert f"{result.model_mase:.2f}" in row and f"{result.baseline_mase:.2f}" in row
    assert "mean MASE" in table


# --- Erlang -----------------------------------------------------------------------------------


def _erlang_b_direct(load: float, agents: int) -> float:
    terms = [load**k / math.factorial(k) for k in range(agents + 1)]
    return terms[-1] / sum(terms)


def _erlang_c_direct(load: float, agents: int) -> float:
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    return top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)


@given(st.floats(0.1, 25.0), st.integers(1, 30))
def test_erlang_b_recursion_matches_the_factorial_formula(load: float, agents: int) -> None:
    assert erlang_b(load, agents) == pytest.approx(_erlang_b_direct(load, agents), rel=1e-9)


@given(st.floats(0.1, 25.0), st.integers(1, 30))
def test_erlang_c_matches_the_factorial_formula(load: float, agents: int) -> None:
    if agents <= load:
        assert erlang_c_wait_probability(load, agents) == 1.0
    else:
        expected = _erlang_c_direct(load, agents)
        assert erlang_c_wait_probability(load, agents) == pytest.approx(expected, rel=1e-9)


def test_erlang_c_textbook_value_and_large_loads() -> None:
    # 10 erlangs on 12 agents: the classic call-centre example, P(wait) ≈ 0.449.
    assert erlang_c_wait_probability(10.0, 12) == pytest.approx(0.4494, abs=5e-4)
    huge = erlang_c_wait_probability(1000.0, 1050)
    assert 0.0 < huge < 1.0 and math.isfinite(huge)
    assert erlang_c_wait_probability(0.0, 3) == 0.0


@pytest.mark.parametrize(
    ("rate", "handle", "answer", "level"),
    [(100.0, 0.05, 20 / 3600, 0.8), (30.0, 1.0, 0.25, 0.9), (2.0, 1.0, 0.5, 0.95)],
)
def test_agents_for_service_level_is_the_smallest_sufficient_staffing(
    rate: float, handle: float, answer: float, level: float
) -> None:
    agents = agents_for_service_level(rate, handle, answer, level)
    load = rate * handle

    def achieved(n: int) -> float:
        if n <= load:
            return 0.0
        return 1.0 - _erlang_c_direct(load, n) * math.exp(-(n - load) * answer / handle)

    assert achieved(agents) >= level
    assert achieved(agents - 1) < level


def test_concurrent_tutors_for_a_peak_hour() -> None:
    # 12 h of sessions booked in the peak hour = 12 erlangs: more than 12 tutors online.
    needed = concurrent_tutors_needed(12.0, 1.0, 0.25, 0.8)
    assert needed == agents_for_service_level(12.0, 1.0, 0.25, 0.8)
    assert needed > 12
    assert concurrent_tutors_needed(0.0, 1.0, 0.25) == 0


def test_required_hours_at_target_utilization() -> None:
    np.testing.assert_allclose(required_hours([85.0, 0.0, -3.0], 0.85), [100.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="target_utilization"):
        required_hours([1.0], 0.0)


@pytest.mark.parametrize("target", [1e-320, 5e-324, 0.0, MIN_TARGET_UTILIZATION / 2, 1.5])
def test_required_hours_refuses_a_target_no_plan_can_meet(target: float) -> None:
    # A subnormal target made demand / target infinite, and the LP solver failed on it (a 500).
    with pytest.raises(ValueError, match="target_utilization"):
        required_hours([10.0], target)
    assert required_hours([10.0], MIN_TARGET_UTILIZATION)[0] == pytest.approx(200.0)


def test_allocation_refuses_hours_that_are_not_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        allocate_supply([10.0], [[True]], [math.inf])
    with pytest.raises(ValueError, match="finite"):
        allocate_supply([math.nan], [[True]], [5.0])


# --- supply allocation ------------------------------------------------------------------------


@st.composite
def _markets(draw: st.DrawFn) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]]:
    tutors = draw(st.integers(1, 25))
    subjects = draw(st.integers(1, 5))
    capacity = np.array(draw(st.lists(st.integers(0, 30), min_size=tutors, max_size=tutors)))
    flags = draw(st.lists(st.booleans(), min_size=tutors * subjects, max_size=tutors * subjects))
    required = np.array(draw(st.lists(st.integers(0, 80), min_size=subjects, max_size=subjects)))
    return capacity, np.array(flags).reshape(tutors, subjects), required


def _max_flow(
    capacity: NDArray[np.int64], qualified: NDArray[np.bool_], need: NDArray[np.int64]
) -> int:
    """Independent optimum: source -> tutor -> subject -> sink max flow on integer hours."""
    tutors, subjects = qualified.shape
    source, sink = 0, 1 + tutors + subjects
    edges = [(source, 1 + t, int(capacity[t])) for t in range(tutors)]
    edges += [
        (1 + t, 1 + tutors + s, int(capacity[t]))
        for t in range(tutors)
        for s in range(subjects)
        if qualified[t, s]
    ]
    edges += [(1 + tutors + s, sink, int(need[s])) for s in range(subjects)]
    tail, head, weight = (np.array(column, dtype=np.int32) for column in zip(*edges, strict=True))
    graph = csr_array((weight, (tail, head)), shape=(sink + 1, sink + 1))
    return int(maximum_flow(graph, source, sink).flow_value)


@settings(max_examples=60, deadline=None)
@given(_markets())
def test_allocation_never_counts_a_tutor_twice(
    market: tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]],
) -> None:
    capacity, qualified, need = market
    allocation = allocate_supply(capacity, qualified, need)
    tolerance = 1e-6

    assert np.all(allocation.covered <= need + tolerance)
    assert np.all(allocation.hours.sum(axis=1) <= capacity + tolerance)
    assert np.all(allocation.hours[~qualified] <= tolerance)
    assert allocation.covered.sum() <= capacity.sum() + tolerance
    np.testing.assert_allclose(allocation.covered + allocation.shortfall, need, atol=1e-6)
    np.testing.assert_allclose(allocation.hours.sum(axis=1) + allocation.spare, capacity, atol=1e-6)
    np.testing.assert_allclose(allocation.hours.sum(axis=0), allocation.covered, atol=1e-6)
    assert allocation.covered.sum() == pytest.approx(_max_flow(capacity, qualified, need), abs=1e-5)


def test_a_two_subject_tutor_covers_ten_hours_not_twenty() -> None:
    allocation = allocate_supply([10.0], [[True, True]], [10.0, 10.0])
    assert allocation.covered.sum() == pytest.approx(10.0)
    assert allocation.shortfall.sum() == pytest.approx(10.0)
    # The shortage is shared, not dumped on one subject.
    np.testing.assert_allclose(allocation.shortfall, [5.0, 5.0], atol=1e-6)


def test_an_obviously_feasible_market_is_fully_covered() -> None:
    qualified = np.array([[True, False], [False, True], [True, True]])
    allocation = allocate_supply([20.0, 20.0, 20.0], qualified, [30.0, 25.0])
    np.testing.assert_allclose(allocation.covered, [30.0, 25.0], atol=1e-6)
    assert allocation.shortfall.sum() == 0.0
    assert allocation.spare.sum() == pytest.approx(5.0)


def test_a_thousand_tutors_never_count_an_hour_twice() -> None:
    rng = np.random.default_rng(0)
    qualified = rng.random((1000, 14)) < 0.12
    qualified[np.arange(1000), rng.integers(0, 14, 1000)] = True
    capacity = rng.choice([0.0, 5.0, 10.0, 15.0, 20.0, 30.0], 1000)
    required = rng.uniform(200.0, 1500.0, 14)
    allocation = allocate_supply(capacity, qualified, required)
    assert (allocation.hours.sum(axis=1) <= capacity + 1e-6).all()
    assert (allocation.hours[~qualified] <= 1e-9).all()
    assert allocation.covered.sum() <= capacity.sum() + 1e-6


# --- shortfall alerts -------------------------------------------------------------------------


# Week 1 fits the 50 h of supply exactly; from week 2 on, 100 h and then 115 h are needed.
HAND_BUILT_REQUIRED = [[20.0, 30.0], [20.0, 80.0], [25.0, 90.0]]


def _hand_built_alerts(
    required: list[list[float]], min_shortfall_hours: float = 5.0
) -> list[ShortfallAlert]:
    """9 Algebra tutors (5 h, also Physics), 1 Physics-only tutor (5 h), 1 who has left."""
    return shortfall_alerts(
        subjects=["Algebra", "Physics"],
        weeks=[date(2027, 1, 4), date(2027, 1, 11), date(2027, 1, 18)],
        required=required,
        capacity=[5.0] * 9 + [5.0, 0.0],
        qualified=[[True, True]] * 9 + [[False, True], [False, True]],
        tutor_primary_subject=["Algebra"] * 9 + ["Physics", "Chemistry"],
        min_shortfall_hours=min_shortfall_hours,
    )


def test_shortfall_alerts_name_the_date_the_hours_and_the_qualified_tutors() -> None:
    alerts = _hand_built_alerts(HAND_BUILT_REQUIRED)

    assert [a.subject for a in alerts] == ["Physics", "Algebra"]
    physics, algebra = alerts
    # 50 h short, shared in proportion to need (80:20): Physics 40, Algebra 10.
    assert physics.action == (
        "Physics needs +40 tutor-hours/week by 2027-01-11; 9 tutors who teach Algebra are qualified"
    )
    assert physics.week_start == date(2027, 1, 11)
    assert physics.shortfall_hours == 40
    assert physics.qualified_tutors == 9
    assert physics.primary_subject_counts == (("Algebra", 9),)
    assert physics.severity == "critical"
    assert algebra.action == (
        "Algebra needs +10 tutor-hours/week by 2027-01-11; recruit 1 new Algebra tutor at 15 h/week"
    )
    assert json.loads(json.dumps(physics.to_dict()))["week_start"] == "2027-01-11"


def test_small_shortfalls_under_the_threshold_raise_no_alert() -> None:
    alerts = _hand_built_alerts(HAND_BUILT_REQUIRED, min_shortfall_hours=12.0)
    # Algebra is 10 h short in week 2 and 25 * 65 / 115 = 14.1 h short in week 3.
    assert [(a.subject, a.week_start) for a in alerts] == [
        ("Physics", date(2027, 1, 11)),
        ("Algebra", date(2027, 1, 18)),
    ]
    assert alerts[1].shortfall_hours == 15


def test_no_alert_when_supply_is_enough() -> None:
    assert _hand_built_alerts([[20.0, 30.0]] * 3) == []
