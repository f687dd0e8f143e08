"""Seed 003's "Testing the Setup" steps as tests: the connection check, creating a student
(with an Argon2id hash, where the seed's example used bcrypt) and listing the four plans.
The seed's modules are imported by their documented names: `database` is
`lyceum.mathvidya.database` (its `engine`, `AsyncSessionLocal`) and `models` is
`lyceum.mathvidya.models`."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.auth import hash_password, verify_password
from lyceum.mathvidya.database import AsyncSessionLocal
from lyceum.mathvidya.models import SubscriptionPlan, User, UserRole


@pytest.mark.usefixtures("db_session")
async def test_connection() -> None:
    # Seed: `from database import engine`; looked up now, once the settings name the database.
    from lyceum.mathvidya.database import engine

    async with engine.begin() as conn:
        result = await conn.execute(text("SELECT version()"))
        assert result.scalar_one().startswith("PostgreSQL ")


@pytest.mark.usefixtures("db_session")
async def test_create_test_user() -> None:
    async with AsyncSessionLocal() as session:
        student = User(
            email="student@test.com",
            password_hash=hash_password("password123"),
            role=UserRole.STUDENT,
            first_name="Test",
            last_name="Student",
            student_class="XII",
        )
        session.add(student)
        await session.commit()
        created = student.id

    async with AsyncSessionLocal() as session:
        stored = (await session.execute(select(User).where(User.id == created))).scalar_one()
        assert stored.email == "student@test.com"
        assert stored.role is UserRole.STUDENT
        assert stored.password_hash.startswith("$argon2id$")
        assert verify_password(stored.password_hash, "password123")
        assert not verify_password(stored.password_hash, "password124")
        assert stored.created_at.tzinfo is not None


async def test_the_seeds_bcrypt_hash_is_refused(db_session: AsyncSession) -> None:
    student = User(
        email="bcrypt@test.com",
        # What passlib's bcrypt scheme produces: the database accepts only Argon2id.
        password_hash="$2b$12$KIXQ8r3hbp8m9Q4sJ2Q6eO2lH1Q0QeQ9w1q6o7yYvW8m3jB1s2c3e",
        role=UserRole.STUDENT,
        first_name="Test",
        last_name="Student",
        student_class="XII",
    )
    db_session.add(student)
    with pytest.raises(IntegrityError, match="ck_users_password_hash_argon2id"):
        await db_session.flush()


@pytest.mark.usefixtures("db_session")
async def test_list_plans() -> None:
    async with AsyncSessionLocal() as session:
        result = await session.execute(select(SubscriptionPlan))
        plans = result.scalars().all()
        lines = {f"{plan.display_name}: {plan.exams_per_month} exams/month" for plan in plans}
    assert lines == {
        "Basic Plan: 5 exams/month",
        "Premium MCQ: 15 exams/month",
        "Premium Plan: 50 exams/month",
        "Plan Centum: 50 exams/month",
    }
