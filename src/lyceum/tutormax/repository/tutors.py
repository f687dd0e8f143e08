"""TutorMax's queries, including seed 002's eleven utility functions (`utils.py` there).

Each function takes the caller's session and only reads; none commits. Relations are
loaded with `selectinload` (one extra query per relation, however many rows), so no
function issues a query per row. "Latest" always means by the business date
(`calculation_date`, `prediction_date`), ties broken by when the row was written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, selectinload

from lyceum.core.errors import InvalidInput, NotFound
from lyceum.tutormax.enums import (
    EventType,
    InitiatedBy,
    InterventionStatus,
    MetricWindow,
    RiskLevel,
    TutorStatus,
)
from lyceum.tutormax.models import (
    SCHEMA,
    TABLE_COLUMN_COUNTS,
    ChurnPrediction,
    Intervention,
    Session,
    StudentFeedback,
    Tutor,
    TutorEvent,
    TutorPerformanceMetric,
)

# Empties every TutorMax table in one statement (generator rebuilds, `init --reset`). CASCADE:
# the engines' own tables (rule matches, routing, audit) hang off these by foreign keys and
# describe the data being replaced, so they go with it.
TRUNCATE_ALL = (
    "TRUNCATE " + ", ".join(f"{SCHEMA}.{table}" for table in TABLE_COLUMN_COUNTS) + " CASCADE"
)


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise InvalidInput(f"limit must be at least 1, got {limit}")


def _check_range(start_date: datetime | None, end_date: datetime | None) -> None:
    for name, value in (("start_date", start_date), ("end_date", end_date)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} must carry a time zone (got {value.isoformat()})")
    if start_date is not None and end_date is not None and end_date < start_date:
        raise InvalidInput("end_date is before start_date")


async def get_tutor_by_id(
    db: AsyncSession, tutor_id: str, with_relations: bool = False
) -> Tutor | None:
    """The tutor, or None. `with_relations` loads sessions (with their feedback), metrics,
    churn predictions, interventions and events in one query per relation."""
    query = select(Tutor).where(Tutor.tutor_id == tutor_id)
    if with_relations:
        query = query.options(
            selectinload(Tutor.sessions).selectinload(Session.feedback),
            selectinload(Tutor.performance_metrics),
            selectinload(Tutor.churn_predictions),
            selectinload(Tutor.interventions),
            selectinload(Tutor.events),
        )
    return (await db.execute(query)).scalar_one_or_none()


async def get_active_tutors(
    db: AsyncSession, limit: int | None = None, offset: int = 0
) -> list[Tutor]:
    """Active tutors by id."""
    _check_limit(limit)
    query = (
        select(Tutor)
        .where(Tutor.status == TutorStatus.ACTIVE)
        .order_by(Tutor.tutor_id)
        .offset(offset)
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def list_tutors(
    db: AsyncSession,
    *,
    status: TutorStatus | None,
    subject: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[Tutor]]:
    """One page of tutors by name (then id), and how many match in all."""
    _check_limit(limit)
    conditions = []
    if status is not None:
        conditions.append(Tutor.status == status)
    if subject is not None:
        conditions.append(Tutor.subjects.any_() == subject)
    total = (
        await db.execute(select(func.count()).select_from(Tutor).where(*conditions))
    ).scalar_one()
    page = (
        await db.execute(
            select(Tutor)
            .where(*conditions)
            .order_by(Tutor.name, Tutor.tutor_id)
            .offset(offset)
            .limit(limit)
        )
    ).scalars()
    return int(total), list(page)


def _latest_predictions() -> Any:
    """Each tutor's most recent prediction (DISTINCT ON uses the tutor/date index)."""
    return (
        select(ChurnPrediction.prediction_id)
        .ext(distinct_on(ChurnPrediction.tutor_id))
        .order_by(
            ChurnPrediction.tutor_id,
            ChurnPrediction.prediction_date.desc(),
            ChurnPrediction.created_at.desc(),
        )
        .subquery("latest")
    )


def _current_risk(entity: type[Tutor] | type[ChurnPrediction]) -> Select[Any]:
    """A select of `entity` over each tutor's latest prediction, joined to tutors who have
    not already churned (no intervention can help them)."""
    latest = _latest_predictions()
    return (
        select(entity)
        .select_from(ChurnPrediction)
        .join(latest, ChurnPrediction.prediction_id == latest.c.prediction_id)
        .join(ChurnPrediction.tutor)
        .where(Tutor.status != TutorStatus.CHURNED)
    )


async def get_tutors_by_risk_level(
    db: AsyncSession, risk_level: RiskLevel | str, limit: int | None = None
) -> list[Tutor]:
    """Tutors whose latest churn prediction has this risk level, riskiest first."""
    _check_limit(limit)
    try:
        level = RiskLevel(risk_level)
    except ValueError:
        choices = ", ".join(level.value for level in RiskLevel)
        raise InvalidInput(f"unknown risk level {risk_level!r}; choose one of {choices}") from None
    query = _current_risk(Tutor).where(ChurnPrediction.risk_level == level)
    query = query.order_by(ChurnPrediction.risk_score.desc(), Tutor.tutor_id).limit(limit)
    return list((await db.execute(query)).scalars())


async def get_tutor_sessions(
    db: AsyncSession,
    tutor_id: str,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    limit: int | None = None,
) -> list[Session]:
    """A tutor's sessions scheduled in [start_date, end_date), latest first."""
    _check_limit(limit)
    _check_range(start_date, end_date)
    query = select(Session).where(Session.tutor_id == tutor_id)
    if start_date is not None:
        query = query.where(Session.scheduled_start >= start_date)
    if end_date is not None:
        query = query.where(Session.scheduled_start < end_date)
    query = query.order_by(Session.scheduled_start.desc(), Session.session_id).limit(limit)
    return list((await db.execute(query)).scalars())


async def get_first_sessions(
    db: AsyncSession,
    tutor_id: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    limit: int | None = None,
) -> list[Session]:
    """First sessions (a student's first with a tutor), with their feedback, latest first;
    for one tutor or all."""
    _check_limit(limit)
    _check_range(start_date, end_date)
    query = select(Session).where(Session.is_first_session.is_(True))
    if tutor_id is not None:
        query = query.where(Session.tutor_id == tutor_id)
    if start_date is not None:
        query = query.where(Session.scheduled_start >= start_date)
    if end_date is not None:
        query = query.where(Session.scheduled_start < end_date)
    query = (
        query.options(selectinload(Session.feedback))
        .order_by(Session.scheduled_start.desc(), Session.session_id)
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def get_latest_performance_metrics(
    db: AsyncSession, tutor_id: str, window: MetricWindow | str = MetricWindow.THIRTY_DAY
) -> TutorPerformanceMetric | None:
    """The tutor's most recent metrics for one window (30 days unless asked otherwise)."""
    try:
        metric_window = MetricWindow(window)
    except ValueError:
        choices = ", ".join(w.value for w in MetricWindow)
        raise InvalidInput(f"unknown metric window {window!r}; choose one of {choices}") from None
    query = (
        select(TutorPerformanceMetric)
        .where(
            TutorPerformanceMetric.tutor_id == tutor_id,
            TutorPerformanceMetric.metric_window == metric_window,
        )
        .order_by(
            TutorPerformanceMetric.calculation_date.desc(),
            TutorPerformanceMetric.created_at.desc(),
        )
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def get_latest_churn_prediction(db: AsyncSession, tutor_id: str) -> ChurnPrediction | None:
    """The tutor's most recent churn prediction, whichever model wrote it."""
    query = (
        select(ChurnPrediction)
        .where(ChurnPrediction.tutor_id == tutor_id)
        .order_by(ChurnPrediction.prediction_date.desc(), ChurnPrediction.created_at.desc())
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def get_high_risk_tutors(
    db: AsyncSession, min_score: int = 51, limit: int = 10
) -> list[ChurnPrediction]:
    """Tutors needing intervention: each one's latest prediction with `risk_score >=
    min_score` (51 = High or worse), riskiest first, with `.tutor` loaded. Tutors who have
    already churned are left out."""
    if not 0 <= min_score <= 100:
        raise InvalidInput(f"min_score must be between 0 and 100, got {min_score}")
    _check_limit(limit)
    query = (
        _current_risk(ChurnPrediction)
        .where(ChurnPrediction.risk_score >= min_score)
        .options(contains_eager(ChurnPrediction.tutor))
        .order_by(ChurnPrediction.risk_score.desc(), ChurnPrediction.tutor_id)
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def get_pending_interventions(
    db: AsyncSession, tutor_id: str | None = None, limit: int | None = None
) -> list[Intervention]:
    """The intervention queue: pending ones, most urgent first (priority, then due date,
    undated last, then oldest), with `.tutor` loaded."""
    _check_limit(limit)
    query = select(Intervention).where(Intervention.status == InterventionStatus.PENDING)
    if tutor_id is not None:
        query = query.where(Intervention.tutor_id == tutor_id)
    query = (
        query.options(selectinload(Intervention.tutor))
        .order_by(
            Intervention.priority,
            Intervention.due_date.asc().nulls_last(),
            Intervention.created_at,
            Intervention.intervention_id,
        )
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def get_tutor_events(
    db: AsyncSession,
    tutor_id: str,
    event_type: EventType | str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    limit: int | None = 100,
) -> list[TutorEvent]:
    """A tutor's events in [start_date, end_date), latest first (100 unless asked)."""
    _check_limit(limit)
    _check_range(start_date, end_date)
    query = select(TutorEvent).where(TutorEvent.tutor_id == tutor_id)
    if event_type is not None:
        try:
            query = query.where(TutorEvent.event_type == EventType(event_type))
        except ValueError:
            choices = ", ".join(e.value for e in EventType)
            raise InvalidInput(
                f"unknown event type {event_type!r}; choose one of {choices}"
            ) from None
    if start_date is not None:
        query = query.where(TutorEvent.event_timestamp >= start_date)
    if end_date is not None:
        query = query.where(TutorEvent.event_timestamp < end_date)
    query = query.order_by(TutorEvent.event_timestamp.desc(), TutorEvent.event_id).limit(limit)
    return list((await db.execute(query)).scalars())


async def get_tutor_statistics(
    db: AsyncSession, tutor_id: str, days_back: int = 30, *, now: datetime | None = None
) -> dict[str, Any]:
    """The tutor's last `days_back` days (to `now`, the database's clock by default), in one
    query: `{"tutor_id", "total_sessions", "average_rating", "no_shows", "reschedules"}`.

    `total_sessions` counts every session scheduled in the window whatever became of it;
    `no_shows` and `reschedules` count only the tutor's own (a student's no-show says nothing
    about the tutor); `average_rating` is the mean overall rating of those sessions, to two
    decimals, or None when none was rated. Raises NotFound for an unknown tutor.
    """
    if days_back < 1:
        raise InvalidInput(f"days_back must be at least 1, got {days_back}")
    if now is not None and now.tzinfo is None:
        raise InvalidInput(f"now must carry a time zone (got {now.isoformat()})")
    until = func.now() if now is None else now
    since = until - timedelta(days=days_back)
    in_window = and_(
        Session.tutor_id == Tutor.tutor_id,
        Session.scheduled_start >= since,
        Session.scheduled_start < until,
    )
    query = (
        select(
            func.count(Session.session_id).label("total_sessions"),
            func.avg(StudentFeedback.overall_rating).label("average_rating"),
            func.count(Session.session_id)
            .filter(Session.no_show_by == InitiatedBy.TUTOR)
            .label("no_shows"),
            func.count(Session.session_id)
            .filter(Session.rescheduled_by == InitiatedBy.TUTOR)
            .label("reschedules"),
        )
        .select_from(Tutor)
        .outerjoin(Session, in_window)
        .outerjoin(StudentFeedback, StudentFeedback.session_id == Session.session_id)
        .where(Tutor.tutor_id == tutor_id)
        .group_by(Tutor.tutor_id)
    )
    row = (await db.execute(query)).one_or_none()
    if row is None:
        raise NotFound(f"tutor {tutor_id!r} not found")
    average = None if row.average_rating is None else round(float(row.average_rating), 2)
    return {
        "tutor_id": tutor_id,
        "total_sessions": row.total_sessions,
        "average_rating": average,
        "no_shows": row.no_shows,
        "reschedules": row.reschedules,
    }


__all__ = [
    "TRUNCATE_ALL",
    "get_active_tutors",
    "get_first_sessions",
    "get_high_risk_tutors",
    "get_latest_churn_prediction",
    "get_latest_performance_metrics",
    "get_pending_interventions",
    "get_tutor_by_id",
    "get_tutor_events",
    "get_tutor_sessions",
    "get_tutor_statistics",
    "get_tutors_by_risk_level",
    "list_tutors",
]
