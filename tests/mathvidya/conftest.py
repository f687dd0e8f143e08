"""Fixtures shared by Mathvidya's tests (row factories live in tests/mathvidya/rows.py)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.mathvidya.rows import add_user


@pytest.fixture
async def student_id(db_session: AsyncSession) -> uuid.UUID:
    """A class X student, flushed."""
    return await add_user(db_session, "student")


@pytest.fixture
async def teacher_id(db_session: AsyncSession) -> uuid.UUID:
    """A teacher, flushed."""
    return await add_user(db_session, "teacher")
