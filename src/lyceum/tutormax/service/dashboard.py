"""The views TutorMax's pages are built from (the API serves each of them too, so a page and
the API never disagree): the risk overview, the intervention board, a tutor's history, and a
tutor's standing among peers with what would lift their score.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.principal import Principal
from lyceum.tutormax import schemas
from lyceum.tutormax.enums import InterventionStatus, MetricWindow, RiskLevel
from lyceum.tutormax.repository import dashboard as sql
from lyceum.tutormax.repository import interventions as intervention_sql
from lyceum.tutormax.repository import profiles as profile_sql
from lyceum.tutormax.scorecard import Code, WindowMetrics, criterion_value, what_would_lift
from lyceum.tutormax.scorecard.words import LABELS, format_value, lift_sentence
from lyceum.tutormax.service import interventions as intervention_service
from lyceum.tutormax.service.metrics import active_scorecard
from lyceum.tutormax.service.profiles import check_can_see, is_staff

TREND_DAYS = 182
HISTORY_DAYS = 182
BOARD_LIMIT = 100
CLOSED_DAYS = 30
OPEN_COLUMNS = (InterventionStatus.PENDING, InterventionStatus.IN_PROGRESS)
CLOSED_COLUMNS = (InterventionStatus.COMPLETED, InterventionStatus.CANCELLED)

# The metrics a tutor is compared with peers on: the scorecard's criteria (the no-show rate
# derived as the scorecard derives it), the overall score and the completed sessions.
PEER_METRICS: tuple[sql.PeerMetric, ...] = (
    sql.PeerMetric("overall_score", "{row}.overall_score", higher_is_better=True),
    sql.PeerMetric("sessions_completed", "{row}.sessions_completed", higher_is_better=True),
    sql.PeerMetric(Code.RATING.value, "{row}.avg_rating", higher_is_better=True),
    sql.PeerMetric(
        Code.FIRST_SESSION_SUCCESS.value, "{row}.first_session_success_rate", higher_is_better=True
    ),
    sql.PeerMetric(
        Code.NO_SHOW_RATE.value,
        "({row}.no_show_count::float8 / nullif({row}.sessions_completed + {row}.no_show_count, 0))",
        higher_is_better=False,
    ),
    sql.PeerMetric(Code.RESCHEDULE_RATE.value, "{row}.reschedule_rate", higher_is_better=False),
    sql.PeerMetric(Code.ENGAGEMENT.value, "{row}.engagement_score", higher_is_better=True),
    sql.PeerMetric(
        Code.RESPONSE_TIME.value, "{row}.response_time_avg_minutes", higher_is_better=False
    ),
)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# ---- the risk overview -----------------------------------------------------------------------


async def risk_overview(db: AsyncSession) -> schemas.RiskOverview:
    """Risk levels and a ten-point histogram of the latest scoring, and tutors per level on
    each scoring day of the 26 weeks before it (two statements, three before any scoring)."""
    rows = await sql.risk_distribution(db)
    latest = rows[0]["day"] if rows else await sql.latest_prediction_day(db)
    levels = dict.fromkeys(RiskLevel, 0)
    buckets = [{level: 0 for level in RiskLevel} for _ in range(10)]
    for row in rows:
        level = RiskLevel(row["risk_level"])
        levels[level] += int(row["tutors"])
        buckets[int(row["bucket"])][level] += int(row["tutors"])
    trend: list[schemas.RiskTrendPoint] = []
    if latest is not None:
        by_day: dict[datetime, dict[RiskLevel, int]] = {}
        for row in await sql.risk_trend(db, latest - timedelta(days=TREND_DAYS)):
            counts = by_day.setdefault(row["day"], dict.fromkeys(RiskLevel, 0))
            counts[RiskLevel(row["risk_level"])] = int(row["tutors"])
        trend = [schemas.RiskTrendPoint(day=day, tutors=counts) for day, counts in by_day.items()]
    return schemas.RiskOverview(
        as_of=latest,
        levels=[schemas.RiskLevelCount(risk_level=level, tutors=n) for level, n in levels.items()],
        buckets=[
            schemas.RiskBucket(low=10 * index, high=100 if index == 9 else 10 * index + 9, tutors=b)
            for index, b in enumerate(buckets)
        ],
        trend=trend,
    )


# ---- the intervention board ------------------------------------------------------------------


async def intervention_board(
    db: AsyncSession, *, as_of: date | None = None, limit: int = BOARD_LIMIT
) -> schemas.InterventionBoard:
    """Each status's column in the list's order (overdue first, then by priority and due
    day): every open one up to `limit`, and those closed in the last `CLOSED_DAYS` days."""
    day = as_of or intervention_service.today()
    since = _midnight(day - timedelta(days=CLOSED_DAYS))
    columns: dict[InterventionStatus, schemas.InterventionPage] = {}
    for status in (*OPEN_COLUMNS, *CLOSED_COLUMNS):
        filters = intervention_sql.InterventionFilters(
            status=status, changed_since=None if status in OPEN_COLUMNS else since
        )
        columns[status] = await intervention_service.intervention_page(
            db, filters, as_of=day, limit=limit, offset=0
        )
    return schemas.InterventionBoard(
        as_of=day, limit=limit, closed_days=CLOSED_DAYS, columns=columns
    )


# ---- a tutor's history and standing ---------------------------------------------------------


async def tutor_history(
    db: AsyncSession, principal: Principal, tutor_id: str, *, days: int = HISTORY_DAYS
) -> schemas.TutorHistory:
    """The tutor's metrics (every window) and, for staff, risk over the `days` days up to
    the latest of each (a history that ended in the past still shows its last months)."""
    await check_can_see(db, principal, tutor_id)
    metrics = await sql.metric_history(db, tutor_id, days)
    risk = await sql.risk_history(db, tutor_id, days) if is_staff(principal) else []
    return schemas.TutorHistory(
        tutor_id=tutor_id,
        days=days,
        metrics=[schemas.MetricPoint.model_validate(dict(row)) for row in metrics],
        risk=[schemas.RiskHistoryPoint.model_validate(dict(row)) for row in risk],
    )


def _window_metrics(row: schemas.MetricsOut) -> WindowMetrics:
    return WindowMetrics(
        window=row.metric_window,
        sessions_completed=row.sessions_completed,
        avg_rating=row.avg_rating,
        first_session_success_rate=row.first_session_success_rate,
        reschedule_rate=row.reschedule_rate,
        no_show_count=row.no_show_count,
        engagement_score=row.engagement_score,
        response_time_avg_minutes=row.response_time_avg_minutes,
    )


def _metric_value(row: schemas.MetricsOut, key: str) -> float | None:
    if key == "overall_score":
        return row.overall_score
    if key == "sessions_completed":
        return float(row.sessions_completed)
    return criterion_value(_window_metrics(row), Code(key))


def _shown(key: str, value: float | None) -> str:
    if key == "overall_score":
        return "no score" if value is None else f"{value:.0f} / 100"
    if key == "sessions_completed":
        return format_value(Code.MIN_SESSIONS, value)
    return format_value(Code(key), value)


def _label(key: str) -> str:
    if key == "overall_score":
        return "Overall score"
    return LABELS[Code.MIN_SESSIONS if key == "sessions_completed" else Code(key)]


async def tutor_standing(
    db: AsyncSession, principal: Principal, tutor_id: str
) -> schemas.TutorStanding:
    """For each window's latest row: the tutor's metrics, the share of scored peers they do
    better than, and each missed criterion with what meeting it would add (two statements)."""
    await check_can_see(db, principal, tutor_id)
    latest = {
        row.metric_window: schemas.MetricsOut.model_validate(row)
        for row in await profile_sql.latest_metrics(db, tutor_id)
    }
    peers = {
        MetricWindow(row["metric_window"]): row
        for row in await sql.peer_standing(db, tutor_id, PEER_METRICS)
    }
    scorecard = active_scorecard()
    windows = []
    for window, row in latest.items():
        peer = peers.get(window)
        metrics = []
        for metric in PEER_METRICS:
            value = _metric_value(row, metric.key)
            share = None if peer is None else peer[metric.key]
            metrics.append(
                schemas.StandingMetric(
                    key=metric.key,
                    label=_label(metric.key),
                    value=value,
                    shown=_shown(metric.key, value),
                    higher_is_better=metric.higher_is_better,
                    better_than=None if share is None or value is None else float(share),
                )
            )
        lifts = [
            schemas.LiftOut(
                criterion=lift.code.value,
                label=LABELS[lift.code],
                threshold=lift.threshold,
                value=lift.value,
                points=lift.points,
                tier_if_met=lift.tier_if_met,
                sentence=lift_sentence(lift, window, row.performance_tier),
            )
            for lift in what_would_lift(_window_metrics(row), scorecard)
        ]
        windows.append(
            schemas.WindowStanding(
                metric_window=window,
                calculation_date=row.calculation_date,
                peers=0 if peer is None else int(peer["peers"]),
                overall_score=row.overall_score,
                performance_tier=row.performance_tier,
                metrics=metrics,
                lifts=lifts,
            )
        )
    return schemas.TutorStanding(tutor_id=tutor_id, windows=windows)


__all__ = [
    "BOARD_LIMIT",
    "CLOSED_DAYS",
    "HISTORY_DAYS",
    "PEER_METRICS",
    "intervention_board",
    "risk_overview",
    "tutor_history",
    "tutor_standing",
]
