"""The evaluation engine's SQL: `tutor_performance_metrics` for a range of calculation days in
one INSERT … SELECT, whatever the number of tutors or days.

A row for calculation day D (stored as D 00:00 UTC) and an N-day window describes the N whole
UTC days before D, [D - N, D), using only what was recorded before D 00:00: the sessions
scheduled in those days, the ratings submitted and the message responses sent in them, and the
first sessions whose verdict was due in them (docs/tutormax.md, "Evaluation engine").

How it stays set-based over a whole range of days:

1. per tutor and day, the day's own counts and sums (sessions by scheduled day, ratings by
   submission day, response times by event day, first-session verdicts by the day they fall
   due), each source aggregated once for the whole range plus its 90-day lead-in;
2. those days laid on a dense tutor-by-day grid and turned into running totals;
3. every window is a difference of running totals (today's minus the one N rows back: `lag`),
   so one pass serves the 7-, 30- and 90-day windows of every day in the range;
4. the three windows unpivoted into rows, scored by the scorecard (expressions built from its
   configuration, bound as parameters) and upserted on `(tutor_id, calculation_date,
   metric_window)`; a row whose figures did not change is left alone, so a rerun writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.enums import MetricWindow
from lyceum.tutormax.scorecard import CRITERIA, HIGHER_IS_BETTER, WINDOW_DAYS, Code, Scorecard

LONGEST_WINDOW_DAYS = max(WINDOW_DAYS.values())
# Every measure is an integer, so window sums are exact and a day's figures are the same
# whichever range computed them: engagement scores are summed in millionths, response times
# in whole seconds (each response rounded to the second).
ENGAGEMENT_SCALE = 1_000_000
# A response time outside 0..30 days is a recording error, not a slow reply: left out.
MAX_RESPONSE_MINUTES = 30 * 24 * 60
# Per tier, in order: whether it has a `max_missed` and a `min_sessions` condition (the SQL's
# shape; the numbers themselves are parameters).
TierShape = tuple[tuple[bool, bool], ...]

# The per-day measures, in the order they are summed; each becomes a running total and one
# window sum per window (`<measure>_7`, `<measure>_30`, `<measure>_90`).
MEASURES = (
    "booked",
    "completed",
    "tutor_reschedules",
    "tutor_no_shows",
    "engagement_sum",
    "engagement_n",
    "rating_sum",
    "rating_n",
    "response_sum",
    "response_n",
    "first_judged",
    "first_rebooked",
)
# Where each measure comes from (the per-day aggregate's alias).
_SOURCE = {
    "booked": "s",
    "completed": "s",
    "tutor_reschedules": "s",
    "tutor_no_shows": "s",
    "engagement_sum": "s",
    "engagement_n": "s",
    "rating_sum": "r",
    "rating_n": "r",
    "response_sum": "m",
    "response_n": "m",
    "first_judged": "f",
    "first_rebooked": "f",
}
# Each criterion's value in the `window_values` relation below.
_CRITERION_COLUMN = {
    Code.RATING: "avg_rating",
    Code.FIRST_SESSION_SUCCESS: "first_session_success_rate",
    Code.NO_SHOW_RATE: "no_show_rate",
    Code.RESCHEDULE_RATE: "reschedule_rate",
    Code.ENGAGEMENT: "engagement_score",
    Code.RESPONSE_TIME: "response_time_avg_minutes",
}
METRIC_COLUMNS = (
    "sessions_completed",
    "avg_rating",
    "first_session_success_rate",
    "reschedule_rate",
    "no_show_count",
    "engagement_score",
    "response_time_avg_minutes",
    "overall_score",
    "performance_tier",
    "improvement_areas",
)


def midnight(day: date) -> datetime:
    """`day` at 00:00 UTC: how calculation dates are stored."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def _window_lags() -> str:
    return ",\n           ".join(
        f"lag(totals, {days}) OVER by_day AS before_{days}" for days in WINDOW_DAYS.values()
    )


def _unpivot() -> str:
    return ",\n        ".join(
        f"('{window.value}', w.before_{days})" for window, days in WINDOW_DAYS.items()
    )


def _window_differences() -> str:
    return ",\n           ".join(
        f"totals[{index}] - COALESCE(before[{index}], 0) AS {measure}"
        for index, measure in enumerate(MEASURES, start=1)
    )


def _per_window(prefix: str) -> str:
    """A CASE picking the bound parameter `<prefix>_<days>` for the row's window."""
    branches = " ".join(
        f"WHEN '{window.value}' THEN CAST(:{prefix}_{days} AS integer)"
        for window, days in WINDOW_DAYS.items()
    )
    return f"CASE metric_window {branches} END"


def _scoring() -> str:
    """Credit, met flag and the score's terms per criterion, in the reference's order."""
    credits = []
    for code in CRITERIA:
        column = _CRITERION_COLUMN[code]
        target = f"CAST(:{code}_target AS double precision)"
        floor = f"CAST(:{code}_floor AS double precision)"
        comparison = ">=" if code in HIGHER_IS_BETTER else "<="
        # GREATEST and LEAST skip NULLs, so an empty metric must stay NULL explicitly (it is
        # left out of the score, not given no credit).
        credits.append(
            f"CASE WHEN {column} IS NOT NULL THEN"
            f" LEAST(GREATEST(({column} - {floor}) / ({target} - {floor}),"
            f" CAST(0 AS double precision)), CAST(1 AS double precision)) END AS {code}_credit"
        )
        credits.append(f"({column} {comparison} {target}) AS {code}_met")
    return ",\n           ".join(credits)


def _score_expression() -> str:
    earned = " + ".join(
        f"COALESCE(CAST(:{code}_weight AS double precision) * {code}_credit,"
        " CAST(0 AS double precision))"
        for code in CRITERIA
    )
    possible = " + ".join(
        f"CASE WHEN {code}_credit IS NULL THEN CAST(0 AS double precision)"
        f" ELSE CAST(:{code}_weight AS double precision) END"
        for code in CRITERIA
    )
    return f"CAST(100 AS double precision) * ({earned}) / ({possible})"


def _missed() -> tuple[str, str]:
    count = " + ".join(f"({code}_met IS FALSE)::integer" for code in CRITERIA)
    codes = ", ".join(f"CASE WHEN {code}_met IS FALSE THEN '{code}' END" for code in CRITERIA)
    return count, f"array_remove(ARRAY[{codes}]::text[], NULL)"


def _tier_expression(tier_shape: TierShape) -> str:
    branches = []
    for index, (has_max_missed, has_min_sessions) in enumerate(tier_shape):
        conditions = [f"overall_score >= CAST(:tier{index}_min_score AS double precision)"]
        if has_max_missed:
            conditions.append(f"missed <= CAST(:tier{index}_max_missed AS integer)")
        if has_min_sessions:
            conditions.append(f"sessions_completed >= {_per_window(f'tier{index}_sessions')}")
        branches.append(f"WHEN {' AND '.join(conditions)} THEN CAST(:tier{index} AS text)")
    return f"CASE WHEN overall_score IS NULL THEN NULL {' '.join(branches)} END"


def _one_day_windows() -> str:
    """For a single calculation day D: every source's days laid end to end and summed per
    tutor with one FILTER per window (days D - N .. D - 1), then unpivoted into the three
    windows — the same sums as the grid's running totals, without building the grid (tutors
    x 91 days) and its window functions, which are a third of a single day's time. The
    sources cover exactly the days D - 90 .. D - 1, so no filter on `day` is needed (one
    would be pushed into their scans, where PostgreSQL cannot estimate it)."""
    arms = []
    for source, alias in (
        ("session_days", "s"),
        ("rating_days", "r"),
        ("response_days", "m"),
        ("first_days", "f"),
    ):
        columns = ", ".join(
            measure if _SOURCE[measure] == alias else f"0 AS {measure}" for measure in MEASURES
        )
        arms.append(f"SELECT tutor_id, day, {columns} FROM {source}")  # noqa: S608 - constants
    sums = ",\n           ".join(
        f"COALESCE(sum({measure}) FILTER (WHERE day >= CAST(:last_day AS date) - {days}), 0)"
        f" AS {measure}_{days}"
        for days in WINDOW_DAYS.values()
        for measure in MEASURES
    )
    unpivot = ",\n        ".join(
        f"('{window.value}', " + ", ".join(f"x.{measure}_{days}" for measure in MEASURES) + ")"
        for window, days in WINDOW_DAYS.items()
    )
    union = "\n    UNION ALL\n    ".join(arms)
    return f"""
source_days AS (
    {union}
),
tutor_sums AS (
    SELECT tutor_id,
           {sums}
    FROM source_days
    GROUP BY tutor_id
),
window_totals AS (
    SELECT t.tutor_id, CAST(:last_day AS date) AS calculation_day, v.metric_window,
           {", ".join(f"COALESCE(v.{measure}, 0) AS {measure}" for measure in MEASURES)}
    FROM tutor_days t
    LEFT JOIN tutor_sums x ON x.tutor_id = t.tutor_id
    CROSS JOIN LATERAL (VALUES
        {unpivot}
    ) AS v(metric_window, {", ".join(MEASURES)})
    WHERE CAST(:last_day AS date) BETWEEN t.from_day AND t.to_day
    OFFSET 0
),"""  # noqa: S608 - built from this module's constants only


@cache
def _upsert_sql(tier_shape: TierShape, one_day: bool = False) -> str:
    """The statement for a scorecard whose tiers have this shape (which optional conditions
    each tier has); every number and tier name is a bound parameter. `one_day`: the shape
    for a single calculation day (`_one_day_windows`), else the grid for any range."""
    measures_cumulative = ",\n                 ".join(
        f"sum({measure}) OVER running" for measure in MEASURES
    )
    measures_daily = ",\n           ".join(
        f"COALESCE({_SOURCE[measure]}.{measure}, 0) AS {measure}" for measure in MEASURES
    )
    missed_count, missed_codes = _missed()
    statement = f"""
WITH tutor_days AS (
    -- The calculation days each tutor gets rows for: onboarded before the day began and not
    -- churned before it (churned_at at or after D 00:00 UTC).
    SELECT tutor_id,
           GREATEST(onboarding_date::date + 1,
                    CAST(:first_day AS date)) AS from_day,
           LEAST(COALESCE(churned_at::date, CAST(:last_day AS date)),
                 CAST(:last_day AS date)) AS to_day
    FROM tutormax.tutors
    WHERE onboarding_date < CAST(:activity_end AS timestamptz)
      AND (churned_at IS NULL OR churned_at >= CAST(:activity_start AS timestamptz))
),
grid AS (
    -- Every day whose activity some row of the tutor's needs: the longest window before the
    -- first calculation day up to the day before the last.
    SELECT t.tutor_id, t.from_day, t.to_day, start_day + offs AS day
    FROM tutor_days t
    CROSS JOIN LATERAL (
        SELECT GREATEST(t.from_day - {LONGEST_WINDOW_DAYS}, CAST(:lead_day AS date)) AS start_day
    ) AS first
    CROSS JOIN LATERAL generate_series(0, (t.to_day - 1) - start_day) AS offs
    WHERE t.from_day <= t.to_day
),
session_days AS (
    SELECT tutor_id, scheduled_start::date AS day,
           count(*)::integer AS booked,
           (count(*) FILTER (WHERE status = 'completed'))::integer AS completed,
           (count(*) FILTER (WHERE rescheduled_by = 'tutor'))::integer AS tutor_reschedules,
           (count(*) FILTER (WHERE no_show_by = 'tutor'))::integer AS tutor_no_shows,
           sum(round(engagement_score * {ENGAGEMENT_SCALE})::integer)
               FILTER (WHERE status = 'completed') AS engagement_sum,
           (count(engagement_score) FILTER (WHERE status = 'completed'))::integer
               AS engagement_n
    FROM tutormax.sessions
    WHERE scheduled_start >= CAST(:activity_start AS timestamptz)
      AND scheduled_start < CAST(:activity_end AS timestamptz)
    GROUP BY 1, 2
),
rating_days AS (
    -- Ratings count on the day they were submitted (known then), not the session's day.
    SELECT tutor_id, submitted_at::date AS day,
           sum(overall_rating)::integer AS rating_sum, count(*)::integer AS rating_n
    FROM tutormax.student_feedback
    WHERE submitted_at >= CAST(:activity_start AS timestamptz)
      AND submitted_at < CAST(:activity_end AS timestamptz)
    GROUP BY 1, 2
),
response_days AS (
    -- A response counts when its minutes are a JSON number within 0..30 days. The test sits
    -- in the aggregate, not the WHERE clause, where PostgreSQL cannot estimate it (it guessed
    -- one row instead of 50,000 and chose a join that re-read its input 70 times).
    SELECT tutor_id, day,
           sum(round(minutes * 60)::integer)
               FILTER (WHERE minutes BETWEEN 0 AND {MAX_RESPONSE_MINUTES}) AS response_sum,
           (count(*) FILTER (WHERE minutes BETWEEN 0 AND {MAX_RESPONSE_MINUTES}))::integer
               AS response_n
    FROM (
        SELECT tutor_id, event_timestamp::date AS day,
               CASE WHEN jsonb_typeof(metadata -> 'response_minutes') = 'number'
                    THEN (metadata -> 'response_minutes')::numeric END AS minutes
        FROM tutormax.tutor_events
        WHERE event_type = 'message_response'
          AND event_timestamp >= CAST(:activity_start AS timestamptz)
          AND event_timestamp < CAST(:activity_end AS timestamptz)
        OFFSET 0
    ) AS responses
    GROUP BY 1, 2
),
first_sessions AS (
    -- First sessions the tutor made (or missed), judged on the last day of the judgement
    -- period: a success if by the end of that day the student had booked a later session
    -- with the tutor.
    SELECT f.tutor_id,
           f.scheduled_start::date + CAST(:judge_days AS integer) AS day,
           EXISTS (
               -- The student's few sessions, then their tutor: OFFSET 0 keeps the planner
               -- from ANDing in the tutor's index (a thousand entries a probe, not ~15).
               SELECT 1
               FROM (SELECT tutor_id, scheduled_start, created_at
                     FROM tutormax.sessions
                     WHERE student_id = f.student_id
                     OFFSET 0) AS later
               WHERE later.tutor_id = f.tutor_id
                 AND later.scheduled_start > f.scheduled_start
                 AND later.created_at < (f.scheduled_start::date
                                         + CAST(:judge_days AS integer) + 1)::timestamptz
           ) AS rebooked
    FROM tutormax.sessions f
    WHERE f.is_first_session
      AND (f.status = 'completed' OR f.no_show_by = 'tutor')
      AND f.scheduled_start >= CAST(:first_start AS timestamptz)
      AND f.scheduled_start < CAST(:first_end AS timestamptz)
),
first_days AS (
    SELECT tutor_id, day, count(*)::integer AS first_judged,
           (count(*) FILTER (WHERE rebooked))::integer AS first_rebooked
    FROM first_sessions
    GROUP BY 1, 2
),
daily AS (
    SELECT g.tutor_id, g.day, g.from_day, g.to_day,
           {measures_daily}
    FROM grid g
    LEFT JOIN session_days s ON s.tutor_id = g.tutor_id AND s.day = g.day
    LEFT JOIN rating_days r ON r.tutor_id = g.tutor_id AND r.day = g.day
    LEFT JOIN response_days m ON m.tutor_id = g.tutor_id AND m.day = g.day
    LEFT JOIN first_days f ON f.tutor_id = g.tutor_id AND f.day = g.day
),
running AS (
    -- Running totals, one array per row: one lag per window below instead of one per measure
    -- and window (which cost four times as much).
    SELECT tutor_id, day, from_day, to_day,
           ARRAY[{measures_cumulative}] AS totals
    FROM daily
    WINDOW running AS (PARTITION BY tutor_id ORDER BY day ROWS UNBOUNDED PRECEDING)
),
windowed AS (
    -- The row of day D - 1 carries the totals up to the end of that day: calculation day D.
    SELECT tutor_id, day + 1 AS calculation_day, from_day, to_day, totals,
           {_window_lags()}
    FROM running
    WINDOW by_day AS (PARTITION BY tutor_id ORDER BY day)
),
window_totals AS (
    SELECT w.tutor_id, w.calculation_day, v.metric_window,
           {_window_differences()}
    FROM windowed w
    CROSS JOIN LATERAL (VALUES
        {_unpivot()}
    ) AS v(metric_window, before)
    WHERE w.calculation_day BETWEEN w.from_day AND w.to_day
    -- OFFSET 0 here and below: each stage's columns are computed once a row, rather than
    -- copied into every expression that uses them when PostgreSQL flattens the query.
    OFFSET 0
),
window_values AS (
    SELECT tutor_id, calculation_day, metric_window,
           completed::integer AS sessions_completed,
           rating_sum::double precision / NULLIF(rating_n, 0) AS avg_rating,
           first_rebooked::double precision / NULLIF(first_judged, 0)
               AS first_session_success_rate,
           CASE WHEN booked > 0 THEN tutor_reschedules::double precision / booked
                ELSE CAST(0 AS double precision) END AS reschedule_rate,
           tutor_no_shows::integer AS no_show_count,
           engagement_sum::double precision / {ENGAGEMENT_SCALE}
               / NULLIF(engagement_n, 0) AS engagement_score,
           response_sum::double precision / 60 / NULLIF(response_n, 0)
               AS response_time_avg_minutes,
           tutor_no_shows::double precision / NULLIF(completed + tutor_no_shows, 0)
               AS no_show_rate
    FROM window_totals
    OFFSET 0
),
credited AS (
    SELECT v.*,
           {_scoring()}
    FROM window_values v
    OFFSET 0
),
scored AS (
    SELECT c.*,
           CASE WHEN sessions_completed >= {_per_window("min_sessions")}
                THEN {_score_expression()} END AS overall_score,
           {missed_count} AS missed
    FROM credited c
    OFFSET 0
),
rated AS (
    SELECT s.*,
           {_tier_expression(tier_shape)} AS performance_tier,
           CASE WHEN overall_score IS NULL THEN ARRAY['{Code.MIN_SESSIONS}']::text[]
                ELSE {missed_codes} END AS improvement_areas
    FROM scored s
)
INSERT INTO tutormax.tutor_performance_metrics AS old (
    tutor_id, calculation_date, metric_window, {", ".join(METRIC_COLUMNS)}
)
SELECT tutor_id, calculation_day::timestamptz, metric_window,
       {", ".join(METRIC_COLUMNS)}
FROM rated
ON CONFLICT ON CONSTRAINT uq_tutor_performance_metrics_day DO UPDATE SET
    {", ".join(f"{column} = EXCLUDED.{column}" for column in METRIC_COLUMNS)},
    created_at = EXCLUDED.created_at
WHERE ({", ".join(f"old.{column}" for column in METRIC_COLUMNS)})
      IS DISTINCT FROM ({", ".join(f"EXCLUDED.{column}" for column in METRIC_COLUMNS)})
"""  # noqa: S608 - built from this module's constants only; every value is a bound parameter
    if not one_day:
        return statement
    # One day: no grid, and the windows summed straight from the sources.
    grid_start, sources_start = statement.index("grid AS ("), statement.index("session_days AS (")
    daily_start = statement.index("daily AS (")
    values_start = statement.index("window_values AS (")
    return (
        statement[:grid_start]
        + statement[sources_start:daily_start].rstrip()
        + _one_day_windows()
        + "\n"
        + statement[values_start:]
    )


def _tier_shape(scorecard: Scorecard) -> TierShape:
    return tuple(
        (rule.max_missed is not None, rule.min_sessions is not None) for rule in scorecard.tiers
    )


def scorecard_parameters(scorecard: Scorecard) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for code in CRITERIA:
        rule = scorecard.criteria.rule(code)
        params[f"{code}_weight"] = float(rule.weight)
        params[f"{code}_target"] = float(rule.target)
        params[f"{code}_floor"] = float(rule.floor)
    for window, days in WINDOW_DAYS.items():
        params[f"min_sessions_{days}"] = scorecard.min_sessions[window]
    params["judge_days"] = scorecard.first_session.judge_after_days
    for index, tier in enumerate(scorecard.tiers):
        params[f"tier{index}"] = tier.tier.value
        params[f"tier{index}_min_score"] = float(tier.min_score)
        if tier.max_missed is not None:
            params[f"tier{index}_max_missed"] = tier.max_missed
        if tier.min_sessions is not None:
            for window, days in WINDOW_DAYS.items():
                params[f"tier{index}_sessions_{days}"] = tier.min_sessions[window]
    return params


@dataclass(frozen=True, slots=True)
class DayRange:
    """Calculation days `first`..`last`, both included, and the instants the SQL needs."""

    first: date
    last: date
    judge_days: int

    def parameters(self) -> dict[str, Any]:
        lead_day = self.first - timedelta(days=LONGEST_WINDOW_DAYS)
        return {
            "first_day": self.first,
            "last_day": self.last,
            "lead_day": lead_day,
            "activity_start": midnight(lead_day),
            "activity_end": midnight(self.last),
            "first_start": midnight(lead_day - timedelta(days=self.judge_days)),
            "first_end": midnight(self.last - timedelta(days=self.judge_days)),
        }


def upsert_statement(scorecard: Scorecard, *, one_day: bool = False) -> TextClause:
    return text(_upsert_sql(_tier_shape(scorecard), one_day))


# Local to the caller's transaction. The statement is one large expression tree that
# PostgreSQL's JIT spends tens of seconds compiling (measured: 26 s of 33 s for one day); its
# sorts fit in memory with a little more than the 4 MB default; and with the time zone set to
# UTC, `timestamptz::date` is the UTC day (a third cheaper than `AT TIME ZONE 'UTC'` a row).
_SESSION_SETTINGS = text(
    "SELECT set_config('jit', 'off', true), set_config('work_mem', :work_mem, true),"
    " set_config('TimeZone', 'UTC', true)"
)
WORK_MEM = "64MB"


async def prepare_transaction(db: AsyncSession) -> None:
    """The settings the upsert needs (UTC days) and runs best with, for this transaction."""
    await db.execute(_SESSION_SETTINGS, {"work_mem": WORK_MEM})


async def upsert_metrics(db: AsyncSession, first: date, last: date, scorecard: Scorecard) -> int:
    """Compute and upsert every tutor's rows for calculation days `first`..`last` (inclusive)
    in one statement (after `prepare_transaction`, which it runs: the statement's days are
    UTC days only under its settings); returns how many rows were inserted or changed."""
    await prepare_transaction(db)
    days = DayRange(first, last, scorecard.first_session.judge_after_days)
    params = {**days.parameters(), **scorecard_parameters(scorecard)}
    statement = upsert_statement(scorecard, one_day=first == last)
    result = await db.execute(statement, params)
    return int(result.rowcount)  # type: ignore[attr-defined]


_ELIGIBLE_SQL = text("""
SELECT count(*)
FROM tutormax.tutors t
CROSS JOIN LATERAL generate_series(
    GREATEST((t.onboarding_date AT TIME ZONE 'UTC')::date + 1, CAST(:first_day AS date)),
    LEAST(COALESCE((t.churned_at AT TIME ZONE 'UTC')::date, CAST(:last_day AS date)),
          CAST(:last_day AS date)),
    interval '1 day') AS day
""")


async def count_tutor_days(db: AsyncSession, first: date, last: date) -> int:
    """How many (tutor, calculation day) pairs `first`..`last` has: tutors onboarded before the
    day began and not churned before it."""
    result = await db.execute(_ELIGIBLE_SQL, {"first_day": first, "last_day": last})
    return int(result.scalar_one())


_LAST_COMPLETED_SQL = text("""
SELECT max(scheduled_start) FROM tutormax.sessions WHERE status = 'completed'
""")


async def last_completed_session_start(db: AsyncSession) -> datetime | None:
    """When the latest completed session was scheduled to start, or None without any."""
    value: datetime | None = (await db.execute(_LAST_COMPLETED_SQL)).scalar_one()
    return value


_TIER_COUNTS_SQL = text("""
SELECT metric_window, performance_tier, count(*)
FROM tutormax.tutor_performance_metrics
WHERE calculation_date = CAST(:calculation_date AS timestamptz)
GROUP BY 1, 2
""")


async def tier_counts(db: AsyncSession, day: date) -> dict[MetricWindow, dict[str | None, int]]:
    """Rows per window and tier (None: not scored) on one calculation day."""
    result = await db.execute(_TIER_COUNTS_SQL, {"calculation_date": midnight(day)})
    counts: dict[MetricWindow, dict[str | None, int]] = {w: {} for w in MetricWindow}
    for window, tier, count in result.all():
        counts[MetricWindow(window)][tier] = int(count)
    return counts


__all__ = [
    "LONGEST_WINDOW_DAYS",
    "MEASURES",
    "METRIC_COLUMNS",
    "DayRange",
    "count_tutor_days",
    "last_completed_session_start",
    "midnight",
    "prepare_transaction",
    "scorecard_parameters",
    "tier_counts",
    "upsert_metrics",
    "upsert_statement",
]
