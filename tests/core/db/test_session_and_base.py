"""The database layer against real PostgreSQL: mixins, sessions, the request dependency."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lyceum.core.db import PoolConfig, close_db, get_engine, naming_convention, session
from lyceum.core.db.base import Base
from lyceum.core.db.session import session_dependency
from lyceum.core.models import Operator
from lyceum.core.settings import load_settings


def make_operator(email: str | None = None) -> Operator:
    return Operator(
        email=email or f"op-{uuid.uuid4().hex[:8]}@example.com",
        display_name="Op",
        password_hash="x",
        roles=["operator"],
    )


async def test_uuid_and_timestamps_come_from_the_database(db_session: AsyncSession) -> None:
    operator = make_operator()
    db_session.add(operator)
    await db_session.flush()
    await db_session.refresh(operator)
    assert isinstance(operator.id, uuid.UUID)
    assert operator.created_at.tzinfo is not None
    assert operator.updated_at == operator.created_at


async def test_updated_at_moves_on_orm_update(db_session: AsyncSession) -> None:
    operator = make_operator()
    db_session.add(operator)
    await db_session.flush()
    await db_session.refresh(operator)
    before = operator.updated_at
    # now() is the transaction's start: a savepoint cannot move it, so use clock_timestamp
    # through the trigger path instead by backdating the row first.
    await db_session.execute(
        text(
            "UPDATE lyceum.operators SET updated_at = updated_at - interval '1 hour' WHERE id = :id"
        ),
        {"id": operator.id},
    )
    await db_session.refresh(operator)
    assert operator.updated_at < before
    operator.display_name = "Renamed"
    await db_session.flush()
    await db_session.refresh(operator)
    assert operator.updated_at >= before


async def test_trigger_maintains_updated_at_for_raw_sql(db_session: AsyncSession) -> None:
    operator = make_operator()
    db_session.add(operator)
    await db_session.flush()
    await db_session.execute(
        text("UPDATE lyceum.operators SET updated_at = '2000-01-01' WHERE id = :id"),
        {"id": operator.id},
    )
    # A raw update that does not touch updated_at: the trigger sets it to now().
    await db_session.execute(
        text("UPDATE lyceum.operators SET display_name = 'raw' WHERE id = :id"), {"id": operator.id}
    )
    updated = (
        await db_session.execute(
            text("SELECT updated_at > '2001-01-01' FROM lyceum.operators WHERE id = :id"),
            {"id": operator.id},
        )
    ).scalar_one()
    assert updated is True


async def test_timestamps_are_timestamptz_in_the_catalog(db_session: AsyncSession) -> None:
    types = dict(
        (
            await db_session.execute(
                text(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'lyceum' AND table_name = 'operators' "
                    "AND column_name IN ('created_at', 'updated_at', 'last_login_at')"
                )
            )
        ).all()
    )
    assert set(types.values()) == {"timestamp with time zone"}


def test_naming_convention_names_constraints() -> None:
    table = Base.metadata.tables["lyceum.operators"]
    names = {constraint.name for constraint in table.constraints}
    assert "pk_operators" in names
    assert "ck_operators_email_lowercase" in names
    assert set(naming_convention) == {"ix", "uq", "ck", "fk", "pk"}


async def test_database_check_constraint_rejects_bad_rows(db_session: AsyncSession) -> None:
    db_session.add(make_operator(email="Not-Lower@Example.com"))
    with pytest.raises(IntegrityError, match="ck_operators_email_lowercase"):
        await db_session.flush()


async def test_session_commits_on_clean_exit(db_connection: AsyncConnection) -> None:
    email = f"commit-{uuid.uuid4().hex[:8]}@example.com"
    async with session() as db:
        db.add(make_operator(email))
    async with session() as db:
        found = await db.scalar(select(Operator).where(Operator.email == email))
    assert found is not None


async def test_session_rolls_back_on_error(db_connection: AsyncConnection) -> None:
    email = f"rollback-{uuid.uuid4().hex[:8]}@example.com"
    with pytest.raises(RuntimeError):
        async with session() as db:
            db.add(make_operator(email))
            await db.flush()
            raise RuntimeError("boom")
    async with session() as db:
        assert await db.scalar(select(Operator).where(Operator.email == email)) is None


async def test_dependency_commits_at_the_edge_and_rolls_back_on_error(
    db_connection: AsyncConnection,
) -> None:
    dependency = session_dependency()
    committed = f"dep-ok-{uuid.uuid4().hex[:8]}@example.com"
    generator = dependency()
    db = await anext(generator)
    db.add(make_operator(committed))
    with pytest.raises(StopAsyncIteration):
        await anext(generator)

    failed = f"dep-fail-{uuid.uuid4().hex[:8]}@example.com"
    generator = dependency()
    db = await anext(generator)
    db.add(make_operator(failed))
    await db.flush()
    with pytest.raises(ValueError, match="request failed"):
        await generator.athrow(ValueError("request failed"))

    async with session() as check:
        emails = set(
            (
                await check.scalars(
                    select(Operator.email).where(Operator.email.in_([committed, failed]))
                )
            ).all()
        )
    assert emails == {committed}


async def test_rollback_isolation_part_one(db_session: AsyncSession) -> None:
    db_session.add(make_operator("isolation-probe@example.com"))
    await db_session.commit()  # code under test may commit: still rolled back afterwards


async def test_rollback_isolation_part_two(db_session: AsyncSession) -> None:
    found = await db_session.scalar(
        select(Operator).where(Operator.email == "isolation-probe@example.com")
    )
    assert found is None


async def test_engine_uses_pool_profile_and_settings_override(database_url: object) -> None:
    tutormax_like = PoolConfig(pool_size=5, max_overflow=10, pool_timeout=30, pool_recycle=3600)
    engine = get_engine(profile="test-profile", pool=tutormax_like)
    try:
        assert engine.pool.size() == 5  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 10  # type: ignore[attr-defined]
        assert engine.pool._recycle == 3600  # type: ignore[attr-defined]
        assert engine.pool._pre_ping is True  # type: ignore[attr-defined]
        overridden = tutormax_like.with_overrides(
            load_settings(_env_file=None, db_pool_size=2, db_pool_recycle=60)
        )
        assert (overridden.pool_size, overridden.max_overflow, overridden.pool_recycle) == (
            2,
            10,
            60,
        )
        async with engine.connect() as connection:
            name = await connection.scalar(text("SELECT current_setting('application_name')"))
        assert name == "lyceum:test-profile"
    finally:
        await engine.dispose()


async def test_echo_engine_is_separate(database_url: object) -> None:
    assert get_engine(echo=True, profile="echo-test").echo is True
    assert get_engine(echo=False, profile="echo-test").echo is False


async def test_close_db_disposes_and_engines_rebuild(database_url: object) -> None:
    first = get_engine(profile="closing")
    await close_db()
    second = get_engine(profile="closing")
    assert first is not second
    async with second.connect() as connection:
        assert await connection.scalar(text("SELECT 1")) == 1
    await asyncio.sleep(0)
