"""The intervention rules, pure: the rules file, matching, the day's plan, working days, the
holdout hash and the lifecycle. No database."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lyceum.tutormax.enums import (
    InterventionStatus,
    InterventionType,
    PerformanceTier,
    RiskLevel,
)
from lyceum.tutormax.rules import (
    NEXT_STATUSES,
    Metrics,
    Prediction,
    RuleInputs,
    RulesFileError,
    TransitionRefused,
    add_working_days,
    check_transition,
    escalated_priority,
    holdout_position,
    is_held_out,
    load_rules,
    match_rules,
    parse_factors,
    parse_rules,
    period_key,
    plan_day,
    working_days_between,
)
from lyceum.tutormax.rules.config import METRIC_NAMES, InterventionRules

WHEN = datetime(2026, 10, 1, tzinfo=UTC)
HEADER = """
version = 1
[holdout]
share = 0.0
salt = "test-salt-123"
"""


def rules_from(body: str, header: str = HEADER) -> InterventionRules:
    return parse_rules(header + body, "test rules")


def rule(
    rule_id: str = "r",
    *,
    kind: str = "manager_coaching",
    priority: int = 2,
    when: str = 'risk_levels = ["High"]',
    reason: str = "Risk {risk_score}",
    extra: str = "",
) -> str:
    return f"""
[[rules]]
id = "{rule_id}"
intervention_type = "{kind}"
priority = {priority}
owner_queue = "tutor-success"
due_in_working_days = 3
trigger_reason = "{reason}"
{extra}
[rules.when]
{when}
"""


def prediction(
    level: RiskLevel = RiskLevel.HIGH, score: int = 60, factors: dict[str, Any] | None = None
) -> Prediction:
    return Prediction(level, score, 0.42, parse_factors(factors or {}), WHEN)


def metrics(
    tier: PerformanceTier | None = PerformanceTier.STRONG,
    areas: tuple[str, ...] = (),
    **values: float | None,
) -> Metrics:
    full: dict[str, float | None] = dict.fromkeys(METRIC_NAMES, None)
    full.update(values)
    return Metrics(tier, areas, full, WHEN)


# ---- the rules file --------------------------------------------------------------------


def test_the_packaged_rules_load_and_cover_the_issue_s_inputs() -> None:
    rules = load_rules()
    assert rules.version >= 1 and 0 < rules.holdout.share <= 0.5
    conditions = [r.when for r in rules.rules]
    assert any(c.risk_levels for c in conditions)
    assert any(c.factors for c in conditions)
    assert any(c.metrics for c in conditions)
    assert any(c.tiers for c in conditions)
    assert len({r.id for r in rules.rules}) == len(rules.rules)


def test_a_rules_file_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(HEADER + rule("from-file"), encoding="utf-8")
    assert [r.id for r in load_rules(path).rules] == ["from-file"]
    with pytest.raises(RulesFileError, match="cannot read the rules file"):
        load_rules(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (rule(extra="colour = 'red'"), r"rules\[r\]\.colour: Extra inputs are not permitted"),
        (rule(kind="hug"), r"rules\[r\]\.intervention_type"),
        (rule(priority=5), r"rules\[r\]\.priority"),
        (rule(when='risk_levels = ["Severe"]'), r"rules\[r\]\.when\.risk_levels"),
        (rule(when='tiers = ["Legendary"]'), r"rules\[r\]\.when\.tiers"),
        (rule(when="metrics = [{ metric = 'charm', min = 1 }]"), r"when\.metrics"),
        (rule(when="metrics = [{ metric = 'avg_rating' }]"), "needs a min, a max or both"),
        (
            rule(when="metrics = [{ metric = 'avg_rating', min = 4, max = 3 }]"),
            "min 4.0 above max 3.0",
        ),
        (rule(when=""), "at least one condition"),
        (rule(when="risk_levels = []"), "risk_levels is empty"),
        (rule(reason="Call about {mood}"), "trigger_reason uses mood, which nothing fills"),
        (rule(reason="Broken {"), "not a valid template"),
        (rule("same") + rule("same"), "two rules have the id 'same'"),
        (rule(rule_id="Bad Id"), r"rules\[Bad Id\]\.id"),
    ],
)
def test_a_bad_rules_file_is_refused_saying_where(body: str, message: str) -> None:
    with pytest.raises(RulesFileError, match=message):
        rules_from(body)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(RulesFileError, match=r"holdout\.share"):
        rules_from(rule(), header="version = 1\n[holdout]\nshare = 0.9\nsalt = 'long-enough'\n")
    with pytest.raises(RulesFileError, match=r"holdout\.salt"):
        rules_from(rule(), header="version = 1\n[holdout]\nsalt = 'short'\n")
    loop = HEADER + "[escalation.queues]\na = 'b'\nb = 'c'\nc = 'a'\n"
    with pytest.raises(RulesFileError, match="escalation queues loop: a -> b -> c -> a"):
        rules_from(rule(), header=loop)
    with pytest.raises(RulesFileError, match="not valid TOML"):
        parse_rules("version = ", "x")
    with pytest.raises(RulesFileError, match="has no \\[\\[rules\\]\\]"):
        parse_rules("version = 1\nrules = []\n[holdout]\nsalt = 'long-enough'\n", "x")


# ---- matching --------------------------------------------------------------------------


def test_risk_conditions_need_a_prediction_in_the_levels_and_above_the_score() -> None:
    rules = rules_from(rule(when='risk_levels = ["High", "Critical"]\nmin_risk_score = 65'))
    assert not match_rules(rules, RuleInputs("T", None, metrics()))
    assert not match_rules(rules, RuleInputs("T", prediction(RiskLevel.MEDIUM, 50)))
    assert not match_rules(rules, RuleInputs("T", prediction(RiskLevel.HIGH, 64)))
    [match] = match_rules(rules, RuleInputs("T", prediction(RiskLevel.HIGH, 65)))
    assert match.trigger_reason == "Risk 65" and match.rule.id == "r"


def test_factor_conditions_read_the_key_and_the_minimum_contribution() -> None:
    when = """factors = [{ key = "reschedules", min_contribution = 5 },
                         { key = "logins_down", min_contribution = 2 }]"""
    any_of = rules_from(rule(when=when, reason="{matched_factors}"))
    all_of = rules_from(rule(when=when + '\nfactors_required = "all"'))
    only_small = prediction(factors={"reschedules": 4.9, "logins_down": 1.0})
    one = prediction(factors={"reschedules": {"contribution": 14, "text": "reschedules 2.6x"}})
    both = prediction(factors={"reschedules": 5, "logins_down": 2.5, "other": 30})
    assert not match_rules(any_of, RuleInputs("T", only_small))
    [match] = match_rules(any_of, RuleInputs("T", one))
    assert match.trigger_reason == "reschedules 2.6x"
    assert not match_rules(all_of, RuleInputs("T", one))
    assert match_rules(all_of, RuleInputs("T", both))


def test_contributing_factors_in_any_known_shape() -> None:
    factors = parse_factors(
        {
            "plain": 3,
            "points": {"points": -2.5, "description": "long tenure"},
            "worded": {"contribution": 14.0, "text": "reschedules 2.6x the median"},
            "words_only": "high",
            "flag": True,
            "nan": float("nan"),
            "nothing": None,
        }
    )
    assert set(factors) == {"plain", "points", "worded"}
    assert factors["points"].contribution == -2.5 and factors["points"].text == "long tenure"
    assert factors["plain"].describe() == "plain (+3)"
    assert factors["worded"].describe() == "reschedules 2.6x the median"


def test_metric_conditions_tiers_and_improvement_areas() -> None:
    when = """tiers = ["Needs Attention", "At Risk"]
improvement_areas = ["reliability", "response_time"]
metrics = [{ metric = "reschedule_rate", min = 0.1 }, { metric = "avg_rating", max = 4.0 }]"""
    rules = rules_from(rule(when=when))
    good: dict[str, float | None] = {"reschedule_rate": 0.1, "avg_rating": 4.0}
    matching = metrics(PerformanceTier.AT_RISK, ("reliability",), **good)
    assert match_rules(rules, RuleInputs("T", None, matching))
    for changed in (
        metrics(PerformanceTier.STRONG, ("reliability",), **good),
        metrics(None, ("reliability",), **good),
        metrics(PerformanceTier.AT_RISK, ("ratings",), **good),
        metrics(PerformanceTier.AT_RISK, ("reliability",), **(good | {"reschedule_rate": 0.09})),
        metrics(PerformanceTier.AT_RISK, ("reliability",), **(good | {"avg_rating": 4.01})),
        # Not measured is no evidence: the threshold fails.
        metrics(PerformanceTier.AT_RISK, ("reliability",), **(good | {"avg_rating": None})),
    ):
        assert not match_rules(rules, RuleInputs("T", None, changed)), changed
    assert not match_rules(rules, RuleInputs("T", prediction(), None))


def test_conditions_on_both_inputs_need_both() -> None:
    rules = rules_from(rule(when='risk_levels = ["Low"]\ntiers = ["Exemplary"]'))
    low = prediction(RiskLevel.LOW, 10)
    exemplary = metrics(PerformanceTier.EXEMPLARY)
    assert match_rules(rules, RuleInputs("T", low, exemplary))
    assert not match_rules(rules, RuleInputs("T", low, None))
    assert not match_rules(rules, RuleInputs("T", None, exemplary))


def test_one_match_per_type_the_most_urgent_rule_wins() -> None:
    rules = rules_from(
        rule("mild", priority=3, when='risk_levels = ["High"]', reason="mild")
        + rule("urgent", priority=1, when="min_risk_score = 50", reason="urgent")
        + rule("tie", priority=1, when="min_risk_score = 0", reason="tie")
        + rule("other-type", kind="recognition", priority=4, when="min_risk_score = 0")
    )
    matches = match_rules(rules, RuleInputs("T", prediction(RiskLevel.HIGH, 60)))
    assert [(m.rule.intervention_type, m.rule.id) for m in matches] == [
        (InterventionType.MANAGER_COACHING, "urgent"),
        (InterventionType.RECOGNITION, "other-type"),
    ]


def test_trigger_reasons_are_filled_in_words() -> None:
    reason = (
        "{tutor_id} {risk_level} {risk_score} {churn_probability_30d}: {top_factors} | "
        "{tier} {improvement_areas} {reschedule_rate} {avg_rating} {no_show_count} "
        "{first_session_success_rate} {response_time_avg_minutes}"
    )
    rules = rules_from(rule(when="min_risk_score = 0", reason=reason))
    inputs = RuleInputs(
        "T9",
        prediction(
            RiskLevel.HIGH,
            70,
            {"a": 1, "b": {"contribution": 9, "text": "B words"}, "c": 5, "d": 3, "e": -4},
        ),
        metrics(
            PerformanceTier.DEVELOPING,
            ("response_time", "first_sessions"),
            reschedule_rate=0.125,
            avg_rating=4.256,
            no_show_count=2,
            first_session_success_rate=None,
            response_time_avg_minutes=95.4,
        ),
    )
    [match] = match_rules(rules, inputs)
    assert match.trigger_reason == (
        "T9 High 70 42%: B words; c (+5); d (+3) | Developing response time; first sessions "
        "12% 4.26 2 not measured 95"
    )
    bare = match_rules(
        rules_from(rule(when="min_risk_score = 0", reason="{tier}; {avg_rating}")),
        RuleInputs("T", prediction()),
    )
    assert bare[0].trigger_reason == "not rated; not measured"


# ---- a day's plan ----------------------------------------------------------------------


def test_a_day_s_plan_has_due_days_in_working_days_and_arms() -> None:
    rules = rules_from(
        rule("coach", when='risk_levels = ["High"]')
        + rule(
            "thanks", kind="recognition", when='risk_levels = ["High"]', extra="holdout = false"
        ),
        header="version = 1\nholidays = [2026-10-05]\n[holdout]\nshare = 0.5\nsalt = 'a-salt-ok'\n",
    )
    friday = date(2026, 10, 2)
    tutors = [RuleInputs(f"T{i:03d}", prediction()) for i in range(200)]
    tutors.append(RuleInputs("T-low", prediction(RiskLevel.LOW, 5)))
    plan = plan_day(rules, friday, tutors)
    assert {p.tutor_id for p in plan} == {t.tutor_id for t in tutors[:200]}
    # Friday + 3 working days, Monday the 5th a holiday: Thursday the 8th.
    assert {p.due_day for p in plan} == {date(2026, 10, 8)}
    coach = {p.tutor_id: p.arm for p in plan if p.rule_id == "coach"}
    thanks = {p.tutor_id: p.arm for p in plan if p.rule_id == "thanks"}
    held = {t for t, arm in coach.items() if arm == "holdout"}
    assert 60 < len(held) < 140  # half of 200, give or take
    assert set(thanks.values()) == {"treatment"}  # holdout = false: nobody held out
    assert held == {
        t for t in coach if is_held_out(0.5, "a-salt-ok", t, friday, rules.holdout.period)
    }
    # The same day planned again agrees exactly.
    assert plan_day(rules, friday, tutors) == plan


# ---- working days ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "count", "due"),
    [
        (date(2026, 12, 7), 0, date(2026, 12, 7)),  # Monday
        (date(2026, 12, 7), 4, date(2026, 12, 11)),
        (date(2026, 12, 11), 1, date(2026, 12, 14)),  # Friday -> Monday
        (date(2026, 12, 12), 0, date(2026, 12, 14)),  # Saturday -> Monday
        (date(2026, 12, 12), 2, date(2026, 12, 16)),  # Saturday counts from Monday
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # the 25th is a holiday
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # the 1st is too
    ],
)
def test_due_days_skip_weekends_and_holidays(start: date, count: int, due: date) -> None:
    holidays = {date(2026, 12, 25), date(2027, 1, 1)}
    assert add_working_days(start, count, holidays) == due


def test_working_days_between_counts_what_add_working_days_adds() -> None:
    start = date(2026, 11, 2)
    for count in range(25):
        due = add_working_days(start, count)
        assert working_days_between(start, due) == count
        assert working_days_between(due, start) == -count
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_days(start, -1)


# ---- the holdout -----------------------------------------------------------------------


def test_holdout_positions_are_deterministic_and_uniform() -> None:
    positions = [holdout_position("salt-one", f"T{i:05d}", "2026-10") for i in range(20_000)]
    assert positions == [
        holdout_position("salt-one", f"T{i:05d}", "2026-10") for i in range(20_000)
    ]
    assert all(0 <= p < 1 for p in positions)
    assert abs(statistics.fmean(positions) - 0.5) < 0.01
    # Each tenth of [0, 1) holds a tenth of the tutors: 2,000 within four standard
    # deviations of a binomial count (sqrt(20,000 x 0.1 x 0.9) = 42).
    counts = [sum(1 for p in positions if k / 10 <= p < (k + 1) / 10) for k in range(10)]
    assert all(abs(c - 2000) < 4 * 42.5 for c in counts), counts


def test_the_held_out_share_is_the_configured_share() -> None:
    day = date(2026, 10, 14)
    tutors = [f"T{i:05d}" for i in range(20_000)]
    for share in (0.0, 0.05, 0.1, 0.3):
        held = sum(is_held_out(share, "salt-one", t, day, "month") for t in tutors)
        assert abs(held / len(tutors) - share) < 0.01, (share, held)


def test_the_holdout_holds_for_a_period_then_changes_with_it_and_with_the_salt() -> None:
    tutors = [f"T{i:05d}" for i in range(5000)]

    def held(day: date, salt: str = "salt-one", period: Any = "month") -> set[str]:
        return {t for t in tutors if is_held_out(0.1, salt, t, day, period)}

    october = held(date(2026, 10, 1))
    assert held(date(2026, 10, 31)) == october
    november = held(date(2026, 11, 1))
    # Independent draws: about 10 % of October's are held out again in November.
    assert len(october & november) < 0.2 * len(october)
    assert len(held(date(2026, 10, 1), salt="salt-two") & october) < 0.2 * len(october)
    assert held(date(2026, 10, 5), period="week") == held(date(2026, 10, 11), period="week")
    assert held(date(2026, 10, 5), period="week") != held(date(2026, 10, 12), period="week")


@pytest.mark.parametrize(
    ("day", "period", "key"),
    [
        (date(2026, 12, 5), "month", "2026-12"),
        (date(2026, 12, 5), "quarter", "2026-Q4"),
        (date(2026, 1, 1), "quarter", "2026-Q1"),
        (date(2026, 12, 5), "week", "2026-W49"),
        (date(2027, 1, 1), "week", "2026-W53"),  # ISO weeks cross the year
    ],
)
def test_period_keys(day: date, period: Any, key: str) -> None:
    assert period_key(day, period) == key


# ---- the lifecycle ---------------------------------------------------------------------

ALLOWED = {
    (InterventionStatus.PENDING, InterventionStatus.IN_PROGRESS),
    (InterventionStatus.PENDING, InterventionStatus.CANCELLED),
    (InterventionStatus.IN_PROGRESS, InterventionStatus.COMPLETED),
    (InterventionStatus.IN_PROGRESS, InterventionStatus.CANCELLED),
}


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(InterventionStatus, InterventionStatus))
)
def test_exactly_the_four_documented_moves_are_allowed(
    current: InterventionStatus, target: InterventionStatus
) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
        return
    with pytest.raises(TransitionRefused) as refused:
        check_transition(current, target)
    assert refused.value.status_code == 409
    assert refused.value.message.startswith(
        f"an intervention cannot go from {current.value} to {target.value}: "
    )
    assert refused.value.details == {"from": current.value, "to": target.value}


def test_refusals_say_what_to_do_instead() -> None:
    def message(current: InterventionStatus, target: InterventionStatus) -> str:
        with pytest.raises(TransitionRefused) as refused:
            check_transition(current, target)
        return refused.value.message

    assert "completed is final; open a new intervention instead" in message(
        InterventionStatus.COMPLETED, InterventionStatus.IN_PROGRESS
    )
    assert "start it first" in message(InterventionStatus.PENDING, InterventionStatus.COMPLETED)
    assert "already in_progress" in message(
        InterventionStatus.IN_PROGRESS, InterventionStatus.IN_PROGRESS
    )
    assert "can only go to cancelled or completed" in message(
        InterventionStatus.IN_PROGRESS, InterventionStatus.PENDING
    )
    assert {s for s, nexts in NEXT_STATUSES.items() if not nexts} == {
        InterventionStatus.COMPLETED,
        InterventionStatus.CANCELLED,
    }


def test_escalated_priority_stops_at_urgent() -> None:
    assert [escalated_priority(p) for p in (4, 3, 2, 1)] == [3, 2, 1, 1]
    assert escalated_priority(4, steps=2) == 2


def test_a_fortnight_of_due_days_never_lands_on_a_weekend() -> None:
    for offset in range(14):
        day = date(2026, 11, 2) + timedelta(days=offset)
        for count in range(6):
            assert add_working_days(day, count).weekday() < 5


def test_factors_as_the_churn_model_writes_them_are_read_with_their_words() -> None:
    factors = parse_factors(
        {
            "tutor_reschedule_rate_30d": {
                "points": 14.2,
                "value": 0.12,
                "median": 0.046,
                "reason": "tutor-initiated reschedules over 30 days: 12 %, 2.6x the median:"
                " +14 points",
            }
        }
    )
    factor = factors["tutor_reschedule_rate_30d"]
    assert factor.contribution == 14.2
    assert factor.text is not None and factor.text.startswith("tutor-initiated reschedules")
