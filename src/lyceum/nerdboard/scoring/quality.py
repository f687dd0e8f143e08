"""The pure half of Nerdboard's data-quality checks: their types, scoring and wording.

No database here (the SQL is `repository.quality`, the runner `service.quality`). The rule,
per check:

- share = affected / checked, clipped to [0, 1]; affected records with nothing checked count as
  a share of 1 (the check found problems but has no population to dilute them).
- score = 5 * (1 - share / zero_share), clipped to [0, 5]: 5 means nothing affected and the
  score reaches 0 when `zero_share` of the checked records are affected. Any affected record
  keeps the score strictly below 5, so "5" always means "clean".
- status comes from the score alone: below `fail_below` → failed, else below `warn_below` →
  warning, else passed; then capped at `ceiling` (an informational check never reports
  "failed"). With `warn_below = 5` a single affected record is a warning; with
  `fail_below = 5` it is a failure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

MAX_SCORE = 5.0
MAX_SAMPLES = 5
ParamValue = int | float | timedelta
# The largest score an affected check can have: just below a clean check's 5.
_BEST_AFFECTED_SCORE = math.nextafter(MAX_SCORE, 0.0)


class QualityStatus(StrEnum):
    """The seed's three outcomes (the data_quality_log.status CHECK constraint)."""

    PASSED = "passed"
    WARNING = "warning"
    FAILED = "failed"


_SEVERITY = {QualityStatus.PASSED: 0, QualityStatus.WARNING: 1, QualityStatus.FAILED: 2}


def severity(status: QualityStatus) -> int:
    """0 for passed, 1 for warning, 2 for failed: larger is worse."""
    return _SEVERITY[status]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How one check turns its counts into a score and a status (see the module docstring)."""

    zero_share: float
    warn_below: float = MAX_SCORE
    fail_below: float = 2.5
    ceiling: QualityStatus = QualityStatus.FAILED

    def __post_init__(self) -> None:
        if not 0.0 < self.zero_share <= 1.0:
            raise ValueError(f"zero_share must be in (0, 1], got {self.zero_share}")
        if not 0.0 <= self.fail_below <= self.warn_below <= MAX_SCORE:
            raise ValueError(
                "need 0 <= fail_below <= warn_below <= 5, got "
                f"fail_below={self.fail_below}, warn_below={self.warn_below}"
            )


@dataclass(frozen=True, slots=True)
class Score:
    status: QualityStatus
    quality_score: float
    affected_share: float


class CheckCategory(StrEnum):
    REFERENTIAL_INTEGRITY = "referential_integrity"
    RANGE = "range"
    FRESHNESS = "freshness"
    DUPLICATES = "duplicates"
    COMPLETENESS = "completeness"
    CONSISTENCY = "consistency"


@dataclass(frozen=True, slots=True)
class QualityCheck:
    """One check. `message` is formatted with `affected`, `checked` and the params."""

    name: str
    category: CheckCategory
    description: str
    sql: str
    message: str
    thresholds: Thresholds
    params: Mapping[str, ParamValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QualityResult:
    """The outcome of one check over one window, as `run_quality_checks` returns it."""

    check_name: str
    category: CheckCategory
    status: QualityStatus
    quality_score: float
    affected_count: int
    checked_count: int
    samples: tuple[str, ...]
    error_details: str
    checked_at: datetime
    window_start: datetime
    window_end: datetime
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class QualityLogEntry:
    """One row of `nerdboard.data_quality_log`."""

    check_name: str
    status: QualityStatus
    quality_score: float
    affected_records_count: int
    error_details: str | None
    checked_at: datetime


def affected_share(affected: int, checked: int) -> float:
    if affected < 0 or checked < 0:
        raise ValueError(f"counts must be non-negative, got affected={affected}, checked={checked}")
    if affected == 0:
        return 0.0
    if checked == 0:
        return 1.0
    return min(affected / checked, 1.0)


def score_for_share(share: float, affected: int, thresholds: Thresholds) -> float:
    if affected == 0:
        return MAX_SCORE
    raw = MAX_SCORE * (1.0 - share / thresholds.zero_share)
    return min(max(raw, 0.0), _BEST_AFFECTED_SCORE)


def status_for_score(quality_score: float, thresholds: Thresholds) -> QualityStatus:
    if quality_score < thresholds.fail_below:
        status = QualityStatus.FAILED
    elif quality_score < thresholds.warn_below:
        status = QualityStatus.WARNING
    else:
        status = QualityStatus.PASSED
    if severity(status) > severity(thresholds.ceiling):
        return thresholds.ceiling
    return status


def score_check(affected: int, checked: int, thresholds: Thresholds) -> Score:
    """The score and status of one check run that found `affected` of `checked` records bad."""
    share = affected_share(affected, checked)
    quality_score = score_for_share(share, affected, thresholds)
    return Score(
        status=status_for_score(quality_score, thresholds),
        quality_score=quality_score,
        affected_share=share,
    )


def overall_score(scores: Iterable[float]) -> float | None:
    """Mean of the checks' latest scores; None when no check has run."""
    values = list(scores)
    if not values:
        return None
    return math.fsum(values) / len(values)


def worst_status(statuses: Iterable[QualityStatus]) -> QualityStatus:
    """The most severe status among `statuses` (passed when there are none)."""
    return max(statuses, key=severity, default=QualityStatus.PASSED)


# Threshold policies shared by the checks in `repository.quality`.
# A defect the schema should make impossible fails at once; the score shows its extent.
STRICT = Thresholds(zero_share=0.01, warn_below=5.0, fail_below=5.0)
# Implausible values or duplicates: any is a warning, 2.5 % of the records a failure.
TOLERANT = Thresholds(zero_share=0.05, warn_below=5.0, fail_below=2.5)
# One record checked (a whole feed is stale) or a share of the subjects.
FRESHNESS = Thresholds(zero_share=1.0, warn_below=5.0, fail_below=2.5)
# Worth seeing, never a failure: demand the marketplace could not serve, idle tutors.
INFORMATIONAL = Thresholds(
    zero_share=0.5, warn_below=5.0, fail_below=0.0, ceiling=QualityStatus.WARNING
)
SPARSE_SNAPSHOTS = Thresholds(zero_share=0.1, warn_below=5.0, fail_below=2.5)
# Some students never engage: a warning from 10 % without engagement, failed from 40 %.
MISSING_ENGAGEMENT = Thresholds(zero_share=0.5, warn_below=4.0, fail_below=1.0)


def human_param(value: ParamValue) -> str:
    """A check parameter as it reads in a sentence: "1 day", "36 h", "240"."""
    if isinstance(value, timedelta):
        if value % timedelta(days=1) == timedelta(0):
            return "1 day" if value.days == 1 else f"{value.days} days"
        return f"{value.total_seconds() / 3600:g} h"
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_outcome(
    message: str,
    params: Mapping[str, ParamValue],
    affected: int,
    checked: int,
    samples: Sequence[str],
) -> str:
    """The log's error_details: `message` filled in, then up to MAX_SAMPLES examples."""
    formatted = {name: human_param(value) for name, value in params.items()}
    sentence = message.format(affected=affected, checked=checked, **formatted)
    if affected and samples:
        return f"{sentence}; e.g. {', '.join(samples[:MAX_SAMPLES])}"
    return sentence
