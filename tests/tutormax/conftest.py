"""Fixtures shared by TutorMax's tests."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.tutormax.rows import Parties, add_parties


@pytest.fixture
async def parties(db_session: AsyncSession) -> Parties:
    """A tutor, a student and a session between them, flushed."""
    return await add_parties(db_session)
