"""TutorMax's intervention rules, pure: no database, web or cache code.

- `config`: the rules file (TOML) validated into `InterventionRules`;
- `matching`: one tutor's inputs (latest churn prediction, 30-day metrics) against the rules;
- `plan`: a day's matches split into treated and held-out tutors, with due days;
- `holdout`: the deterministic hash that picks the held-out share;
- `calendar`: working-day arithmetic for due dates;
- `lifecycle`: which status may follow which, and escalated priorities.
"""

from lyceum.tutormax.rules.calendar import add_working_days, is_working_day, working_days_between
from lyceum.tutormax.rules.config import (
    InterventionRules,
    Rule,
    RulesFileError,
    load_rules,
    parse_rules,
)
from lyceum.tutormax.rules.holdout import holdout_position, is_held_out, period_key
from lyceum.tutormax.rules.lifecycle import (
    NEXT_STATUSES,
    OPEN_STATUSES,
    TransitionRefused,
    check_transition,
    escalated_priority,
)
from lyceum.tutormax.rules.matching import (
    Factor,
    Metrics,
    Prediction,
    RuleInputs,
    RuleMatch,
    match_rules,
    parse_factors,
)
from lyceum.tutormax.rules.plan import Arm, PlannedMatch, plan_day

__all__ = [
    "NEXT_STATUSES",
    "OPEN_STATUSES",
    "Arm",
    "Factor",
    "InterventionRules",
    "Metrics",
    "PlannedMatch",
    "Prediction",
    "Rule",
    "RuleInputs",
    "RuleMatch",
    "RulesFileError",
    "TransitionRefused",
    "add_working_days",
    "check_transition",
    "escalated_priority",
    "holdout_position",
    "is_held_out",
    "is_working_day",
    "load_rules",
    "match_rules",
    "parse_factors",
    "parse_rules",
    "period_key",
    "plan_day",
    "working_days_between",
]
