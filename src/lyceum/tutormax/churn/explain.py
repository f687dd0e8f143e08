"""A tutor's reasons: the features that moved their score most, in words, with their size.

Each reason names what was measured, the tutor's value beside the median of the tutors
scored the same day, and the points it added to or took from the score, e.g.

    "tutor-initiated reschedules over 30 days: 12 %, 2.6x the median: +14 points"

(with a multiplication sign for the x)

`contributing_factors` (the JSONB object on `churn_predictions`) maps each of the top
features to {"points", "value", "median", "reason"}: the strongest first, those raising the
risk and those lowering it alike, leaving out any worth less than one point.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lyceum.tutormax.churn.features import BY_NAME, Feature
from lyceum.tutormax.churn.types import FloatArray

TOP_FACTORS = 5
MIN_POINTS = 1.0
# "2.6x the median" is said when the value is this far from the median either way.
NOTABLE_RATIO = 1.5
RATIO_UNITS = frozenset({"share", "count", "per_day", "minutes", "ratio"})


def describe(feature: Feature, value: float, median: float) -> str:
    """What was measured, the value, and how it compares with the median, in words."""
    text = f"{feature.words}: {feature.format(value)}"
    if not np.isfinite(value) or not np.isfinite(median):
        return text
    if feature.unit in RATIO_UNITS and median > 0 and value > 0:
        ratio = value / median
        if ratio >= NOTABLE_RATIO or ratio <= 1 / NOTABLE_RATIO:
            return f"{text}, {ratio:.1f}× the median"  # noqa: RUF001 - the sign people read
    return f"{text} (median {feature.format(median)})"


def factors(
    features: tuple[str, ...],
    values: FloatArray,
    medians: FloatArray,
    points: FloatArray,
    top: int = TOP_FACTORS,
) -> list[dict[str, dict[str, Any]]]:
    """One `contributing_factors` object per row of `values`/`points` ((n, features))."""
    result: list[dict[str, dict[str, Any]]] = []
    order = np.argsort(-np.abs(points), axis=1, kind="stable")[:, :top]
    for row in range(points.shape[0]):
        chosen: dict[str, dict[str, Any]] = {}
        for column in order[row]:
            size = float(points[row, column])
            if abs(size) < MIN_POINTS:
                break
            name = features[column]
            value = float(values[row, column])
            median = float(medians[column])
            reason = describe(BY_NAME[name], value, median)
            chosen[name] = {
                "points": round(size, 1),
                "value": round(value, 4) if np.isfinite(value) else None,
                "median": round(median, 4) if np.isfinite(median) else None,
                "reason": f"{reason}: {size:+.0f} points",
            }
        result.append(chosen)
    return result


__all__ = ["MIN_POINTS", "TOP_FACTORS", "describe", "factors"]
