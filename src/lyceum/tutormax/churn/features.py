"""The churn model's features: what each one is, in words, and how it is computed from the
windowed counts `repository.features.snapshot_aggregates` returns.

Every feature describes one tutor on one snapshot day D from what was recorded before D.
Counts become rates over the days actually observed in the window (a tutor who joined ten
days ago has ten days of a 30-day window), so a new tutor's rates compare with an old
tutor's. Ratios against the tutor's own earlier weeks ("trend") and against the platform's
median on the same day take the school calendar out: in July everyone teaches less.

`FEATURES` is the spec: name, plain words, unit. The words are what a manager reads in a
tutor's reasons ("tutor-initiated reschedules over 30 days: 12 % of sessions, 2.6x the
median").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from lyceum.tutormax.churn.types import FloatArray

# Day counts at or beyond this mean "more than 90 days, or never" (the look-back limit).
DAYS_CAP = 91.0
# Reschedule and no-show rates divide by sessions + 2 (as the platform's own yardstick
# does), so one reschedule in one session is not a 100 % rate.
RATE_SLACK = 2.0
# The low-rating share is shrunk towards the platform's usual 15 % with three ratings'
# weight, so a single 3-star rating does not make a tutor look like a 100 % low-rater.
LOW_SHARE_PRIOR = 0.15
LOW_SHARE_WEIGHT = 3.0


@dataclass(frozen=True)
class Feature:
    name: str
    words: str  # what it measures, for a manager
    # How its value reads: share, count, days, tenure, per_day, ratio, rating, minutes, years.
    unit: str

    def format(self, value: float) -> str:
        if not np.isfinite(value):
            return "none recorded"
        if self.unit == "flag":
            return "yes" if value >= 0.5 else "no"
        if self.unit == "share":
            return f"{100 * value:.0f} %"
        if self.unit in ("days", "tenure"):
            if self.unit == "days" and value >= DAYS_CAP:
                return "over 90 days"
            return "1 day" if round(value) == 1 else f"{value:.0f} days"
        if self.unit == "ratio":
            return f"{value:.2f}x"
        if self.unit == "rating":
            return f"{value:.2f}"
        if self.unit == "per_day":
            return f"{value:.2f} a day"
        if self.unit == "minutes":
            return f"{value:.1f} min" if abs(value) < 10 else f"{value:.0f} min"
        if self.unit == "years":
            return f"{value:.0f} years"
        return f"{value:.0f}"


FEATURES: tuple[Feature, ...] = (
    Feature("tutor_reschedule_rate_7d", "tutor-initiated reschedules over 7 days", "share"),
    Feature("tutor_reschedule_rate_30d", "tutor-initiated reschedules over 30 days", "share"),
    Feature("tutor_reschedule_rate_90d", "tutor-initiated reschedules over 90 days", "share"),
    Feature("tutor_no_show_rate_90d", "tutor no-shows over 90 days", "share"),
    Feature("tutor_no_shows_30d", "tutor no-shows in the last 30 days", "count"),
    Feature("tutor_cancellation_rate_30d", "sessions the tutor cancelled over 30 days", "share"),
    Feature("low_rating_share_30d", "ratings of 3 stars or less over 30 days", "share"),
    Feature("low_rating_share_90d", "ratings of 3 stars or less over 90 days", "share"),
    Feature("average_rating_90d", "average rating over 90 days", "rating"),
    Feature("engagement_score_30d", "student engagement in sessions over 30 days", "ratio"),
    Feature("objectives_met_share_30d", "sessions meeting their objectives over 30 days", "share"),
    Feature("first_session_rebook_rate_90d", "first sessions rebooked within 14 days", "share"),
    Feature("logins_per_day_7d", "logins a day over 7 days", "per_day"),
    Feature("logins_per_day_30d", "logins a day over 30 days", "per_day"),
    Feature("login_trend", "logins in the last 30 days against the 60 before", "ratio"),
    Feature("login_trend_7d", "logins in the last 7 days against the last 30", "ratio"),
    Feature("days_since_last_login", "days since the last login", "days"),
    Feature("response_minutes_7d", "typical minutes to answer a message over 7 days",
            "minutes"),
    Feature("response_minutes_30d", "typical minutes to answer a message over 30 days",
            "minutes"),
    Feature("minutes_late_90d", "minutes late to start sessions over 90 days", "minutes"),
    Feature("minutes_short_7d", "minutes sessions ran short of their booking over 7 days",
            "minutes"),
    Feature("minutes_short_30d", "minutes sessions ran short of their booking over 30 days",
            "minutes"),
    Feature("sessions_vs_commitment_30d", "sessions over 30 days against the weekly commitment",
            "ratio"),
    Feature("session_trend", "sessions in the last 30 days against the 60 before", "ratio"),
    Feature("session_trend_7d", "sessions in the last 7 days against the last 30", "ratio"),
    Feature("sessions_vs_platform_30d", "sessions over 30 days against the platform's median",
            "ratio"),
    Feature("days_since_last_session", "days since the last session taught", "days"),
    Feature("availability_decreases_30d", "availability cut in the last 30 days", "count"),
    Feature("profile_updates_90d", "profile updates in the last 90 days", "count"),
    Feature("trainings_90d", "training modules completed in the last 90 days", "count"),
    Feature("tenure_days", "days on the platform", "tenure"),
    Feature("new_tutor", "new on the platform (first 90 days)", "flag"),
    Feature("experience_years", "years of teaching experience", "years"),
    Feature("baseline_sessions_per_week", "sessions a week committed to at onboarding", "count"),
)  # fmt: skip
FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
BY_NAME: dict[str, Feature] = {feature.name: feature for feature in FEATURES}


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator / denominator
    return np.where(denominator > 0, result, np.nan)


def _column(frame: pd.DataFrame, name: str) -> FloatArray:
    return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)


def _days_between(later: pd.Series, earlier: pd.Series) -> FloatArray:
    """Whole days from `earlier` to `later` (both dates; NaN where earlier is missing)."""
    later_days = pd.to_datetime(later).to_numpy(dtype="datetime64[D]")
    earlier_days = pd.to_datetime(earlier).to_numpy(dtype="datetime64[D]")
    difference = (later_days - earlier_days).astype("timedelta64[D]").astype(np.float64)
    return np.where(pd.isna(earlier).to_numpy(), np.nan, difference)


def build_features(aggregates: pd.DataFrame, data_start: date) -> pd.DataFrame:
    """Features for each aggregate row (one tutor on one snapshot day), in `FEATURE_NAMES`
    order, beside `tutor_id` and `day`. `data_start` is the first day anything was recorded:
    windows reaching before it are shorter, like a new tutor's."""
    a = aggregates
    day = pd.to_datetime(a["day"]).to_numpy(dtype="datetime64[D]")
    start = np.datetime64(data_start, "D")
    tenure = _column(a, "tenure_days")
    recorded = (day - start).astype("timedelta64[D]").astype(np.float64)
    known = np.minimum(tenure, recorded)

    def observed(window: int) -> FloatArray:
        return np.clip(known, 1.0, float(window))

    days7, days30 = observed(7), observed(30)
    before30 = np.clip(known - 30.0, 0.0, 60.0)  # observed days in [D-90, D-30)

    def get(name: str) -> FloatArray:
        return _column(a, name)

    booked7, booked30, booked90 = get("booked_7d"), get("booked_30d"), get("booked_90d")
    logins7, logins30, logins90 = get("logins_7d"), get("logins_30d"), get("logins_90d")

    sessions_per_day_30d = booked30 / days30
    session_rate_before = _ratio(booked90 - booked30, before30)
    login_rate_before = _ratio(logins90 - logins30, before30)
    # One session or login of slack keeps trends of the barely active finite and calm.
    session_trend = (booked30 + 1.0) / days30 / (np.nan_to_num(session_rate_before) + 1.0 / 30)
    session_trend = np.where(before30 >= 7, session_trend, np.nan)
    login_trend = (logins30 + 1.0) / days30 / (np.nan_to_num(login_rate_before) + 1.0 / 30)
    login_trend = np.where(before30 >= 7, login_trend, np.nan)

    columns: dict[str, FloatArray] = {
        "tutor_reschedule_rate_7d": get("tutor_reschedules_7d") / (booked7 + RATE_SLACK),
        "tutor_reschedule_rate_30d": get("tutor_reschedules_30d") / (booked30 + RATE_SLACK),
        "tutor_reschedule_rate_90d": get("tutor_reschedules_90d") / (booked90 + RATE_SLACK),
        "tutor_no_show_rate_90d": get("tutor_no_shows_90d") / (booked90 + RATE_SLACK),
        "tutor_no_shows_30d": get("tutor_no_shows_30d"),
        "tutor_cancellation_rate_30d": get("tutor_cancellations_30d") / (booked30 + RATE_SLACK),
        "low_rating_share_30d": (get("low_ratings_30d") + LOW_SHARE_PRIOR * LOW_SHARE_WEIGHT)
        / (get("ratings_30d") + LOW_SHARE_WEIGHT),
        "low_rating_share_90d": (get("low_ratings_90d") + LOW_SHARE_PRIOR * LOW_SHARE_WEIGHT)
        / (get("ratings_90d") + LOW_SHARE_WEIGHT),
        "average_rating_90d": _ratio(get("rating_sum_90d"), get("ratings_90d")),
        "engagement_score_30d": _ratio(get("engagement_sum_30d"), get("engagement_n_30d")),
        "objectives_met_share_30d": _ratio(get("objectives_met_30d"), get("objectives_n_30d")),
        "first_session_rebook_rate_90d": _ratio(get("first_rebooked_90d"), get("first_closed_90d")),
        "logins_per_day_7d": logins7 / days7,
        "logins_per_day_30d": logins30 / days30,
        "login_trend": login_trend,
        "login_trend_7d": ((logins7 + 1.0) / days7) / ((logins30 + 1.0) / days30),
        "days_since_last_login": np.fmin(_days_between(a["day"], a["last_login_day"]), DAYS_CAP),
        # The geometric mean: response times are heavy-tailed, one slow answer is not a trend.
        "response_minutes_7d": np.exp(_ratio(get("response_log_minutes_7d"), get("responses_7d"))),
        "response_minutes_30d": np.exp(
            _ratio(get("response_log_minutes_30d"), get("responses_30d"))
        ),
        "minutes_late_90d": _ratio(get("late_minutes_90d"), get("completed_90d")),
        "minutes_short_7d": _ratio(get("held_minutes_short_7d"), get("completed_7d")),
        "minutes_short_30d": _ratio(get("held_minutes_short_30d"), get("completed_30d")),
        "sessions_per_day_30d": sessions_per_day_30d,
        "sessions_vs_commitment_30d": _ratio(
            sessions_per_day_30d * 7.0, get("baseline_sessions_per_week")
        ),
        "session_trend": session_trend,
        "session_trend_7d": ((booked7 + 1.0) / days7) / ((booked30 + 1.0) / days30),
        "days_since_last_session": np.fmin(
            _days_between(a["day"], a["last_session_day"]), DAYS_CAP
        ),
        "availability_decreases_30d": get("availability_decreases_30d"),
        "profile_updates_90d": get("profile_updates_90d"),
        "trainings_90d": get("trainings_90d"),
        "tenure_days": tenure,
        "new_tutor": (tenure < 90.0).astype(np.float64),
        "experience_years": get("experience_years"),
        "baseline_sessions_per_week": get("baseline_sessions_per_week"),
    }
    # Never taught / never logged in within the look-back: as far back as it reaches.
    for name in ("days_since_last_login", "days_since_last_session"):
        columns[name] = np.where(np.isnan(columns[name]), DAYS_CAP, columns[name])
    frame = pd.DataFrame({"tutor_id": a["tutor_id"].to_numpy(), "day": day})
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=np.float64)
    # The platform's median on the same day: the season, not the tutor.
    platform = frame.groupby("day")["sessions_per_day_30d"].transform("median").to_numpy()
    frame["sessions_vs_platform_30d"] = _ratio(frame["sessions_per_day_30d"].to_numpy(), platform)
    return frame[["tutor_id", "day", *FEATURE_NAMES]].reset_index(drop=True)


def feature_matrix(features: pd.DataFrame) -> FloatArray:
    return features[list(FEATURE_NAMES)].to_numpy(dtype=np.float64)


__all__ = [
    "BY_NAME",
    "DAYS_CAP",
    "FEATURES",
    "FEATURE_NAMES",
    "Feature",
    "build_features",
    "feature_matrix",
]
