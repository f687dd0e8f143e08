"""The intervention rules as data: a TOML file validated into `InterventionRules`.

The package ships `lyceum/tutormax/config/interventions.toml`; `load_rules(path)` reads
another file instead (the CLI's `--rules`, or `TUTORMAX_INTERVENTION_RULES` read by the
service). Everything is checked when the file is read, and an error names the rule and the
field, so a typo fails `lyceum tutormax interventions apply` at once rather than silently
matching nobody: unknown keys, unknown intervention types, risk levels and tiers, metric
names that the metrics table does not have, thresholds the wrong way round, placeholders in
a trigger reason that nothing fills, duplicate rule ids, and escalation loops.

A rule matches a tutor when every condition it states holds (conditions left out are not
checked; a rule must state at least one):

- `risk_levels` / `min_risk_score`: the latest churn prediction's level / 0-100 score;
- `factors`: feature keys of the prediction's `contributing_factors` with at least
  `min_contribution` (in the model's units, points of risk score); `factors_required`
  says whether `any` (default) or `all` of them must be present;
- `tiers` / `improvement_areas`: the latest 30-day metrics' performance tier / any of the
  criteria the tutor missed;
- `metrics`: thresholds on the latest 30-day metrics (`min` and `max` inclusive); a metric
  the window could not compute (NULL) fails its threshold: no evidence, no intervention.
"""

from __future__ import annotations

import string
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from lyceum.tutormax.enums import InterventionType, PerformanceTier, RiskLevel
from lyceum.tutormax.rules.holdout import HoldoutPeriod

# The 30-day metrics a rule may test (columns of tutor_performance_metrics).
METRIC_NAMES: tuple[str, ...] = (
    "sessions_completed",
    "avg_rating",
    "first_session_success_rate",
    "reschedule_rate",
    "no_show_count",
    "engagement_score",
    "response_time_avg_minutes",
    "overall_score",
)
MetricName = Literal[
    "sessions_completed",
    "avg_rating",
    "first_session_success_rate",
    "reschedule_rate",
    "no_show_count",
    "engagement_score",
    "response_time_avg_minutes",
    "overall_score",
]
# What a trigger reason may say, filled from the tutor's inputs (matching.reason_values).
REASON_PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "tutor_id",
        "risk_level",
        "risk_score",
        "churn_probability_30d",
        "top_factors",
        "matched_factors",
        "tier",
        "improvement_areas",
        *METRIC_NAMES,
    }
)

Slug = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
]
Words = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
PACKAGED_RULES = "interventions.toml"


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactorCondition(_Closed):
    """A feature key of the prediction's contributing factors, present with at least this
    contribution (a risk-raising factor is positive)."""

    key: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    min_contribution: float = 0.0


class MetricCondition(_Closed):
    metric: MetricName
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> MetricCondition:
        if self.min is None and self.max is None:
            raise ValueError(f"the threshold on {self.metric} needs a min, a max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(
                f"the threshold on {self.metric} has min {self.min} above max {self.max}"
            )
        return self


class Conditions(_Closed):
    risk_levels: frozenset[RiskLevel] | None = None
    min_risk_score: Annotated[int, Field(ge=0, le=100)] | None = None
    factors: tuple[FactorCondition, ...] = ()
    factors_required: Literal["any", "all"] = "any"
    tiers: frozenset[PerformanceTier] | None = None
    improvement_areas: frozenset[Annotated[str, StringConstraints(min_length=1)]] = frozenset()
    metrics: tuple[MetricCondition, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> Conditions:
        if self.risk_levels is not None and not self.risk_levels:
            raise ValueError("risk_levels is empty: list at least one level or leave it out")
        if self.tiers is not None and not self.tiers:
            raise ValueError("tiers is empty: list at least one tier or leave it out")
        if not (
            self.risk_levels
            or self.min_risk_score is not None
            or self.factors
            or self.tiers
            or self.improvement_areas
            or self.metrics
        ):
            raise ValueError("a rule must state at least one condition")
        return self

    @property
    def needs_prediction(self) -> bool:
        return bool(self.risk_levels or self.min_risk_score is not None or self.factors)

    @property
    def needs_metrics(self) -> bool:
        return bool(self.tiers or self.improvement_areas or self.metrics)


class Rule(_Closed):
    id: Slug
    description: str = ""
    intervention_type: InterventionType
    # 1 urgent .. 4 low, as the interventions table has it.
    priority: Annotated[int, Field(ge=1, le=4)]
    owner_queue: Slug
    due_in_working_days: Annotated[int, Field(ge=0, le=60)]
    # In words a coach can act on; {placeholders} are filled from the tutor's inputs.
    trigger_reason: Words
    # False: the rule acts on every matching tutor, held out or not (e.g. recognition).
    holdout: bool = True
    when: Conditions

    @model_validator(mode="after")
    def _known_placeholders(self) -> Rule:
        try:
            fields = {
                name for _, name, _, _ in string.Formatter().parse(self.trigger_reason) if name
            }
        except ValueError as exc:
            raise ValueError(f"trigger_reason is not a valid template: {exc}") from None
        unknown = fields - REASON_PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"trigger_reason uses {', '.join(sorted(unknown))}, which nothing fills; "
                f"use any of: {', '.join(sorted(REASON_PLACEHOLDERS))}"
            )
        return self


class InputSettings(_Closed):
    # A prediction or metrics row older than this (before the day applied) is stale: ignored.
    max_age_days: Annotated[int, Field(ge=0, le=90)] = 7


class HoldoutSettings(_Closed):
    share: Annotated[float, Field(ge=0, le=0.5)] = 0.1
    salt: Annotated[str, StringConstraints(min_length=8, max_length=200)]
    period: HoldoutPeriod = "month"


class EscalationSettings(_Closed):
    # How many times an overdue intervention may be escalated; each time its priority rises
    # one level, it moves to the queue above and gets `extend_working_days` more.
    max_level: Annotated[int, Field(ge=0, le=5)] = 2
    extend_working_days: Annotated[int, Field(ge=1, le=30)] = 2
    # queue -> the queue it escalates to (a queue not listed stays where it is).
    queues: dict[Slug, Slug] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _no_loops(self) -> EscalationSettings:
        for start in self.queues:
            seen = [start]
            queue = start
            while queue in self.queues:
                queue = self.queues[queue]
                if queue in seen:
                    chain = " -> ".join([*seen, queue])
                    raise ValueError(f"escalation queues loop: {chain}")
                seen.append(queue)
        return self


class InterventionRules(_Closed):
    version: Annotated[int, Field(ge=1)]
    default_owner_queue: Slug = "tutor-success"
    holidays: frozenset[date] = frozenset()
    inputs: InputSettings = InputSettings()
    holdout: HoldoutSettings
    escalation: EscalationSettings = EscalationSettings()
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> InterventionRules:
        if not self.rules:
            raise ValueError("the file has no [[rules]]: write at least one")
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"two rules have the id {rule.id!r}")
            seen.add(rule.id)
        return self

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


class RulesFileError(ValueError):
    """The rules file cannot be read or does not validate; the message says where."""


def _describe(error: ValidationError, source: str, raw: dict[str, Any]) -> str:
    problems = []
    for item in error.errors():
        location = list(item["loc"])
        # Name a rule by its id rather than its position: `rules[rule-id].priority`.
        if len(location) >= 2 and location[0] == "rules" and isinstance(location[1], int):
            rules = raw.get("rules")
            index = location[1]
            if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], dict):
                location[1] = f"[{rules[index].get('id', index)}]"
        where = ".".join(str(part) for part in location).replace(".[", "[")
        problems.append(f"{where or 'file'}: {item['msg']}")
    return f"{source} is not a valid rules file: " + "; ".join(problems)


def parse_rules(text: str, source: str = "the rules") -> InterventionRules:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesFileError(f"{source} is not valid TOML: {exc}") from None
    try:
        return InterventionRules.model_validate(raw)
    except ValidationError as exc:
        raise RulesFileError(_describe(exc, source, raw)) from None


def load_rules(path: Path | None = None) -> InterventionRules:
    """The rules in `path`, or the packaged ones."""
    if path is None:
        packaged = resources.files("lyceum.tutormax").joinpath("config", PACKAGED_RULES)
        return parse_rules(packaged.read_text(encoding="utf-8"), f"the packaged {PACKAGED_RULES}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesFileError(f"cannot read the rules file {path}: {exc.strerror}") from None
    return parse_rules(text, str(path))


__all__ = [
    "METRIC_NAMES",
    "REASON_PLACEHOLDERS",
    "Conditions",
    "EscalationSettings",
    "FactorCondition",
    "HoldoutSettings",
    "InputSettings",
    "InterventionRules",
    "MetricCondition",
    "Rule",
    "RulesFileError",
    "load_rules",
    "parse_rules",
]
