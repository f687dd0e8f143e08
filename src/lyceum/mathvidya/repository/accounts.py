"""`users`: looking accounts up and stamping sign-ins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models import User


async def user_by_email(db: AsyncSession, email: str) -> User | None:
    return (await db.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def user_by_id(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await db.get(User, user_id)


async def stamp_sign_in(
    db: AsyncSession, user_id: uuid.UUID, at: datetime, new_hash: str | None
) -> None:
    values: dict[str, object] = {"last_login_at": at}
    if new_hash is not None:
        values["password_hash"] = new_hash
    await db.execute(update(User).where(User.id == user_id).values(**values))


__all__ = ["stamp_sign_in", "user_by_email", "user_by_id"]
