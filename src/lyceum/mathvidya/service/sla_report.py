"""The SLA report (issue 16, admins): how often the promise was kept, overall, by plan and by
teacher, over a range of India dates.

Counted: evaluations completed in the range (met when not `sla_breached`, i.e. completed by
the deadline and never flagged by the monitor), and evaluations still open that are already
breached and whose deadline fell in the range (a breach does not wait for the marking to be
finished to count). The median working hours to completion runs from the hand-in to the
completion on the SLA's own clock (working hours only). At risk: open evaluations forecast by
the monitor to finish after their deadline, or already past it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import InvalidInput
from lyceum.mathvidya.repository import sla_report as report_repository
from lyceum.mathvidya.repository.sla import load_calendar
from lyceum.mathvidya.schemas import evaluations as schemas
from lyceum.mathvidya.service import quota
from lyceum.mathvidya.service.exam_generation import now_or
from lyceum.mathvidya.sla import WorkingCalendar

DEFAULT_DAYS = 30
LONGEST_RANGE = timedelta(days=366)


def _group(
    key: str,
    rows: list[report_repository.ReportRow],
    calendar: WorkingCalendar,
    name: str | None = None,
) -> schemas.SlaGroup:
    breached = sum(1 for r in rows if r.sla_breached)
    met = len(rows) - breached
    hours = [
        calendar.working_hours_between(r.submitted_at, r.completed_at)
        for r in rows
        if r.completed_at is not None
    ]
    return schemas.SlaGroup(
        key=key,
        name=name,
        evaluations=len(rows),
        met=met,
        breached=breached,
        met_percent=round(met * 100 / len(rows), 2) if rows else None,
        median_working_hours=round(statistics.median(hours), 2) if hours else None,
    )


def _by(
    rows: Iterable[report_repository.ReportRow], key: Callable[[report_repository.ReportRow], str]
) -> dict[str, list[report_repository.ReportRow]]:
    groups: dict[str, list[report_repository.ReportRow]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


def _india_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), quota.INDIA)


async def report(
    db: AsyncSession,
    start: date | None,
    end: date | None,
    *,
    now: datetime | None = None,
) -> schemas.SlaReport:
    """The report for India dates `start`..`end` inclusive (default: the last 30 days)."""
    at = now_or(now)
    last = end or at.astimezone(quota.INDIA).date()
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput("from must not be after to", details={"field": "from"})
    if last - first > LONGEST_RANGE:
        raise InvalidInput("the range may span at most a year", details={"field": "from"})
    since, until = _india_midnight(first), _india_midnight(last + timedelta(days=1))
    calendar = await load_calendar(db)
    rows = await report_repository.report_rows(db, since, until)
    by_teacher = _by(rows, lambda r: str(r.teacher_user_id) if r.teacher_user_id else "none")
    names = {str(r.teacher_user_id): r.teacher_name for r in rows if r.teacher_user_id}
    risky = await report_repository.at_risk_rows(db)
    return schemas.SlaReport(
        from_=since,
        to=until,
        overall=_group("all", rows, calendar),
        by_plan=[
            _group(plan, group, calendar)
            for plan, group in sorted(_by(rows, lambda r: r.plan_type).items())
        ],
        by_teacher=[
            _group(teacher, group, calendar, names.get(teacher))
            for teacher, group in sorted(by_teacher.items())
        ],
        open_breached=sum(1 for r in rows if r.status != "completed"),
        at_risk=[
            schemas.AtRisk(
                evaluation_id=r.id,
                teacher_id=r.teacher_user_id,
                sla_deadline=r.sla_deadline,
                predicted_completion_at=r.predicted_completion_at,
                breached=r.sla_breached,
            )
            for r in risky
        ],
    )


__all__ = ["DEFAULT_DAYS", "report"]
