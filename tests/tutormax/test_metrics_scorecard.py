"""The scorecard, pure: its configuration refuses what it should, and the reference evaluation
(score, tier, improvement areas, what would lift) behaves as documented, by hand-worked examples
and by properties over arbitrary metrics."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyceum.core.errors import ConfigurationError
from lyceum.tutormax.enums import MetricWindow, PerformanceTier
from lyceum.tutormax.scorecard import (
    CRITERIA,
    DEFAULT_SCORECARD_FILE,
    Code,
    WindowMetrics,
    evaluate,
    load_scorecard,
    parse_scorecard,
    what_would_lift,
)

CARD = load_scorecard()
PACKAGED = DEFAULT_SCORECARD_FILE.read_text()
MONTH = MetricWindow.THIRTY_DAY
# Meets every criterion of the packaged scorecard.
GOOD = WindowMetrics(MONTH, 60, 4.9, 0.9, 0.02, 0, 0.8, 20.0)


def test_the_packaged_scorecard_loads_and_its_weights_make_100() -> None:
    assert CARD.criteria.total_weight == 100
    assert [rule.tier for rule in CARD.tiers] == list(PerformanceTier)
    assert CARD.first_session.judge_after_days == 14
    assert set(CARD.min_sessions) == set(MetricWindow)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[criteria.rating]", "[criteria.ratings]", r"criteria\.ratings: Extra inputs"),
        ("weight = 30\n", "weight = 30\nminimum = 3\n", r"criteria\.rating\.minimum: Extra"),
        ("target = 4.8", "target = 3.8", "higher is better, so target must be above floor"),
        ("target = 0.10", "target = 0.50", "lower is better, so target must be below floor"),
        ("target = 4.8", "target = 5.8", "rating.target must be between 1 and 5"),
        ("weight = 30", "weight = 0", "greater than 0"),
        ("90day = 5", "", "missing 90day"),
        ("7day = 2", "7day = 0", "at least 1 in every window"),
        ('tier = "At Risk"\nmin_score = 0', 'tier = "At Risk"\nmin_score = 10', "last tier"),
        ('tier = "Strong"', 'tier = "Exemplary"', "each performance tier once"),
        ("min_score = 75", "min_score = 95", "highest min_score to the lowest"),
        ("judge_after_days = 14", "judge_after_days = 0", "greater than or equal to 1"),
        ('name = "', 'name = "', ""),  # unchanged: must load
    ],
)
def test_a_wrong_scorecard_is_refused_with_what_is_wrong(old: str, new: str, message: str) -> None:
    assert old in PACKAGED
    text = PACKAGED.replace(old, new, 1)
    if not message:
        assert parse_scorecard(text) == CARD
        return
    with pytest.raises(ConfigurationError, match=message):
        parse_scorecard(text, source="test.toml")


def test_files_that_are_not_toml_or_not_there_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("weights = [")
    with pytest.raises(ConfigurationError, match=r"broken\.toml is not valid TOML"):
        load_scorecard(broken)
    with pytest.raises(ConfigurationError, match="cannot read the scorecard file"):
        load_scorecard(tmp_path / "absent.toml")
    # The packaged file is plain TOML a person can copy and edit.
    assert tomllib.loads(PACKAGED)["criteria"]["rating"]["target"] == 4.8


def test_a_hand_worked_window() -> None:
    # rating 4.4: (4.4 - 4.0) / 0.8 = 0.5 of 30; first sessions 0.35: (0.35 - 0.1) / 0.5 = 0.5
    # of 20; no-shows 2 of 40 due = 5 %: 0 of 20; reschedules 0.25: 0.5 of 15; engagement 0.7:
    # all 10; no messages: left out. 15 + 10 + 0 + 7.5 + 10 = 42.5 of 95.
    metrics = WindowMetrics(MONTH, 38, 4.4, 0.35, 0.25, 2, 0.7, None)
    result = evaluate(metrics, CARD)
    assert result.overall_score == pytest.approx(100 * 42.5 / 95)
    assert result.performance_tier is PerformanceTier.AT_RISK  # 44.7, below Needs Attention's 45
    assert result.improvement_areas == (
        Code.RATING,
        Code.FIRST_SESSION_SUCCESS,
        Code.NO_SHOW_RATE,
        Code.RESCHEDULE_RATE,
    )
    by_code = {r.code: r for r in result.criteria}
    assert by_code[Code.RESPONSE_TIME].credit is None and by_code[Code.RESPONSE_TIME].met is None
    assert by_code[Code.ENGAGEMENT].met is True  # exactly at target


def test_too_few_sessions_means_no_score_and_one_reason() -> None:
    thin = replace(GOOD, window=MetricWindow.SEVEN_DAY, sessions_completed=1)
    result = evaluate(thin, CARD)
    assert result.overall_score is None and result.performance_tier is None
    assert result.improvement_areas == (Code.MIN_SESSIONS,)
    assert what_would_lift(thin, CARD)[0].threshold == CARD.min_sessions[MetricWindow.SEVEN_DAY]


def test_exemplary_takes_every_criterion_met_and_enough_sessions() -> None:
    assert evaluate(GOOD, CARD).performance_tier is PerformanceTier.EXEMPLARY
    assert evaluate(GOOD, CARD).overall_score == 100
    # One criterion just missed: still above 90 points, but not Exemplary.
    near = replace(GOOD, avg_rating=4.75)
    assert evaluate(near, CARD).overall_score > 90  # type: ignore[operator]
    assert evaluate(near, CARD).performance_tier is PerformanceTier.STRONG
    # Every criterion met, but fewer sessions than the Exemplary tier asks in 30 days.
    few = replace(GOOD, sessions_completed=12)
    assert evaluate(few, CARD).performance_tier is PerformanceTier.STRONG


def test_what_would_lift_names_each_miss_with_its_threshold_and_points() -> None:
    metrics = replace(GOOD, avg_rating=4.4, engagement_score=0.55, no_show_count=1)
    lifts = what_would_lift(metrics, CARD)
    # Largest first: 15 points for the rating, 5 for engagement, 3.2 for 1 no-show in 61.
    assert [lift.code for lift in lifts] == [Code.RATING, Code.ENGAGEMENT, Code.NO_SHOW_RATE]
    rating = lifts[0]
    assert rating.threshold == 4.8 and rating.value == 4.4
    assert rating.points == pytest.approx(15.0)  # half of its 30 points
    # Meeting the rating and the engagement criteria still leaves the no-show one missed.
    assert rating.tier_if_met is PerformanceTier.STRONG
    assert lifts[1].points == pytest.approx(5.0)
    assert lifts[2].points == pytest.approx(20 * (1 - (1 / 61 - 0.05) / (0.01 - 0.05)))


optional_rate = st.none() | st.floats(0, 1)
window_metrics = st.builds(
    WindowMetrics,
    window=st.sampled_from(list(MetricWindow)),
    sessions_completed=st.integers(0, 300),
    avg_rating=st.none() | st.floats(1, 5),
    first_session_success_rate=optional_rate,
    reschedule_rate=st.floats(0, 1),
    no_show_count=st.integers(0, 30),
    engagement_score=optional_rate,
    response_time_avg_minutes=st.none() | st.floats(0, 5000),
)
# Each directly settable criterion and the field that holds it.
FIELDS = {
    Code.RATING: "avg_rating",
    Code.FIRST_SESSION_SUCCESS: "first_session_success_rate",
    Code.RESCHEDULE_RATE: "reschedule_rate",
    Code.ENGAGEMENT: "engagement_score",
    Code.RESPONSE_TIME: "response_time_avg_minutes",
}


@settings(max_examples=300, deadline=None)
@given(window_metrics)
def test_scores_stay_in_range_and_tiers_follow_the_rules(metrics: WindowMetrics) -> None:
    result = evaluate(metrics, CARD)
    if metrics.sessions_completed < CARD.min_sessions[metrics.window]:
        assert result.overall_score is None and result.improvement_areas == (Code.MIN_SESSIONS,)
        return
    assert result.overall_score is not None and 0 <= result.overall_score <= 100
    rule = next(r for r in CARD.tiers if r.tier is result.performance_tier)
    assert result.overall_score >= rule.min_score
    assert set(result.improvement_areas) <= set(CRITERIA)
    if result.performance_tier is PerformanceTier.EXEMPLARY:
        assert result.improvement_areas == ()


@settings(max_examples=300, deadline=None)
@given(window_metrics)
def test_meeting_a_missed_criterion_adds_exactly_the_points_it_promises(
    metrics: WindowMetrics,
) -> None:
    result = evaluate(metrics, CARD)
    for lift in what_would_lift(metrics, CARD):
        if lift.code not in FIELDS:
            continue
        met = replace(metrics, **{FIELDS[lift.code]: lift.threshold})
        after = evaluate(met, CARD)
        assert result.overall_score is not None and after.overall_score is not None
        assert lift.points is not None and lift.points > 0
        assert after.overall_score == pytest.approx(result.overall_score + lift.points)
        assert lift.code not in after.improvement_areas
        assert after.performance_tier is lift.tier_if_met


@settings(max_examples=300, deadline=None)
@given(window_metrics, st.sampled_from(sorted(FIELDS)), st.floats(0, 1))
def test_a_better_value_never_lowers_the_score(
    metrics: WindowMetrics, code: Code, share: float
) -> None:
    field = FIELDS[code]
    value = getattr(metrics, field)
    rule = CARD.criteria.rule(code)
    if value is None or evaluate(metrics, CARD).criteria[CRITERIA.index(code)].met:
        return
    better = value + (rule.target - value) * share  # towards the target, never past it
    before = evaluate(metrics, CARD).overall_score
    after = evaluate(replace(metrics, **{field: better}), CARD).overall_score
    if before is not None and after is not None:
        assert after >= before - 1e-9
