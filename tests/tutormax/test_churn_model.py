"""The churn model's pure parts (no database): person-period rows and censoring, horizons
from one survival curve, the fit and its artifact, the risk score and its points, reasons
in words, the metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lyceum.tutormax.churn import explain, metrics, risk
from lyceum.tutormax.churn.features import BY_NAME, DAYS_CAP, FEATURE_NAMES, build_features
from lyceum.tutormax.churn.model import DIRECTIONS, HazardModel, fit_hazard_model
from lyceum.tutormax.churn.predict import predict, reference_p90
from lyceum.tutormax.churn.survival import (
    DAYS_AHEAD,
    INTERVALS,
    horizon_probabilities,
    person_periods,
)
from lyceum.tutormax.enums import RiskLevel
from lyceum.tutormax.repository.features import AGGREGATE_COLUMNS

MONDAY = date(2026, 3, 2)
TIMES = "\N{MULTIPLICATION SIGN}"


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _features(tutors: list[str], day: date = MONDAY) -> pd.DataFrame:
    frame = pd.DataFrame({"tutor_id": tutors, "day": np.datetime64(day, "D")})
    for name in FEATURE_NAMES:
        frame[name] = 1.0
    return frame


# --- person-period rows ------------------------------------------------------------------


def test_person_periods_stop_at_churn_pause_and_the_cut_off() -> None:
    features = _features(["churns", "pauses", "stays", "late"])
    exits = pd.DataFrame(
        {
            "tutor_id": ["churns", "pauses", "stays", "late"],
            # Day 17 after the snapshot: interval [14, 21).
            "churned_at": [_utc(2026, 3, 19, 15), None, None, None],
            # Day 35: inside [30, 45), so intervals from there on are unknown.
            "paused_at": [None, _utc(2026, 4, 6, 12), None, None],
        }
    )
    # The cut-off 50 days after the snapshot: intervals ending after it are left out.
    periods, targets = person_periods(features, exits, _utc(2026, 4, 21))
    rows = periods.assign(churned=targets)
    by_tutor = rows.groupby("tutor_id")[DAYS_AHEAD].apply(list).to_dict()
    assert by_tutor["churns"] == [0.0, 7.0, 14.0]
    assert rows.loc[rows.tutor_id == "churns", "churned"].tolist() == [0, 0, 1]
    assert by_tutor["pauses"] == [0.0, 7.0, 14.0, 21.0]
    # [45, 60) ends after the cut-off (day 50): not seen whole, so not used.
    assert by_tutor["stays"] == [0.0, 7.0, 14.0, 21.0, 30.0]
    assert int(targets.sum()) == 1


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (5, INTERVALS), elements=st.floats(0.0, 1.0)))
def test_horizons_come_from_one_curve_and_never_fall(hazards: np.ndarray) -> None:
    probabilities = horizon_probabilities(hazards)
    assert np.all(probabilities[7] <= probabilities[30])
    assert np.all(probabilities[30] <= probabilities[90])
    assert np.all((probabilities[90] >= 0) & (probabilities[90] <= 1))
    # The first interval is exactly the first week.
    np.testing.assert_allclose(probabilities[7], hazards[:, 0], atol=1e-12)


# --- the fit ------------------------------------------------------------------------------


def _training_rows(seed: int, rows: int = 6_000) -> tuple[pd.DataFrame, pd.Series]:
    """Person-period rows where only tutor reschedules (and the interval) move the hazard."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(0.5, 0.1, (rows, len(FEATURE_NAMES))), columns=FEATURE_NAMES)
    frame["tutor_reschedule_rate_30d"] = rng.uniform(0.0, 0.3, rows)
    frame[DAYS_AHEAD] = rng.choice([0.0, 7.0, 14.0, 21.0, 30.0, 45.0, 60.0, 75.0], rows)
    logit = -4.0 + 10.0 * frame["tutor_reschedule_rate_30d"]
    target = rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))
    return frame, pd.Series(target.astype(np.int64))


def test_the_fit_finds_the_signal_and_keeps_every_sign() -> None:
    rows, targets = _training_rows(1)
    model = fit_hazard_model(rows, targets)
    weights = model.weights_by_feature()
    assert max(weights, key=lambda name: abs(weights[name])) == "tutor_reschedule_rate_30d"
    assert weights["tutor_reschedule_rate_30d"] > 0.3
    for name, direction in DIRECTIONS.items():
        assert weights[name] * direction >= 0, name
    # A tutor with more reschedules has a higher hazard in every interval.
    calm, busy = rows.iloc[[0]].copy(), rows.iloc[[0]].copy()
    calm["tutor_reschedule_rate_30d"], busy["tutor_reschedule_rate_30d"] = 0.0, 0.3
    assert np.all(model.hazards(busy) > model.hazards(calm))


def test_the_artifact_round_trips_and_refuses_other_features() -> None:
    rows, targets = _training_rows(2)
    model = fit_hazard_model(rows, targets)
    again = HazardModel.from_text(model.to_text())
    np.testing.assert_array_equal(again.hazards(rows.head(50)), model.hazards(rows.head(50)))
    assert fit_hazard_model(rows, targets).to_text() == model.to_text()  # deterministic
    tampered = model.to_text().replace('"tutor_no_shows_30d"', '"something_else"')
    with pytest.raises(ValueError, match="train a new one"):
        HazardModel.from_text(tampered)


def test_no_churner_no_model() -> None:
    rows, targets = _training_rows(3, rows=200)
    with pytest.raises(ValueError, match="nothing to learn from"):
        fit_hazard_model(rows, targets * 0)


# --- risk score, levels and points -------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "score", "level"),
    [
        (1.0, 50, RiskLevel.MEDIUM),
        (3.0, 75, RiskLevel.HIGH),
        (9.0, 100, RiskLevel.CRITICAL),
        (50.0, 100, RiskLevel.CRITICAL),
        (1 / 3, 25, RiskLevel.LOW),
        (1 / 100, 0, RiskLevel.LOW),
        (1.1, 52, RiskLevel.HIGH),
        (3.2, 76, RiskLevel.CRITICAL),
    ],
)
def test_the_score_counts_triplings_of_the_typical_risk(
    ratio: float, score: int, level: RiskLevel
) -> None:
    scores = risk.risk_scores(np.array([0.04 * ratio]), 0.04)
    assert scores.tolist() == [score]
    assert risk.risk_levels(scores) == [level]


def test_points_add_up_to_the_distance_from_typical() -> None:
    rows, targets = _training_rows(4)
    model = fit_hazard_model(rows, targets)
    sample = rows.sample(200, random_state=0)
    contributions = model.contributions(sample)
    p90 = horizon_probabilities(model.hazards(sample))[90]
    reference = reference_p90(model)
    points = risk.points(contributions, p90, reference)
    np.testing.assert_allclose(
        points.sum(axis=1), risk.raw_scores(p90, reference) - 50.0, atol=1e-9
    )
    # Signs follow the contributions: a reason that raises the log-odds adds points.
    assert np.all(np.sign(points) == np.sign(contributions))
    # The typical tutor (every contribution zero) scores exactly 50.
    typical = model.hazards_for_shift(np.zeros(1))
    assert risk.raw_scores(horizon_probabilities(typical)[90], reference)[0] == pytest.approx(50)


# --- reasons ------------------------------------------------------------------------------


def test_reasons_say_what_how_much_and_how_many_points() -> None:
    reschedules = BY_NAME["tutor_reschedule_rate_30d"]
    text = explain.describe(reschedules, 0.12, 0.046)
    assert text == f"tutor-initiated reschedules over 30 days: 12 %, 2.6{TIMES} the median"
    assert explain.describe(reschedules, 0.05, 0.046) == (
        "tutor-initiated reschedules over 30 days: 5 % (median 5 %)"
    )
    days = BY_NAME["days_since_last_login"]
    assert explain.describe(days, DAYS_CAP, 1.0) == (
        "days since the last login: over 90 days (median 1 day)"
    )
    names = ("tutor_reschedule_rate_30d", "logins_per_day_30d", "tenure_days")
    factors = explain.factors(
        names,
        values=np.array([[0.12, 0.4, 400.0]]),
        medians=np.array([0.046, 1.1, 500.0]),
        points=np.array([[14.2, 6.4, -0.3]]),
    )[0]
    assert list(factors) == ["tutor_reschedule_rate_30d", "logins_per_day_30d"]
    assert factors["tutor_reschedule_rate_30d"]["reason"] == (
        f"tutor-initiated reschedules over 30 days: 12 %, 2.6{TIMES} the median: +14 points"
    )
    assert factors["logins_per_day_30d"]["points"] == 6.4
    assert f"0.4{TIMES} the median: +6 points" in factors["logins_per_day_30d"]["reason"]


def test_predictions_hold_monotone_horizons_scores_in_their_bands_and_reasons() -> None:
    rows, targets = _training_rows(5)
    model = fit_hazard_model(rows, targets)
    scored = rows.drop(columns=[DAYS_AHEAD]).head(300).assign(tutor_id="T", day=MONDAY)
    result = predict(model, scored)
    assert len(result) == 300
    assert np.all(result.p7 <= result.p30) and np.all(result.p30 <= result.p90)
    assert all(0 <= s <= 100 for s in result.risk_score)
    riskiest = int(np.argmax(result.p90))
    assert result.risk_level[riskiest] in (RiskLevel.HIGH, RiskLevel.CRITICAL)
    assert "tutor_reschedule_rate_30d" in result.factors[riskiest]
    assert result.factors[riskiest]["tutor_reschedule_rate_30d"]["points"] > 0


# --- features from windowed counts ---------------------------------------------------------


def test_rates_use_the_days_a_new_tutor_has_been_here() -> None:
    row = dict.fromkeys(AGGREGATE_COLUMNS, 0.0) | {
        "tutor_id": "T1",
        "day": MONDAY,
        "booked_7d": 7.0,
        "booked_30d": 10.0,
        "booked_90d": 10.0,
        "logins_30d": 20.0,
        "logins_7d": 14.0,
        "logins_90d": 20.0,
        "tutor_reschedules_30d": 3.0,
        "responses_30d": 2.0,
        "response_log_minutes_30d": 2 * np.log(10.0),
        "last_session_day": date(2026, 3, 1),
        "last_login_day": None,
        "tenure_days": 10.0,
        "experience_years": 3.0,
        "baseline_sessions_per_week": 7.0,
    }
    features = build_features(pd.DataFrame([row]), date(2025, 11, 2)).iloc[0]
    assert features["logins_per_day_30d"] == pytest.approx(2.0)  # 20 logins in 10 days
    assert features["sessions_vs_commitment_30d"] == pytest.approx(1.0)  # 7 a week
    assert features["tutor_reschedule_rate_30d"] == pytest.approx(3 / 12)
    assert features["response_minutes_30d"] == pytest.approx(10.0)
    assert features["days_since_last_session"] == 1
    assert features["days_since_last_login"] == DAYS_CAP
    assert features["new_tutor"] == 1.0
    assert np.isnan(features["session_trend"])  # no earlier weeks to compare with
    assert np.isnan(features["average_rating_90d"])  # nothing rated


# --- metrics ------------------------------------------------------------------------------


def test_metrics_of_known_cases() -> None:
    outcome = np.array([False] * 90 + [True] * 10)
    perfect = metrics.score(outcome.astype(np.float64) * 0.9 + 0.05, outcome)
    assert perfect.auc == 1.0
    assert perfect.brier == pytest.approx(0.05**2)
    constant = metrics.score(np.full(100, 0.1), outcome)
    assert constant.auc == 0.5 and constant.ece == pytest.approx(0.0)
    assert sum(row.count for row in constant.calibration) == 100
    wrong = metrics.score(np.full(100, 0.3), outcome)
    assert wrong.ece == pytest.approx(0.2)
    assert np.isnan(metrics.auc(np.full(5, 0.2), np.zeros(5, dtype=bool)))
