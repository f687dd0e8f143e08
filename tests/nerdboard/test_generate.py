"""`lyceum generate nerdboard` into the real database: what lands, and that it is repeatable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lyceum.core.appspec import GenerateOptions
from lyceum.core.errors import InvalidInput
from lyceum.nerdboard import repository, service
from lyceum.nerdboard.generate import generate, reset_history
from lyceum.nerdboard.marketplace import HISTORY_END, history_start
from lyceum.nerdboard.runtime import SimulationWorker

SMALL = GenerateOptions(seed=11, scale="small", months=3)
FINGERPRINT = """
SELECT md5(string_agg(session_id || subject || student_id::text || coalesce(tutor_id::text, '-')
                      || scheduled_time::text || duration_minutes::text, ',' ORDER BY session_id))
FROM nerdboard.sessions
"""


async def _run(options: GenerateOptions) -> str:
    with Progress(disable=True) as progress:
        return await generate(options, progress)


async def _scalar(db: AsyncSession, sql: str) -> object:
    return (await db.execute(text(sql))).scalar_one()


async def test_generated_history_lands_consistently(db_session: AsyncSession) -> None:
    summary = await _run(SMALL)
    assert "sessions" in summary
    clock = await repository.read_clock(db_session)
    assert clock.current_date == datetime.combine(HISTORY_END, datetime.min.time(), tzinfo=UTC)
    assert clock.is_running is False and clock.last_event is not None
    first, last = (
        await db_session.execute(
            text("SELECT min(scheduled_time), max(scheduled_time) FROM nerdboard.sessions")
        )
    ).one()
    assert first.date() >= history_start(3) and last.date() < HISTORY_END
    # Snapshots: used never above total; one per subject and day except the planted gaps.
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM nerdboard.capacity_snapshots"
            " WHERE used_capacity_hours > total_capacity_hours",
        )
        == 0
    )
    # Every assigned session's tutor exists and teaches the subject.
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM nerdboard.sessions s JOIN nerdboard.tutors t ON t.id = s.tutor_id"
            " WHERE NOT (s.subject = ANY (t.subjects))",
        )
        == 0
    )
    # The data-quality log holds real check runs for the history's last weeks.
    assert (
        await _scalar(
            db_session, "SELECT count(DISTINCT checked_at) FROM nerdboard.data_quality_log"
        )
        == 8
    )
    assert (
        await _scalar(
            db_session, "SELECT count(*) FROM lyceum.generation_runs WHERE app = 'nerdboard'"
        )
        == 1
    )
    # Indexes dropped for the load are all back.
    assert (
        await _scalar(db_session, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'nerdboard'")
        == 22
    )
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid = 'nerdboard.sessions'::regclass",
        )
        == 1
    )


async def test_same_seed_same_data_other_seed_other_data(db_session: AsyncSession) -> None:
    await _run(SMALL)
    first = await _scalar(db_session, FINGERPRINT)
    await _run(SMALL)
    assert await _scalar(db_session, FINGERPRINT) == first
    await _run(GenerateOptions(seed=12, scale="small", months=3))
    assert await _scalar(db_session, FINGERPRINT) != first


async def test_skip_if_present_keeps_existing_history(db_session: AsyncSession) -> None:
    await _run(SMALL)
    summary = await _run(
        GenerateOptions(seed=SMALL.seed, scale="small", months=3, skip_if_present=True)
    )
    assert summary.startswith("data already generated")
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 1


async def test_unknown_scale_is_refused_before_touching_data(db_session: AsyncSession) -> None:
    with pytest.raises(InvalidInput, match="unknown scale 'huge'"):
        await _run(GenerateOptions(scale="huge"))
    assert await _scalar(db_session, "SELECT count(*) FROM nerdboard.sessions") == 0


async def test_reset_rebuilds_the_recorded_history(
    db_connection: AsyncConnection, db_session: AsyncSession
) -> None:
    await _run(SMALL)
    original = await _scalar(db_session, FINGERPRINT)
    await service.start(db_session, 86_400, "test")
    await SimulationWorker().tick(db_session, elapsed=2.0)
    assert await _scalar(db_session, FINGERPRINT) != original
    with Progress(disable=True) as progress:
        message = await reset_history(progress, who="test")
    assert "reset by test" not in message  # the summary; the event is on the clock
    assert await _scalar(db_session, FINGERPRINT) == original
    clock = await repository.read_clock(db_session)
    assert clock.is_running is False
    assert clock.last_event is not None and clock.last_event.startswith("reset by test")
