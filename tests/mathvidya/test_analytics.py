"""Analytics on a generated history: the nightly snapshots (every student and teacher, the
figures adding up to the exams' own totals, twice = once), who may read them, the monthly
PDF report, and the monthly job's one e-mail per linked parent per child."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pypdf import PdfReader
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.apps import APPS
from lyceum.core.appspec import GenerateOptions
from lyceum.core.jobs import build_job_app, next_run
from lyceum.core.settings import load_settings
from lyceum.mathvidya.generate import generate
from lyceum.mathvidya.service import analytics, reports
from lyceum.mathvidya.tasks import (
    ANALYTICS_CRON,
    MONTHLY_REPORT_CRON,
    aggregate_analytics_now,
    send_monthly_reports_now,
)
from tests.mathvidya.calls import as_account
from tests.mathvidya.rows import add_user

NOW = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)  # 02:30 on 21 November in India
API = "/api/mathvidya"


async def generated(db: AsyncSession) -> None:
    with Progress(disable=True) as progress:
        await generate(GenerateOptions(seed=11, scale="small", months=12), progress)


async def _rows(db: AsyncSession, sql: str, **params: Any) -> list[Any]:
    return list((await db.execute(text(sql), params)).all())


async def _snapshots(db: AsyncSession) -> list[Any]:
    return await _rows(
        db,
        "SELECT subject_kind, subject_user_id, payload FROM mathvidya.analytics_snapshots"
        " WHERE computed_for = '2026-11-21' ORDER BY 1, 2",
    )


async def test_the_nightly_snapshot_covers_everyone_adds_up_and_twice_is_once(
    db_session: AsyncSession,
) -> None:
    assert ANALYTICS_CRON == "0 2 * * *"
    await generated(db_session)
    written = await aggregate_analytics_now(NOW)
    people = await _rows(
        db_session,
        "SELECT role::text, count(*) FROM mathvidya.users WHERE is_active"
        " AND role IN ('student', 'teacher') GROUP BY 1",
    )
    assert written == sum(n for _, n in people)
    first = await _snapshots(db_session)
    assert len(first) == written
    # A student's marks seen and awarded are exactly their evaluated exams' totals (MCQ and
    # written, papers of their current class).
    totals = await _rows(
        db_session,
        "SELECT e.student_user_id, sum(e.total_score), sum(e.total_marks), count(*)"
        " FROM mathvidya.exam_instances e JOIN mathvidya.users u ON u.id = e.student_user_id"
        " AND u.student_class = e.student_class WHERE e.status = 'evaluated' GROUP BY 1",
    )
    payloads = {row.subject_user_id: row.payload for row in first if row.subject_kind == "student"}
    assert totals
    for student, awarded, maximum, papers in totals:
        payload = payloads[student]
        assert abs(payload["awarded"] - float(awarded)) < 0.05
        assert abs(payload["maximum"] - float(maximum)) < 0.05
        assert payload["papers"] == papers
        assert sum(u["questions"] for u in payload["units"]) == payload["questions"]
        assert payload["prediction"]["basis"]
    # A teacher's SLA met % from their completed evaluations.
    sla = await _rows(
        db_session,
        "SELECT teacher_user_id, round(100.0 * count(*) FILTER (WHERE NOT sla_breached"
        " AND completed_at <= sla_deadline) / count(*), 1) FROM mathvidya.evaluations"
        " WHERE status = 'completed' GROUP BY 1",
    )
    teachers = {row.subject_user_id: row.payload for row in first if row.subject_kind == "teacher"}
    for teacher, met in sla:
        assert teachers[teacher]["sla_met_percent"] == float(met)
        assert "drift" in teachers[teacher] and "quantiles" in teachers[teacher]["marks"]
    # Twice: the day's rows are overwritten with the same figures, never added.
    assert await aggregate_analytics_now(NOW + timedelta(minutes=5)) == written
    assert await _snapshots(db_session) == first


async def _linked_pair(db: AsyncSession) -> tuple[uuid.UUID, uuid.UUID, str]:
    """A generated student with exams marked in October 2026, a parent of theirs, and the
    student's full name."""
    row = (
        await _rows(
            db,
            "SELECT m.student_user_id, m.parent_user_id, u.first_name || ' ' || u.last_name"
            " FROM mathvidya.parent_student_mappings m JOIN mathvidya.users u"
            " ON u.id = m.student_user_id"
            " WHERE EXISTS (SELECT 1 FROM mathvidya.exam_instances e"
            "  WHERE e.student_user_id = m.student_user_id AND e.status = 'evaluated'"
            "  AND e.evaluated_at >= TIMESTAMPTZ '2026-10-01 00:00+05:30'"
            "  AND e.evaluated_at < TIMESTAMPTZ '2026-11-01 00:00+05:30')"
            " ORDER BY m.student_user_id LIMIT 1",
        )
    )[0]
    return row[0], row[1], row[2]


async def test_who_reads_analytics(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    await generated(db_session)
    student, parent, _ = await _linked_pair(db_session)
    other = (
        await _rows(
            db_session,
            "SELECT id FROM mathvidya.users WHERE role = 'student' AND id <> :s LIMIT 1",
            s=student,
        )
    )[0][0]
    path = f"{API}/analytics/students/{student}"
    own = await client.get(path, headers=as_account("student", student))
    assert own.status_code == 200, own.text
    assert own.json()["live"] is True and own.json()["analytics"]["papers"] > 0
    assert (await client.get(path, headers=as_account("parent", parent))).status_code == 200
    assert (await client.get(path, headers=as_account("student", other))).status_code == 404
    stranger = await add_user(db_session, "parent")
    assert (await client.get(path, headers=as_account("parent", stranger))).status_code == 404
    # After the nightly run the snapshot is served.
    await analytics.aggregate(db_session, NOW)
    stored = await client.get(path, headers=as_account("student", student))
    assert stored.json()["live"] is False and stored.json()["computed_for"] == "2026-11-21"

    teachers = [
        r[0]
        for r in await _rows(
            db_session, "SELECT id FROM mathvidya.users WHERE role = 'teacher' ORDER BY id"
        )
    ]
    admin = await add_user(db_session, "admin")
    listing = await client.get(f"{API}/analytics/teachers", headers=as_account("admin", admin))
    assert listing.status_code == 200
    assert {uuid.UUID(t["teacher_id"]) for t in listing.json()} == set(teachers)
    me, colleague = teachers[0], teachers[1]
    assert (
        await client.get(f"{API}/analytics/teachers", headers=as_account("teacher", me))
    ).status_code == 403
    assert (
        await client.get(f"{API}/analytics/teachers", headers=as_account("student", student))
    ).status_code == 403
    mine = await client.get(f"{API}/analytics/teachers/{me}", headers=as_account("teacher", me))
    assert mine.status_code == 200 and mine.json()["teacher_id"] == str(me)
    theirs = await client.get(
        f"{API}/analytics/teachers/{colleague}", headers=as_account("teacher", me)
    )
    assert theirs.status_code == 404


async def test_the_monthly_report_is_a_pdf_naming_the_child(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await generated(db_session)
    student, parent, name = await _linked_pair(db_session)
    path = f"{API}/reports/monthly/{student}"
    answer = await client.get(
        path, params={"month": "2026-10"}, headers=as_account("parent", parent)
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.content.startswith(b"%PDF")
    words = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert name in words and "October 2026" in words
    assert "Exams marked this month" in words and "Marks by unit" in words
    view = await reports.build_view(db_session, student, datetime(2026, 10, 1).date(), NOW)
    assert view.exams and view.units and len(view.trend) == reports.TREND_MONTHS
    # Nobody else's child.
    stranger = await add_user(db_session, "parent")
    assert (
        await client.get(path, params={"month": "2026-10"}, headers=as_account("parent", stranger))
    ).status_code == 404


async def test_the_monthly_job_writes_once_per_parent_per_child(db_session: AsyncSession) -> None:
    assert MONTHLY_REPORT_CRON == "0 6 1 * *"
    await generated(db_session)
    first_of_december = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 06:00 in India
    links = await _rows(
        db_session,
        "SELECT count(*) FROM mathvidya.parent_student_mappings m"
        " JOIN mathvidya.users p ON p.id = m.parent_user_id AND p.is_active"
        " JOIN mathvidya.users s ON s.id = m.student_user_id AND s.is_active",
    )
    sent = await send_monthly_reports_now(first_of_december)
    assert sent == links[0][0] > 0
    messages = await _rows(
        db_session,
        "SELECT recipient, subject, body FROM lyceum.outbox"
        " WHERE dedupe_key LIKE 'mathvidya:monthly_report:2026-11:%'",
    )
    assert len(messages) == sent
    assert all("November 2026" in m.subject and "/reports/monthly/" in m.body for m in messages)
    # A rerun (a retry, a second worker) sends nothing twice.
    assert await send_monthly_reports_now(first_of_december + timedelta(minutes=1)) == 0


def test_the_jobs_run_on_india_time(database_url: URL) -> None:
    app = build_job_app(load_settings(), APPS.values())
    crons = {
        task.name: schedule.cron
        for schedule in app.periodic_registry.periodic_tasks.values()
        for task in [schedule.task]
    }
    after = datetime(2026, 11, 30, 12, 1, tzinfo=UTC)
    # Every half hour; 02:00 India time (20:30 UTC); 06:00 India time on the 1st.
    assert next_run(crons["mathvidya:refresh_leaderboards"], after) == datetime(
        2026, 11, 30, 12, 30, tzinfo=UTC
    )
    assert next_run(crons["mathvidya:aggregate_analytics"], after) == datetime(
        2026, 11, 30, 20, 30, tzinfo=UTC
    )
    assert next_run(crons["mathvidya:send_monthly_reports"], after) == datetime(
        2026, 12, 1, 0, 30, tzinfo=UTC
    )
