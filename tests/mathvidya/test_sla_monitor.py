"""The SLA monitor (issue 16 items 4 and 7): a forecast breach in a long queue moves to an idle
colleague before the deadline, an expired claim is taken back, breaches are recorded once,
holders are warned once, and every run repeated at the same moment changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.apps import APPS
from lyceum.core.jobs import build_job_app
from lyceum.core.settings import load_settings
from lyceum.mathvidya.repository.sla import load_calendar
from lyceum.mathvidya.service import sla_monitor
from lyceum.mathvidya.service.audit import SYSTEM
from lyceum.mathvidya.service.evaluation_marking import start
from lyceum.mathvidya.tasks import SLA_MONITOR_CRON, TIMEZONE, monitor_sla_now
from tests.mathvidya.evaluation_fixtures import (
    HANDED_IN,
    add_teacher,
    audit_of,
    deactivate_other_teachers,
    email_of,
    evaluation_row,
    handed_in,
    outbox_to,
    paper,
    teacher_actor,
)


async def _set_config(db: AsyncSession, key: str, value: str) -> None:
    await db.execute(
        text(
            "UPDATE mathvidya.system_config SET config_value = CAST(:v AS jsonb)"
            " WHERE config_key = :k"
        ),
        {"k": key, "v": value},
    )


async def test_a_forecast_breach_moves_to_an_idle_colleague(db_session: AsyncSession) -> None:
    await deactivate_other_teachers(db_session)
    # Ten working hours per evaluation: the fifth in one queue finishes 50 hours out, past its
    # 48-hour deadline.
    await _set_config(db_session, "evaluation.prior_minutes_per_evaluation", "600")
    template = await paper(db_session)
    busy = await add_teacher(db_session)
    exams = []
    for minute in range(5):
        _, exam = await handed_in(db_session, template, at=HANDED_IN + timedelta(minutes=minute))
        exams.append(exam)
    rows = [await evaluation_row(db_session, e) for e in exams]
    assert {r["teacher_user_id"] for r in rows} == {busy}
    idle = await add_teacher(db_session)
    now = HANDED_IN + timedelta(hours=1)
    first = await sla_monitor.run(db_session, now=now)
    assert first.moved >= 1
    after = [await evaluation_row(db_session, e) for e in exams]
    moved = [r for r in after if r["teacher_user_id"] == idle]
    assert moved and all(r["reassignment_count"] == 1 for r in moved)
    assert rows[-1]["id"] in {r["id"] for r in moved}  # the latest deadline was the one at risk
    for row in moved:
        [audit] = [
            a
            for a in await audit_of(db_session, row["id"])
            if a["action"] == "evaluation.reassigned"
        ]
        assert audit["details"]["reason"] == "predicted_breach"
        before = datetime.fromisoformat(audit["details"]["predicted_before"])
        predicted = datetime.fromisoformat(audit["details"]["predicted_after"])
        assert before > row["sla_deadline"] - timedelta(hours=2) and predicted < before
        assert await outbox_to(db_session, f"mathvidya:evaluation_moved:{row['id']}:{busy}:%")
        [assigned] = await outbox_to(
            db_session, f"mathvidya:evaluation_assigned:{row['id']}:{idle}:%"
        )
        assert assigned["recipient"] == await email_of(db_session, idle)
    # Every held evaluation now has its forecast, each before its deadline.
    for row in after:
        assert row["predicted_completion_at"] is not None and row["predicted_at"] == now
        assert row["predicted_completion_at"] <= row["sla_deadline"]
    # Run again at the same moment: nothing changes.
    again = await sla_monitor.run(db_session, now=now)
    assert again.changed == 0
    assert [await evaluation_row(db_session, e) for e in exams] == after


async def test_an_expired_claim_is_taken_back_and_given_to_someone_else(
    db_session: AsyncSession,
) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    sleepy = await add_teacher(db_session)
    _, exam = await handed_in(db_session, template)
    row = await evaluation_row(db_session, exam)
    assert row["teacher_user_id"] == sleepy
    awake = await add_teacher(db_session)
    # Before the claim runs out nothing moves (the deadline is far).
    before = await sla_monitor.run(db_session, now=row["claim_expires_at"] - timedelta(minutes=1))
    assert before.claims_expired == 0
    now = row["claim_expires_at"] + timedelta(minutes=1)
    run = await sla_monitor.run(db_session, now=now)
    assert run.claims_expired == 1
    taken = await evaluation_row(db_session, exam)
    assert taken["teacher_user_id"] == awake and taken["status_text"] == "assigned"
    assert taken["reassignment_count"] == 1 and taken["assigned_at"] == now
    calendar = await load_calendar(db_session)
    assert taken["claim_expires_at"] == calendar.add_working_hours(now, 8)
    actions = [a["action"] for a in await audit_of(db_session, taken["id"])]
    assert actions.count("evaluation.claim_expired") == 1
    assert (await sla_monitor.run(db_session, now=now)).changed == 0


async def test_breaches_are_recorded_once_over_two_runs(db_session: AsyncSession) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    teacher = await add_teacher(db_session)
    _, exam = await handed_in(db_session, template)
    row = await evaluation_row(db_session, exam)

    # Started (so the claim does not lapse) and then left: the deadline passes.
    await start(db_session, teacher_actor(teacher), SYSTEM, row["id"], now=HANDED_IN)
    late = row["sla_deadline"] + timedelta(hours=1)
    first = await monitor_sla_now(late)
    assert first >= 1
    assert await monitor_sla_now(late) == 0
    # Later, the forecast moves with the clock, but the breach is not recorded again.
    later = await sla_monitor.run(db_session, now=late + timedelta(minutes=5))
    assert later.breaches == 0 and later.warnings == 0 and later.moved == 0
    flagged = await evaluation_row(db_session, exam)
    assert flagged["sla_breached"] is True and flagged["status_text"] == "in_progress"
    actions = [a["action"] for a in await audit_of(db_session, row["id"])]
    assert actions.count("evaluation.sla_breached") == 1
    # The holder was warned once before, too.
    warnings = await outbox_to(db_session, f"mathvidya:sla_warning:{row['id']}:%")
    assert len(warnings) == 1 and warnings[0]["recipient"] == await email_of(db_session, teacher)


async def test_the_holder_is_warned_once_within_the_warning_hours(
    db_session: AsyncSession,
) -> None:
    await deactivate_other_teachers(db_session)
    template = await paper(db_session)
    await add_teacher(db_session)
    _, exam = await handed_in(db_session, template)
    row = await evaluation_row(db_session, exam)

    await start(db_session, teacher_actor(row["teacher_user_id"]), SYSTEM, row["id"], now=HANDED_IN)
    calendar = await load_calendar(db_session)
    # Seven working hours before the deadline: not yet (the warning is at six).
    early = calendar.add_working_hours(HANDED_IN, 48 - 7)
    assert (await sla_monitor.run(db_session, now=early)).warnings == 0
    near = calendar.add_working_hours(HANDED_IN, 48 - 5)
    assert (await sla_monitor.run(db_session, now=near)).warnings == 1
    assert (await sla_monitor.run(db_session, now=near + timedelta(minutes=5))).warnings == 0
    assert len(await outbox_to(db_session, f"mathvidya:sla_warning:{row['id']}:%")) == 1


async def test_the_monitor_runs_every_five_minutes_on_the_queue(db_session: AsyncSession) -> None:
    app = build_job_app(load_settings(), APPS.values())
    task = app.tasks["mathvidya:monitor_sla"]
    [schedule] = [p for p in app.periodic_registry.periodic_tasks.values() if p.task is task]
    assert (SLA_MONITOR_CRON, TIMEZONE) == ("*/5 * * * *", "Asia/Kolkata")
    assert schedule.cron.endswith(SLA_MONITOR_CRON)
    # As the worker runs it (its session joins this test's transaction), twice.
    await deactivate_other_teachers(db_session)
    await task.func(timestamp=int(datetime.now(UTC).timestamp()))
    assert await task.func(timestamp=int(datetime.now(UTC).timestamp())) == 0
