"""An honest targeting score from the tables: who looks likely to leave, from what TutorMax
can see (sessions, events, ratings), never from the model's latent truth.

It stands in for the trained churn model's risk score and the rule engine until those are
wired in (`simulation.TargetingPolicy` takes any per-tutor score). As of a date `D`, per
tutor (windows end at `D`, exclusive):

    score = 8 * own_reschedule_rate_30d + 15 * own_no_show_rate_30d
            - 1.0 * log(logins_a_day_30d + 0.05)
            - 0.5 * log((sessions_a_day_14d + 0.05) / (sessions_a_day_prior_60d + 0.05))
            + 3 * low_rating_share_30d + 0.5 * [tenure < 60 days]

- the two rates are per held session (completed, no-show or cancelled) with two sessions
  of slack, so a tutor with two sessions and one reschedule is not at 50 %;
- the 0.05 a day keeps a quiet tutor's logarithms finite; the session trend compares the
  last 14 days with the 60 days before;
- the low-rating share is ratings of 3 or below over the last 30 days, with three ratings'
  worth of the platform's usual 15 % as a prior.

The weights are set by hand, on the scale of a log-hazard, not fitted: a reschedule rate
10 points above the usual adds 0.8, halving one's logins adds 0.7. They are what a rule
writer would choose; the one choice checked against data was logins' level over their
14-day trend, on the history's own observed churn (90-day AUC 0.70-0.76 against
0.69-0.73 at three past dates, default scale, seed 42). How well the score ranks is
measured, not assumed: `policy-sim` prints its AUC for 90-day churn in the simulated
futures beside the true hazard's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import numpy as np
import numpy.typing as npt

from lyceum.tutormax.enums import EventType, InitiatedBy, SessionStatus, TutorStatus
from lyceum.tutormax.synthetic import TutorMaxHistory

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Columns = dict[str, Any]

WEIGHTS: dict[str, float] = {
    "own_reschedule_rate_30d": 8.0,
    "own_no_show_rate_30d": 15.0,
    "login_level": -1.0,
    "session_trend": -0.5,
    "low_rating_share_30d": 3.0,
    "new_tutor": 0.5,
}
SESSION_SLACK = 2.0
DAILY_RATE_FLOOR = 0.05
LOW_RATING = 3
LOW_SHARE_PRIOR = 0.15
LOW_SHARE_PRIOR_WEIGHT = 3.0
NEW_TUTOR_DAYS = 60


@dataclass(frozen=True)
class BehaviourRisk:
    """The score of every tutor in the tutors table (rows in its order), its parts, and
    which tutors were active at `as_of` (the only ones a policy may target)."""

    as_of: date
    tutor_id: npt.NDArray[np.str_]
    active: BoolArray
    score: FloatArray
    parts: dict[str, FloatArray]


def _micros(day: date) -> np.datetime64:
    return np.datetime64(datetime.combine(day, time()), "us")


def _per_tutor(
    ids: npt.NDArray[np.str_], tutor_ids: npt.NDArray[np.str_], keep: BoolArray
) -> FloatArray:
    """How many rows each tutor has among the `keep` rows (`tutor_ids` is sorted)."""
    index = np.searchsorted(tutor_ids, ids[keep])
    return np.bincount(index, minlength=tutor_ids.shape[0]).astype(np.float64)


def behaviour_risk(
    tutors: Columns,
    sessions: Columns,
    events: Columns,
    feedback: Columns,
    as_of: date,
    status_is_current: bool = True,
) -> BehaviourRisk:
    """The score as of `as_of` from the tables' columns (dicts of arrays, as the synthetic
    history holds them or as a query would return them). `status_is_current`: the tutors'
    `status` is their status at `as_of` (so paused tutors are not targeted); for a date in
    the past only onboarding and `churned_at` say who was active."""
    tutor_ids = np.asarray(tutors["tutor_id"])
    if tutor_ids.shape[0] and not (tutor_ids[:-1] < tutor_ids[1:]).all():
        raise ValueError("tutors must be sorted by tutor_id")
    end = _micros(as_of)
    day = np.timedelta64(1, "D")

    def within(stamps: Any, first_day: int, last_day: int) -> BoolArray:
        """Rows in [end - first_day days, end - last_day days)."""
        stamps = np.asarray(stamps)
        return np.asarray((stamps >= end - first_day * day) & (stamps < end - last_day * day))

    session_ids = np.asarray(sessions["tutor_id"])
    status = np.asarray(sessions["status"])
    held = status != SessionStatus.SCHEDULED.value
    start = sessions["scheduled_start"]
    own_move = np.asarray(sessions["was_rescheduled"]) & (
        np.asarray(sessions["rescheduled_by"]) == InitiatedBy.TUTOR.value
    )
    own_absence = (status == SessionStatus.NO_SHOW.value) & (
        np.asarray(sessions["no_show_by"]) == InitiatedBy.TUTOR.value
    )
    recent = held & within(start, 30, 0)
    held_30 = _per_tutor(session_ids, tutor_ids, recent)
    reschedule_rate = _per_tutor(session_ids, tutor_ids, recent & own_move) / (
        held_30 + SESSION_SLACK
    )
    no_show_rate = _per_tutor(session_ids, tutor_ids, recent & own_absence) / (
        held_30 + SESSION_SLACK
    )

    event_ids = np.asarray(events["tutor_id"])
    logins = np.asarray(events["event_type"]) == EventType.LOGIN.value
    logins_a_day = _per_tutor(
        event_ids, tutor_ids, logins & within(events["event_timestamp"], 30, 0)
    )
    login_level = np.log(logins_a_day / 30.0 + DAILY_RATE_FLOOR)
    last = _per_tutor(session_ids, tutor_ids, held & within(start, 14, 0)) / 14.0
    prior = _per_tutor(session_ids, tutor_ids, held & within(start, 74, 14)) / 60.0
    session_trend = np.log((last + DAILY_RATE_FLOOR) / (prior + DAILY_RATE_FLOOR))

    rating_ids = np.asarray(feedback["tutor_id"])
    rated = within(feedback["submitted_at"], 30, 0)
    low = rated & (np.asarray(feedback["overall_rating"]) <= LOW_RATING)
    low_share = (
        _per_tutor(rating_ids, tutor_ids, low) + LOW_SHARE_PRIOR * LOW_SHARE_PRIOR_WEIGHT
    ) / (_per_tutor(rating_ids, tutor_ids, rated) + LOW_SHARE_PRIOR_WEIGHT)

    onboarded = np.asarray(tutors["onboarding_date"])
    new_tutor = (onboarded >= end - NEW_TUTOR_DAYS * day).astype(np.float64)

    parts = {
        "own_reschedule_rate_30d": reschedule_rate,
        "own_no_show_rate_30d": no_show_rate,
        "login_level": login_level,
        "session_trend": session_trend,
        "low_rating_share_30d": low_share,
        "new_tutor": new_tutor,
    }
    score = sum((WEIGHTS[name] * value for name, value in parts.items()), np.zeros(len(tutor_ids)))
    churned_at = np.asarray(tutors["churned_at"])
    gone = ~np.asarray(tutors["churned_at_null"]) & (churned_at < end)
    active = (onboarded < end) & ~gone
    if status_is_current:
        active &= np.asarray(tutors["status"]) == TutorStatus.ACTIVE.value
    return BehaviourRisk(as_of, tutor_ids, np.asarray(active), np.asarray(score), parts)


def history_risk(history: TutorMaxHistory, as_of: date | None = None) -> BehaviourRisk:
    """`behaviour_risk` over a synthetic history's tables (as of its end by default)."""
    day = history.end if as_of is None else as_of
    return behaviour_risk(
        history.tutors,
        history.sessions,
        history.tutor_events,
        history.student_feedback,
        day,
        status_is_current=day >= history.end,
    )


__all__ = ["WEIGHTS", "BehaviourRisk", "behaviour_risk", "history_risk"]
