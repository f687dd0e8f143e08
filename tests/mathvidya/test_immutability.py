"""What the database refuses whatever the client does (seed 003): changing the audit log,
changing a started exam's paper, and two overlapping active subscriptions — including under
`session_replication_role = replica` and concurrent inserts."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

ARGON2ID = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
INSUFFICIENT_PRIVILEGE = "42501"
NOT_IN_PREREQUISITE_STATE = "55000"
EXCLUSION_VIOLATION = "23P01"


def _sqlstate(error: DBAPIError) -> str:
    return str(getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", ""))


async def _student(db: AsyncSession | AsyncConnection) -> uuid.UUID:
    unique = uuid.uuid4().hex[:10]
    return (
        await db.execute(
            text(
                "INSERT INTO mathvidya.users (email, password_hash, role, first_name, last_name,"
                " student_class) VALUES (:email, :hash, 'student', 'Meera', 'Iyer', 'XII')"
                " RETURNING id"
            ),
            {"email": f"meera-{unique}@example.com", "hash": ARGON2ID},
        )
    ).scalar_one()


async def _audit_entry(db: AsyncSession) -> uuid.UUID:
    return (
        await db.execute(
            text(
                "INSERT INTO mathvidya.audit_logs (action, entity_type, details)"
                " VALUES ('exam.submitted', 'exam_instance', '{\"pages\": 3}') RETURNING id"
            )
        )
    ).scalar_one()


async def _refused(db: AsyncSession, statement: str, sqlstate: str, **params: object) -> str:
    """Run `statement` in a savepoint; assert it fails with `sqlstate`; return the message."""
    with pytest.raises(DBAPIError) as refused:
        async with db.begin_nested():
            await db.execute(text(statement), params)
    assert _sqlstate(refused.value) == sqlstate, refused.value
    return str(refused.value.orig)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE mathvidya.audit_logs SET action = 'exam.deleted' WHERE id = :id",
        "DELETE FROM mathvidya.audit_logs WHERE id = :id",
    ],
)
async def test_audit_log_rows_cannot_be_changed_or_deleted(
    db_session: AsyncSession, statement: str
) -> None:
    entry = await _audit_entry(db_session)
    message = await _refused(db_session, statement, INSUFFICIENT_PRIVILEGE, id=entry)
    assert "audit_logs is append-only" in message
    action = await db_session.execute(
        text("SELECT action FROM mathvidya.audit_logs WHERE id = :id"), {"id": entry}
    )
    assert action.scalar_one() == "exam.submitted"


async def test_audit_log_cannot_be_truncated(db_session: AsyncSession) -> None:
    await _audit_entry(db_session)
    message = await _refused(db_session, "TRUNCATE mathvidya.audit_logs", INSUFFICIENT_PRIVILEGE)
    assert "TRUNCATE is not allowed" in message
    count = await db_session.execute(text("SELECT count(*) FROM mathvidya.audit_logs"))
    assert count.scalar_one() >= 1


async def test_audit_log_is_append_only_even_in_replica_mode(db_session: AsyncSession) -> None:
    entry = await _audit_entry(db_session)
    student = await _student(db_session)
    await db_session.execute(text("SET LOCAL session_replication_role = replica"))
    # Replica mode is really on: an ordinary trigger (updated_at) no longer fires...
    before = (
        await db_session.execute(
            text("SELECT updated_at FROM mathvidya.users WHERE id = :id"), {"id": student}
        )
    ).scalar_one()
    await db_session.execute(
        text("UPDATE mathvidya.users SET first_name = 'Mira' WHERE id = :id"), {"id": student}
    )
    after = (
        await db_session.execute(
            text("SELECT updated_at FROM mathvidya.users WHERE id = :id"), {"id": student}
        )
    ).scalar_one()
    assert after == before
    # ...while the audit log's triggers, enabled ALWAYS, still do.
    for statement in (
        "UPDATE mathvidya.audit_logs SET details = '{}' WHERE id = :id",
        "DELETE FROM mathvidya.audit_logs WHERE id = :id",
        "TRUNCATE mathvidya.audit_logs",
    ):
        await _refused(db_session, statement, INSUFFICIENT_PRIVILEGE, id=entry)


async def test_audit_log_accepts_new_entries(db_session: AsyncSession) -> None:
    first, second = await _audit_entry(db_session), await _audit_entry(db_session)
    assert first != second


async def _exam(db: AsyncSession, *, started: bool) -> uuid.UUID:
    student = await _student(db)
    template = (
        await db.execute(
            text(
                "INSERT INTO mathvidya.exam_templates (name, class_level, exam_type, total_marks,"
                " duration_minutes, config, units) VALUES (:name, 'XII', 'unit_wise', 10, 30,"
                " :config, '{Calculus}') RETURNING id"
            ),
            {
                "name": f"Calculus drill {uuid.uuid4().hex[:8]}",
                "config": json.dumps({"sections": [{"name": "A", "count": 10}]}),
            },
        )
    ).scalar_one()
    return (
        await db.execute(
            text(
                "INSERT INTO mathvidya.exam_instances (student_user_id, template_id,"
                " student_class, exam_type, status, template_snapshot, questions_snapshot,"
                " total_marks, duration_minutes, started_at) VALUES (:student, :template, 'XII',"
                " 'unit_wise', :status, :template_snapshot, :questions, 10, 30,"
                " CASE WHEN :started THEN now() END) RETURNING id"
            ),
            {
                "status": "in_progress" if started else "created",
                "started": started,
                "student": student,
                "template": template,
                "template_snapshot": json.dumps({"sections": [{"name": "A", "count": 10}]}),
                "questions": json.dumps([{"number": 1, "text": "d/dx of x^2?", "marks": 1}]),
            },
        )
    ).scalar_one()


FROZEN_CHANGES = [
    'questions_snapshot = \'[{"number": 1, "text": "d/dx of x^3?", "marks": 1}]\'',
    "template_snapshot = '{\"sections\": []}'",
    "total_marks = 20",
    "duration_minutes = 60",
    # The exam counted against one subscription's quota; it cannot be moved to another.
    "subscription_id = gen_random_uuid()",
    "started_at = started_at - interval '1 hour'",
]


@pytest.mark.parametrize("change", FROZEN_CHANGES)
async def test_a_started_exams_paper_cannot_change(db_session: AsyncSession, change: str) -> None:
    exam = await _exam(db_session, started=True)
    message = await _refused(
        db_session,
        # The SET clause is one of this module's own constants.
        f"UPDATE mathvidya.exam_instances SET {change} WHERE id = :id",  # noqa: S608
        NOT_IN_PREREQUISITE_STATE,
        id=exam,
    )
    assert "cannot change" in message


async def test_a_started_exam_still_moves_through_its_states(db_session: AsyncSession) -> None:
    exam = await _exam(db_session, started=True)
    await db_session.execute(
        text(
            "UPDATE mathvidya.exam_instances SET status = 'submitted', submitted_at = now(),"
            " mcq_score = 1 WHERE id = :id"
        ),
        {"id": exam},
    )
    status = await db_session.execute(
        text("SELECT status::text FROM mathvidya.exam_instances WHERE id = :id"), {"id": exam}
    )
    assert status.scalar_one() == "submitted"


async def test_an_exam_not_yet_started_can_be_regenerated(db_session: AsyncSession) -> None:
    exam = await _exam(db_session, started=False)
    await db_session.execute(
        text("UPDATE mathvidya.exam_instances SET questions_snapshot = :questions WHERE id = :id"),
        {"id": exam, "questions": json.dumps([{"number": 1, "text": "d/dx of sin x?"}])},
    )
    text_now = await db_session.execute(
        text(
            "SELECT questions_snapshot -> 0 ->> 'text' FROM mathvidya.exam_instances WHERE id = :id"
        ),
        {"id": exam},
    )
    assert text_now.scalar_one() == "d/dx of sin x?"


async def test_exam_freeze_holds_in_replica_mode(db_session: AsyncSession) -> None:
    exam = await _exam(db_session, started=True)
    await db_session.execute(text("SET LOCAL session_replication_role = replica"))
    await _refused(
        db_session,
        "UPDATE mathvidya.exam_instances SET total_marks = 20 WHERE id = :id",
        NOT_IN_PREREQUISITE_STATE,
        id=exam,
    )


SUBSCRIBE = (
    "INSERT INTO mathvidya.subscriptions (user_id, plan_id, status, starts_at, ends_at,"
    " exams_per_month, sla_hours, leaderboard_access)"
    " SELECT :user_id, id, :status, :starts_at, :ends_at, 5, 48, false"
    " FROM mathvidya.subscription_plans WHERE plan_type = 'basic' RETURNING id"
)


def _period(start: str, end: str, status: str = "active") -> dict[str, object]:
    return {
        "starts_at": datetime.fromisoformat(start),
        "ends_at": datetime.fromisoformat(end),
        "status": status,
    }


async def test_overlapping_active_subscriptions_are_refused(db_session: AsyncSession) -> None:
    student = await _student(db_session)
    await db_session.execute(
        text(SUBSCRIBE),
        {"user_id": student, **_period("2026-01-01T00:00+05:30", "2027-01-01T00:00+05:30")},
    )
    message = await _refused(
        db_session,
        SUBSCRIBE,
        EXCLUSION_VIOLATION,
        user_id=student,
        **_period("2026-12-01T00:00+05:30", "2027-12-01T00:00+05:30"),
    )
    assert "ex_subscriptions_no_overlapping_active" in message


async def test_back_to_back_pending_and_other_users_subscriptions_are_accepted(
    db_session: AsyncSession,
) -> None:
    student, other = await _student(db_session), await _student(db_session)
    year = _period("2026-01-01T00:00+05:30", "2027-01-01T00:00+05:30")
    await db_session.execute(text(SUBSCRIBE), {"user_id": student, **year})
    # Half-open periods: the renewal may start the instant the current one ends.
    await db_session.execute(
        text(SUBSCRIBE),
        {"user_id": student, **_period("2027-01-01T00:00+05:30", "2028-01-01T00:00+05:30")},
    )
    # A pending (unpaid) renewal may overlap; so may another student's subscription.
    await db_session.execute(
        text(SUBSCRIBE),
        {
            "user_id": student,
            **_period("2026-06-01T00:00+05:30", "2027-06-01T00:00+05:30", "pending"),
        },
    )
    await db_session.execute(text(SUBSCRIBE), {"user_id": other, **year})
    # Activating the pending one while it overlaps is refused like an insert.
    await _refused(
        db_session,
        "UPDATE mathvidya.subscriptions SET status = 'active'"
        " WHERE user_id = :user_id AND status = 'pending'",
        EXCLUSION_VIOLATION,
        user_id=student,
    )


@pytest.fixture
async def committed_student(engine: AsyncEngine) -> AsyncIterator[uuid.UUID]:
    """A student committed for real, so that separate connections race on them; removed after."""
    async with engine.begin() as connection:
        student = await _student(connection)
    yield student
    async with engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM mathvidya.subscriptions WHERE user_id = :id"), {"id": student}
        )
        await connection.execute(
            text("DELETE FROM mathvidya.users WHERE id = :id"), {"id": student}
        )


async def test_a_racing_overlap_waits_for_the_first_then_is_refused(
    engine: AsyncEngine, committed_student: uuid.UUID
) -> None:
    year = _period("2026-04-01T00:00+05:30", "2027-04-01T00:00+05:30")
    async with engine.connect() as first, engine.connect() as second:
        await first.begin()
        await first.execute(text(SUBSCRIBE), {"user_id": committed_student, **year})
        second_pid = (await second.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await second.commit()

        async def insert_overlapping() -> None:
            async with second.begin():
                await second.execute(
                    text(SUBSCRIBE),
                    {
                        "user_id": committed_student,
                        **_period("2026-10-01T00:00+05:30", "2027-10-01T00:00+05:30"),
                    },
                )

        racing = asyncio.create_task(insert_overlapping())
        # The second insert cannot decide until the first transaction ends: it waits on it.
        async with engine.connect() as watcher:
            for _ in range(500):
                waiting = await watcher.execute(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": second_pid},
                )
                if waiting.scalar() == "Lock":
                    break
                await watcher.rollback()
                await asyncio.sleep(0.01)
            else:
                pytest.fail("the overlapping insert never waited for the first transaction")
        assert not racing.done()
        await first.commit()
        with pytest.raises(IntegrityError) as refused:
            await racing
        assert _sqlstate(refused.value) == EXCLUSION_VIOLATION


async def test_many_concurrent_overlapping_inserts_leave_exactly_one(
    engine: AsyncEngine, committed_student: uuid.UUID
) -> None:
    async def subscribe(month: int) -> str:
        """ "ok", or the SQLSTATE the insert was refused with."""
        period = _period(f"2026-{month:02d}-01T00:00+05:30", f"2027-{month:02d}-01T00:00+05:30")
        try:
            async with engine.begin() as connection:
                await connection.execute(text(SUBSCRIBE), {"user_id": committed_student, **period})
        except IntegrityError as refused:
            return _sqlstate(refused)
        return "ok"

    outcomes = await asyncio.gather(*(subscribe(month) for month in range(1, 9)))
    assert sorted(outcomes) == [EXCLUSION_VIOLATION] * 7 + ["ok"]
    async with engine.connect() as connection:
        active = await connection.execute(
            text(
                "SELECT count(*) FROM mathvidya.subscriptions"
                " WHERE user_id = :id AND status = 'active'"
            ),
            {"id": committed_student},
        )
        assert active.scalar_one() == 1
