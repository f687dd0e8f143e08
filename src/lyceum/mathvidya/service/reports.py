"""The monthly parent report (issue 16, item 6): one child's month as a PDF, and the job that
tells each linked parent on the 1st (06:00 India time) that last month's report is ready.

The report covers the India-time month: the exams whose results came back in it with their
marks, marks by unit over those exams, the mean percentage of each of the last
`TREND_MONTHS` months, where the marked work points (the predicted band and its basis), and
the teachers' comments (overall and per question). Readers: the child, a linked parent, an
admin (404 for anyone else, `service.ownership`).

The job writes one outbox e-mail per (linked parent, child) with a link to the report; its
`dedupe_key` names the month, the parent and the child, so a rerun, a retry or a second
worker sends nothing twice. Every linked pair is told, also for a month without marked
exams (that is worth a parent's knowing too).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core import outbox
from lyceum.core.errors import NotFound
from lyceum.mathvidya.analytics.report import (
    MonthlyReportView,
    ReportComment,
    ReportExam,
    ReportMonth,
    ReportUnit,
    month_title,
    render_monthly_report,
)
from lyceum.mathvidya.analytics.students import MarkedItem, predicted_band
from lyceum.mathvidya.calendar_ist import ist_date, ist_month_start
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.repository import standing as repository
from lyceum.mathvidya.service.analytics import board_units
from lyceum.mathvidya.service.audit import Actor
from lyceum.mathvidya.service.leaderboard import (
    month_bounds,
    month_label,
    next_month,
    parse_month,
    previous_month,
)
from lyceum.mathvidya.service.ownership import require_student_access

TREND_MONTHS = 6
EXAM_KIND_WORDS = {
    "board_exam": "Board paper",
    "section_wise": "Section practice",
    "unit_wise": "Unit practice",
}


def report_path(student_id: uuid.UUID, month: date) -> str:
    return f"/api/mathvidya/reports/monthly/{student_id}?month={month_label(month)}"


def progress_path(student_id: uuid.UUID) -> str:
    return f"/mathvidya/progress/{student_id}"


async def build_view(
    db: AsyncSession, student_id: uuid.UUID, month: date, now: datetime
) -> MonthlyReportView:
    student = await repository.user(db, student_id)
    if student is None or student.role is not UserRole.STUDENT:
        raise NotFound("no such student", details={"reason": "not_found"})
    student_class = student.student_class or ""
    start, end = month_bounds(month)
    exams = await repository.report_exams(db, student_id, start, end)
    trend_start = month
    for _ in range(TREND_MONTHS - 1):
        trend_start = previous_month(trend_start)
    history = await repository.report_exams(db, student_id, month_bounds(trend_start)[0], end)
    by_month: dict[date, list[float]] = defaultdict(list)
    for row in history:
        by_month[ist_month_start(row.evaluated_at)].append(float(row.percentage))
    trend = []
    cursor = trend_start
    while cursor <= month:
        values = by_month.get(cursor, [])
        mean = round(sum(values) / len(values), 1) if values else None
        trend.append(ReportMonth(f"{cursor:%b %Y}", mean, len(values)))
        cursor = next_month(cursor)

    items = await repository.marked_items(db, student_id)
    month_ids = {row.exam_id for row in exams}
    units: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for item in items:
        if item.exam_id in month_ids:
            units[item.unit][0] += float(item.awarded)
            units[item.unit][1] += float(item.maximum)
    weights = await board_units(db, student_class)
    order = [unit.name for unit in weights] + sorted(set(units) - {u.name for u in weights})
    up_to_month = [
        MarkedItem(
            str(i.exam_id), i.unit, i.question_type, float(i.awarded), float(i.maximum), i.at
        )
        for i in items
        if i.student_class == student_class and i.at < end
    ]
    prediction = predicted_band(up_to_month, weights)

    names = {row.exam_id: row.name for row in exams}
    comments = [
        ReportComment(row.name, row.teacher_comments.strip())
        for row in exams
        if row.teacher_comments and row.teacher_comments.strip()
    ]
    for exam_id, number, text in await repository.question_comments(db, list(month_ids)):
        comments.append(ReportComment(f"{names[exam_id]}, question {number}", text.strip()))
    return MonthlyReportView(
        child_name=student.full_name,
        student_class=student_class,
        month=month,
        generated_on=ist_date(now),
        exams=tuple(
            ReportExam(
                row.name,
                EXAM_KIND_WORDS.get(row.exam_type, row.exam_type),
                ist_date(row.evaluated_at),
                float(row.score),
                row.total_marks,
                float(row.percentage),
            )
            for row in exams
        ),
        units=tuple(
            ReportUnit(name, round(units[name][0], 1), round(units[name][1], 1))
            for name in order
            if name in units
        ),
        trend=tuple(trend),
        comments=tuple(comments),
        prediction=(
            f"Predicted board band {prediction.band} ({prediction.percentage:.0f} %). "
            f"{prediction.basis}"
            if prediction.band is not None and prediction.percentage is not None
            else prediction.basis
        ),
    )


async def monthly_report(
    db: AsyncSession, actor: Actor, student_id: uuid.UUID, month: str | None, now: datetime
) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the child's report for `month` (YYYY-MM; default: last
    month, the one the e-mail announces)."""
    await require_student_access(db, actor, student_id)
    first_day = parse_month(month, now) if month else previous_month(ist_month_start(now))
    view = await build_view(db, student_id, first_day, now)
    return f"mathvidya-report-{month_label(first_day)}.pdf", render_monthly_report(view)


async def send_monthly_reports(db: AsyncSession, now: datetime) -> int:
    """Enqueue last month's report e-mail for every linked (parent, child); returns how many
    were new (a rerun: 0)."""
    month = previous_month(ist_month_start(now))
    drafts = []
    for link in await repository.family_links(db):
        child = f"{link.student_first_name} {link.student_last_name}"
        body = (
            f"Hello {link.parent_first_name},\n\n"
            f"{child}'s Mathvidya report for {month_title(month)} is ready: the exams marked,"
            " marks by unit, the trend over recent months and the teachers' comments.\n\n"
            f"Download it (PDF): {report_path(link.student_user_id, month)}\n"
            f"Progress page: {progress_path(link.student_user_id)}\n\n"
            "Sign in to Mathvidya to open them.\n"
        )
        drafts.append(
            outbox.Draft(
                outbox.EMAIL,
                link.parent_email,
                f"{child}'s Mathvidya report for {month_title(month)}",
                body,
                "mathvidya",
                f"users/{link.student_user_id}",
                f"mathvidya:monthly_report:{month_label(month)}:{link.parent_user_id}:"
                f"{link.student_user_id}",
            )
        )
    return len(await outbox.enqueue_many(db, drafts))


__all__ = [
    "TREND_MONTHS",
    "build_view",
    "monthly_report",
    "progress_path",
    "report_path",
    "send_monthly_reports",
]
