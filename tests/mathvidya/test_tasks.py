"""Mathvidya's nightly job: subscriptions whose period has ended become `expired`, at 02:00
India time, once however often it runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.apps import APPS
from lyceum.core.jobs import DEFAULT_RETRY, build_job_app, next_run
from lyceum.core.settings import load_settings
from lyceum.mathvidya.repository import catalogue as repository
from lyceum.mathvidya.tasks import EXPIRE_CRON, TIMEZONE
from tests.mathvidya.rows import add_subscription

NOW = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)  # 02:30 on 5 December in India


async def _status(db: AsyncSession, subscription_id: uuid.UUID) -> tuple[str, datetime]:
    row = (
        await db.execute(
            text("SELECT status::text, updated_at FROM mathvidya.subscriptions WHERE id = :id"),
            {"id": subscription_id},
        )
    ).one()
    return row[0], row[1]


async def _subscriptions(db: AsyncSession) -> dict[str, uuid.UUID]:
    ended = NOW - timedelta(hours=1)
    return {
        "ended": await add_subscription(db, starts_at=ended - timedelta(days=365), ends_at=ended),
        # Half-open period: ending exactly now is over.
        "ends_now": await add_subscription(db, starts_at=NOW - timedelta(days=30), ends_at=NOW),
        "current": await add_subscription(
            db, starts_at=NOW - timedelta(days=30), ends_at=NOW + timedelta(days=335)
        ),
        "pending_ended": await add_subscription(
            db, status="pending", starts_at=ended - timedelta(days=30), ends_at=ended
        ),
        "cancelled_ended": await add_subscription(
            db, status="cancelled", starts_at=ended - timedelta(days=30), ends_at=ended
        ),
    }


async def test_ended_active_subscriptions_expire_once(db_session: AsyncSession) -> None:
    ids = await _subscriptions(db_session)
    before = await _status(db_session, ids["ended"])
    assert await repository.expire_ended_subscriptions(db_session, at=NOW) == 2
    statuses = {name: (await _status(db_session, sid))[0] for name, sid in ids.items()}
    assert statuses == {
        "ended": "expired",
        "ends_now": "expired",
        "current": "active",
        "pending_ended": "pending",
        "cancelled_ended": "cancelled",
    }
    assert (await _status(db_session, ids["ended"]))[1] >= before[1]
    # Idempotent: a retry or a second run changes nothing.
    assert await repository.expire_ended_subscriptions(db_session, at=NOW) == 0
    # The student may now hold a new active subscription over the old period (the exclusion
    # constraint covers active ones only).
    holder = await db_session.scalar(
        text("SELECT user_id FROM mathvidya.subscriptions WHERE id = :id"), {"id": ids["ended"]}
    )
    await add_subscription(
        db_session, user_id=holder, starts_at=NOW - timedelta(days=400), ends_at=NOW + timedelta(1)
    )


async def test_the_job_runs_nightly_at_two_in_india(
    database_url: URL, db_session: AsyncSession
) -> None:
    app = build_job_app(load_settings(), APPS.values())
    task = app.tasks["mathvidya:expire_subscriptions"]
    assert task.retry_strategy is DEFAULT_RETRY
    [schedule] = [p for p in app.periodic_registry.periodic_tasks.values() if p.task is task]
    assert (EXPIRE_CRON, TIMEZONE) == ("0 2 * * *", "Asia/Kolkata")
    assert next_run(schedule.cron, datetime(2026, 12, 4, 12, 0, tzinfo=UTC)) == datetime(
        2026, 12, 4, 20, 30, tzinfo=UTC
    )
    # Run as the worker runs it (its session joins this test's transaction).
    ended = await add_subscription(
        db_session,
        starts_at=datetime(2025, 1, 1, tzinfo=UTC),
        ends_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    expired = await task.func(timestamp=int(NOW.timestamp()))
    assert expired >= 1
    assert (await _status(db_session, ended))[0] == "expired"
