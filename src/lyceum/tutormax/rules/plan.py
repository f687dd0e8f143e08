"""A day's plan: every rule match, split into the treated and the held-out arm, with its
due day. Pure; `service.interventions.apply_rules` writes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from lyceum.tutormax.enums import InterventionType
from lyceum.tutormax.rules.calendar import add_working_days
from lyceum.tutormax.rules.config import InterventionRules
from lyceum.tutormax.rules.holdout import is_held_out
from lyceum.tutormax.rules.matching import RuleInputs, match_rules

Arm = Literal["treatment", "holdout"]
ARMS: tuple[Arm, ...] = ("treatment", "holdout")


@dataclass(frozen=True, slots=True)
class PlannedMatch:
    tutor_id: str
    intervention_type: InterventionType
    rule_id: str
    arm: Arm
    trigger_reason: str
    priority: int
    owner_queue: str
    due_day: date


def plan_day(
    rules: InterventionRules, day: date, every: Iterable[RuleInputs]
) -> list[PlannedMatch]:
    """What the rules decide for `day`: one entry per (tutor, intervention type) matched."""
    holdout = rules.holdout
    plan = []
    for inputs in every:
        matches = match_rules(rules, inputs)
        if not matches:
            continue
        held_out = is_held_out(holdout.share, holdout.salt, inputs.tutor_id, day, holdout.period)
        for match in matches:
            rule = match.rule
            plan.append(
                PlannedMatch(
                    tutor_id=inputs.tutor_id,
                    intervention_type=rule.intervention_type,
                    rule_id=rule.id,
                    arm="holdout" if held_out and rule.holdout else "treatment",
                    trigger_reason=match.trigger_reason,
                    priority=rule.priority,
                    owner_queue=rule.owner_queue,
                    due_day=add_working_days(day, rule.due_in_working_days, rules.holidays),
                )
            )
    return plan


__all__ = ["ARMS", "Arm", "PlannedMatch", "plan_day"]
