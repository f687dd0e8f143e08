"""The scorecard's configuration: a TOML file validated by Pydantic models that refuse unknown
keys, so a misspelt threshold is an error rather than a silent default.

The package ships `scorecard.toml`; `load_scorecard(path)` reads another file in its place (the
service passes `TUTORMAX_SCORECARD_FILE` when it is set).
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lyceum.core.errors import ConfigurationError
from lyceum.tutormax.enums import MetricWindow, PerformanceTier

DEFAULT_SCORECARD_FILE = Path(__file__).with_name("scorecard.toml")

# Days each metric window looks back over.
WINDOW_DAYS: dict[MetricWindow, int] = {
    MetricWindow.SEVEN_DAY: 7,
    MetricWindow.THIRTY_DAY: 30,
    MetricWindow.NINETY_DAY: 90,
}


class Code(StrEnum):
    """Improvement-area codes, stored in `tutor_performance_metrics.improvement_areas`. They
    are stable identifiers (pages translate them into words); renaming one is a data change."""

    MIN_SESSIONS = "min_sessions"
    RATING = "rating"
    FIRST_SESSION_SUCCESS = "first_session_success"
    NO_SHOW_RATE = "no_show_rate"
    RESCHEDULE_RATE = "reschedule_rate"
    ENGAGEMENT = "engagement"
    RESPONSE_TIME = "response_time"


# The criteria in scoring order (also the order of `improvement_areas`), with the direction
# that is better and the range their metric lives in.
CRITERIA: tuple[Code, ...] = (
    Code.RATING,
    Code.FIRST_SESSION_SUCCESS,
    Code.NO_SHOW_RATE,
    Code.RESCHEDULE_RATE,
    Code.ENGAGEMENT,
    Code.RESPONSE_TIME,
)
HIGHER_IS_BETTER = frozenset({Code.RATING, Code.FIRST_SESSION_SUCCESS, Code.ENGAGEMENT})
_RANGES: dict[Code, tuple[float, float]] = {
    Code.RATING: (1.0, 5.0),
    Code.FIRST_SESSION_SUCCESS: (0.0, 1.0),
    Code.NO_SHOW_RATE: (0.0, 1.0),
    Code.RESCHEDULE_RATE: (0.0, 1.0),
    Code.ENGAGEMENT: (0.0, 1.0),
    Code.RESPONSE_TIME: (0.0, 7 * 24 * 60.0),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Strict):
    """Full `weight` at `target` or better, none at `floor` or worse, linear between."""

    weight: Annotated[float, Field(gt=0, le=100)]
    target: float
    floor: float


class Criteria(_Strict):
    rating: Criterion
    first_session_success: Criterion
    no_show_rate: Criterion
    reschedule_rate: Criterion
    engagement: Criterion
    response_time: Criterion

    @model_validator(mode="after")
    def _directions_and_ranges(self) -> Self:
        for code in CRITERIA:
            rule: Criterion = getattr(self, code.value)
            low, high = _RANGES[code]
            for name in ("target", "floor"):
                value = getattr(rule, name)
                if not low <= value <= high:
                    raise ValueError(f"{code}.{name} must be between {low:g} and {high:g}")
            better_is_higher = code in HIGHER_IS_BETTER
            if better_is_higher and not rule.target > rule.floor:
                raise ValueError(f"{code}: higher is better, so target must be above floor")
            if not better_is_higher and not rule.target < rule.floor:
                raise ValueError(f"{code}: lower is better, so target must be below floor")
        return self

    def rule(self, code: Code) -> Criterion:
        rule: Criterion = getattr(self, code.value)
        return rule

    @property
    def total_weight(self) -> float:
        return sum(self.rule(code).weight for code in CRITERIA)


class FirstSession(_Strict):
    judge_after_days: Annotated[int, Field(ge=1, le=60)]


PerWindow = dict[MetricWindow, Annotated[int, Field(ge=0, le=10_000)]]


def _all_windows(value: PerWindow, what: str) -> None:
    missing = [w.value for w in MetricWindow if w not in value]
    if missing:
        raise ValueError(f"{what} needs a value for every window; missing {', '.join(missing)}")


class TierRule(_Strict):
    """A tier and what it takes: a score of at least `min_score`, at most `max_missed` criteria
    below target, and at least `min_sessions` completed sessions in the window."""

    tier: PerformanceTier
    min_score: Annotated[float, Field(ge=0, le=100)]
    max_missed: Annotated[int, Field(ge=0)] | None = None
    min_sessions: PerWindow | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.min_sessions is not None:
            _all_windows(self.min_sessions, f"tier {self.tier.value!r} min_sessions")
        return self

    @property
    def is_catch_all(self) -> bool:
        return self.min_score == 0 and self.max_missed is None and self.min_sessions is None


class Scorecard(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    min_sessions: PerWindow
    first_session: FirstSession
    criteria: Criteria
    tiers: list[TierRule]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _all_windows(self.min_sessions, "min_sessions")
        if any(self.min_sessions[w] < 1 for w in MetricWindow):
            raise ValueError("min_sessions must be at least 1 in every window")
        names = [rule.tier for rule in self.tiers]
        if sorted(names) != sorted(PerformanceTier):
            raise ValueError(
                "tiers must list each performance tier once: "
                + ", ".join(tier.value for tier in PerformanceTier)
            )
        scores = [rule.min_score for rule in self.tiers]
        if scores != sorted(scores, reverse=True):
            raise ValueError("tiers must be ordered from the highest min_score to the lowest")
        if not self.tiers[-1].is_catch_all:
            raise ValueError(
                "the last tier must take every scored tutor: min_score 0, no other condition"
            )
        return self


def parse_scorecard(text: str, source: str = "scorecard") -> Scorecard:
    """Validate a scorecard from TOML text; ConfigurationError says what is wrong and where."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{source} is not valid TOML: {exc}") from None
    try:
        return Scorecard.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"{source} is not a valid scorecard: {problems}") from None


def load_scorecard(path: Path | None = None) -> Scorecard:
    """The scorecard in `path`, or the one shipped with the package."""
    file = DEFAULT_SCORECARD_FILE if path is None else path
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the scorecard file {file}: {exc.strerror}") from None
    return parse_scorecard(text, source=str(file))


__all__ = [
    "CRITERIA",
    "DEFAULT_SCORECARD_FILE",
    "HIGHER_IS_BETTER",
    "WINDOW_DAYS",
    "Code",
    "Criteria",
    "Criterion",
    "FirstSession",
    "Scorecard",
    "TierRule",
    "load_scorecard",
    "parse_scorecard",
]
