"""TutorMax's synthetic history (pure NumPy, no database): determinism, every table's CHECKs
and foreign keys on the arrays, first-session markers, the ground truth, and (slow, the
default scale) volumes, churn rate and that churn can be predicted from behaviour, but not
perfectly."""

from __future__ import annotations

import ast
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import lyceum.tutormax.synthetic as synthetic
from lyceum.tutormax.enums import EventType, InitiatedBy, SessionStatus, StudentStatus, TutorStatus
from lyceum.tutormax.synthetic import (
    HISTORY_END,
    SCALES,
    SUBJECT_NAMES,
    TABLES,
    TutorMaxHistory,
    TutorMaxScale,
    history_start,
    simulate_history,
)

DAY = np.timedelta64(1, "D")
LOADED = ("tutors", "students", "sessions", "student_feedback", "tutor_events")


@pytest.fixture(scope="module")
def small() -> TutorMaxHistory:
    return simulate_history("small", 11, 12, HISTORY_END)


@pytest.fixture(scope="module")
def default() -> TutorMaxHistory:
    return simulate_history("default", 42, 12, HISTORY_END)


def _start(history: TutorMaxHistory) -> np.datetime64:
    return np.datetime64(history.start, "us")


def _end(history: TutorMaxHistory) -> np.datetime64:
    return np.datetime64(history.end, "us")


def _tutor_index(history: TutorMaxHistory, ids: npt.NDArray[np.str_]) -> npt.NDArray[np.intp]:
    tutor_ids = history.tutors["tutor_id"]
    index = np.searchsorted(tutor_ids, ids)
    assert (tutor_ids[index] == ids).all(), "every tutor_id names a tutor"
    return index


def _present(columns: dict[str, Any], name: str) -> npt.NDArray[np.bool_]:
    nulls = columns.get(f"{name}_null")
    values = columns[name]
    if nulls is not None:
        return np.asarray(~np.asarray(nulls), dtype=bool)
    if np.asarray(values).dtype.kind == "M":
        return np.asarray(~np.isnat(values), dtype=bool)
    if np.asarray(values).dtype.kind == "f":
        return np.asarray(~np.isnan(values), dtype=bool)
    return np.ones(len(values), dtype=bool)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
        )
    return bool(a == b)


# ---- determinism and shape -----------------------------------------------------------------


def test_same_inputs_same_arrays_other_seed_other_arrays(small: TutorMaxHistory) -> None:
    again = simulate_history("small", 11, 12, HISTORY_END)
    for name in TABLES:
        mine, theirs = small.table(name), again.table(name)
        assert mine.keys() == theirs.keys()
        for column in mine:
            assert _same(mine[column], theirs[column]), f"{name}.{column} differs"
    for field in ("reliability", "quality", "engagement", "churn_day", "pause_day", "hazard"):
        assert _same(getattr(small.truth, field), getattr(again.truth, field)), field
    other = simulate_history("small", 12, 12, HISTORY_END)
    assert not _same(other.sessions["scheduled_start"], small.sessions["scheduled_start"])


def test_months_and_end_set_the_window() -> None:
    history = simulate_history("small", 3, 2, date(2026, 3, 1))
    assert (history.start, history.end) == (date(2026, 1, 1), date(2026, 3, 1))
    held = history.sessions["status"] != SessionStatus.SCHEDULED.value
    starts = history.sessions["scheduled_start"]
    assert starts[held].min() >= _start(history)
    assert starts[held].max() < _end(history)
    assert history_start(date(2026, 3, 31), 1) == date(2026, 2, 28)
    with pytest.raises(ValueError, match="unknown scale"):
        simulate_history("huge", 1, 12, HISTORY_END)


def test_columns_match_the_tables_and_outputs_stay_empty(small: TutorMaxHistory) -> None:
    from lyceum.tutormax import models

    tables = {
        "tutors": models.Tutor,
        "students": models.Student,
        "sessions": models.Session,
        "student_feedback": models.StudentFeedback,
        "tutor_events": models.TutorEvent,
    }
    for name, orm in tables.items():
        columns = {column.name for column in orm.__table__.columns}
        given = {key for key in small.table(name) if not key.endswith("_null")}
        assert given <= columns, f"{name}: {given - columns}"
        lengths = {len(small.table(name)[key]) for key in small.table(name)}
        assert len(lengths) == 1, f"{name}: columns of different lengths"
    counts = small.row_counts()
    assert all(counts[name] > 0 for name in LOADED)
    # Computed by the evaluation engine, the churn model and the intervention engine.
    assert counts["tutor_performance_metrics"] == 0
    assert counts["churn_predictions"] == 0
    assert counts["interventions"] == 0


def test_progress_is_reported_up_to_one() -> None:
    seen: list[float] = []
    simulate_history("small", 5, 1, HISTORY_END, seen.append)
    assert seen[-1] == 1.0
    assert seen == sorted(seen) and 0 < seen[0] < 1


def test_model_package_is_pure() -> None:
    """No database or web code in the model: only NumPy, the standard library and enums."""
    package = Path(synthetic.__file__).parent
    allowed = ("numpy", "lyceum.tutormax.synthetic", "lyceum.tutormax.enums", "__future__")
    stdlib = {"collections", "dataclasses", "datetime", "enum", "typing", "calendar"}
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] in stdlib or name.startswith(allowed), (
                    f"{source.name} imports {name}"
                )


# ---- the tables' rules on the arrays ------------------------------------------------------


def test_tutor_rows_keep_the_tutor_checks(small: TutorMaxHistory) -> None:
    tutors = small.tutors
    count = len(tutors["tutor_id"])
    assert list(tutors["tutor_id"]) == [f"T{i:05d}" for i in range(1, count + 1)]
    assert len(set(tutors["email"].tolist())) == count
    assert all(email.index("@") > 0 for email in tutors["email"].tolist())
    assert set(tutors["status"].tolist()) <= {s.value for s in TutorStatus}
    assert all(1 <= len(s) <= 4 and set(s) <= set(SUBJECT_NAMES) for s in tutors["subjects"])
    assert len(set(map(len, tutors["subjects"]))) > 1
    assert (
        (tutors["baseline_sessions_per_week"] > 0) & (tutors["baseline_sessions_per_week"] <= 100)
    ).all()
    experience = tutors["experience_years"][_present(tutors, "experience_years")]
    assert ((experience >= 0) & (experience <= 70)).all()
    churned = tutors["status"] == TutorStatus.CHURNED.value
    assert (_present(tutors, "churned_at") == churned).all()
    assert (tutors["churned_at"][churned] >= tutors["onboarding_date"][churned]).all()
    assert (tutors["churned_at"][churned] < _end(small)).all()
    # Most were there at the start, some joined during the year.
    joined = tutors["onboarding_date"] >= _start(small)
    assert 0 < joined.sum() < count / 2


def test_student_rows(small: TutorMaxHistory) -> None:
    students = small.students
    count = len(students["student_id"])
    assert list(students["student_id"][:3]) == ["S000001", "S000002", "S000003"]
    assert len(set(students["student_id"].tolist())) == count
    assert ((students["age"] >= 5) & (students["age"] <= 100)).all()
    assert set(students["status"].tolist()) == {s.value for s in StudentStatus}
    grades = set(students["grade_level"].tolist())
    assert {"college", "adult"} <= grades and grades & {"9", "10", "11", "12"}
    # Every student has a session; every session's student exists.
    assert set(small.sessions["student_id"].tolist()) == set(students["student_id"].tolist())


def test_session_rows_keep_the_session_checks(small: TutorMaxHistory) -> None:
    s = small.sessions
    status = s["status"]
    assert set(status.tolist()) == {x.value for x in SessionStatus}
    assert len(set(s["session_id"].tolist())) == len(status)
    assert ((s["duration_minutes"] > 0) & (s["duration_minutes"] <= 480)).all()
    assert ((status == "no_show") == _present(s, "no_show_by")).all()
    assert (s["was_rescheduled"] == _present(s, "rescheduled_by")).all()
    completed = status == "completed"
    assert (completed == _present(s, "actual_start")).all()
    assert (_present(s, "actual_start") == _present(s, "actual_duration_minutes")).all()
    assert (s["actual_duration_minutes"][completed] >= 0).all()
    engagement = s["engagement_score"][completed]
    assert ((engagement >= 0) & (engagement <= 1)).all()
    assert (completed == _present(s, "engagement_score")).all()
    assert (completed == _present(s, "learning_objectives_met")).all()
    by = {b.value for b in InitiatedBy}
    assert set(s["no_show_by"][status == "no_show"].tolist()) <= by
    assert set(s["rescheduled_by"][s["was_rescheduled"]].tolist()) == by
    # Only what had not started by the end is still scheduled.
    scheduled = status == "scheduled"
    assert (s["scheduled_start"][scheduled] >= _end(small)).all()
    assert (s["scheduled_start"][~scheduled] < _end(small)).all()
    assert (s["scheduled_start"][scheduled] < _end(small) + 8 * DAY).all()
    assert (s["created_at"] <= s["scheduled_start"]).all()
    assert (s["created_at"][scheduled] < _end(small)).all()
    # Ids sort like start times.
    order = np.argsort(s["session_id"], kind="stable")
    assert (np.diff(s["scheduled_start"][order]) >= np.timedelta64(0, "us")).all()


def test_sessions_are_taught_by_their_tutor_in_one_of_their_subjects(
    small: TutorMaxHistory,
) -> None:
    tutor = _tutor_index(small, small.sessions["tutor_id"])
    subjects = small.tutors["subjects"]
    assert all(
        subject in subjects[t]
        for subject, t in zip(small.sessions["subject"].tolist(), tutor.tolist(), strict=True)
    )
    onboarded = small.tutors["onboarding_date"][tutor]
    assert (small.sessions["scheduled_start"] > onboarded).all()


def test_first_session_marks_the_earliest_session_of_a_pair(small: TutorMaxHistory) -> None:
    s = small.sessions
    pair = np.strings.add(np.strings.add(s["student_id"], "/"), s["tutor_id"])
    first = s["is_first_session"]
    marked_pairs = pair[first]
    assert len(set(marked_pairs.tolist())) == first.sum(), "at most one first session a pair"
    earliest: dict[str, np.datetime64] = {}
    for key, start in zip(pair.tolist(), s["scheduled_start"].tolist(), strict=True):
        if key not in earliest or start < earliest[key]:
            earliest[key] = start
    for key, start in zip(marked_pairs.tolist(), s["scheduled_start"][first].tolist(), strict=True):
        assert start == earliest[key]
    # New pairings form all year: thousands of first sessions, a minority of all sessions.
    assert 0.02 < first.mean() < 0.2


def test_feedback_names_the_sessions_own_parties(small: TutorMaxHistory) -> None:
    f, s = small.student_feedback, small.sessions
    position = {sid: i for i, sid in enumerate(s["session_id"].tolist())}
    rows = np.array([position[sid] for sid in f["session_id"].tolist()])
    assert len(set(f["session_id"].tolist())) == len(rows), "one rating per session"
    assert (s["tutor_id"][rows] == f["tutor_id"]).all()
    assert (s["student_id"][rows] == f["student_id"]).all()
    assert (s["status"][rows] == "completed").all()
    assert (f["submitted_at"] > s["actual_start"][rows]).all()
    assert (f["submitted_at"] < _end(small)).all()
    for name in (
        "overall_rating",
        "subject_knowledge_rating",
        "communication_rating",
        "patience_rating",
        "engagement_rating",
        "helpfulness_rating",
    ):
        values = f[name][_present(f, name)]
        assert ((values >= 1) & (values <= 5)).all(), name
    assert 0 < (~_present(f, "patience_rating")).mean() < 0.5
    share = len(rows) / (s["status"] == "completed").sum()
    assert 0.6 <= share <= 0.8
    texts = f["free_text_feedback"][_present(f, "free_text_feedback")]
    assert 0 < len(texts) < len(rows) and all(texts)


def test_events_are_valid_and_within_each_tutors_time(small: TutorMaxHistory) -> None:
    e = small.tutor_events
    kinds = set(e["event_type"].tolist())
    assert kinds <= {k.value for k in EventType}
    assert {
        "login",
        "message_response",
        "session_rescheduled",
        "no_show",
        "session_cancelled",
        "availability_changed",
        "profile_updated",
        "training_completed",
        "status_changed",
    } <= kinds
    stamps = e["event_timestamp"]
    assert (stamps >= _start(small)).all() and (stamps < _end(small)).all()
    order = np.lexsort((stamps, e["tutor_id"]))
    assert (order == np.arange(len(order))).all(), "by tutor, then time"
    parsed = [json.loads(text) for text in e["metadata"].tolist()]
    assert all(isinstance(item, dict) and item for item in parsed)
    tutor = _tutor_index(small, e["tutor_id"])
    assert (stamps > small.tutors["onboarding_date"][tutor]).all()
    churned = small.tutors["status"][tutor] == "churned"
    assert (stamps[churned] <= small.tutors["churned_at"][tutor][churned]).all()
    responses = [
        p["response_minutes"]
        for p, k in zip(parsed, e["event_type"].tolist(), strict=True)
        if k == "message_response"
    ]
    assert responses and min(responses) >= 1
    # Session events mirror the sessions.
    s = small.sessions
    held = s["status"] != "scheduled"
    quarter = np.timedelta64(15, "m")
    no_shows = (s["status"] == "no_show") & (s["scheduled_start"] + quarter < _end(small))
    assert (e["event_type"] == "no_show").sum() == no_shows.sum()
    # A cancellation is the session's last change; those made before the history are not in it.
    cancelled = (s["status"] == "cancelled") & (s["updated_at"] >= _start(small))
    assert (e["event_type"] == "session_cancelled").sum() == cancelled.sum()
    moved = (e["event_type"] == "session_rescheduled").sum()
    assert (
        0.95 * (held & s["was_rescheduled"]).sum() <= moved <= (held & s["was_rescheduled"]).sum()
    )
    changed = (e["event_type"] == "status_changed").sum()
    assert changed == (small.tutors["status"] != "active").sum()


def test_churned_tutors_have_no_sessions_after_leaving(small: TutorMaxHistory) -> None:
    tutor = _tutor_index(small, small.sessions["tutor_id"])
    churned = small.tutors["status"][tutor] == "churned"
    assert churned.any()
    starts = small.sessions["scheduled_start"][churned]
    assert (starts < small.tutors["churned_at"][tutor][churned]).all()
    # Paused tutors stop too: nothing after their status change.
    e = small.tutor_events
    changed = e["event_type"] == "status_changed"
    left = dict(
        zip(e["tutor_id"][changed].tolist(), e["event_timestamp"][changed].tolist(), strict=True)
    )
    for tid, start in zip(
        small.sessions["tutor_id"].tolist(), small.sessions["scheduled_start"].tolist(), strict=True
    ):
        assert tid not in left or start < left[tid]


def test_ground_truth_agrees_with_the_tables(small: TutorMaxHistory) -> None:
    truth, tutors = small.truth, small.tutors
    assert (truth.tutor_id == tutors["tutor_id"]).all()
    for trait in (truth.reliability, truth.quality, truth.engagement):
        assert ((trait >= 0) & (trait <= 1)).all() and trait.std() > 0.05
    churned = tutors["status"] == "churned"
    dates = tutors["churned_at"].astype("datetime64[D]")
    assert (truth.churn_date[churned] == dates[churned]).all()
    # Churn after the end is known to the truth only: those tutors are active in the table.
    later = truth.churn_day >= truth.history_days
    assert (tutors["status"][later] == "active").all()
    days = truth.hazard.shape[1]
    assert days == truth.history_days + synthetic.TRUTH_HORIZON_DAYS
    for index in np.flatnonzero(truth.churn_day >= 0):
        day = truth.churn_day[index]
        assert not np.isnan(truth.hazard[index, day]), "at risk on the day they left"
        assert np.isnan(truth.hazard[index, day + 1 :]).all(), "gone afterwards"
    # Hazards are probabilities, and the scoring helpers agree with the churn days.
    hazard = truth.hazard[~np.isnan(truth.hazard)]
    assert ((hazard > 0) & (hazard < 0.5)).all()
    at = truth.history_days - 30
    churns = truth.churns_within(small.end - timedelta(days=30), 30)
    assert churns.sum() == ((truth.churn_day >= at) & (truth.churn_day < at + 30)).sum()
    probability = truth.churn_probability(small.end, 30)
    active = tutors["status"] == "active"
    assert np.isnan(probability[~active]).all()
    assert ((probability[active] > 0) & (probability[active] < 1)).all()


# ---- the default scale (slow) -----------------------------------------------------------------


def _daily(
    history: TutorMaxHistory, columns: dict[str, Any], name: str, mask: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """Per tutor and history day, how many rows of `mask` there are."""
    tutors = len(history.tutors["tutor_id"])
    days = history.truth.history_days
    index = _tutor_index(history, columns["tutor_id"][mask])
    day = ((columns[name][mask] - _start(history)) // DAY).astype(np.int64)
    inside = day < days
    counts = np.zeros((tutors, days))
    np.add.at(counts, (index[inside], day[inside]), 1)
    return counts


def _auc(score: npt.NDArray[np.float64], label: npt.NDArray[np.bool_]) -> float:
    ranks = np.empty(len(score))
    ranks[np.argsort(score, kind="stable")] = np.arange(1, len(score) + 1)
    positives = int(label.sum())
    negatives = len(label) - positives
    return float((ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives))


@pytest.mark.slow
def test_default_scale_volumes(default: TutorMaxHistory) -> None:
    spec = SCALES["default"]
    s = default.sessions
    held = s["status"] != "scheduled"
    per_day = held.sum() / default.truth.history_days
    assert abs(per_day / spec.sessions_per_day - 1) < 0.05
    day = ((s["scheduled_start"][held] - _start(default)) // DAY).astype(np.int64)
    daily = np.bincount(day, minlength=default.truth.history_days)
    # Seasons and weekdays: summer and holidays are quiet, term time busy.
    assert daily.min() < 0.5 * spec.sessions_per_day < 1.2 * spec.sessions_per_day < daily.max()
    active_at_start = (default.truth.joined_day < 0).sum()
    assert active_at_start == spec.tutors
    assert 0.2 * spec.tutors < (default.truth.joined_day >= 0).sum() < 0.5 * spec.tutors
    by = s["rescheduled_by"][s["was_rescheduled"]]
    assert 0.96 < (by == "tutor").mean() < 0.995
    assert 0.03 < s["was_rescheduled"][held].mean() < 0.08
    ratings = default.student_feedback["overall_rating"]
    assert 4.0 < ratings.mean() < 4.7


@pytest.mark.slow
def test_default_scale_churn_rate_and_traits(default: TutorMaxHistory) -> None:
    truth = default.truth
    there = truth.joined_day < 0
    churned = (truth.churn_day >= 0) & (truth.churn_day < truth.history_days)
    rate = churned[there].mean()
    assert 0.2 <= rate <= 0.3
    assert (default.tutors["status"] == "inactive").sum() > 0
    ever = truth.churn_day >= 0
    for trait in (truth.reliability, truth.engagement, truth.quality):
        low, high = np.quantile(trait, [0.25, 0.75])
        assert ever[trait <= low].mean() > 1.5 * ever[trait >= high].mean()


@pytest.mark.slow
def test_default_scale_churn_is_predictable_but_noisy(default: TutorMaxHistory) -> None:
    """Recent behaviour in the tables separates leavers from stayers; the true hazard does
    better still, and neither is anywhere near perfect."""
    truth = default.truth
    e, s = default.tutor_events, default.sessions
    logins = _daily(default, e, "event_timestamp", e["event_type"] == "login")
    held = s["status"] != "scheduled"
    booked = _daily(default, s, "scheduled_start", held)
    own = held & s["was_rescheduled"] & (s["rescheduled_by"] == "tutor")
    rescheduled = _daily(default, s, "scheduled_start", own)
    days = truth.history_days

    leavers = np.flatnonzero((truth.churn_day >= 60) & (truth.churn_day < days))
    rng = np.random.default_rng(0)
    stayers = np.flatnonzero((truth.churn_day < 0) & (truth.pause_day < 0) & (truth.joined_day < 0))
    stay_day = rng.integers(60, days, len(stayers))

    def window(matrix: npt.NDArray[np.float64], rows: Any, ends: Any) -> float:
        return float(
            np.mean([matrix[r, d - 30 : d].sum() for r, d in zip(rows, ends, strict=True)])
        )

    leaving_day = truth.churn_day[leavers]
    assert window(logins, leavers, leaving_day) < 0.85 * window(logins, stayers, stay_day)
    leaver_rate = window(rescheduled, leavers, leaving_day) / window(booked, leavers, leaving_day)
    stayer_rate = window(rescheduled, stayers, stay_day) / window(booked, stayers, stay_day)
    assert leaver_rate > 1.2 * stayer_rate

    behaviour, oracle = [], []
    for day in range(90, days - 30, 15):
        active = np.flatnonzero(~np.isnan(truth.hazard[:, day]))
        label = (truth.churn_day[active] >= day) & (truth.churn_day[active] < day + 30)
        behaviour.append(_auc(-logins[active, day - 30 : day].sum(axis=1), label))
        oracle.append(_auc(truth.hazard[active, day], label))
    assert 0.65 < np.mean(behaviour) < 0.9
    assert np.mean(behaviour) < np.mean(oracle) < 0.95


def test_scales_are_ordered_and_custom_scales_work() -> None:
    assert [SCALES[n].tutors for n in ("small", "default", "large")] == [50, 1_000, 3_000]
    assert [SCALES[n].sessions_per_day for n in ("small", "default", "large")] == [
        150,
        3_000,
        9_000,
    ]
    tiny = simulate_history(TutorMaxScale("tiny", 10, 30), 1, 1, HISTORY_END)
    assert tiny.scale == "tiny" and (tiny.truth.joined_day < 0).sum() == 10
