"""TutorMax's performance scorecard, pure: its configuration (`config`: a TOML file shipped with
the package, validated by Pydantic) and the reference evaluation (`evaluate`: score, tier,
improvement areas, what would lift a tutor's score). No database, web or cache imports; the
evaluation engine's SQL (`repository/metrics.py`) is tested against `evaluate` row by row."""

from lyceum.tutormax.scorecard.config import (
    CRITERIA,
    DEFAULT_SCORECARD_FILE,
    HIGHER_IS_BETTER,
    WINDOW_DAYS,
    Code,
    Criterion,
    Scorecard,
    TierRule,
    load_scorecard,
    parse_scorecard,
)
from lyceum.tutormax.scorecard.evaluate import (
    CriterionResult,
    Evaluation,
    Lift,
    WindowMetrics,
    criterion_value,
    evaluate,
    is_scored,
    no_show_rate,
    tier_for,
    what_would_lift,
)

__all__ = [
    "CRITERIA",
    "DEFAULT_SCORECARD_FILE",
    "HIGHER_IS_BETTER",
    "WINDOW_DAYS",
    "Code",
    "Criterion",
    "CriterionResult",
    "Evaluation",
    "Lift",
    "Scorecard",
    "TierRule",
    "WindowMetrics",
    "criterion_value",
    "evaluate",
    "is_scored",
    "load_scorecard",
    "no_show_rate",
    "parse_scorecard",
    "tier_for",
    "what_would_lift",
]
