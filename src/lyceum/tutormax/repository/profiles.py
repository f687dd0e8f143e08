"""The API's reads over tutors: the risk-aware tutor list, a tutor's profile, the high-risk
queue's open interventions, and which tutor an account speaks for.

Set-based: the list is one statement per page (each tutor's latest prediction and latest
30-day metrics through LATERAL subqueries that walk the tutor/date indexes) and one for the
total; a profile is one statement per section, whatever the tutor's history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, func, insert, select, true
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.enums import (
    InterventionStatus,
    MetricWindow,
    PerformanceTier,
    RiskLevel,
    TutorStatus,
)
from lyceum.tutormax.models import (
    ChurnPrediction,
    Intervention,
    Session,
    StudentFeedback,
    Tutor,
    TutorAccount,
    TutorEvent,
    TutorPerformanceMetric,
)

TutorSort = Literal["name", "risk", "score"]
OPEN_STATUSES = (InterventionStatus.PENDING, InterventionStatus.IN_PROGRESS)


@dataclass(frozen=True, slots=True)
class TutorListFilters:
    status: TutorStatus | None = None
    subject: str | None = None
    # Of the tutor's latest prediction / latest 30-day metrics.
    risk_level: RiskLevel | None = None
    tier: PerformanceTier | None = None


def _tutor_rows(filters: TutorListFilters) -> Select[Any]:
    latest_prediction = (
        select(
            ChurnPrediction.risk_score,
            ChurnPrediction.risk_level,
            ChurnPrediction.churn_probability_30d,
        )
        .where(ChurnPrediction.tutor_id == Tutor.tutor_id)
        .order_by(ChurnPrediction.prediction_date.desc(), ChurnPrediction.created_at.desc())
        .limit(1)
        .lateral("latest_prediction")
    )
    latest_metrics = (
        select(TutorPerformanceMetric.overall_score, TutorPerformanceMetric.performance_tier)
        .where(
            TutorPerformanceMetric.tutor_id == Tutor.tutor_id,
            TutorPerformanceMetric.metric_window == MetricWindow.THIRTY_DAY,
        )
        .order_by(
            TutorPerformanceMetric.calculation_date.desc(),
            TutorPerformanceMetric.created_at.desc(),
        )
        .limit(1)
        .lateral("latest_metrics")
    )
    query = (
        select(
            Tutor.tutor_id,
            Tutor.name,
            Tutor.status,
            Tutor.subjects,
            Tutor.onboarding_date,
            Tutor.experience_years,
            Tutor.timezone,
            Tutor.churned_at,
            latest_prediction.c.risk_score,
            latest_prediction.c.risk_level,
            latest_prediction.c.churn_probability_30d,
            latest_metrics.c.overall_score,
            latest_metrics.c.performance_tier,
        )
        .select_from(Tutor)
        .outerjoin(latest_prediction, true())
        .outerjoin(latest_metrics, true())
    )
    if filters.status is not None:
        query = query.where(Tutor.status == filters.status)
    if filters.subject is not None:
        query = query.where(Tutor.subjects.any_() == filters.subject)
    if filters.risk_level is not None:
        query = query.where(latest_prediction.c.risk_level == filters.risk_level)
    if filters.tier is not None:
        query = query.where(latest_metrics.c.performance_tier == filters.tier)
    return query


def _sorted(query: Select[Any], sort: TutorSort) -> Select[Any]:
    columns = query.selected_columns
    if sort == "risk":
        first: list[Any] = [columns.risk_score.desc().nulls_last()]
    elif sort == "score":  # weakest first
        first = [columns.overall_score.asc().nulls_last()]
    else:
        first = []
    return query.order_by(*first, Tutor.name, Tutor.tutor_id)


async def tutor_page(
    db: AsyncSession, filters: TutorListFilters, *, sort: TutorSort, limit: int, offset: int
) -> tuple[int, list[RowMapping]]:
    """One page of tutors with their latest risk and score, and how many match in all."""
    query = _tutor_rows(filters)
    total = (await db.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    page = await db.execute(_sorted(query, sort).limit(limit).offset(offset))
    return int(total), list(page.mappings())


async def all_tutors(
    db: AsyncSession, filters: TutorListFilters, *, sort: TutorSort, cap: int
) -> list[RowMapping]:
    """Every matching tutor (for an export), at most `cap`, in the list's order."""
    return list((await db.execute(_sorted(_tutor_rows(filters), sort).limit(cap))).mappings())


# ---- a tutor's profile ---------------------------------------------------------------------


async def latest_metrics(db: AsyncSession, tutor_id: str) -> list[TutorPerformanceMetric]:
    """The latest metrics row of each window, in window order (7, 30, 90 days)."""
    window_order = {window: position for position, window in enumerate(MetricWindow)}
    query = (
        select(TutorPerformanceMetric)
        .where(TutorPerformanceMetric.tutor_id == tutor_id)
        .distinct(TutorPerformanceMetric.metric_window)
        .order_by(
            TutorPerformanceMetric.metric_window,
            TutorPerformanceMetric.calculation_date.desc(),
            TutorPerformanceMetric.created_at.desc(),
        )
    )
    rows = list((await db.execute(query)).scalars())
    return sorted(rows, key=lambda row: window_order[row.metric_window])


async def recent_predictions(db: AsyncSession, tutor_id: str, limit: int) -> list[ChurnPrediction]:
    """The tutor's latest `limit` predictions, newest first."""
    query = (
        select(ChurnPrediction)
        .where(ChurnPrediction.tutor_id == tutor_id)
        .order_by(ChurnPrediction.prediction_date.desc(), ChurnPrediction.created_at.desc())
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def recent_sessions(db: AsyncSession, tutor_id: str, limit: int) -> list[RowMapping]:
    """The tutor's latest `limit` sessions (by scheduled start), newest first, each with the
    student's rating and comment when there is one."""
    query = (
        select(
            Session.session_id,
            Session.student_id,
            Session.subject,
            Session.scheduled_start,
            Session.duration_minutes,
            Session.status,
            Session.is_first_session,
            Session.no_show_by,
            Session.rescheduled_by,
            Session.engagement_score,
            StudentFeedback.overall_rating,
            StudentFeedback.free_text_feedback,
        )
        .outerjoin(StudentFeedback, StudentFeedback.session_id == Session.session_id)
        .where(Session.tutor_id == tutor_id)
        .order_by(Session.scheduled_start.desc(), Session.session_id)
        .limit(limit)
    )
    return list((await db.execute(query)).mappings())


async def last_activity(db: AsyncSession, tutor_id: str) -> datetime | None:
    """When the tutor last did anything the tables record: a session's scheduled start or an
    event, whichever is later (None: nothing yet)."""
    last_session = (
        select(func.max(Session.scheduled_start))
        .where(Session.tutor_id == tutor_id)
        .scalar_subquery()
    )
    last_event = (
        select(func.max(TutorEvent.event_timestamp))
        .where(TutorEvent.tutor_id == tutor_id)
        .scalar_subquery()
    )
    latest: datetime | None = (
        await db.execute(select(func.greatest(last_session, last_event)))
    ).scalar_one()
    return latest


# ---- the high-risk queue ---------------------------------------------------------------------


async def tutors_with_open_interventions(db: AsyncSession, tutor_ids: list[str]) -> set[str]:
    """Which of `tutor_ids` have an open (pending or in progress) intervention."""
    if not tutor_ids:
        return set()
    query = (
        select(Intervention.tutor_id)
        .where(and_(Intervention.tutor_id.in_(tutor_ids), Intervention.status.in_(OPEN_STATUSES)))
        .distinct()
    )
    return set((await db.execute(query)).scalars())


# ---- tutor accounts ----------------------------------------------------------------------------


async def linked_tutor(db: AsyncSession, operator_id: str) -> str | None:
    """The tutor the account `operator_id` speaks for, if any (an id that is not a UUID is
    no account's)."""
    try:
        account = uuid.UUID(operator_id)
    except ValueError:
        return None
    query = select(TutorAccount.tutor_id).where(TutorAccount.operator_id == account)
    linked: str | None = (await db.execute(query)).scalar_one_or_none()
    return linked


async def tutor_account(db: AsyncSession, tutor_id: str) -> uuid.UUID | None:
    """The account linked to the tutor, if any."""
    query = select(TutorAccount.operator_id).where(TutorAccount.tutor_id == tutor_id)
    account: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return account


async def link_account(db: AsyncSession, operator_id: uuid.UUID, tutor_id: str) -> None:
    """Record that the account speaks for the tutor (the constraints refuse a second link
    of either)."""
    await db.execute(insert(TutorAccount).values(operator_id=operator_id, tutor_id=tutor_id))


__all__ = [
    "OPEN_STATUSES",
    "TutorListFilters",
    "TutorSort",
    "all_tutors",
    "last_activity",
    "latest_metrics",
    "link_account",
    "linked_tutor",
    "recent_predictions",
    "recent_sessions",
    "tutor_account",
    "tutor_page",
    "tutors_with_open_interventions",
]
