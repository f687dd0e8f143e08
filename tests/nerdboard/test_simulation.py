"""The simulation worker's tick, on a generated history: what one tick writes, atomically."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.cache import build_cache
from lyceum.nerdboard import repository, service
from lyceum.nerdboard.marketplace import HISTORY_END
from lyceum.nerdboard.repository import bulk
from lyceum.nerdboard.runtime import SimulationWorker
from lyceum.nerdboard.service.dashboard import version_tag

DAY = 86_400
ORIGIN = datetime.combine(HISTORY_END, datetime.min.time(), tzinfo=UTC)


async def _count(db: AsyncSession, sql: str, **params: object) -> int:
    return int((await db.execute(text(sql), params)).scalar_one())


async def test_a_paused_clock_does_not_move(history_session: AsyncSession) -> None:
    worker = SimulationWorker()
    assert await worker.tick(history_session, elapsed=10.0) is None
    clock = await repository.read_clock(history_session)
    assert clock.current_date == ORIGIN and clock.is_running is False


async def test_a_tick_writes_each_completed_day_and_moves_the_clock(
    history_session: AsyncSession,
) -> None:
    await service.start(history_session, DAY, "test")
    worker = SimulationWorker()
    before = await _count(history_session, "SELECT count(*) FROM nerdboard.sessions")
    outcome = await worker.tick(history_session, elapsed=2.5)  # 2.5 simulated days
    assert outcome is not None
    assert outcome.days_written == (HISTORY_END, HISTORY_END + timedelta(days=1))
    clock = await repository.read_clock(history_session)
    assert clock.current_date == ORIGIN + timedelta(days=2.5)
    assert clock.last_event is not None and clock.last_event.startswith("simulated 2026-09-01")
    new_sessions = await _count(
        history_session,
        "SELECT count(*) FROM nerdboard.sessions WHERE scheduled_time >= :origin",
        origin=ORIGIN,
    )
    assert new_sessions == outcome.rows["sessions"] > 0
    assert await _count(history_session, "SELECT count(*) FROM nerdboard.sessions") == (
        before + new_sessions
    )
    # Nothing beyond the completed days: the half day is not written yet.
    assert (
        await _count(
            history_session,
            "SELECT count(*) FROM nerdboard.sessions WHERE scheduled_time >= :cut",
            cut=ORIGIN + timedelta(days=2),
        )
        == 0
    )


async def test_new_days_keep_the_snapshot_invariants(history_session: AsyncSession) -> None:
    await service.start(history_session, DAY, "test")
    worker = SimulationWorker()
    await worker.tick(history_session, elapsed=3.0)
    mismatches = await _count(
        history_session,
        """
        SELECT count(*) FROM nerdboard.capacity_snapshots c
        LEFT JOIN (
            SELECT subject, date_trunc('day', scheduled_time) AS day,
                   round(sum(duration_minutes) / 60.0) AS hours
            FROM nerdboard.sessions WHERE tutor_id IS NOT NULL AND scheduled_time >= :origin
            GROUP BY 1, 2) s ON s.subject = c.subject AND s.day = c.date
        WHERE c.date >= :origin
          AND (abs(coalesce(s.hours, 0) - c.used_capacity_hours) > 1
               OR c.used_capacity_hours > c.total_capacity_hours
               OR abs(c.utilization_rate * c.total_capacity_hours - c.used_capacity_hours) > 1)
        """,
        origin=ORIGIN,
    )
    assert mismatches == 0
    days = await _count(
        history_session,
        "SELECT count(DISTINCT date) FROM nerdboard.capacity_snapshots WHERE date >= :origin",
        origin=ORIGIN,
    )
    assert days == 3


async def _simulated_rows(db: AsyncSession) -> list[tuple[object, ...]]:
    rows = await db.execute(
        text(
            "SELECT session_id, subject, student_id, tutor_id, scheduled_time, duration_minutes"
            " FROM nerdboard.sessions WHERE scheduled_time >= :origin ORDER BY session_id"
        ),
        {"origin": ORIGIN},
    )
    return [tuple(row) for row in rows]


async def test_a_restarted_worker_continues_exactly(history_session: AsyncSession) -> None:
    """One worker ticking two days equals two workers (a restart between) ticking one each:
    the market rebuilt from the database is the one the first worker had in memory."""
    savepoint = await history_session.begin_nested()
    await service.start(history_session, DAY, "test")
    await SimulationWorker().tick(history_session, elapsed=2.0)
    in_one_go = await _simulated_rows(history_session)
    await savepoint.rollback()

    await service.start(history_session, DAY, "test")
    await SimulationWorker().tick(history_session, elapsed=1.0)
    await SimulationWorker().tick(history_session, elapsed=1.0)
    restarted = await _simulated_rows(history_session)
    assert len(in_one_go) > 100
    assert restarted == in_one_go


async def test_a_failed_tick_leaves_nothing_behind(
    history_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await service.start(history_session, DAY, "test")
    worker = SimulationWorker()

    async def broken(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "apply_updates", broken)
    savepoint = await history_session.begin_nested()
    with pytest.raises(RuntimeError, match="disk full"):
        await worker.tick(history_session, elapsed=1.0)
    await savepoint.rollback()
    assert worker._market is None  # the in-memory market is discarded with the transaction
    clock = await repository.read_clock(history_session)
    assert clock.current_date == ORIGIN
    assert (
        await _count(
            history_session,
            "SELECT count(*) FROM nerdboard.sessions WHERE scheduled_time >= :origin",
            origin=ORIGIN,
        )
        == 0
    )
    monkeypatch.undo()
    outcome = await worker.tick(history_session, elapsed=1.0)
    assert outcome is not None and outcome.days_written == (HISTORY_END,)


async def test_weekly_health_metrics_arrive_on_mondays(history_session: AsyncSession) -> None:
    await service.start(history_session, DAY, "test")
    worker = SimulationWorker()
    for _ in range(8):
        await worker.tick(history_session, elapsed=1.0)
    dates = (
        await history_session.execute(
            text(
                "SELECT DISTINCT date FROM nerdboard.health_metrics WHERE date > :origin"
                " ORDER BY date"
            ),
            {"origin": ORIGIN},
        )
    ).scalars()
    assert [d.date() for d in dates] == [date(2026, 9, 7)]


async def test_after_a_tick_quality_runs_and_stale_entries_go(
    history_session: AsyncSession, redis_url: str
) -> None:
    cache = build_cache(redis_url)
    try:
        await service.start(history_session, DAY, "test")
        # An entry cached at the clock the tick moves past (entries carry their version's tag).
        before = service.clock_version(await repository.read_clock(history_session))
        await cache.set_bytes("nerdboard:stale-entry", b"{}", 60, tags=(version_tag(before),))
        worker = SimulationWorker(cache=cache)
        outcome = await worker.tick(history_session, elapsed=1.0)
        assert outcome is not None
        await history_session.commit()  # releases the test's savepoint, as the edge would commit
        await worker.after_commit(outcome)
        # One tick of grace (readers may not have seen the tick yet), then it goes.
        assert await cache.get_bytes("nerdboard:stale-entry") is not None
        following = await worker.tick(history_session, elapsed=0.1)
        assert following is not None
        await history_session.commit()
        await worker.after_commit(following)
        assert await cache.get_bytes("nerdboard:stale-entry") is None
        latest = (
            await history_session.execute(
                text(
                    "SELECT max(checked_at), count(*) FROM nerdboard.data_quality_log"
                    " WHERE checked_at = (SELECT max(checked_at) FROM nerdboard.data_quality_log)"
                )
            )
        ).one()
        assert latest[0] == outcome.clock.current_date
        assert latest[1] >= 8
    finally:
        await cache.close()
