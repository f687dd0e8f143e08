"""The churn model's raw inputs: point-in-time aggregates for many (tutor, day) snapshots.

`snapshot_aggregates` answers, in one statement, for every snapshot day D and every tutor
active at D: what happened in the 7, 30 and 90 days before D (sessions, the tutor's own
reschedules and no-shows, ratings, logins, message responses, cancellations the tutor made,
first sessions rebooked), when they last taught and last signed in, and their tenure.
`lyceum.tutormax.churn.features` turns these counts into the model's features.

Point in time: a snapshot at D reads only rows stamped before D 00:00 UTC (sessions by
their scheduled start, feedback by submission, events by their timestamp), so anything
written about later days cannot change it (tests/tutormax/test_churn_features.py). Sessions
booked for after D are deliberately not read: whether such a row exists depends on what
happened after D (a tutor who leaves has their future bookings cancelled or never made).

How: the tables are reduced to one row per tutor and UTC day, laid on a dense grid of days
per tutor, and summed with window frames (`ROWS BETWEEN n PRECEDING AND 1 PRECEDING`); the
grid rows of the snapshot days are kept. One pass over each table, whatever the number of
snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Date

# The longest window a feature looks back over; the grid starts this many days before the
# first snapshot.
LOOKBACK_DAYS = 90
# A first session counts as rebooked when the student's next session with the tutor starts
# within this many days; it is counted on the day that window closes.
REBOOK_DAYS = 14

_WINDOWED = {
    # column in the daily rows -> windows (days) it is summed over
    "booked": (7, 30, 90),
    "completed": (7, 30, 90),
    "tutor_reschedules": (7, 30, 90),
    "tutor_no_shows": (30, 90),
    "engagement_sum": (30,),
    "engagement_n": (30,),
    "objectives_met": (30,),
    "objectives_n": (30,),
    "late_minutes": (90,),
    "held_minutes_short": (7, 30),
    "ratings": (30, 90),
    "rating_sum": (90,),
    "low_ratings": (30, 90),
    "logins": (7, 30, 90),
    "responses": (7, 30),
    "response_log_minutes": (7, 30),
    "tutor_cancellations": (30,),
    "availability_decreases": (30,),
    "profile_updates": (90,),
    "trainings": (90,),
    "first_closed": (90,),
    "first_rebooked": (90,),
}
AGGREGATE_COLUMNS: tuple[str, ...] = tuple(
    f"{name}_{days}d" for name, windows in _WINDOWED.items() for days in windows
)


# Fractional daily sums, carried through the window frames as integers in thousandths.
# A moving sum of integers is updated as the frame slides (add the new day, take off the
# old one); a sum of floats has no such inverse in PostgreSQL and is recomputed over the
# whole frame for every row, which made the window pass five times slower. Rounding a
# day's sum to 0.001 changes nothing the model reads. (Integer columns are int4, not
# bigint: sum(bigint) is numeric, slower again.)
_THOUSANDTHS = frozenset(
    {"engagement_sum", "late_minutes", "held_minutes_short", "response_log_minutes"}
)


def _window_sums() -> str:
    def one(name: str, days: int) -> str:
        total = f"sum({name}) OVER w{days}"
        if name in _THOUSANDTHS:
            return f"({total} / 1000.0)::float8 AS {name}_{days}d"
        return f"{total} AS {name}_{days}d"

    return ",\n        ".join(
        one(name, days) for name, windows in _WINDOWED.items() for days in windows
    )


def _sql_type(name: str) -> str:
    return "float8" if name in _THOUSANDTHS else "int4"


def _daily_columns() -> str:
    def one(name: str) -> str:
        if name in _THOUSANDTHS:
            return f"round(coalesce(sum({name}), 0) * 1000)::int4 AS {name}"
        return f"coalesce(sum({name}), 0)::int4 AS {name}"

    return ", ".join(one(name) for name in _WINDOWED)


# Which daily columns each per-day source provides (in `_WINDOWED` order).
_SOURCES = {
    "session_day": ("booked", "completed", "tutor_reschedules", "tutor_no_shows",
                    "engagement_sum", "engagement_n", "objectives_met", "objectives_n",
                    "late_minutes", "held_minutes_short"),
    "first_day": ("first_closed", "first_rebooked"),
    "feedback_day": ("ratings", "rating_sum", "low_ratings"),
    "event_day": ("logins", "responses", "response_log_minutes", "tutor_cancellations",
                  "availability_decreases", "profile_updates", "trainings"),
}  # fmt: skip


def _daily_union() -> str:
    """The grid (no columns: all NULL) and each source, as one UNION ALL of equal rows."""
    parts = [("grid", ()), *_SOURCES.items()]
    selects = []
    for source, provided in parts:
        columns = ", ".join(
            f"{name if name in provided else 'NULL'}::{_sql_type(name)} AS {name}"
            for name in _WINDOWED
        )
        selects.append(f"SELECT tutor_id, day, {columns} FROM {source}")  # noqa: S608 - constants
    return "\n        UNION ALL ".join(selects)


# Midnight UTC of a date, whatever the connection's TimeZone.
def _utc(day: str) -> str:
    return f"(({day})::timestamp AT TIME ZONE 'UTC')"


SNAPSHOT_SQL = f"""
WITH snapshot AS (
    SELECT DISTINCT unnest(:days) AS day
),
bounds AS (
    SELECT min(day) - {LOOKBACK_DAYS} AS lo, max(day) AS hi FROM snapshot
),
span AS (
    SELECT {_utc("lo")} AS lo_at, {_utc("hi")} AS hi_at, lo, hi FROM bounds
),
tutor AS (
    SELECT t.tutor_id, t.onboarding_date, t.churned_at, t.experience_years,
           t.baseline_sessions_per_week,
           (t.onboarding_date AT TIME ZONE 'UTC')::date AS joined
    FROM tutormax.tutors t, span
    WHERE t.onboarding_date < span.hi_at
      AND (t.churned_at IS NULL OR t.churned_at >= span.lo_at)
),
grid AS (
    SELECT t.tutor_id, g.day::date AS day
    FROM tutor t, span,
         generate_series(greatest(t.joined, span.lo), span.hi, interval '1 day') AS g(day)
),
session_day AS (
    SELECT s.tutor_id, (s.scheduled_start AT TIME ZONE 'UTC')::date AS day,
           count(*) AS booked,
           count(*) FILTER (WHERE s.status = 'completed') AS completed,
           count(*) FILTER (WHERE s.rescheduled_by = 'tutor') AS tutor_reschedules,
           count(*) FILTER (WHERE s.no_show_by = 'tutor') AS tutor_no_shows,
           sum(s.engagement_score) AS engagement_sum,
           count(s.engagement_score) AS engagement_n,
           count(*) FILTER (WHERE s.learning_objectives_met) AS objectives_met,
           count(s.learning_objectives_met) AS objectives_n,
           -- Completed sessions: minutes late to start, and minutes short of the booking.
           sum(EXTRACT(EPOCH FROM s.actual_start - s.scheduled_start) / 60.0) AS late_minutes,
           sum(s.duration_minutes - s.actual_duration_minutes) AS held_minutes_short
    FROM tutormax.sessions s, span
    WHERE s.scheduled_start >= span.lo_at AND s.scheduled_start < span.hi_at
    GROUP BY 1, 2
),
first_day AS (
    -- Each pairing's first session and the next one's start: the pair's earliest session
    -- is its first, so any later one in the range follows it.
    SELECT tutor_id, (first_at AT TIME ZONE 'UTC')::date + {REBOOK_DAYS} AS day,
           count(*) AS first_closed,
           count(*) FILTER (
               WHERE next_at < first_at + interval '{REBOOK_DAYS} days') AS first_rebooked
    FROM (
        SELECT s.tutor_id, s.student_id,
               min(s.scheduled_start)
                   FILTER (WHERE s.is_first_session AND s.status <> 'cancelled') AS first_at,
               min(s.scheduled_start) FILTER (WHERE NOT s.is_first_session) AS next_at
        FROM tutormax.sessions s, span
        WHERE s.scheduled_start >= span.lo_at - interval '{REBOOK_DAYS} days'
          AND s.scheduled_start < span.hi_at
        GROUP BY s.tutor_id, s.student_id
    ) AS pairing, span
    WHERE first_at < span.hi_at - interval '{REBOOK_DAYS} days'
    GROUP BY 1, 2
),
feedback_day AS (
    SELECT f.tutor_id, (f.submitted_at AT TIME ZONE 'UTC')::date AS day,
           count(*) AS ratings,
           sum(f.overall_rating) AS rating_sum,
           count(*) FILTER (WHERE f.overall_rating <= 3) AS low_ratings
    FROM tutormax.student_feedback f, span
    WHERE f.submitted_at >= span.lo_at AND f.submitted_at < span.hi_at
    GROUP BY 1, 2
),
event_day AS (
    SELECT e.tutor_id, (e.event_timestamp AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE e.event_type = 'login') AS logins,
           count(*) FILTER (WHERE e.event_type = 'message_response'
                            AND e.metadata ? 'response_minutes') AS responses,
           -- Response times are heavy-tailed: their logarithm averages steadily.
           sum(ln(greatest((e.metadata ->> 'response_minutes')::float, 1.0)))
               FILTER (WHERE e.event_type = 'message_response') AS response_log_minutes,
           count(*) FILTER (WHERE e.event_type = 'session_cancelled'
                            AND e.metadata ->> 'initiated_by' = 'tutor') AS tutor_cancellations,
           count(*) FILTER (WHERE e.event_type = 'availability_changed'
                            AND e.metadata ->> 'change' = 'decrease') AS availability_decreases,
           count(*) FILTER (WHERE e.event_type = 'profile_updated') AS profile_updates,
           count(*) FILTER (WHERE e.event_type = 'training_completed') AS trainings
    FROM tutormax.tutor_events e, span
    WHERE e.event_timestamp >= span.lo_at AND e.event_timestamp < span.hi_at
      AND e.event_type IN ('login', 'message_response', 'session_cancelled',
                           'availability_changed', 'profile_updated', 'training_completed')
    GROUP BY 1, 2
),
status_change AS (
    SELECT e.tutor_id, e.event_timestamp AS at, e.metadata ->> 'to' AS to_status
    FROM tutormax.tutor_events e, span
    WHERE e.event_type = 'status_changed' AND e.event_timestamp < span.hi_at
),
daily AS (
    -- Every grid day once (zeros), plus the days with activity: summed per tutor and day.
    SELECT tutor_id, day, {_daily_columns()}
    FROM (
        {_daily_union()}
    ) AS part
    GROUP BY tutor_id, day
),
windowed AS (
    SELECT tutor_id, day,
        {_window_sums()},
        max(CASE WHEN completed > 0 THEN day END) OVER past AS last_session_day,
        max(CASE WHEN logins > 0 THEN day END) OVER past AS last_login_day
    FROM daily
    WINDOW w7 AS (PARTITION BY tutor_id ORDER BY day ROWS BETWEEN 7 PRECEDING AND 1 PRECEDING),
           w30 AS (PARTITION BY tutor_id ORDER BY day ROWS BETWEEN 30 PRECEDING AND 1 PRECEDING),
           w90 AS (PARTITION BY tutor_id ORDER BY day ROWS BETWEEN 90 PRECEDING AND 1 PRECEDING),
           past AS (PARTITION BY tutor_id ORDER BY day
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)
SELECT w.*,
       (EXTRACT(EPOCH FROM {_utc("w.day")} - t.onboarding_date) / 86400.0)::float8
           AS tenure_days,
       t.experience_years, t.baseline_sessions_per_week
FROM windowed w
JOIN snapshot USING (day)
JOIN tutor t USING (tutor_id)
WHERE t.onboarding_date < {_utc("w.day")}
  AND (t.churned_at IS NULL OR t.churned_at >= {_utc("w.day")})
  -- Not on a break or gone at D by the status events before D (a later return undoes one).
  AND NOT EXISTS (
      SELECT FROM status_change left_
      WHERE left_.tutor_id = w.tutor_id AND left_.at < {_utc("w.day")}
        AND left_.to_status <> 'active'
        AND NOT EXISTS (
            SELECT FROM status_change back
            WHERE back.tutor_id = left_.tutor_id AND back.to_status = 'active'
              AND back.at > left_.at AND back.at < {_utc("w.day")}
        )
  )
ORDER BY w.day, w.tutor_id
"""  # noqa: S608 - built from this module's constants

_SNAPSHOTS = text(SNAPSHOT_SQL).bindparams(bindparam("days", type_=ARRAY(Date())))


async def snapshot_aggregates(db: AsyncSession, days: list[date]) -> pd.DataFrame:
    """One row per (snapshot day, tutor active then): `tutor_id`, `day`, the windowed counts
    in `AGGREGATE_COLUMNS`, `last_session_day`, `last_login_day`, `tenure_days`,
    `experience_years`, `baseline_sessions_per_week`. Only rows stamped before each day's
    midnight (UTC) are read."""
    if not days:
        return pd.DataFrame(columns=["tutor_id", "day", *AGGREGATE_COLUMNS])
    # The per-day sorts and the window pass fit in memory with this much (4 MB, the
    # default, spills them to disk); for this transaction only.
    await db.execute(text("SET LOCAL work_mem = '64MB'"))
    result = await db.execute(_SNAPSHOTS, {"days": sorted(set(days))})
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    return frame


@dataclass(frozen=True)
class DataSpan:
    """The instants the recorded activity spans: the first session's start and the last
    session or event before `until` (None when there is none)."""

    first: datetime | None
    last: datetime | None


async def data_span(db: AsyncSession, until: datetime) -> DataSpan:
    """When the history starts and where it ends (before `until`): the edges of what a
    model can be trained on. Two index look-ups."""
    row = (
        await db.execute(
            text(
                """
                SELECT (SELECT min(scheduled_start) FROM tutormax.sessions),
                       greatest(
                           (SELECT max(scheduled_start) FROM tutormax.sessions
                            WHERE scheduled_start < :until AND status <> 'scheduled'),
                           (SELECT max(event_timestamp) FROM tutormax.tutor_events
                            WHERE event_timestamp < :until))
                """
            ),
            {"until": until},
        )
    ).one()
    return DataSpan(first=row[0], last=row[1])


async def tutor_exits(db: AsyncSession, before: datetime) -> pd.DataFrame:
    """What was known at `before` about tutors leaving: `tutor_id`, `churned_at` (NULL
    unless before `before`) and `paused_at` (the first move to a break before `before`,
    else NULL). The labels and censoring times of training rows."""
    result = await db.execute(
        text(
            """
            SELECT t.tutor_id,
                   CASE WHEN t.churned_at < :before THEN t.churned_at END AS churned_at,
                   paused.at AS paused_at
            FROM tutormax.tutors t
            LEFT JOIN (
                SELECT e.tutor_id, min(e.event_timestamp) AS at
                FROM tutormax.tutor_events e
                WHERE e.event_type = 'status_changed' AND e.metadata ->> 'to' = 'inactive'
                  AND e.event_timestamp < :before
                GROUP BY e.tutor_id
            ) AS paused USING (tutor_id)
            WHERE t.onboarding_date < :before
            ORDER BY t.tutor_id
            """
        ),
        {"before": before},
    )
    return pd.DataFrame(result.all(), columns=["tutor_id", "churned_at", "paused_at"])


def utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


__all__ = [
    "AGGREGATE_COLUMNS",
    "LOOKBACK_DAYS",
    "REBOOK_DAYS",
    "SNAPSHOT_SQL",
    "DataSpan",
    "data_span",
    "snapshot_aggregates",
    "tutor_exits",
    "utc_midnight",
]
