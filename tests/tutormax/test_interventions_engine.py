"""The intervention engine on the real database: applying the rules for a day (idempotent,
one open intervention per tutor and type even under concurrent runs, the holdout),
escalation, the lifecycle with its audit trail, and assignment notices in the outbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.core.errors import Conflict, InvalidInput, NotFound
from lyceum.tutormax import schemas
from lyceum.tutormax.enums import InterventionOutcome, InterventionStatus, InterventionType
from lyceum.tutormax.rules import TransitionRefused, is_held_out
from lyceum.tutormax.service import interventions as service
from tests.tutormax.intervention_rows import (
    DAY,
    add_metrics,
    add_prediction,
    add_tutor,
    as_json,
    audit_of,
    engine_rules,
    fetch,
    interventions_of,
    midnight,
    outbox_for,
)
from tests.tutormax.rows import UNIQUE_VIOLATION, insert_row, refusal

COACH = "coach@example.com"


async def _snapshot(db: AsyncSession) -> list[Any]:
    return [
        await fetch(db, f"SELECT * FROM tutormax.{table} ORDER BY 1, 2")  # noqa: S608
        for table in (
            "interventions",
            "intervention_routing",
            "intervention_rule_matches",
            "intervention_audit",
        )
    ]


# ---- applying the rules ----------------------------------------------------------------


async def test_a_day_opens_the_interventions_the_rules_pick(db_session: AsyncSession) -> None:
    critical, high, slipping, fine = [await add_tutor(db_session) for _ in range(4)]
    await add_prediction(db_session, critical, score=80, factors={"reschedules": 14, "x": -3})
    await add_prediction(db_session, high, score=60)
    await add_prediction(db_session, slipping, score=10)
    await add_metrics(db_session, slipping, reschedule_rate=0.15)
    await add_prediction(db_session, fine, score=10)
    await add_metrics(db_session, fine)

    report = await service.apply_rules(db_session, DAY, rules=engine_rules())

    assert (report.tutors_considered, report.matched, report.opened) == (4, 4, 4)
    assert (report.held_out, report.already_open, report.already_recorded) == (0, 0, 0)
    [coaching, interview] = await interventions_of(db_session, critical)  # by type
    assert interview.intervention_type == InterventionType.RETENTION_INTERVIEW
    assert (interview.status, interview.priority) == ("pending", 1)
    # Thursday 1 October + 2 working days: Monday the 5th; + 3: Tuesday the 6th.
    assert interview.due_date == midnight(date(2026, 10, 5))
    assert interview.trigger_reason == "Critical risk 80: reschedules (+14)"
    assert (interview.owner_queue, interview.rule_id, interview.escalation_level) == (
        "tutor-success",
        "critical-interview",
        0,
    )
    assert coaching.rule_id == "high-coaching" and coaching.due_date == midnight(date(2026, 10, 6))
    [(kind, rule)] = [
        (i.intervention_type, i.rule_id) for i in await interventions_of(db_session, high)
    ]
    assert (kind, rule) == ("manager_coaching", "high-coaching")
    [alert] = await interventions_of(db_session, slipping)
    assert alert.trigger_reason == "Rescheduled 15% of sessions"
    assert await interventions_of(db_session, fine) == []

    [(action, actor, old, new)] = await audit_of(db_session, interview.intervention_id)
    assert (action, actor, as_json(old)) == ("created", "system:rules", {})
    assert as_json(new)["rule_id"] == "critical-interview" and as_json(new)["status"] == "pending"
    assert as_json(new)["due_date"] == "2026-10-05" and as_json(new)["match_date"] == "2026-10-01"
    matches = await fetch(
        db_session,
        "SELECT tutor_id, intervention_type, arm, intervention_id IS NOT NULL"
        " FROM tutormax.intervention_rule_matches WHERE match_date = :day",
        day=DAY,
    )
    assert len(matches) == 4 and {(arm, linked) for *_, arm, linked in matches} == {
        ("treatment", True)
    }


async def test_rerunning_a_day_changes_nothing_even_after_closing(db_session: AsyncSession) -> None:
    tutor = await add_tutor(db_session)
    await add_prediction(db_session, tutor, score=80)
    first = await service.apply_rules(db_session, DAY, rules=engine_rules())
    before = await _snapshot(db_session)

    again = await service.apply_rules(db_session, DAY, rules=engine_rules())
    assert (again.matched, again.already_recorded, again.opened) == (2, 2, 0)
    assert await _snapshot(db_session) == before and first.opened == 2

    # Closing the day's interventions does not make a rerun of the day open new ones.
    for row in await interventions_of(db_session, tutor):
        await service.change_status(
            db_session, "x@example.com", row.intervention_id, InterventionStatus.CANCELLED
        )
    closed = await _snapshot(db_session)
    await service.apply_rules(db_session, DAY, rules=engine_rules())
    assert await _snapshot(db_session) == closed


async def test_the_next_day_reopens_only_what_is_closed(db_session: AsyncSession) -> None:
    tutor = await add_tutor(db_session)
    await add_prediction(db_session, tutor, score=80)
    await service.apply_rules(db_session, DAY, rules=engine_rules())
    interview = next(
        r
        for r in await interventions_of(db_session, tutor)
        if r.intervention_type == "retention_interview"
    )
    await service.change_status(
        db_session, "x@example.com", interview.intervention_id, InterventionStatus.CANCELLED
    )

    # The prediction is still the latest (within max_age_days) on the next day.
    report = await service.apply_rules(db_session, DAY + timedelta(days=1), rules=engine_rules())
    assert (report.matched, report.opened, report.already_open) == (2, 1, 1)
    kinds = [(r.intervention_type, r.status) for r in await interventions_of(db_session, tutor)]
    assert sorted(kinds) == [
        ("manager_coaching", "pending"),
        ("retention_interview", "cancelled"),
        ("retention_interview", "pending"),
    ]
    [(linked,)] = await fetch(
        db_session,
        "SELECT intervention_id FROM tutormax.intervention_rule_matches"
        " WHERE tutor_id = :t AND intervention_type = 'manager_coaching' AND match_date = :d",
        t=tutor,
        d=DAY + timedelta(days=1),
    )
    assert linked is None  # treated, but one was already open


async def test_inputs_are_each_tutor_s_latest_recent_ones(db_session: AsyncSession) -> None:
    stale, future, churned, later_churner, recovered = [
        await add_tutor(db_session) for _ in range(5)
    ]
    await add_prediction(db_session, stale, DAY - timedelta(days=8), score=90)
    await add_prediction(db_session, future, DAY + timedelta(days=1), score=90, hour=0)
    await add_prediction(db_session, churned, score=90)
    churned_at = midnight(DAY) - timedelta(hours=1)
    await db_session.execute(
        text("UPDATE tutormax.tutors SET status = 'churned', churned_at = :at WHERE tutor_id = :t"),
        {"at": churned_at, "t": churned},
    )
    # Churned a week after the day: still a tutor on the day (a past day can be applied).
    await add_prediction(db_session, later_churner, score=90)
    await db_session.execute(
        text("UPDATE tutormax.tutors SET status = 'churned', churned_at = :at WHERE tutor_id = :t"),
        {"at": midnight(DAY) + timedelta(days=7), "t": later_churner},
    )
    # Critical three days ago, low this morning: the latest prediction decides.
    await add_prediction(db_session, recovered, DAY - timedelta(days=3), score=95)
    await add_prediction(db_session, recovered, DAY, score=20, hour=1)
    # Metrics are read from the 30-day window only.
    await add_metrics(db_session, recovered, metric_window="7day", reschedule_rate=0.5)

    report = await service.apply_rules(db_session, DAY, rules=engine_rules())
    assert report.tutors_considered == 2
    assert [
        await interventions_of(db_session, t) == [] for t in (stale, future, churned, recovered)
    ] == [True] * 4
    assert len(await interventions_of(db_session, later_churner)) == 2


async def test_the_holdout_is_recorded_and_left_alone(db_session: AsyncSession) -> None:
    rules = engine_rules(share=0.3)
    tutors = [await add_tutor(db_session) for _ in range(60)]
    for tutor in tutors:
        await add_prediction(db_session, tutor, score=60)

    report = await service.apply_rules(db_session, DAY, rules=rules)

    expected = {t for t in tutors if is_held_out(0.3, rules.holdout.salt, t, DAY, "month")}
    assert 5 < len(expected) < 35
    held = await fetch(
        db_session,
        "SELECT tutor_id, intervention_type, rule_id, intervention_id"
        " FROM tutormax.intervention_rule_matches WHERE arm = 'holdout' AND match_date = :d",
        d=DAY,
    )
    assert (
        {row.tutor_id for row in held}
        == expected
        == {t for t in tutors if not await interventions_of(db_session, t)}
    )
    assert {(r.intervention_type, r.rule_id, r.intervention_id) for r in held} == {
        ("manager_coaching", "high-coaching", None)
    }
    assert (report.held_out, report.opened) == (len(expected), 60 - len(expected))
    # A rerun agrees, and later days of the month hold out the same tutors.
    await service.apply_rules(db_session, DAY, rules=rules)
    later = DAY + timedelta(days=2)
    for tutor in tutors:
        await add_prediction(db_session, tutor, later, score=60)
    await service.apply_rules(db_session, later, rules=rules)
    [(same,)] = await fetch(
        db_session,
        "SELECT array_agg(tutor_id ORDER BY tutor_id) FROM tutormax.intervention_rule_matches"
        " WHERE arm = 'holdout' AND match_date = :d",
        d=later,
    )
    assert set(same) == expected


async def test_the_database_allows_one_open_intervention_per_tutor_and_type(
    db_session: AsyncSession,
) -> None:
    tutor = await add_tutor(db_session)
    row = {"tutor_id": tutor, "intervention_type": "peer_mentoring", "trigger_reason": "why"}
    await insert_row(
        db_session,
        "interventions",
        row | {"status": "completed", "completed_at": midnight(DAY), "outcome": "improved"},
    )
    await insert_row(db_session, "interventions", row | {"status": "cancelled"})
    await insert_row(db_session, "interventions", row)
    for status in ("pending", "in_progress"):
        with pytest.raises(IntegrityError) as refused:
            async with db_session.begin_nested():
                await insert_row(db_session, "interventions", row | {"status": status})
        assert refusal(refused.value) == (UNIQUE_VIOLATION, "uq_interventions_open_per_type")
    # Another type, or another tutor, is another slot.
    await insert_row(db_session, "interventions", row | {"intervention_type": "recognition"})
    other = await add_tutor(db_session)
    await insert_row(db_session, "interventions", row | {"tutor_id": other})


@pytest.fixture
async def committed_tutor(engine: AsyncEngine) -> Any:
    """A tutor with a high-risk prediction on DAY and the next day, committed for real (the
    concurrency test needs two connections to see it), deleted afterwards with everything
    hanging off it."""
    async with AsyncSession(engine, expire_on_commit=False) as db:
        tutor = await add_tutor(db)
        await add_prediction(db, tutor, score=60)
        await add_prediction(db, tutor, DAY + timedelta(days=1), score=60)
        await db.commit()
    yield tutor
    async with AsyncSession(engine) as db:
        await db.execute(text("DELETE FROM tutormax.tutors WHERE tutor_id = :t"), {"t": tutor})
        await db.commit()


async def test_concurrent_runs_open_one_intervention(
    engine: AsyncEngine, committed_tutor: str
) -> None:
    """Two runs (two days, so neither's matches stop the other) open the same tutor's
    coaching at once: the second waits on the first's uncommitted row, then opens nothing."""
    rules = engine_rules()
    async with (
        AsyncSession(engine, expire_on_commit=False) as first,
        AsyncSession(engine, expire_on_commit=False) as second,
    ):
        first_report = await service.apply_rules(first, DAY, rules=rules)
        racing = asyncio.create_task(
            service.apply_rules(second, DAY + timedelta(days=1), rules=rules)
        )
        await asyncio.sleep(0.5)
        assert not racing.done(), "the second run should wait on the first's open intervention"
        await first.commit()
        second_report = await racing
        await second.commit()
    assert (first_report.opened, second_report.opened, second_report.already_open) == (1, 0, 1)
    async with AsyncSession(engine) as db:
        [row] = await interventions_of(db, committed_tutor)
        assert (row.intervention_type, row.status) == ("manager_coaching", "pending")


async def test_concurrent_runs_of_one_day_record_it_once(
    engine: AsyncEngine, committed_tutor: str
) -> None:
    rules = engine_rules()
    async with (
        AsyncSession(engine, expire_on_commit=False) as first,
        AsyncSession(engine, expire_on_commit=False) as second,
    ):

        async def run(db: AsyncSession) -> service.ApplyReport:
            report = await service.apply_rules(db, DAY, rules=rules)
            await db.commit()
            return report

        reports = await asyncio.gather(run(first), run(second))
    assert sorted(r.opened for r in reports) == [0, 1]
    assert sorted(r.already_recorded for r in reports) == [0, 1]
    async with AsyncSession(engine) as db:
        assert len(await interventions_of(db, committed_tutor)) == 1
        [(matches,)] = await fetch(
            db,
            "SELECT count(*) FROM tutormax.intervention_rule_matches WHERE tutor_id = :t",
            t=committed_tutor,
        )
        assert matches == 1


# ---- escalation ------------------------------------------------------------------------


async def test_overdue_interventions_are_escalated_once_per_due_day(
    db_session: AsyncSession,
) -> None:
    rules = engine_rules()
    tutor = await add_tutor(db_session, name="Bea Tutor")
    await add_prediction(db_session, tutor, score=60)
    await service.apply_rules(db_session, DAY, rules=rules)
    [coaching] = await interventions_of(db_session, tutor)  # due Tuesday 6 October
    await service.assign_intervention(
        db_session, "lead@example.com", coaching.intervention_id, COACH
    )
    on_time = await service.escalate_overdue(db_session, date(2026, 10, 6), rules=rules)
    assert on_time.escalated == 0

    now = datetime(2026, 10, 7, 5, tzinfo=UTC)
    report = await service.escalate_overdue(db_session, date(2026, 10, 7), rules=rules, now=now)
    assert (report.escalated, report.notified) == (1, 1)
    [row] = await interventions_of(db_session, tutor)
    assert (row.priority, row.owner_queue, row.escalation_level) == (1, "tutor-success-leads", 1)
    assert row.due_date == midnight(date(2026, 10, 9))  # Wednesday + 2 working days
    *_, (action, actor, old, new) = await audit_of(db_session, row.intervention_id)
    assert (action, actor) == ("escalated", "system:escalation")
    assert as_json(old) == {
        "priority": 2,
        "due_date": "2026-10-06",
        "owner_queue": "tutor-success",
        "escalation_level": 0,
    }
    assert as_json(new) == {
        "priority": 1,
        "due_date": "2026-10-09",
        "owner_queue": "tutor-success-leads",
        "escalation_level": 1,
    }
    notices = await outbox_for(db_session, f"intervention:{row.intervention_id}")
    assert [(n.recipient, n.subject) for n in notices][-1] == (
        COACH,
        "Overdue and escalated: manager coaching for Bea Tutor",
    )

    # Rerunning the day finds nothing overdue; overdue again, it goes one level higher,
    # and no further than max_level.
    again = await service.escalate_overdue(db_session, date(2026, 10, 7), rules=rules)
    assert again.escalated == 0
    await service.escalate_overdue(db_session, date(2026, 10, 12), rules=rules)
    await service.escalate_overdue(db_session, date(2026, 10, 30), rules=rules)
    [row] = await interventions_of(db_session, tutor)
    assert (row.priority, row.owner_queue, row.escalation_level) == (1, "head-of-tutor-success", 2)
    assert len(await outbox_for(db_session, f"intervention:{row.intervention_id}")) == 3


async def test_closed_undated_or_unrouted_interventions_escalate_as_they_should(
    db_session: AsyncSession,
) -> None:
    tutor = await add_tutor(db_session)
    long_ago = midnight(date(2026, 9, 1))
    row = {"tutor_id": tutor, "intervention_type": "automated_coaching", "trigger_reason": "why"}
    closed = await insert_row(
        db_session, "interventions", row | {"status": "cancelled", "due_date": long_ago}
    )
    undated = await insert_row(
        db_session, "interventions", row | {"intervention_type": "recognition"}
    )
    # Written without the engine (no routing row, no assignee): the default queue escalates.
    unrouted = await insert_row(
        db_session,
        "interventions",
        row | {"intervention_type": "peer_mentoring", "due_date": long_ago},
    )
    report = await service.escalate_overdue(db_session, DAY, rules=engine_rules())
    assert (report.escalated, report.notified) == (1, 0)
    rows = {r.intervention_id: r for r in await interventions_of(db_session, tutor)}
    assert rows[closed].escalation_level is None and rows[undated].escalation_level is None
    assert (rows[unrouted].owner_queue, rows[unrouted].escalation_level) == (
        "tutor-success-leads",
        1,
    )


# ---- the lifecycle, audited ------------------------------------------------------------


async def _manual(db: AsyncSession, tutor: str, **fields: Any) -> schemas.InterventionOut:
    request = schemas.InterventionCreate.model_validate(
        {
            "tutor_id": tutor,
            "intervention_type": "peer_mentoring",
            "trigger_reason": "Pair with a mentor",
            **fields,
        }
    )
    return await service.create_intervention(db, "lead@example.com", request, rules=engine_rules())


async def test_the_lifecycle_writes_one_audit_row_per_change(db_session: AsyncSession) -> None:
    tutor = await add_tutor(db_session)
    created = await _manual(db_session, tutor, due_date="2026-10-09", priority=2)
    assert (created.status, created.owner_queue, created.rule_id) == (
        "pending",
        "tutor-success",
        None,
    )
    assert created.due_date == date(2026, 10, 9)
    key = created.intervention_id
    await service.assign_intervention(db_session, "lead@example.com", key, COACH)
    await service.change_status(db_session, COACH, key, InterventionStatus.IN_PROGRESS, "Called")
    done = await service.complete_intervention(
        db_session,
        COACH,
        key,
        InterventionOutcome.IMPROVED,
        "Rebooked three students",
        now=datetime(2026, 10, 8, 12, tzinfo=UTC),
    )
    assert (done.status, done.outcome, done.notes) == (
        "completed",
        "improved",
        "Rebooked three students",
    )
    assert done.completed_at == datetime(2026, 10, 8, 12, tzinfo=UTC)

    trail = [
        (a, actor, as_json(old), as_json(new))
        for a, actor, old, new in await audit_of(db_session, key)
    ]
    assert [(a, actor) for a, actor, _, _ in trail] == [
        ("created", "lead@example.com"),
        ("assigned", "lead@example.com"),
        ("status_changed", COACH),
        ("completed", COACH),
    ]
    assert trail[0][3]["due_date"] == "2026-10-09" and trail[0][3]["owner_queue"] == "tutor-success"
    assert trail[1][2:] == ({"assigned_to": None}, {"assigned_to": COACH})
    assert trail[2][2:] == (
        {"status": "pending", "notes": None},
        {"status": "in_progress", "notes": "Called"},
    )
    assert trail[3][2] == {
        "status": "in_progress",
        "outcome": None,
        "completed_at": None,
        "notes": "Called",
    }
    assert trail[3][3]["outcome"] == "improved"
    assert trail[3][3]["completed_at"] == "2026-10-08T12:00:00+00:00"


@pytest.mark.parametrize("start", ["pending", "in_progress", "completed", "cancelled"])
async def test_every_refused_move_leaves_the_intervention_and_its_trail_alone(
    db_session: AsyncSession, start: str
) -> None:
    tutor = await add_tutor(db_session)
    key = (await _manual(db_session, tutor)).intervention_id
    path = {
        "pending": [],
        "in_progress": ["in_progress"],
        "cancelled": ["cancelled"],
        "completed": ["in_progress"],
    }[start]
    for step in path:
        await service.change_status(db_session, COACH, key, InterventionStatus(step))
    if start == "completed":
        await service.complete_intervention(db_session, COACH, key, InterventionOutcome.NO_CHANGE)
    allowed = {"pending": {"in_progress", "cancelled"}, "in_progress": {"cancelled"}}.get(
        start, set()
    )
    before = await _snapshot(db_session)
    for target in set(InterventionStatus) - {InterventionStatus(s) for s in allowed}:
        with pytest.raises((TransitionRefused, InvalidInput)) as refused:
            await service.change_status(db_session, COACH, key, target, "ignored")
        if start == "in_progress" and target == InterventionStatus.COMPLETED:
            assert "needs its outcome" in refused.value.message
        else:
            assert f"cannot go from {start} to {target.value}" in refused.value.message
    if start != "in_progress":
        with pytest.raises(TransitionRefused, match=f"cannot go from {start} to completed"):
            await service.complete_intervention(db_session, COACH, key, InterventionOutcome.CHURNED)
    assert await _snapshot(db_session) == before


async def test_a_manual_intervention_needs_a_tutor_and_a_free_slot(
    db_session: AsyncSession,
) -> None:
    with pytest.raises(NotFound, match="no tutor has the id 'nobody'"):
        await _manual(db_session, "nobody")
    tutor = await add_tutor(db_session)
    first = await _manual(db_session, tutor, owner_queue="mentors")
    assert first.owner_queue == "mentors"
    with pytest.raises(Conflict, match="already has an open peer mentoring intervention") as clash:
        await _manual(db_session, tutor)
    assert clash.value.details == {"intervention_id": str(first.intervention_id)}
    await service.change_status(
        db_session, COACH, first.intervention_id, InterventionStatus.CANCELLED
    )
    assert (await _manual(db_session, tutor)).status == "pending"
    with pytest.raises(NotFound):
        await service.assign_intervention(db_session, COACH, uuid.uuid4(), COACH)


# ---- notifications ---------------------------------------------------------------------


async def test_an_assignment_is_notified_in_its_own_transaction(db_session: AsyncSession) -> None:
    tutor = await add_tutor(db_session, name="Cleo Tutor")
    created = await _manual(db_session, tutor, due_date="2026-10-09")
    reference = f"intervention:{created.intervention_id}"
    assert await outbox_for(db_session, reference) == []

    # A failure after the assignment rolls back the change and its notice together.
    with pytest.raises(RuntimeError):
        async with db_session.begin_nested():
            await service.assign_intervention(
                db_session, "lead@example.com", created.intervention_id, COACH
            )
            assert len(await outbox_for(db_session, reference)) == 1
            raise RuntimeError("the request failed after assigning")
    [row] = await interventions_of(db_session, tutor)
    assert row.assigned_to is None
    assert await outbox_for(db_session, reference) == []
    assert [a for a, *_ in await audit_of(db_session, created.intervention_id)] == ["created"]

    await service.assign_intervention(
        db_session, "lead@example.com", created.intervention_id, COACH
    )
    [notice] = await outbox_for(db_session, reference)
    assert (notice.channel, notice.recipient, notice.status) == ("email", COACH, "pending")
    assert notice.subject == "Assigned to you: peer mentoring for Cleo Tutor"
    assert "lead@example.com assigned you" in notice.body and "due 2026-10-09" in notice.body
    assert "Pair with a mentor" in notice.body
    # The same owner again: nothing changes, nothing is sent.
    await service.assign_intervention(
        db_session, "lead@example.com", created.intervention_id, COACH
    )
    assert len(await outbox_for(db_session, reference)) == 1
    # Created already assigned: notified too; a closed one cannot be reassigned.
    other = await _manual(db_session, await add_tutor(db_session), assigned_to="Ann@Example.com")
    [created_notice] = await outbox_for(db_session, f"intervention:{other.intervention_id}")
    assert created_notice.recipient == "ann@example.com"
    await service.change_status(
        db_session, COACH, other.intervention_id, InterventionStatus.CANCELLED
    )
    with pytest.raises(Conflict, match="a cancelled intervention cannot be reassigned"):
        await service.assign_intervention(db_session, COACH, other.intervention_id, COACH)
