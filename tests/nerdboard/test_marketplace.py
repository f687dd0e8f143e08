"""The marketplace model: determinism, invariants of every table, continuing from the tables,
and (slow) the default scale's volumes and shapes."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyceum.nerdboard.marketplace import (
    HISTORY_END,
    SUBJECT_NAMES,
    MarketBatch,
    MarketState,
    advance_day,
    generate_history,
    history_start,
    initial_state,
    merge_batches,
    simulate_days,
)
from lyceum.nerdboard.marketplace.catalog import DEMAND_WEEKDAY, SHARES, subject_season
from lyceum.nerdboard.marketplace.ids import uuid_from_text, uuid_keys, uuid_text
from lyceum.nerdboard.marketplace.metrics import snapshot_missing

FEW = settings(max_examples=10, deadline=None)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
DAY = np.timedelta64(1, "D")


def run(seed: int, start: date, days: int) -> tuple[MarketBatch, list[MarketBatch], MarketState]:
    state, initial = initial_state("small", seed, start)
    return initial, simulate_days(state, days, seed), state


def columns_equal(left: dict[str, Any], right: dict[str, Any]) -> bool:
    if left.keys() != right.keys():
        return False
    for name, value in left.items():
        other = right[name]
        if isinstance(value, list):
            if value != other:
                return False
        elif not np.array_equal(value, other, equal_nan=value.dtype.kind == "f"):
            return False
    return True


def batches_equal(left: MarketBatch, right: MarketBatch) -> bool:
    return all(
        columns_equal(getattr(left, f.name), getattr(right, f.name)) for f in fields(MarketBatch)
    )


def shuffled(columns: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """The rows in another order, as a database may return them."""
    order = rng.permutation(len(columns["id"]))
    return {
        name: [value[i] for i in order] if isinstance(value, list) else value[order]
        for name, value in columns.items()
    }


def day_of(times: np.ndarray) -> np.ndarray:
    return times.astype("datetime64[D]")


@FEW
@given(seed=seeds, start=starts, days=st.integers(min_value=1, max_value=15))
def test_same_seed_gives_identical_rows_and_another_seed_does_not(
    seed: int, start: date, days: int
) -> None:
    initial, batches, _ = run(seed, start, days)
    again_initial, again, _ = run(seed, start, days)
    other_initial, other, _ = run(seed + 1, start, days)
    assert batches_equal(merge_batches([initial, *batches]), merge_batches([again_initial, *again]))
    merged_other = merge_batches([other_initial, *other])
    assert not np.array_equal(merged_other.enrollments["id"], initial.enrollments["id"])
    assert not columns_equal(merged_other.sessions, merge_batches(batches).sessions)


@FEW
@given(
    seed=seeds,
    start=starts,
    first=st.integers(min_value=1, max_value=40),
    more=st.integers(min_value=1, max_value=12),
)
def test_rebuilding_the_state_from_the_tables_continues_the_history_exactly(
    seed: int, start: date, first: int, more: int
) -> None:
    state, initial = initial_state("small", seed, start)
    in_one_go = simulate_days(state.copy(), first + more, seed)

    head = simulate_days(state, first, seed)
    tables = merge_batches([initial, *head])  # what the database holds after writing them
    assert len(tables.tutor_updates["id"]) == 0 and len(tables.enrollment_ends["id"]) == 0
    rng = np.random.default_rng(seed)
    rebuilt = MarketState.from_tables(
        start + timedelta(days=first),
        shuffled(tables.tutors, rng),
        shuffled(tables.enrollments, rng),
        shuffled(tables.sessions, rng),
        shuffled(tables.health_metrics, rng),
    )
    continued = simulate_days(rebuilt, more, seed)
    assert len(continued) == more
    for expected, actual in zip(in_one_go[first:], continued, strict=True):
        assert batches_equal(expected, actual)


@FEW
@given(seed=seeds, start=starts, days=st.integers(min_value=1, max_value=30))
def test_snapshots_agree_with_the_sessions(seed: int, start: date, days: int) -> None:
    _, batches, _ = run(seed, start, days)
    for offset, batch in enumerate(batches):
        day = start + timedelta(days=offset)
        snaps, sessions = batch.capacity_snapshots, batch.sessions
        expected_rows = len(SUBJECT_NAMES) - int(snapshot_missing(day, seed))
        assert len(snaps["subject"]) == expected_rows == len(set(snaps["subject"].tolist()))
        assert (snaps["date"] == np.datetime64(day, "us")).all()
        used, total = snaps["used_capacity_hours"], snaps["total_capacity_hours"]
        assert (used >= 0).all() and (used <= total).all()
        assert (snaps["available_tutors_count"] >= 0).all()
        ratio = np.where(total > 0, used / np.maximum(total, 1), 0.0)
        assert np.allclose(snaps["utilization_rate"], ratio, rtol=0, atol=1e-9)
        assert ((snaps["utilization_rate"] >= 0) & (snaps["utilization_rate"] <= 1)).all()
        assigned = ~sessions["tutor_id_null"]
        for subject, used_hours in zip(snaps["subject"], used, strict=True):
            minutes = sessions["duration_minutes"][assigned & (sessions["subject"] == subject)]
            assert used_hours == np.rint(minutes.sum() / 60)


@FEW
@given(seed=seeds, start=starts, days=st.integers(min_value=1, max_value=30))
def test_assigned_tutors_were_active_qualified_and_within_their_day(
    seed: int, start: date, days: int
) -> None:
    state, _ = initial_state("small", seed, start)
    for _ in range(days):
        day = state.next_day
        batch = advance_day(state, day, seed)
        sessions, tutors = batch.sessions, state.tutors
        assert (day_of(sessions["scheduled_time"]) == np.datetime64(day)).all()
        assigned = np.flatnonzero(~sessions["tutor_id_null"])
        assert (sessions["tutor_id"][sessions["tutor_id_null"]] == 0).all()
        index_of = {tutors.id[i].tobytes(): i for i in range(len(tutors))}
        booked: dict[int, int] = {}
        for row in assigned.tolist():
            tutor = index_of[sessions["tutor_id"][row].tobytes()]
            assert tutors.weekly_capacity_hours[tutor] > 0
            assert sessions["subject"][row] in tutors.subjects[tutor]
            booked[tutor] = booked.get(tutor, 0) + int(sessions["duration_minutes"][row])
        for tutor, minutes in booked.items():
            assert minutes * 7 <= tutors.weekly_capacity_hours[tutor] * 60 * 1.1 + 1e-9


@FEW
@given(seed=seeds, start=starts, days=st.integers(min_value=1, max_value=30))
def test_sessions_only_for_enrollments_active_that_day(seed: int, start: date, days: int) -> None:
    initial, batches, _ = run(seed, start, days)
    enrollments = merge_batches([initial, *batches]).enrollments
    ended = enrollments["updated_at"] > enrollments["created_at"]
    spans: dict[tuple[bytes, str], list[tuple[np.datetime64, np.datetime64 | None]]] = {}
    for i in range(len(enrollments["id"])):
        key = (enrollments["student_id"][i].tobytes(), str(enrollments["subject"][i]))
        end = day_of(enrollments["updated_at"][i : i + 1])[0] if ended[i] else None
        spans.setdefault(key, []).append((day_of(enrollments["start_date"][i : i + 1])[0], end))
    sessions = merge_batches(batches).sessions
    session_days = day_of(sessions["scheduled_time"])
    for i in range(len(sessions["id"])):
        key = (sessions["student_id"][i].tobytes(), str(sessions["subject"][i]))
        day = session_days[i]
        assert any(begin <= day and (end is None or end > day) for begin, end in spans.get(key, []))
    assert (enrollments["start_date"] == day_of(enrollments["created_at"]) + DAY).all()


@FEW
@given(seed=seeds, start=starts, days=st.integers(min_value=8, max_value=30))
def test_health_rows_follow_last_weeks_sessions(seed: int, start: date, days: int) -> None:
    _, batches, _ = run(seed, start, days)
    sessions = merge_batches(batches).sessions
    for offset, batch in enumerate(batches):
        day = start + timedelta(days=offset)
        health = batch.health_metrics
        if day.weekday() != 0:
            assert len(health["id"]) == 0
            continue
        assert len(health["id"]) > 0 and len(set(health["customer_id"].tolist())) == len(
            health["id"]
        )
        assert (health["date"] == np.datetime64(day, "us")).all()
        score, level = health["health_score"], health["engagement_level"]
        rate, tickets = health["session_completion_rate"], health["support_ticket_count"]
        assert ((score >= 0) & (score <= 100)).all() and (level >= 0).all() and (tickets >= 0).all()
        week = (sessions["scheduled_time"] >= np.datetime64(day - timedelta(days=7))) & (
            sessions["scheduled_time"] < np.datetime64(day)
        )
        counts: dict[str, int] = {}
        for student in uuid_text(sessions["student_id"][week]).tolist():
            counts[student] = counts.get(student, 0) + 1
        scheduled = np.array([counts.get(c, 0) for c in health["customer_id"].tolist()])
        assert (np.isnan(rate) == (scheduled == 0)).all()
        had = scheduled > 0
        assert (level[~had] == 0).all() and (level <= scheduled).all()
        assert np.allclose(rate[had], level[had] / scheduled[had])


@FEW
@given(seed=seeds, start=starts, days=st.integers(min_value=1, max_value=20))
def test_rows_are_unique_and_within_the_tables_checks(seed: int, start: date, days: int) -> None:
    initial, batches, _ = run(seed, start, days)
    merged = merge_batches([initial, *batches])
    all_ids = np.concatenate([getattr(merged, f.name)["id"] for f in fields(MarketBatch)])
    assert len(np.unique(uuid_keys(all_ids))) == len(all_ids)
    assert ((all_ids[:, 6] >> 4) == 7).all()  # UUIDv7
    session_ids = merged.sessions["session_id"].tolist()
    assert len(set(session_ids)) == len(session_ids)
    tutors = merged.tutors
    assert len(set(tutors["tutor_id"].tolist())) == len(tutors["tutor_id"])
    assert all(1 <= len(s) <= 4 and set(s) <= set(SUBJECT_NAMES) for s in tutors["subjects"])
    capacity = tutors["weekly_capacity_hours"]
    assert ((capacity == 0) | ((capacity >= 5) & (capacity <= 40))).all()
    assert ((tutors["utilization_rate"] >= 0) & (tutors["utilization_rate"] <= 1)).all()
    assert (tutors["avg_response_time_hours"] > 0).all()
    assert (tutors["updated_at"] >= tutors["created_at"]).all()
    engagement = merged.enrollments["engagement_score"]
    known = ~np.isnan(engagement)
    assert ((engagement[known] >= 0) & (engagement[known] <= 1)).all()
    assert (merged.sessions["duration_minutes"] > 0).all()
    assert (merged.sessions["created_at"] < merged.sessions["scheduled_time"]).all()
    text = uuid_text(merged.enrollments["student_id"])
    assert np.array_equal(uuid_from_text(text), merged.enrollments["student_id"])


def test_history_ends_on_the_fixed_monday_and_the_state_continues_from_it() -> None:
    assert HISTORY_END.weekday() == 0
    assert history_start(12) == date(2025, 8, 31)
    assert history_start(6) == date(2026, 2, 28)
    progress: list[float] = []
    batch, state = generate_history("small", 3, 1, progress.append)
    assert state.next_day == HISTORY_END and progress[-1] == 1.0
    scheduled = day_of(batch.sessions["scheduled_time"])
    assert scheduled.min() == np.datetime64(history_start(1))
    assert scheduled.max() == np.datetime64(HISTORY_END - timedelta(days=1))
    # The returned rows hold the final state: every tutor of the state, as it stands.
    assert np.array_equal(batch.tutors["weekly_capacity_hours"], state.tutors.weekly_capacity_hours)
    active = batch.enrollments["updated_at"] == batch.enrollments["created_at"]
    assert np.array_equal(
        np.sort(uuid_keys(batch.enrollments["id"][active])), uuid_keys(state.enrollments.id)
    )
    following = advance_day(state, HISTORY_END, 3)
    assert (day_of(following.sessions["scheduled_time"]) == np.datetime64(HISTORY_END)).all()
    with pytest.raises(ValueError, match="not"):
        advance_day(state, HISTORY_END, 3)


@pytest.fixture(scope="module")
def small_year() -> tuple[MarketBatch, MarketState]:
    return generate_history("small", 11, 12)


def test_small_year_plants_the_documented_defects(
    small_year: tuple[MarketBatch, MarketState],
) -> None:
    batch, _ = small_year
    sessions = batch.sessions
    key = np.char.add(
        np.char.add(uuid_text(sessions["student_id"]), sessions["subject"]),
        sessions["scheduled_time"].astype(str),
    )
    _, counts = np.unique(key, return_counts=True)
    assert 1 <= (counts > 1).sum() <= 0.002 * len(key)

    snaps = batch.capacity_snapshots
    days, per_day = np.unique(snaps["date"], return_counts=True)
    short = days[per_day < len(SUBJECT_NAMES)].astype("datetime64[D]").tolist()
    assert 1 <= len(short) <= 3 and all(snapshot_missing(d, 11) for d in short)

    dormant = batch.tutors["tutor_id"] == "T-000007"
    assert batch.tutors["weekly_capacity_hours"][dormant][0] > 0
    dormant_id = uuid_keys(batch.tutors["id"][dormant])[0]
    assert not (uuid_keys(sessions["tutor_id"]) == dormant_id).any()


def test_small_year_has_weekday_and_school_year_shape(
    small_year: tuple[MarketBatch, MarketState],
) -> None:
    batch, _ = small_year
    per_day = daily_counts(batch.sessions, history_start(12))
    assert weekday_ratio(per_day, history_start(12)) > 1.5
    assert monthly_mean(per_day, history_start(12), 7) < 0.8 * monthly_mean(
        per_day, history_start(12), 10
    )


def daily_counts(sessions: dict[str, Any], start: date) -> np.ndarray:
    offset = (day_of(sessions["scheduled_time"]) - np.datetime64(start)).astype(np.int64)
    return np.bincount(offset)


def weekday_ratio(per_day: np.ndarray, start: date) -> float:
    weekday = (np.arange(per_day.size) + start.weekday()) % 7
    busy = per_day[np.isin(weekday, [0, 1, 2, 3, 6])].mean()
    return float(busy / per_day[np.isin(weekday, [4, 5])].mean())


def monthly_mean(per_day: np.ndarray, start: date, month: int) -> float:
    months = np.array([(start + timedelta(days=i)).month for i in range(per_day.size)])
    return float(per_day[months == month].mean())


@pytest.mark.slow
def test_default_scale_year_has_the_promised_volumes_and_shapes() -> None:
    # Speed is measured by `lyceum bench nerdboard`, not asserted here.
    batch, state = generate_history("default", 2026, 12)

    start = history_start(12)
    sessions, tutors, enrollments = batch.sessions, batch.tutors, batch.enrollments
    assert 900_000 <= len(sessions["id"]) <= 1_300_000
    assert 900 <= len(tutors["id"]) <= 1_300
    assert (tutors["weekly_capacity_hours"] > 0).sum() >= 800
    assert 20_000 <= len(np.unique(uuid_keys(enrollments["student_id"]))) <= 30_000
    assert len(set(sessions["subject"].tolist())) >= 12

    per_day = daily_counts(sessions, start)
    assert weekday_ratio(per_day, start) > 1.5
    assert monthly_mean(per_day, start, 7) < 0.8 * monthly_mean(per_day, start, 10)
    days = [start + timedelta(days=i) for i in range(per_day.size)]
    expected = np.array([SHARES @ subject_season(d) * DEMAND_WEEKDAY[d.weekday()] for d in days])
    adjusted = per_day / expected
    assert adjusted[-91:].mean() > 1.1 * adjusted[:91].mean()

    unassigned = sessions["tutor_id_null"]
    assert 0.002 < unassigned.mean() < 0.05
    worst = np.bincount(
        (day_of(sessions["scheduled_time"]) - np.datetime64(start)).astype(np.int64),
        weights=unassigned,
    ) / np.maximum(per_day, 1)
    assert worst.max() > 0.05  # shortfalls show in the peaks
    utilization = batch.capacity_snapshots["utilization_rate"]
    assert 0.55 <= np.median(utilization) <= 0.9

    health = batch.health_metrics["health_score"]
    assert 0.05 <= (health < 40).mean() <= 0.15
    assert 1 <= np.isnan(enrollments["engagement_score"]).sum() <= 60
    assert (enrollments["updated_at"] > enrollments["created_at"]).any()
    assert len(state.enrollments) > 1.15 * len(initial_state("default", 2026, start)[0].enrollments)
