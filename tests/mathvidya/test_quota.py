"""The monthly exam quota: India's months, the reset, the refusal with its date, and 100
concurrent starts against a remaining quota of Q (exactly Q succeed).

The concurrent test needs real separate connections, which the `db_session` fixture does
not give (it binds every session to the test's one connection): it commits its rows through
an engine of its own, runs the 100 calls over a pool of separate connections, and deletes
its rows afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from lyceum.core.errors import Forbidden
from lyceum.core.settings import async_url
from lyceum.mathvidya.repository.exams import Consumed
from lyceum.mathvidya.service import quota
from tests.mathvidya.rows import ARGON2ID_HASH, add_subscription, add_user

# 23:30 UTC on 31 January 2027 is 05:00 on 1 February in India.
LAST_NIGHT_OF_JANUARY_UTC = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
STILL_JANUARY_IN_INDIA = datetime(2027, 1, 31, 18, 0, tzinfo=UTC)  # 23:30 IST


def test_months_are_counted_in_india() -> None:
    assert quota.india_month(LAST_NIGHT_OF_JANUARY_UTC) == date(2027, 2, 1)
    assert quota.india_month(STILL_JANUARY_IN_INDIA) == date(2027, 1, 1)
    assert quota.india_month(datetime(2026, 12, 31, 18, 29, 59, tzinfo=UTC)) == date(2026, 12, 1)
    assert quota.india_month(datetime(2026, 12, 31, 18, 30, tzinfo=UTC)) == date(2027, 1, 1)
    assert quota.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert quota.spoken_date(date(2027, 1, 1)) == "1 January 2027"


async def _student(
    db: AsyncSession, used: int, usage_month: date, plan: str = "basic", **overrides: object
) -> uuid.UUID:
    student = await add_user(db, "student", student_class="XII")
    await add_subscription(
        db,
        plan,
        user_id=student,
        starts_at=datetime(2026, 6, 1, tzinfo=UTC),
        ends_at=datetime(2027, 6, 1, tzinfo=UTC),
        created_at=datetime(2026, 5, 30, tzinfo=UTC),
        usage_month=usage_month,
        exams_used_this_month=used,
        **overrides,
    )
    return student


async def _counter(db: AsyncSession, student: uuid.UUID) -> tuple[int, date]:
    row = await db.execute(
        text(
            "SELECT exams_used_this_month, usage_month FROM mathvidya.subscriptions"
            " WHERE user_id = :u"
        ),
        {"u": student},
    )
    used, month = row.one()
    return int(used), month


async def test_a_new_india_month_restarts_the_counter(db_session: AsyncSession) -> None:
    student = await _student(db_session, used=5, usage_month=date(2027, 1, 1))
    # 23:30 IST on 31 January: January's five are spent.
    with pytest.raises(Forbidden) as refused:
        await quota.consume(db_session, student, STILL_JANUARY_IN_INDIA)
    assert refused.value.message == (
        "You have used all 5 exams of your plan this month; your quota resets on 1 February 2027."
    )
    assert refused.value.details["resets_on"] == "2027-02-01"
    assert await _counter(db_session, student) == (5, date(2027, 1, 1))
    # Six hours later (23:30 UTC, but 1 February in India) the month is new.
    spent = await quota.consume(db_session, student, LAST_NIGHT_OF_JANUARY_UTC)
    assert (spent.used, spent.quota, spent.usage_month) == (1, 5, date(2027, 2, 1))
    assert await _counter(db_session, student) == (1, date(2027, 2, 1))
    again = await quota.consume(db_session, student, LAST_NIGHT_OF_JANUARY_UTC)
    assert again.used == 2


async def test_the_remaining_check_spends_nothing(db_session: AsyncSession) -> None:
    student = await _student(db_session, used=3, usage_month=date(2027, 1, 1))
    standing = await quota.remaining(db_session, student, STILL_JANUARY_IN_INDIA)
    assert (standing.used, standing.left, standing.resets_on) == (3, 2, date(2027, 2, 1))
    # A counter of an earlier month counts as nothing used.
    fresh = await quota.remaining(db_session, student, LAST_NIGHT_OF_JANUARY_UTC)
    assert fresh.used == 0 and fresh.left == 5
    assert await _counter(db_session, student) == (3, date(2027, 1, 1))


@pytest.mark.parametrize("status", ["pending", "cancelled", "expired"])
async def test_without_an_active_subscription_the_start_is_refused(
    db_session: AsyncSession, status: str
) -> None:
    cancelled = datetime(2026, 9, 1, tzinfo=UTC) if status == "cancelled" else None
    student = await _student(
        db_session, used=0, usage_month=date(2027, 1, 1), status=status, cancelled_at=cancelled
    )
    with pytest.raises(Forbidden) as refused:
        await quota.consume(db_session, student, STILL_JANUARY_IN_INDIA)
    assert refused.value.details == {"reason": "no_active_subscription"}
    assert "subscribe to a plan" in refused.value.message


async def test_a_subscription_outside_its_period_grants_nothing(db_session: AsyncSession) -> None:
    student = await _student(db_session, used=0, usage_month=date(2027, 1, 1))
    with pytest.raises(Forbidden, match="no active subscription"):
        await quota.consume(db_session, student, datetime(2027, 6, 1, tzinfo=UTC))


# ---- 100 concurrent starts ---------------------------------------------------------------

STARTS = 100


@pytest.fixture
async def own_engine(database_url: URL) -> AsyncIterator[AsyncEngine]:
    """Separate connections to the test database (committed work, not the test's
    transaction), at most 20 at once."""
    engine = create_async_engine(async_url(database_url), pool_size=20, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _committed_student(engine: AsyncEngine, used: int, usage_month: date) -> uuid.UUID:
    student = uuid.uuid4()
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO mathvidya.users (id, email, password_hash, role, first_name,"
                " last_name, student_class) VALUES (:id, :email, :hash, 'student', 'Quota',"
                " 'Test', 'XII')"
            ),
            {"id": student, "email": f"quota-{student.hex}@example.com", "hash": ARGON2ID_HASH},
        )
        await connection.execute(
            text(
                "INSERT INTO mathvidya.subscriptions (user_id, plan_id, status, starts_at,"
                " ends_at, exams_per_month, sla_hours, leaderboard_access,"
                " exams_used_this_month, usage_month, created_at)"
                " SELECT :id, id, 'active', :starts, :ends, exams_per_month, sla_hours,"
                " leaderboard_access, :used, :month, :created"
                " FROM mathvidya.subscription_plans WHERE plan_type = 'basic'"
            ),
            {
                "id": student,
                "starts": datetime(2026, 6, 1, tzinfo=UTC),
                "ends": datetime(2027, 6, 1, tzinfo=UTC),
                "used": used,
                "month": usage_month,
                "created": datetime(2026, 5, 30, tzinfo=UTC),
            },
        )
    return student


async def _remove(engine: AsyncEngine, student: uuid.UUID) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM mathvidya.subscriptions WHERE user_id = :id"), {"id": student}
        )
        await connection.execute(
            text("DELETE FROM mathvidya.users WHERE id = :id"), {"id": student}
        )


async def _start_many(engine: AsyncEngine, student: uuid.UUID, at: datetime) -> list[object]:
    """STARTS consume calls at once, each in its own transaction on its own connection."""
    gate = asyncio.Event()

    async def one() -> object:
        await gate.wait()
        async with AsyncSession(engine, expire_on_commit=False) as db, db.begin():
            try:
                return await quota.consume(db, student, at)
            except Forbidden as refused:
                return refused

    tasks = [asyncio.create_task(one()) for _ in range(STARTS)]
    await asyncio.sleep(0)
    gate.set()
    return list(await asyncio.gather(*tasks))


@pytest.mark.parametrize(
    ("used", "usage_month", "remaining"),
    [
        # 3 of 5 left in the current India month.
        (2, date(2027, 1, 1), 3),
        # Last month's counter is full: this month's 5 are all left (the reset happens once).
        (5, date(2026, 12, 1), 5),
        # None left.
        (5, date(2027, 1, 1), 0),
    ],
)
async def test_concurrent_starts_spend_exactly_the_remaining_quota(
    own_engine: AsyncEngine, used: int, usage_month: date, remaining: int
) -> None:
    student = await _committed_student(own_engine, used, usage_month)
    try:
        results = await _start_many(own_engine, student, STILL_JANUARY_IN_INDIA)
        spent = [r for r in results if isinstance(r, Consumed)]
        refused = [r for r in results if isinstance(r, Forbidden)]
        assert len(spent) == remaining
        assert len(refused) == STARTS - remaining
        assert {r.message for r in refused} == {
            "You have used all 5 exams of your plan this month; your quota resets on"
            " 1 February 2027."
        }
        # Each success saw its own count: 1..5 without a gap or a repeat.
        counts = sorted(r.used for r in spent)
        assert counts == list(range(5 - remaining + 1, 6))
        async with own_engine.connect() as connection:
            row = await connection.execute(
                text(
                    "SELECT exams_used_this_month, usage_month FROM mathvidya.subscriptions"
                    " WHERE user_id = :id"
                ),
                {"id": student},
            )
            assert tuple(row.one()) == (5, date(2027, 1, 1))
    finally:
        await _remove(own_engine, student)
