"""Matching rules against one tutor's inputs: the latest churn prediction and 30-day metrics.

Pure: the repository reads every tutor's inputs in one query, and these functions decide.
A tutor gets at most one match per intervention type: when several rules for a type match,
the most urgent (lowest priority number) wins, ties going to the rule listed first, because
the interventions table holds one open intervention per tutor and type.

`contributing_factors` is the churn model's JSONB object, feature key -> contribution. A
contribution is read as a number, or from an object's `contribution` (or `points`) with an
optional `text` (or `description`) in plain words; anything else under a key is ignored, so
a factor the model writes in a shape this code does not know matches no rule rather than
failing the day's run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lyceum.tutormax.enums import PerformanceTier, RiskLevel
from lyceum.tutormax.rules.config import METRIC_NAMES, Conditions, InterventionRules, Rule

TOP_FACTORS = 3


@dataclass(frozen=True, slots=True)
class Factor:
    key: str
    contribution: float
    # The model's own words for it, when it wrote any.
    text: str | None = None

    def describe(self) -> str:
        words = self.text or self.key.replace("_", " ")
        if self.text is not None:
            return words
        return f"{words} ({self.contribution:+.3g})"


@dataclass(frozen=True, slots=True)
class Prediction:
    risk_level: RiskLevel
    risk_score: int
    churn_probability_30d: float
    factors: Mapping[str, Factor]
    prediction_date: datetime


@dataclass(frozen=True, slots=True)
class Metrics:
    performance_tier: PerformanceTier | None
    improvement_areas: tuple[str, ...]
    # Every name in config.METRIC_NAMES; None where the window had nothing to compute.
    values: Mapping[str, float | None]
    calculation_date: datetime


@dataclass(frozen=True, slots=True)
class RuleInputs:
    tutor_id: str
    prediction: Prediction | None = None
    metrics: Metrics | None = None


@dataclass(frozen=True, slots=True)
class RuleMatch:
    tutor_id: str
    rule: Rule
    trigger_reason: str
    matched_factors: tuple[Factor, ...] = field(default=())


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def parse_factors(raw: Mapping[str, Any] | None) -> dict[str, Factor]:
    """The usable factors of a `contributing_factors` object (see the module docstring)."""
    factors: dict[str, Factor] = {}
    for key, value in (raw or {}).items():
        text: str | None = None
        if isinstance(value, Mapping):
            contribution = _number(value.get("contribution", value.get("points")))
            # The churn model writes {"points", "reason", …}; other writers may use the others.
            words = value.get("reason", value.get("text", value.get("description")))
            text = words if isinstance(words, str) and words.strip() else None
        else:
            contribution = _number(value)
        if contribution is not None:
            factors[str(key)] = Factor(str(key), contribution, text)
    return factors


def _factors_hold(conditions: Conditions, prediction: Prediction) -> tuple[bool, list[Factor]]:
    found = []
    for wanted in conditions.factors:
        factor = prediction.factors.get(wanted.key)
        if factor is not None and factor.contribution >= wanted.min_contribution:
            found.append(factor)
    if conditions.factors_required == "all":
        return len(found) == len(conditions.factors), found
    return bool(found), found


def _metrics_hold(conditions: Conditions, metrics: Metrics) -> bool:
    if conditions.tiers is not None and metrics.performance_tier not in conditions.tiers:
        return False
    if conditions.improvement_areas and conditions.improvement_areas.isdisjoint(
        metrics.improvement_areas
    ):
        return False
    for threshold in conditions.metrics:
        value = metrics.values.get(threshold.metric)
        if value is None:
            return False
        if threshold.min is not None and value < threshold.min:
            return False
        if threshold.max is not None and value > threshold.max:
            return False
    return True


def evaluate(rule: Rule, inputs: RuleInputs) -> tuple[bool, tuple[Factor, ...]]:
    """Whether `rule` matches, and the factors that made its factor condition hold."""
    conditions = rule.when
    matched: list[Factor] = []
    if conditions.needs_prediction:
        prediction = inputs.prediction
        if prediction is None:
            return False, ()
        if conditions.risk_levels is not None and prediction.risk_level not in (
            conditions.risk_levels
        ):
            return False, ()
        if conditions.min_risk_score is not None and (
            prediction.risk_score < conditions.min_risk_score
        ):
            return False, ()
        if conditions.factors:
            holds, matched = _factors_hold(conditions, prediction)
            if not holds:
                return False, ()
    if conditions.needs_metrics and (
        inputs.metrics is None or not _metrics_hold(conditions, inputs.metrics)
    ):
        return False, ()
    return True, tuple(matched)


def _format_metric(name: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    if name in ("reschedule_rate", "first_session_success_rate"):
        return f"{value:.0%}"
    if name in ("sessions_completed", "no_show_count"):
        return f"{value:.0f}"
    if name == "avg_rating":
        return f"{value:.2f}"
    if name == "engagement_score":
        return f"{value:.2f}"
    return f"{value:.0f}"


def _listing(items: Sequence[str], empty: str) -> str:
    return "; ".join(items) if items else empty


def reason_values(inputs: RuleInputs, matched: Sequence[Factor] = ()) -> dict[str, str]:
    """Every placeholder a trigger reason may use, as the words it becomes."""
    prediction, metrics = inputs.prediction, inputs.metrics
    values = {
        "tutor_id": inputs.tutor_id,
        "risk_level": "unknown",
        "risk_score": "unknown",
        "churn_probability_30d": "unknown",
        "top_factors": "no factors recorded",
        "matched_factors": _listing([f.describe() for f in matched], "none"),
        "tier": "not rated",
        "improvement_areas": "none recorded",
    }
    if prediction is not None:
        rising = sorted(
            (f for f in prediction.factors.values() if f.contribution > 0),
            key=lambda f: (-f.contribution, f.key),
        )[:TOP_FACTORS]
        values |= {
            "risk_level": prediction.risk_level.value,
            "risk_score": str(prediction.risk_score),
            "churn_probability_30d": f"{prediction.churn_probability_30d:.0%}",
            "top_factors": _listing([f.describe() for f in rising], "no factors recorded"),
        }
    metric_values = metrics.values if metrics is not None else {}
    for name in METRIC_NAMES:
        values[name] = _format_metric(name, metric_values.get(name))
    if metrics is not None:
        if metrics.performance_tier is not None:
            values["tier"] = metrics.performance_tier.value
        values["improvement_areas"] = _listing(
            [area.replace("_", " ") for area in metrics.improvement_areas], "none recorded"
        )
    return values


def match_rules(rules: InterventionRules, inputs: RuleInputs) -> list[RuleMatch]:
    """The tutor's matches: at most one per intervention type (the most urgent rule)."""
    best: dict[str, tuple[int, int, Rule, tuple[Factor, ...]]] = {}
    for position, rule in enumerate(rules.rules):
        holds, matched = evaluate(rule, inputs)
        if not holds:
            continue
        rank = (rule.priority, position)
        current = best.get(rule.intervention_type)
        if current is None or rank < current[:2]:
            best[rule.intervention_type] = (*rank, rule, matched)
    matches = []
    for _, _, rule, matched in sorted(best.values(), key=lambda item: item[:2]):
        reason = rule.trigger_reason.format_map(reason_values(inputs, matched))
        matches.append(RuleMatch(inputs.tutor_id, rule, reason, matched))
    return matches


def match_all(rules: InterventionRules, every: Iterable[RuleInputs]) -> list[RuleMatch]:
    return [match for inputs in every for match in match_rules(rules, inputs)]


__all__ = [
    "Factor",
    "Metrics",
    "Prediction",
    "RuleInputs",
    "RuleMatch",
    "evaluate",
    "match_all",
    "match_rules",
    "parse_factors",
    "reason_values",
]
