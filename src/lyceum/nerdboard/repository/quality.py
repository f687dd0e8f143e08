"""Nerdboard's data-quality checks as SQL, and their log in `nerdboard.data_quality_log`.

Each check is a declarative `QualityCheck`: one SQL query returning one row
`(affected, checked, samples)` over a window `[since, until)` of *simulated* time, plus the
thresholds that turn those counts into a 0-5 score and a status (`scoring.quality`, pure);
`service.quality` runs them.
`until` defaults to the simulation clock (`simulation_state."current_date"`), never wall time.
Queries may use the bind parameters `:since`, `:until`, `:clock` (timestamptz) and the check's
own `params`; every query examines only the records whose time falls in the window (or a fixed
look-back before `until`), so it reads a few days of a table, through its time index.

Days are UTC calendar days: a snapshot describes the UTC day its `date` falls on, and the
sessions of that day are those scheduled in [day 00:00 UTC, next day 00:00 UTC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Float, Integer, Interval, bindparam, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeEngine

from lyceum.core.errors import NotFound
from lyceum.nerdboard.models import DataQualityLog
from lyceum.nerdboard.repository.dashboard import read_clock
from lyceum.nerdboard.scoring.quality import (
    FRESHNESS,
    INFORMATIONAL,
    MAX_SAMPLES,
    MISSING_ENGAGEMENT,
    SPARSE_SNAPSHOTS,
    STRICT,
    TOLERANT,
    CheckCategory,
    ParamValue,
    QualityCheck,
    QualityLogEntry,
    QualityResult,
    QualityStatus,
    overall_score,
)

# --- SQL building blocks ---------------------------------------------------------------------
# Every fragment below is a module constant: no value from outside ever reaches the SQL text,
# values travel as bind parameters.


def _flagged(scope: str) -> str:
    """`scope` selects (sample text, flagged boolean) per checked record."""
    return f"""
        WITH scope(sample, flagged) AS MATERIALIZED ({scope})
        SELECT count(*) FILTER (WHERE flagged), count(*),
               ARRAY(SELECT sample FROM scope WHERE flagged ORDER BY sample LIMIT {MAX_SAMPLES})
        FROM scope"""  # noqa: S608


def _duplicates(groups: str) -> str:
    """`groups` selects (sample text, row count) per duplicate key; surplus rows are affected."""
    return f"""
        WITH grouped(sample, n) AS MATERIALIZED ({groups})
        SELECT coalesce(sum(n - 1), 0)::bigint, coalesce(sum(n), 0)::bigint,
               ARRAY(SELECT sample FROM grouped WHERE n > 1 ORDER BY sample LIMIT {MAX_SAMPLES})
        FROM grouped"""  # noqa: S608


def _latest_lag(latest: str, label: str) -> str:
    """`latest` selects the newest timestamp before :until; flagged if older than :max_lag."""
    return _flagged(f"""
        SELECT '{label} at ' || to_char(latest AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
               :until - latest > :max_lag
        FROM ({latest}) AS newest(latest) WHERE latest IS NOT NULL""")  # noqa: S608


# QualityCheck(name, category, description, sql, message, thresholds, params)
QUALITY_CHECKS: tuple[QualityCheck, ...] = (
    QualityCheck(
        "sessions_tutor_exists",
        CheckCategory.REFERENTIAL_INTEGRITY,
        "Sessions in the window whose tutor_id names no tutor.",
        _flagged("""
            SELECT s.session_id, s.tutor_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM nerdboard.tutors t WHERE t.id = s.tutor_id)
            FROM nerdboard.sessions s
            WHERE s.scheduled_time >= :since AND s.scheduled_time < :until"""),
        "{affected} of {checked} sessions in the window name a tutor that does not exist",
        STRICT,
    ),
    QualityCheck(
        "sessions_unassigned",
        CheckCategory.REFERENTIAL_INTEGRITY,
        "Sessions in the window without a tutor: demand the capacity did not serve.",
        _flagged("""
            SELECT s.session_id, s.tutor_id IS NULL FROM nerdboard.sessions s
            WHERE s.scheduled_time >= :since AND s.scheduled_time < :until"""),
        "{affected} of {checked} sessions in the window have no tutor assigned",
        INFORMATIONAL,
    ),
    QualityCheck(
        "sessions_student_enrolled",
        CheckCategory.REFERENTIAL_INTEGRITY,
        "Sessions in the window whose student has no enrollment in that subject.",
        _flagged("""
            SELECT s.session_id, NOT EXISTS (
                SELECT 1 FROM nerdboard.enrollments e
                WHERE e.student_id = s.student_id AND e.subject = s.subject)
            FROM nerdboard.sessions s
            WHERE s.scheduled_time >= :since AND s.scheduled_time < :until"""),
        "{affected} of {checked} sessions in the window have no matching enrollment",
        STRICT,
    ),
    QualityCheck(
        "subjects_known",
        CheckCategory.REFERENTIAL_INTEGRITY,
        "Sessions scheduled and enrollments started in the window whose subject never "
        "appears in capacity_snapshots.",
        _flagged("""
            SELECT 'session ' || s.session_id || ': ' || s.subject,
                   s.subject NOT IN (SELECT c.subject FROM nerdboard.capacity_snapshots c)
            FROM nerdboard.sessions s
            WHERE s.scheduled_time >= :since AND s.scheduled_time < :until
            UNION ALL
            SELECT 'enrollment ' || e.id::text || ': ' || e.subject,
                   e.subject NOT IN (SELECT c.subject FROM nerdboard.capacity_snapshots c)
            FROM nerdboard.enrollments e
            WHERE e.start_date >= :since AND e.start_date < :until"""),
        "{affected} of {checked} sessions and enrollments in the window name a subject with "
        "no capacity snapshot",
        STRICT,
    ),
    QualityCheck(
        "sessions_duration_plausible",
        CheckCategory.RANGE,
        "Sessions in the window longer than max_duration_minutes.",
        _flagged("""
            SELECT s.session_id || ' (' || s.duration_minutes || ' min)',
                   s.duration_minutes > :max_duration_minutes
            FROM nerdboard.sessions s
            WHERE s.scheduled_time >= :since AND s.scheduled_time < :until"""),
        "{affected} of {checked} sessions in the window last longer than "
        "{max_duration_minutes} minutes",
        TOLERANT,
        {"max_duration_minutes": 240},
    ),
    QualityCheck(
        "tutors_capacity_plausible",
        CheckCategory.RANGE,
        "Tutors offering more than max_weekly_hours a week (all tutors: a tutor row has no "
        "simulated time).",
        _flagged("""
            SELECT t.tutor_id || ' (' || t.weekly_capacity_hours || ' h/week)',
                   t.weekly_capacity_hours > :max_weekly_hours
            FROM nerdboard.tutors t"""),
        "{affected} of {checked} tutors offer more than {max_weekly_hours} hours a week",
        TOLERANT,
        {"max_weekly_hours": 60},
    ),
    QualityCheck(
        "sessions_not_in_future",
        CheckCategory.RANGE,
        "Sessions scheduled after the simulation clock (plus future_tolerance), among the "
        "sessions from the window's start onwards.",
        _flagged("""
            SELECT s.session_id || ' at '
                   || to_char(s.scheduled_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
                   s.scheduled_time > :clock + :future_tolerance
            FROM nerdboard.sessions s WHERE s.scheduled_time >= :since"""),
        "{affected} of {checked} sessions are scheduled after the simulation clock",
        STRICT,
        {"future_tolerance": timedelta(0)},
    ),
    QualityCheck(
        "sessions_fresh",
        CheckCategory.FRESHNESS,
        "The newest session before `until` is more than max_lag older than it.",
        _latest_lag(
            "SELECT max(scheduled_time) FROM nerdboard.sessions WHERE scheduled_time < :until",
            "latest session",
        ),
        "{affected} of {checked} session feeds lag the clock by more than {max_lag}",
        FRESHNESS,
        {"max_lag": timedelta(days=1)},
    ),
    QualityCheck(
        "capacity_snapshots_fresh",
        CheckCategory.FRESHNESS,
        "Subjects whose newest snapshot before `until` is more than max_lag older than it.",
        _flagged("""
            SELECT subject || ' (latest '
                   || to_char(latest AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ')',
                   :until - latest > :max_lag
            FROM (SELECT subject, max(date) FROM nerdboard.capacity_snapshots
                  WHERE date < :until GROUP BY subject) AS newest(subject, latest)"""),
        "{affected} of {checked} subjects have no capacity snapshot in the last {max_lag}",
        FRESHNESS,
        {"max_lag": timedelta(days=1)},
    ),
    QualityCheck(
        "health_metrics_fresh",
        CheckCategory.FRESHNESS,
        "The newest health metric before `until` is more than max_lag older than it.",
        _latest_lag(
            "SELECT max(date) FROM nerdboard.health_metrics WHERE date < :until",
            "latest health metric",
        ),
        "{affected} of {checked} health metric feeds lag the clock by more than {max_lag}",
        FRESHNESS,
        {"max_lag": timedelta(days=8)},
    ),
    QualityCheck(
        "sessions_duplicate_booking",
        CheckCategory.DUPLICATES,
        "Sessions in the window booking one student in one subject at one time more than "
        "once (the surplus rows are affected).",
        _duplicates("""
            SELECT min(s.session_id) || ' x' || count(*), count(*) FROM nerdboard.sessions s
            WHERE s.scheduled_time >= :since AND s.scheduled_time < :until
            GROUP BY s.student_id, s.subject, s.scheduled_time"""),
        "{affected} of {checked} sessions in the window duplicate another booking",
        TOLERANT,
    ),
    QualityCheck(
        "capacity_snapshots_duplicate_day",
        CheckCategory.DUPLICATES,
        "More than one capacity snapshot for one subject and UTC day.",
        _duplicates("""
            SELECT c.subject || ' ' || (c.date AT TIME ZONE 'UTC')::date || ' x' || count(*),
                   count(*)
            FROM nerdboard.capacity_snapshots c WHERE c.date >= :since AND c.date < :until
            GROUP BY c.subject, (c.date AT TIME ZONE 'UTC')::date"""),
        "{affected} of {checked} capacity snapshots in the window repeat a subject's day",
        TOLERANT,
    ),
    QualityCheck(
        "health_metrics_duplicate",
        CheckCategory.DUPLICATES,
        "More than one health metric for one customer and UTC day.",
        _duplicates("""
            SELECT h.customer_id || ' ' || (h.date AT TIME ZONE 'UTC')::date || ' x' || count(*),
                   count(*)
            FROM nerdboard.health_metrics h WHERE h.date >= :since AND h.date < :until
            GROUP BY h.customer_id, (h.date AT TIME ZONE 'UTC')::date"""),
        "{affected} of {checked} health metrics in the window repeat a customer's day",
        TOLERANT,
    ),
    QualityCheck(
        "capacity_snapshots_complete",
        CheckCategory.COMPLETENESS,
        "(subject, UTC day) pairs without a snapshot, for every full day inside the window "
        "from the subject's first snapshot on.",
        _flagged("""
            WITH subjects AS (
                SELECT subject, min((date AT TIME ZONE 'UTC')::date) AS first_day
                FROM nerdboard.capacity_snapshots WHERE date < :until GROUP BY subject
            ), days AS (
                SELECT d::date AS day FROM generate_series(
                    date_trunc('day', (:since AT TIME ZONE 'UTC') + interval '1 day'
                                      - interval '1 microsecond'),
                    date_trunc('day', :until AT TIME ZONE 'UTC') - interval '1 day',
                    interval '1 day') AS d
            ), present AS (
                SELECT DISTINCT c.subject, (c.date AT TIME ZONE 'UTC')::date AS day
                FROM nerdboard.capacity_snapshots c WHERE c.date >= :since AND c.date < :until
            )
            SELECT j.subject || ' ' || d.day, NOT EXISTS (
                SELECT 1 FROM present p WHERE p.subject = j.subject AND p.day = d.day)
            FROM subjects j JOIN days d ON d.day >= j.first_day"""),
        "{affected} of {checked} subject-days in the window have no capacity snapshot",
        SPARSE_SNAPSHOTS,
    ),
    QualityCheck(
        "enrollments_engagement_missing",
        CheckCategory.COMPLETENESS,
        "Enrollments that turned `grace` old inside the window and still have no engagement_score.",
        _flagged("""
            SELECT e.id::text, e.engagement_score IS NULL FROM nerdboard.enrollments e
            WHERE e.start_date >= :since - :grace AND e.start_date < :until - :grace"""),
        "{affected} of {checked} enrollments older than {grace} have no engagement score",
        MISSING_ENGAGEMENT,
        {"grace": timedelta(days=14)},
    ),
    QualityCheck(
        "capacity_used_matches_sessions",
        CheckCategory.CONSISTENCY,
        "Snapshots in the window whose used_capacity_hours differs from the rounded hours of "
        "that subject's assigned sessions on that UTC day by more than tolerance_hours.",
        _flagged("""
            SELECT snap.subject || ' ' || (snap.day AT TIME ZONE 'UTC')::date || ': '
                   || snap.used || ' h recorded, ' || booked.hours || ' h booked',
                   abs(snap.used - booked.hours) > :tolerance_hours
            FROM (SELECT c.subject, c.used_capacity_hours,
                         date_trunc('day', c.date AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                  FROM nerdboard.capacity_snapshots c WHERE c.date >= :since AND c.date < :until
                 ) AS snap(subject, used, day)
            CROSS JOIN LATERAL (
                SELECT round(coalesce(sum(s.duration_minutes), 0) / 60.0)::integer
                FROM nerdboard.sessions s
                WHERE s.subject = snap.subject AND s.tutor_id IS NOT NULL
                  AND s.scheduled_time >= snap.day
                  AND s.scheduled_time < snap.day + interval '1 day'
            ) AS booked(hours)"""),
        "{affected} of {checked} capacity snapshots in the window disagree with the booked "
        "sessions by more than {tolerance_hours} h",
        TOLERANT,
        {"tolerance_hours": 1},
    ),
    QualityCheck(
        "capacity_utilization_consistent",
        CheckCategory.CONSISTENCY,
        # Compared in hours, not as a rate: both hour columns are rounded, which moves
        # used/total a lot when total is small but moves rate * total by about an hour at most.
        "Snapshots in the window whose utilization_rate * total_capacity_hours is more than "
        "tolerance_hours away from used_capacity_hours.",
        _flagged("""
            SELECT c.subject || ' ' || (c.date AT TIME ZONE 'UTC')::date || ': rate '
                   || round(c.utilization_rate::numeric, 3) || ', used '
                   || c.used_capacity_hours || ' of ' || c.total_capacity_hours || ' h',
                   abs(c.utilization_rate * c.total_capacity_hours - c.used_capacity_hours)
                   > :tolerance_hours
            FROM nerdboard.capacity_snapshots c WHERE c.date >= :since AND c.date < :until"""),
        "{affected} of {checked} capacity snapshots in the window have a utilization rate "
        "that disagrees with used/total",
        TOLERANT,
        {"tolerance_hours": 1.0},
    ),
    QualityCheck(
        "tutors_idle_with_capacity",
        CheckCategory.CONSISTENCY,
        "Tutors offering capacity who had no session in the `lookback` before `until`.",
        # One pass over the look-back's sessions through ix_sessions_scheduled_time: a
        # per-tutor NOT EXISTS walks idx_sessions_tutor through a year of history (10 s).
        _flagged("""
            SELECT t.tutor_id, active.tutor_id IS NULL
            FROM nerdboard.tutors t LEFT JOIN (
                SELECT DISTINCT s.tutor_id FROM nerdboard.sessions s
                WHERE s.scheduled_time >= :until - :lookback AND s.scheduled_time < :until
                  AND s.tutor_id IS NOT NULL
            ) AS active ON active.tutor_id = t.id
            WHERE t.weekly_capacity_hours > 0"""),
        "{affected} of {checked} tutors with capacity had no session in {lookback}",
        INFORMATIONAL,
        {"lookback": timedelta(days=60)},
    ),
)


CHECKS_BY_NAME: Mapping[str, QualityCheck] = {check.name: check for check in QUALITY_CHECKS}


# --- running ---------------------------------------------------------------------------------

_TIMESTAMPTZ = DateTime(timezone=True)


def _param_type(value: ParamValue) -> TypeEngine[Any]:
    if isinstance(value, timedelta):
        return Interval()
    if isinstance(value, int):
        return Integer()
    return Float()


def _statement(check: QualityCheck) -> TextClause:
    clause = text(check.sql)
    used = set(clause.compile().params)
    types: dict[str, TypeEngine[Any]] = {name: _TIMESTAMPTZ for name in ("since", "until", "clock")}
    types.update({name: _param_type(value) for name, value in check.params.items()})
    unknown = used - types.keys()
    if unknown:
        raise ValueError(f"check {check.name} uses unbound parameters {sorted(unknown)}")
    return clause.bindparams(*(bindparam(name, type_=types[name]) for name in sorted(used)))


async def simulation_clock(session: AsyncSession) -> datetime | None:
    """The simulation's current date, or None when the clock row is missing."""
    try:
        return (await read_clock(session)).current_date
    except NotFound:
        return None


async def measure(
    session: AsyncSession, check: QualityCheck, since: datetime, until: datetime, clock: datetime
) -> tuple[int, int, tuple[str, ...]]:
    """Run one check's query over [since, until): (affected, checked, sample records)."""
    values: dict[str, object] = {"since": since, "until": until, "clock": clock}
    values.update(check.params)
    row = (await session.execute(_statement(check), values)).one()
    return int(row[0]), int(row[1]), tuple(row[2] or ())


async def log_results(session: AsyncSession, results: Sequence[QualityResult]) -> None:
    """One `data_quality_log` row per result (flushed, not committed)."""
    if not results:
        return
    await session.execute(
        insert(DataQualityLog),
        [
            {
                "check_name": result.check_name,
                "status": result.status.value,
                "quality_score": result.quality_score,
                "affected_records_count": result.affected_count,
                "error_details": result.error_details,
                "checked_at": result.checked_at,
            }
            for result in results
        ],
    )
    await session.flush()


def _entry(row: DataQualityLog) -> QualityLogEntry:
    return QualityLogEntry(
        check_name=row.check_name,
        status=QualityStatus(row.status),
        quality_score=row.quality_score,
        affected_records_count=row.affected_records_count,
        error_details=row.error_details,
        checked_at=row.checked_at,
    )


# Not DISTINCT ON: that sorts the whole log (129 ms at 100k rows, spilling to disk). This walks
# the check names through idx_quality_check_status, then finds each name's newest checked_at
# backwards through idx_quality_checked_at (a few entries when checks run together), and only
# then breaks ties on created_at: a tie-breaker in the first ORDER BY would make the index scan
# run on past the first match (212 ms).
LATEST_PER_CHECK = """
    WITH RECURSIVE names(name) AS (
        (SELECT check_name FROM nerdboard.data_quality_log ORDER BY check_name LIMIT 1)
        UNION ALL
        SELECT (SELECT l.check_name FROM nerdboard.data_quality_log l
                WHERE l.check_name > names.name ORDER BY l.check_name LIMIT 1)
        FROM names WHERE names.name IS NOT NULL
    )
    SELECT latest.* FROM names
    CROSS JOIN LATERAL (
        SELECT l.checked_at FROM nerdboard.data_quality_log l WHERE l.check_name = names.name
        ORDER BY l.checked_at DESC LIMIT 1
    ) AS newest
    CROSS JOIN LATERAL (
        SELECT * FROM nerdboard.data_quality_log l
        WHERE l.check_name = names.name AND l.checked_at = newest.checked_at
        ORDER BY l.created_at DESC LIMIT 1
    ) AS latest
    WHERE names.name IS NOT NULL
    ORDER BY latest.check_name"""


async def latest_quality_status(session: AsyncSession) -> list[QualityLogEntry]:
    """The newest log row of every check that has run, ordered by check name."""
    statement = select(DataQualityLog).from_statement(text(LATEST_PER_CHECK))
    return [_entry(row) for row in (await session.scalars(statement)).all()]


async def quality_history(
    session: AsyncSession, *, check_name: str | None = None, limit: int = 100
) -> list[QualityLogEntry]:
    """Log rows, newest first; only `check_name`'s when given."""
    log = DataQualityLog
    statement = select(log).order_by(log.checked_at.desc(), log.created_at.desc()).limit(limit)
    if check_name is not None:
        statement = statement.where(log.check_name == check_name)
    return [_entry(row) for row in (await session.scalars(statement)).all()]


async def latest_overall_score(session: AsyncSession) -> float | None:
    """Mean of every check's latest score (None before any check has run)."""
    return overall_score(entry.quality_score for entry in await latest_quality_status(session))


__all__ = [
    "CHECKS_BY_NAME",
    "QUALITY_CHECKS",
    "CheckCategory",
    "QualityCheck",
    "QualityLogEntry",
    "QualityResult",
    "QualityStatus",
    "latest_overall_score",
    "latest_quality_status",
    "log_results",
    "measure",
    "quality_history",
    "simulation_clock",
]
