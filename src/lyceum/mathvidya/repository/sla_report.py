"""The SLA report's rows: evaluations with their plan and teacher (`service/sla_report.py`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: uuid.UUID
    teacher_user_id: uuid.UUID | None
    teacher_name: str | None
    plan_type: str
    status: str
    submitted_at: datetime
    sla_deadline: datetime
    completed_at: datetime | None
    sla_breached: bool
    predicted_completion_at: datetime | None


_REPORT_SELECT = """
    SELECT e.id, e.teacher_user_id, nullif(btrim(u.first_name || ' ' || u.last_name), '')
               AS teacher_name,
           coalesce(p.plan_type::text, 'none') AS plan_type, e.status::text AS status,
           e.submitted_at, e.sla_deadline, e.completed_at, e.sla_breached,
           e.predicted_completion_at
    FROM mathvidya.evaluations e
    JOIN mathvidya.exam_instances x ON x.id = e.exam_instance_id
    LEFT JOIN mathvidya.subscriptions s ON s.id = x.subscription_id
    LEFT JOIN mathvidya.subscription_plans p ON p.id = s.plan_id
    LEFT JOIN mathvidya.users u ON u.id = e.teacher_user_id
"""


def _report_rows(result: Any) -> list[ReportRow]:
    return [
        ReportRow(
            r.id,
            r.teacher_user_id,
            r.teacher_name,
            r.plan_type,
            r.status,
            r.submitted_at,
            r.sla_deadline,
            r.completed_at,
            bool(r.sla_breached),
            r.predicted_completion_at,
        )
        for r in result
    ]


async def report_rows(db: AsyncSession, start: datetime, end: datetime) -> list[ReportRow]:
    """Evaluations completed in [start, end), and open ones already breached whose deadline
    fell in it."""
    statement = text(
        _REPORT_SELECT
        + """
    WHERE (e.status = 'completed' AND e.completed_at >= :start AND e.completed_at < :end)
       OR (e.status IN ('pending', 'assigned', 'in_progress') AND e.sla_breached
           AND e.sla_deadline >= :start AND e.sla_deadline < :end)
    ORDER BY e.sla_deadline, e.id
    """
    )
    return _report_rows(await db.execute(statement, {"start": start, "end": end}))


async def at_risk_rows(db: AsyncSession) -> list[ReportRow]:
    """Open evaluations forecast to finish after their deadline, or already past it."""
    statement = text(
        _REPORT_SELECT
        + """
    WHERE e.status IN ('pending', 'assigned', 'in_progress')
      AND (e.sla_breached OR e.predicted_completion_at > e.sla_deadline)
    ORDER BY e.sla_deadline, e.id
    """
    )
    return _report_rows(await db.execute(statement))


__all__ = ["ReportRow", "at_risk_rows", "report_rows"]
