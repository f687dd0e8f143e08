"""The scorecard's criteria in words: a label for each improvement-area code, each value in
the unit a person reads it in, and one sentence per missed criterion saying what meeting it
would do. Pages and the API's standing view use these, so both say the same thing.
"""

from __future__ import annotations

from lyceum.tutormax.enums import MetricWindow, PerformanceTier
from lyceum.tutormax.scorecard.config import HIGHER_IS_BETTER, WINDOW_DAYS, Code
from lyceum.tutormax.scorecard.evaluate import Lift

LABELS: dict[Code, str] = {
    Code.MIN_SESSIONS: "Completed sessions",
    Code.RATING: "Average rating",
    Code.FIRST_SESSION_SUCCESS: "First-session success",
    Code.NO_SHOW_RATE: "No-show rate",
    Code.RESCHEDULE_RATE: "Tutor-initiated reschedules",
    Code.ENGAGEMENT: "Student engagement",
    Code.RESPONSE_TIME: "Message response time",
}

# What each criterion asks of a tutor, in the words of advice.
ADVICE: dict[Code, str] = {
    Code.MIN_SESSIONS: "complete more sessions",
    Code.RATING: "raise your average rating",
    Code.FIRST_SESSION_SUCCESS: "bring more first-time students back for a second session",
    Code.NO_SHOW_RATE: "miss fewer sessions",
    Code.RESCHEDULE_RATE: "reschedule fewer sessions yourself",
    Code.ENGAGEMENT: "keep students more engaged in sessions",
    Code.RESPONSE_TIME: "answer messages sooner",
}


def format_value(code: Code, value: float | None) -> str:
    """`value` of criterion `code` as a person reads it: a rating to two places, a rate as a
    percentage, a response time in minutes or hours, a session count as a whole number."""
    if value is None:
        return "no data"
    if code is Code.RATING:
        return f"{value:.2f}"
    if code is Code.MIN_SESSIONS:
        return f"{value:.0f}"
    if code is Code.RESPONSE_TIME:
        return f"{value:.0f} min" if value < 120 else f"{value / 60:.1f} h"
    return f"{100 * value:.1f}%" if 0 < abs(100 * value) < 10 else f"{100 * value:.0f}%"


def lift_sentence(lift: Lift, window: MetricWindow, tier: PerformanceTier | None = None) -> str:
    """One sentence, for the tutor and the team alike: the criterion, where the tutor is,
    the threshold, the points meeting it adds, and the tier it would reach when that is not
    `tier` (the current one): "Average rating 4.52, target 4.80 or higher: +6.3 points,
    enough for Strong."."""
    days = WINDOW_DAYS[window]
    if lift.code is Code.MIN_SESSIONS:
        return (
            f"{LABELS[lift.code]}: {format_value(lift.code, lift.value)} in {days} days; "
            f"at least {lift.threshold:.0f} are needed for this window to be scored."
        )
    direction = "higher" if lift.code in HIGHER_IS_BETTER else "lower"
    sentence = (
        f"{LABELS[lift.code]} {format_value(lift.code, lift.value)}, target "
        f"{format_value(lift.code, lift.threshold)} or {direction}"
    )
    if lift.points is not None:
        sentence += f": +{lift.points:.1f} points"
    if lift.tier_if_met is not None and lift.tier_if_met != tier:
        sentence += f", enough for {lift.tier_if_met.value}"
    return sentence + "."


__all__ = ["ADVICE", "LABELS", "format_value", "lift_sentence"]
