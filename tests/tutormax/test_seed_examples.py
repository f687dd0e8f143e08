"""Seeds 001/002's "Usage Examples" and connection API, run as written.

Only the import paths differ: `src.database` is `lyceum.tutormax` and `src.database.utils` is
`lyceum.tutormax.utils` (an alias of `lyceum.tutormax.repository`). Sessions from
`get_session()` are bound to the test's transaction, so their commits are rolled back at the
end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import selectinload

from lyceum.core.settings import reset_settings_cache
from lyceum.tutormax import (
    Session,
    StudentFeedback,
    Tutor,
    TutorStatus,
    get_db_session,
    get_engine,
    get_session,
    get_settings,
)
from lyceum.tutormax.connection import POOL


async def add_jane(onboarded: datetime | None = None, subjects: list[str] | None = None) -> None:
    """Setup for the examples that start from an existing tutor (not part of the seed)."""
    async with get_session() as db:
        db.add(
            Tutor(
                tutor_id="tutor_001",
                name="Jane Doe",
                email="jane@example.com",
                onboarding_date=onboarded or datetime.now(UTC),
                subjects=subjects or ["Math"],
            )
        )


async def test_seed_001_basic_crud(db_connection: AsyncConnection) -> None:
    # Create a tutor
    async with get_session() as db:
        tutor = Tutor(
            tutor_id="tutor_001",
            name="Jane Doe",
            email="jane@example.com",
            onboarding_date=datetime.utcnow(),
            status="active",
            subjects=["Mathematics", "Physics"],
            baseline_sessions_per_week=15.0,
        )
        db.add(tutor)
        await db.commit()

    # Query tutors
    async with get_session() as db:
        result = await db.execute(select(Tutor).where(Tutor.status == "active"))
        active_tutors = result.scalars().all()

    assert [t.tutor_id for t in active_tutors] == ["tutor_001"]
    stored = active_tutors[0]
    assert stored.status is TutorStatus.ACTIVE
    assert stored.subjects == ["Mathematics", "Physics"]
    assert stored.baseline_sessions_per_week == 15.0
    # A naive utcnow() is stored as the UTC instant it means and read back zone-aware.
    assert stored.onboarding_date.tzinfo is not None
    assert abs(datetime.now(UTC) - stored.onboarding_date) < timedelta(minutes=5)
    assert StudentFeedback.__tablename__ == "student_feedback"


async def test_seed_002_create_read_update_delete(db_connection: AsyncConnection) -> None:
    # Create
    async with get_session() as db:
        tutor = Tutor(
            tutor_id="tutor_001",
            name="Jane Doe",
            email="jane@example.com",
            onboarding_date=datetime.utcnow(),
            status="active",
            subjects=["Math", "Physics"],
        )
        db.add(tutor)
        await db.commit()

    # Read
    async with get_session() as db:
        result = await db.execute(select(Tutor).where(Tutor.tutor_id == "tutor_001"))
        tutor = result.scalar_one()

    # Update. The seed's snippet changes `tutor` after its session has closed; SQLAlchemy
    # only writes objects a session holds, so this one line (db.add) is the fix it needs.
    async with get_session() as db:
        tutor.status = "inactive"
        db.add(tutor)
        await db.commit()
    async with get_session() as db:
        status = (
            await db.execute(select(Tutor.status).where(Tutor.tutor_id == "tutor_001"))
        ).scalar_one()
    assert status is TutorStatus.INACTIVE

    # Delete
    async with get_session() as db:
        await db.delete(tutor)
        await db.commit()
    async with get_session() as db:
        assert (await db.execute(select(Tutor))).scalars().all() == []


async def test_seed_usage_of_the_utilities(db_connection: AsyncConnection) -> None:
    from lyceum.tutormax.utils import (
        get_high_risk_tutors,
        get_tutor_by_id,
        get_tutor_statistics,
    )

    await add_jane()

    # Get tutor with relationships
    async with get_session() as db:
        tutor = await get_tutor_by_id(db, "tutor_001", with_relations=True)

        # Get 30-day statistics
        stats = await get_tutor_statistics(db, "tutor_001", days_back=30)
        print(stats)

        # Get high-risk tutors
        high_risk = await get_high_risk_tutors(db, min_score=51, limit=10)

    assert tutor is not None and tutor.sessions == [] and tutor.events == []
    assert stats == {
        "tutor_id": "tutor_001",
        "total_sessions": 0,
        "average_rating": None,
        "no_shows": 0,
        "reschedules": 0,
    }
    assert high_risk == []


async def test_seed_fastapi_integration(db_connection: AsyncConnection) -> None:
    app = FastAPI()

    @app.get("/tutors/{tutor_id}")
    async def get_tutor(  # type: ignore[no-untyped-def]  # the seed's route, unannotated
        tutor_id: str,
        db: AsyncSession = Depends(get_db_session),  # noqa: B008 - FastAPI's own idiom
    ):
        result = await db.execute(select(Tutor).where(Tutor.tutor_id == tutor_id))
        tutor = result.scalar_one_or_none()
        return tutor

    await add_jane(datetime(2025, 11, 7, 9, 30, tzinfo=UTC), ["Math", "Physics"])

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        found = await client.get("/tutors/tutor_001")
        missing = await client.get("/tutors/nobody")
    assert found.status_code == 200
    body = found.json()
    assert body["name"] == "Jane Doe"
    assert body["status"] == "active"
    assert body["subjects"] == ["Math", "Physics"]
    assert datetime.fromisoformat(body["onboarding_date"]) == datetime(
        2025, 11, 7, 9, 30, tzinfo=UTC
    )
    assert missing.status_code == 200 and missing.json() is None


async def test_seed_optimized_query(db_connection: AsyncConnection) -> None:
    await add_jane()

    async with get_session() as db:
        # Eager load sessions and feedback to avoid N+1 queries
        result = await db.execute(
            select(Tutor)
            .options(
                selectinload(Tutor.sessions).selectinload(Session.feedback),
                selectinload(Tutor.performance_metrics),
            )
            .where(Tutor.status == "active")
            .limit(100)
        )
        tutors = result.scalars().all()

    assert [t.tutor_id for t in tutors] == ["tutor_001"]
    # Loaded eagerly: reading them after the session closed needs no database.
    assert tutors[0].sessions == [] and tutors[0].performance_metrics == []


def test_connection_settings_follow_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.sync_database_url.startswith("postgresql+psycopg://")
    pool = settings.pool
    assert (pool.pool_size, pool.max_overflow, pool.pool_timeout, pool.pool_recycle) == (
        5,
        10,
        30,
        3600,
    )
    assert pool.pool_pre_ping
    assert POOL.pool_size == 5
    monkeypatch.setenv("DB_POOL_SIZE", "7")
    reset_settings_cache()
    try:
        assert get_settings().pool.pool_size == 7
    finally:
        monkeypatch.delenv("DB_POOL_SIZE")
        reset_settings_cache()


async def test_get_engine_uses_tutormax_pool_and_db_echo(
    db_connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = get_engine()
    assert engine.pool.size() == 5  # type: ignore[attr-defined]
    assert engine.echo is False
    loud = get_engine(echo=True)
    assert loud.echo is True
    assert loud is not engine
    monkeypatch.setenv("DB_ECHO", "true")
    reset_settings_cache()
    try:
        assert get_settings().db_echo is True
        assert get_engine().echo is True
    finally:
        monkeypatch.delenv("DB_ECHO")
        reset_settings_cache()


async def test_get_session_rolls_back_on_error(db_connection: AsyncConnection) -> None:
    with pytest.raises(RuntimeError):
        async with get_session() as db:
            db.add(
                Tutor(
                    tutor_id="ghost",
                    name="Ghost",
                    email="ghost@example.com",
                    onboarding_date=datetime.now(UTC),
                    subjects=["Math"],
                )
            )
            await db.flush()
            raise RuntimeError("boom")
    async with get_session() as db:
        assert (await db.execute(select(Tutor).where(Tutor.tutor_id == "ghost"))).first() is None


def test_utils_alias_has_the_seeds_eleven_functions() -> None:
    from lyceum.tutormax import repository, utils

    # Seed 002's list for `src/database/utils.py`.
    seed_functions = {
        "get_tutor_by_id", "get_active_tutors", "get_tutors_by_risk_level", "get_tutor_sessions",
        "get_first_sessions", "get_latest_performance_metrics", "get_latest_churn_prediction",
        "get_high_risk_tutors", "get_pending_interventions", "get_tutor_events",
        "get_tutor_statistics",
    }  # fmt: skip
    assert set(utils.__all__) == seed_functions
    for name in seed_functions:
        assert getattr(utils, name) is getattr(repository, name)
