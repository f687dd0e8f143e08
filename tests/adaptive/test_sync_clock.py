"""The hybrid logical clock (`sync/clock.py`): stamps survive the wire, compare as strings the
way the clocks compare as tuples (the server and SQLite only ever compare the strings), and
never go backwards whatever the device's wall clock does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyceum.adaptive.sync.clock import (
    MAX_COUNTER,
    MAX_DRIFT_MS,
    WALL_DIGITS,
    Clock,
    ClockError,
    HybridClock,
)

EXAMPLES = settings(max_examples=150, deadline=None)

walls = st.integers(min_value=0, max_value=10**WALL_DIGITS - 1)
counters = st.integers(min_value=0, max_value=MAX_COUNTER)
# Device ids as `schemas.DeviceId` allows them, dashes included (the node is the stamp's tail,
# so a dash in it must not confuse decoding), plus any text for the ordering property.
device_ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,20}\Z")
nodes = st.one_of(device_ids, st.text(min_size=1, max_size=10))
clocks = st.builds(Clock, walls, counters, nodes)
# Physical readings around "now" in 2026, as milliseconds; small range so that readings
# collide and go backwards often.
NOW_MS = 1_780_000_000_000
physical = st.integers(min_value=NOW_MS - 5, max_value=NOW_MS + 5)


@EXAMPLES
@given(clocks)
def test_encode_decode_round_trip(clock: Clock) -> None:
    assert Clock.decode(clock.encode()) == clock


@EXAMPLES
@given(clocks, clocks)
def test_strings_order_like_clocks(a: Clock, b: Clock) -> None:
    # The whole point of the fixed-width encoding: `<` on stamps is `<` on (wall, counter, node).
    assert (a.encode() < b.encode()) == (a < b)
    assert (a.encode() == b.encode()) == (a == b)


@pytest.mark.parametrize(
    "stamp",
    [
        "",
        "garbage",
        "1780000000000-00001-phone",  # wall not zero-padded
        "000001780000000000-1-phone",  # counter not zero-padded
        "000001780000000000-00001-",  # no node
        "000001780000000000-00001",  # no node, no separator
        "00000178000000000x-00001-phone",
        "000001780000000000-0000x-phone",
    ],
)
def test_decode_refuses_malformed_stamps(stamp: str) -> None:
    with pytest.raises(ClockError):
        Clock.decode(stamp)


def test_a_clock_needs_a_node() -> None:
    with pytest.raises(ClockError):
        HybridClock("")


def test_now_follows_the_wall_clock_when_it_advances() -> None:
    clock = HybridClock("phone")
    assert clock.now(NOW_MS) == Clock(NOW_MS, 0, "phone")
    assert clock.now(NOW_MS + 7) == Clock(NOW_MS + 7, 0, "phone")
    # Same millisecond: the counter orders the two writes.
    assert clock.now(NOW_MS + 7) == Clock(NOW_MS + 7, 1, "phone")


@EXAMPLES
@given(st.lists(physical, min_size=1, max_size=40))
def test_now_strictly_increases_even_when_time_goes_backwards(readings: list[int]) -> None:
    clock = HybridClock("phone")
    previous = clock.last
    for reading in readings:
        stamp = clock.now(reading)
        assert stamp > previous
        assert stamp.encode() > previous.encode()
        # Never behind the wall clock it was given.
        assert stamp.wall_ms >= reading
        previous = stamp


# One step of a device's life: a local write at some physical time, or a stamp seen from
# another device (its wall time within the drift allowance of ours).
steps = st.one_of(
    st.tuples(st.just("now"), physical, st.just(0), st.just(0)),
    st.tuples(
        st.just("observe"),
        physical,
        st.integers(min_value=NOW_MS - 10, max_value=NOW_MS + 10),
        st.sampled_from([0, 1, 7, MAX_COUNTER - 1, MAX_COUNTER]),
    ),
)


@EXAMPLES
@given(st.lists(steps, min_size=1, max_size=40))
def test_observe_orders_after_the_remote_and_the_previous_local(
    script: list[tuple[str, int, int, int]],
) -> None:
    clock = HybridClock("laptop")
    previous = clock.last
    for action, reading, remote_wall, remote_counter in script:
        if action == "now":
            stamp = clock.now(reading)
        else:
            remote = Clock(remote_wall, remote_counter, "phone")
            stamp = clock.observe(remote, reading)
            # After the remote's (wall, counter) whatever the node ids: a write made after
            # seeing a stamp beats it regardless of the tiebreak.
            assert (stamp.wall_ms, stamp.counter) > (remote.wall_ms, remote.counter)
            assert stamp.encode() > remote.encode()
        assert stamp > previous and stamp.encode() > previous.encode()
        assert stamp.node == "laptop"
        assert clock.last == stamp
        previous = stamp


def test_observe_refuses_a_stamp_more_than_a_day_ahead() -> None:
    clock = HybridClock("laptop")
    before = clock.now(NOW_MS)
    with pytest.raises(ClockError, match="more than a day ahead"):
        clock.observe(Clock(NOW_MS + MAX_DRIFT_MS + 1, 0, "phone"), NOW_MS)
    # A refused stamp leaves the clock where it was.
    assert clock.last == before
    # Exactly a day ahead is still accepted, and the clock follows it.
    accepted = clock.observe(Clock(NOW_MS + MAX_DRIFT_MS, 3, "phone"), NOW_MS)
    assert accepted == Clock(NOW_MS + MAX_DRIFT_MS, 4, "laptop")


def test_observe_with_the_wall_clock_ahead_of_both_restarts_the_counter() -> None:
    clock = HybridClock("laptop", Clock(NOW_MS, 40, "laptop"))
    assert clock.observe(Clock(NOW_MS + 1, 9, "phone"), NOW_MS + 5) == Clock(
        NOW_MS + 5, 0, "laptop"
    )


def test_observe_takes_the_larger_counter_when_walls_agree() -> None:
    clock = HybridClock("laptop", Clock(NOW_MS, 4, "laptop"))
    assert clock.observe(Clock(NOW_MS, 9, "phone"), NOW_MS - 100) == Clock(NOW_MS, 10, "laptop")
    assert clock.observe(Clock(NOW_MS, 2, "phone"), NOW_MS - 100) == Clock(NOW_MS, 11, "laptop")


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    clock = HybridClock("phone", Clock(NOW_MS, MAX_COUNTER - 1, "phone"))
    assert clock.now(NOW_MS) == Clock(NOW_MS, MAX_COUNTER, "phone")
    # Out of counter: the next stamp moves to the next millisecond, still fixed width.
    borrowed = clock.now(NOW_MS)
    assert borrowed == Clock(NOW_MS + 1, 0, "phone")
    assert borrowed.encode() > Clock(NOW_MS, MAX_COUNTER, "phone").encode()
    assert Clock.decode(borrowed.encode()) == borrowed

    seen = HybridClock("laptop", Clock(NOW_MS, 3, "laptop"))
    assert seen.observe(Clock(NOW_MS, MAX_COUNTER, "phone"), NOW_MS) == Clock(
        NOW_MS + 1, 0, "laptop"
    )
