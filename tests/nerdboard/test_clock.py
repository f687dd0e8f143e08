"""The simulation clock's arithmetic: which days a tick completes, never twice, never skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyceum.nerdboard.simulation.clock import (
    MAX_DAYS_PER_TICK,
    MAX_SPEED,
    midnight,
    plan_tick,
    validate_speed,
)

START = datetime(2026, 8, 31, tzinfo=UTC)


def test_a_tick_within_a_day_moves_the_clock_only() -> None:
    plan = plan_tick(START, 3600, 2.0)
    assert plan.new_time == START + timedelta(hours=2)
    assert plan.completed_days == ()


def test_crossing_midnight_completes_the_day() -> None:
    plan = plan_tick(START + timedelta(hours=23), 3600, 2.0)
    assert plan.completed_days == (date(2026, 8, 31),)
    assert plan.new_time == START + timedelta(hours=25)


def test_a_long_stall_is_written_over_several_ticks() -> None:
    plan = plan_tick(START, 86_400, 30.0)  # 30 simulated days in one tick
    assert len(plan.completed_days) == MAX_DAYS_PER_TICK
    assert plan.new_time == midnight(plan.completed_days[-1] + timedelta(days=1))


@pytest.mark.parametrize("speed", [0, -5, MAX_SPEED + 1])
def test_speed_out_of_range_is_refused(speed: int) -> None:
    with pytest.raises(ValueError, match="speed_multiplier must be between"):
        validate_speed(speed)


def test_naive_clock_and_negative_elapsed_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_tick(datetime(2026, 1, 1), 10, 1.0)
    with pytest.raises(ValueError, match="negative"):
        plan_tick(START, 10, -1.0)


@settings(max_examples=200, deadline=None)
@given(
    speed=st.integers(1, MAX_SPEED),
    steps=st.lists(st.floats(0, 20, allow_nan=False), min_size=1, max_size=30),
    offset=st.floats(0, 86_399, allow_nan=False),
)
def test_every_day_is_completed_exactly_once_in_order(
    speed: int, steps: list[float], offset: float
) -> None:
    clock = START + timedelta(seconds=offset)
    completed: list[date] = []
    for elapsed in steps:
        plan = plan_tick(clock, speed, elapsed)
        assert plan.new_time >= clock
        completed.extend(plan.completed_days)
        clock = plan.new_time
    # The completed days are exactly the days before the clock's current day.
    expected = [START.date() + timedelta(days=i) for i in range((clock.date() - START.date()).days)]
    assert completed == expected
