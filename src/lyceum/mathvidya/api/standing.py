"""`/api/mathvidya/leaderboard`, `/analytics/...` and `/reports/monthly/...` (issue 16, items 5
and 6). Who may read what, and why, is in service/leaderboard.py, service/analytics.py and
service/reports.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from lyceum.mathvidya.dependencies import Admin, AnyAccount, MathvidyaSession, Staff
from lyceum.mathvidya.schemas import standing as schemas
from lyceum.mathvidya.service import analytics, leaderboard, reports

MonthParam = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="India-time month, YYYY-MM."),
]


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/leaderboard", response_model=schemas.Leaderboard)
    async def read_leaderboard(
        actor: AnyAccount,
        db: MathvidyaSession,
        student_class: Annotated[str | None, Query(pattern="^(X|XII)$")] = None,
        month: MonthParam = None,
    ) -> schemas.Leaderboard:
        """A class's board for a month (default: the caller's class, the current month), with
        the caller's own row when they are on it. 403 for plans without the leaderboard."""
        return await leaderboard.read_board(db, actor, student_class, month, datetime.now(UTC))

    @api.get("/analytics/students/{student_id}", response_model=schemas.StudentAnalytics)
    async def student_analytics(
        actor: AnyAccount, db: MathvidyaSession, student_id: Annotated[uuid.UUID, Path()]
    ) -> schemas.StudentAnalytics:
        """Unit-wise and question-type performance over time, strengths and weaknesses, and
        the predicted board band with its basis (the student, a linked parent, admins)."""
        return await analytics.student_view(db, actor, student_id)

    @api.get("/analytics/teachers", response_model=list[schemas.TeacherAnalytics])
    async def teachers_analytics(
        actor: Admin, db: MathvidyaSession
    ) -> list[schemas.TeacherAnalytics]:
        """Every teacher's throughput, SLA met %, mark distribution and drift flag (admins)."""
        return await analytics.teacher_list(db, datetime.now(UTC))

    @api.get("/analytics/teachers/{teacher_id}", response_model=schemas.TeacherAnalytics)
    async def teacher_analytics(
        actor: Staff, db: MathvidyaSession, teacher_id: Annotated[uuid.UUID, Path()]
    ) -> schemas.TeacherAnalytics:
        """One teacher's analytics (admins; a teacher reads their own)."""
        return await analytics.teacher_view(db, actor, teacher_id, datetime.now(UTC))

    @api.get(
        "/reports/monthly/{student_id}",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    async def monthly_report(
        actor: AnyAccount,
        db: MathvidyaSession,
        student_id: Annotated[uuid.UUID, Path()],
        month: MonthParam = None,
    ) -> Response:
        """The child's monthly report as a PDF attachment (default: last month)."""
        name, pdf = await reports.monthly_report(db, actor, student_id, month, datetime.now(UTC))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return api


__all__ = ["router"]
