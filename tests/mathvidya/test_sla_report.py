"""The SLA report (issue 16 item 4): met % overall, by plan and by teacher, the median working
hours to completion, breached evaluations still open, and what is at risk now; admins only."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.service import sla_monitor, sla_report
from tests.mathvidya.calls import as_account, error_fields
from tests.mathvidya.evaluation_fixtures import (
    API,
    HANDED_IN,
    add_teacher,
    deactivate_other_teachers,
    evaluation_row,
    handed_in,
    mark_all,
    paper,
)
from tests.mathvidya.rows import add_user


async def test_met_percent_by_plan_and_teacher(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    quick = await add_teacher(db_session)
    # Basic, marked in 2 working hours: met.
    _, met = await handed_in(db_session, template, plan="basic")
    met_row = await evaluation_row(db_session, met)
    await mark_all(
        db_session,
        quick,
        met_row["id"],
        started=HANDED_IN + timedelta(hours=1),
        done=HANDED_IN + timedelta(hours=2),
    )
    slow = await add_teacher(db_session)
    # Centum, given to the slow teacher (now the least loaded) and marked after its deadline.
    _, late = await handed_in(db_session, template, plan="centum")
    late_row = await evaluation_row(db_session, late)
    assert late_row["teacher_user_id"] == slow
    await mark_all(
        db_session,
        slow,
        late_row["id"],
        started=HANDED_IN + timedelta(hours=1),
        done=late_row["sla_deadline"] + timedelta(hours=1),
    )
    # Basic, still open past its deadline: the monitor flags it.
    _, open_exam = await handed_in(db_session, template, plan="basic")
    open_row = await evaluation_row(db_session, open_exam)
    await sla_monitor.run(db_session, now=open_row["sla_deadline"] + timedelta(minutes=10))
    report = await sla_report.report(
        db_session, date(2026, 12, 1), date(2026, 12, 31), now=HANDED_IN + timedelta(days=9)
    )
    assert (report.overall.evaluations, report.overall.met, report.overall.breached) == (3, 1, 2)
    assert report.overall.met_percent == 33.33
    by_plan = {g.key: (g.evaluations, g.met, g.met_percent) for g in report.by_plan}
    assert by_plan == {"basic": (2, 1, 50.0), "centum": (1, 0, 0.0)}
    by_teacher = {g.key: (g.evaluations, g.met) for g in report.by_teacher}
    open_holder = str((await evaluation_row(db_session, open_exam))["teacher_user_id"])
    assert by_teacher[str(quick)] == (1 + (open_holder == str(quick)), 1)
    assert by_teacher[str(slow)] == (1 + (open_holder == str(slow)), 0)
    [quick_group] = [g for g in report.by_teacher if g.key == str(quick)]
    assert quick_group.median_working_hours == 2.0
    assert report.open_breached == 1
    assert [r.evaluation_id for r in report.at_risk] == [open_row["id"]]
    # Through the API: admins only, `from` after `to` refused.
    admin = as_account("admin", await add_user(db_session, "admin"))
    answer = await client.get(
        f"{API}/sla/report", params={"from": "2026-12-01", "to": "2026-12-31"}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["overall"]["evaluations"] == 3 and "from" in answer.json()
    backwards = await client.get(
        f"{API}/sla/report", params={"from": "2026-12-31", "to": "2026-12-01"}, headers=admin
    )
    assert backwards.status_code == 422 and error_fields(backwards) == {"from"}
    teacher = as_account("teacher", quick)
    assert (await client.get(f"{API}/sla/report", headers=teacher)).status_code == 403
