"""Fixtures shared by Mathvidya's tests (row factories live in tests/mathvidya/rows.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures import services
from tests.mathvidya.rows import add_user


@pytest.fixture
async def student_id(db_session: AsyncSession) -> uuid.UUID:
    """A class X student, flushed."""
    return await add_user(db_session, "student")


@pytest.fixture
async def teacher_id(db_session: AsyncSession) -> uuid.UUID:
    """A teacher, flushed."""
    return await add_user(db_session, "teacher")


@pytest.fixture
def scratch_database(database_url: URL) -> Iterator[URL]:
    """A database of its own, so migrating it up and down disturbs no other test."""
    with services.scratch_database(database_url, "mathvidya_scratch") as scratch:
        yield scratch
