"""The scorecard applied to one window of one tutor's metrics: score, tier, improvement areas,
and what meeting each missed criterion would add.

This is the reference the evaluation engine's SQL (`repository/metrics.py`) is tested against,
row by row, so the two must do the same arithmetic in the same order:

    credit(c) = clamp((value - floor) / (target - floor), 0, 1)        per criterion c
    met(c)    = value >= target (higher is better) or value <= target (lower is better)
    score     = 100 * sum(weight * credit) / sum(weight)    over criteria whose value exists

A criterion's value is its window metric, except the no-show rate, which is derived from the
stored row: tutor no-shows / (completed sessions + tutor no-shows), the share of the sessions
that were due to take place and that the tutor missed. A window with fewer completed sessions
than `min_sessions` is not scored: no score, no tier, one improvement area (`min_sessions`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lyceum.tutormax.enums import MetricWindow, PerformanceTier
from lyceum.tutormax.scorecard.config import CRITERIA, HIGHER_IS_BETTER, Code, Scorecard


@dataclass(frozen=True, slots=True)
class WindowMetrics:
    """One row of `tutor_performance_metrics`, the columns the scorecard reads."""

    window: MetricWindow
    sessions_completed: int
    avg_rating: float | None
    first_session_success_rate: float | None
    reschedule_rate: float
    no_show_count: int
    engagement_score: float | None
    response_time_avg_minutes: float | None


@dataclass(frozen=True, slots=True)
class CriterionResult:
    code: Code
    value: float | None  # None: nothing to judge in the window; the criterion is left out
    target: float
    floor: float
    weight: float
    credit: float | None  # 0..1 of the weight
    met: bool | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    overall_score: float | None
    performance_tier: PerformanceTier | None
    improvement_areas: tuple[Code, ...]
    criteria: tuple[CriterionResult, ...]


@dataclass(frozen=True, slots=True)
class Lift:
    """A missed criterion and what meeting it would do: its threshold, the tutor's value, the
    score points it would add, and the tier the tutor would then be in. For `min_sessions`,
    `points` and `tier_if_met` are None: meeting it makes the window scored at all."""

    code: Code
    threshold: float
    value: float | None
    points: float | None
    tier_if_met: PerformanceTier | None


def no_show_rate(metrics: WindowMetrics) -> float | None:
    due = metrics.sessions_completed + metrics.no_show_count
    return metrics.no_show_count / due if due > 0 else None


def criterion_value(metrics: WindowMetrics, code: Code) -> float | None:
    if code is Code.RATING:
        return metrics.avg_rating
    if code is Code.FIRST_SESSION_SUCCESS:
        return metrics.first_session_success_rate
    if code is Code.NO_SHOW_RATE:
        return no_show_rate(metrics)
    if code is Code.RESCHEDULE_RATE:
        return metrics.reschedule_rate
    if code is Code.ENGAGEMENT:
        return metrics.engagement_score
    if code is Code.RESPONSE_TIME:
        return metrics.response_time_avg_minutes
    raise ValueError(f"{code} is not a scored criterion")


def _judge(code: Code, value: float | None, scorecard: Scorecard) -> CriterionResult:
    rule = scorecard.criteria.rule(code)
    if value is None:
        return CriterionResult(code, None, rule.target, rule.floor, rule.weight, None, None)
    credit = min(max((value - rule.floor) / (rule.target - rule.floor), 0.0), 1.0)
    met = value >= rule.target if code in HIGHER_IS_BETTER else value <= rule.target
    return CriterionResult(code, value, rule.target, rule.floor, rule.weight, credit, met)


def _score(results: tuple[CriterionResult, ...]) -> float:
    earned = 0.0
    possible = 0.0
    for result in results:
        if result.credit is not None:
            earned += result.weight * result.credit
            possible += result.weight
    # At least the reschedule and no-show rates exist in a scored window, so possible > 0.
    return 100.0 * earned / possible


def tier_for(
    score: float, missed: int, metrics: WindowMetrics, scorecard: Scorecard
) -> PerformanceTier:
    for rule in scorecard.tiers:
        if score < rule.min_score:
            continue
        if rule.max_missed is not None and missed > rule.max_missed:
            continue
        if (
            rule.min_sessions is not None
            and metrics.sessions_completed < rule.min_sessions[metrics.window]
        ):
            continue
        return rule.tier
    raise AssertionError("the scorecard's last tier takes every score")  # validated on load


def is_scored(metrics: WindowMetrics, scorecard: Scorecard) -> bool:
    return metrics.sessions_completed >= scorecard.min_sessions[metrics.window]


def evaluate(metrics: WindowMetrics, scorecard: Scorecard) -> Evaluation:
    """The window's score, tier and improvement areas under `scorecard`."""
    results = tuple(_judge(code, criterion_value(metrics, code), scorecard) for code in CRITERIA)
    if not is_scored(metrics, scorecard):
        return Evaluation(None, None, (Code.MIN_SESSIONS,), results)
    missed = tuple(result.code for result in results if result.met is False)
    score = _score(results)
    return Evaluation(score, tier_for(score, len(missed), metrics, scorecard), missed, results)


def what_would_lift(metrics: WindowMetrics, scorecard: Scorecard) -> list[Lift]:
    """Each missed criterion with its threshold and the score points meeting it would add
    (the others unchanged), largest first; `min_sessions` alone when the window is unscored."""
    evaluation = evaluate(metrics, scorecard)
    if evaluation.overall_score is None:
        needed = float(scorecard.min_sessions[metrics.window])
        return [Lift(Code.MIN_SESSIONS, needed, float(metrics.sessions_completed), None, None)]
    lifts = []
    for result in evaluation.criteria:
        if result.credit is None or result.met is not False:
            continue
        # Scored as `evaluate` scores (the same sum in the same order), not the score plus
        # the points: a float sum that lands a hair under a tier's boundary would name the
        # wrong tier.
        met = replace(result, credit=1.0, met=True)
        lifted = _score(tuple(met if other is result else other for other in evaluation.criteria))
        points = lifted - evaluation.overall_score
        missed_after = len(evaluation.improvement_areas) - 1
        tier = tier_for(lifted, missed_after, metrics, scorecard)
        lifts.append(Lift(result.code, result.target, result.value, points, tier))
    return sorted(lifts, key=lambda lift: (-(lift.points or 0.0), CRITERIA.index(lift.code)))


__all__ = [
    "CriterionResult",
    "Evaluation",
    "Lift",
    "WindowMetrics",
    "criterion_value",
    "evaluate",
    "is_scored",
    "no_show_rate",
    "tier_for",
    "what_would_lift",
]
