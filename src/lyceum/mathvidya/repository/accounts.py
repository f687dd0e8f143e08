"""`users` and `account_tokens`: looking accounts up, adding and changing them, stamping
sign-ins, and issuing and spending single-use tokens (password resets, family invites).

Token rows keep only a SHA-256 of their secret (the caller hashes). Spending is one
`UPDATE … WHERE used_at IS NULL AND expires_at > now() RETURNING`, so two concurrent
redemptions of one token cannot both succeed: the second finds the row already spent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.models import AccountToken, User

EMAIL_UNIQUE = "uq_users_email"
UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"


def violated_constraint(exc: IntegrityError) -> tuple[str | None, str | None]:
    """(SQLSTATE, constraint name) of a failed statement, as far as the driver tells."""
    orig = exc.orig
    # asyncpg's error hangs under SQLAlchemy's adapter; psycopg exposes `diag`.
    cause = getattr(orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(
        getattr(orig, "diag", None), "constraint_name", None
    )
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return (state if isinstance(state, str) else None), (name if isinstance(name, str) else None)


# ---- users -------------------------------------------------------------------------------


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


async def insert_user(db: AsyncSession, **values: Any) -> User | None:
    """The new account, or None when its email is taken. A savepoint rather than
    check-then-insert: two concurrent sign-ups with one email would both pass a check, and
    the unique constraint is the only arbiter that cannot race; rolling back just the
    savepoint leaves the caller's transaction usable."""
    user = User(**values)
    try:
        async with db.begin_nested():
            db.add(user)
            await db.flush()
    except IntegrityError as exc:
        state, name = violated_constraint(exc)
        if name == EMAIL_UNIQUE or (name is None and state == UNIQUE_VIOLATION):
            return None
        raise
    await db.refresh(user)
    return user


async def update_user(db: AsyncSession, user_id: uuid.UUID, **values: Any) -> None:
    await db.execute(
        update(User)
        .where(User.id == user_id)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )


async def change_role(db: AsyncSession, user_id: uuid.UUID, role: UserRole) -> bool:
    """Change a staff account's role; False when rows referring to it under its old role
    (a teacher's evaluations: their foreign key includes the role) forbid the change."""
    try:
        async with db.begin_nested():
            await update_user(db, user_id, role=role)
    except IntegrityError as exc:
        state, _ = violated_constraint(exc)
        if state == FOREIGN_KEY_VIOLATION:
            return False
        raise
    return True


@dataclass(frozen=True, slots=True)
class UserFilters:
    role: UserRole | None = None
    text: str | None = None
    is_active: bool | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(filters: UserFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.role is not None:
        conditions.append(User.role == filters.role)
    if filters.is_active is not None:
        conditions.append(User.is_active.is_(filters.is_active))
    if filters.text:
        pattern = _like(filters.text)
        conditions.append(
            or_(
                User.email.ilike(pattern, escape="\\"),
                (User.first_name + " " + User.last_name).ilike(pattern, escape="\\"),
            )
        )
    return conditions


async def search_users(
    db: AsyncSession, filters: UserFilters, *, limit: int, offset: int
) -> tuple[list[User], int]:
    """A page of accounts (by last name, first name) and how many match in all."""
    conditions = _conditions(filters)
    where = and_(True, *conditions)
    total = (await db.execute(select(func.count()).select_from(User).where(where))).scalar_one()
    rows = await db.execute(
        select(User)
        .where(where)
        .order_by(User.last_name, User.first_name, User.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total)


# ---- account tokens ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedToken:
    id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SpentToken:
    id: uuid.UUID
    user_id: uuid.UUID


async def issue_token(
    db: AsyncSession, user_id: uuid.UUID, purpose: str, token_hash: str, lifetime: timedelta
) -> IssuedToken:
    """Store a token (its hash) expiring `lifetime` after the transaction's clock."""
    row = (
        await db.execute(
            insert(AccountToken)
            .values(
                user_id=user_id,
                purpose=purpose,
                token_hash=token_hash,
                expires_at=func.now() + lifetime,
            )
            .returning(AccountToken.id, AccountToken.expires_at)
        )
    ).one()
    return IssuedToken(row.id, row.expires_at)


async def spend_live_tokens(db: AsyncSession, user_id: uuid.UUID, purpose: str) -> int:
    """Mark every unspent token of this account and purpose spent (superseded); how many."""
    result = await db.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=func.now())
        .returning(AccountToken.id)
    )
    return len(result.all())


async def count_live_tokens(db: AsyncSession, user_id: uuid.UUID, purpose: str) -> int:
    query = select(func.count()).where(
        AccountToken.user_id == user_id,
        AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None),
        AccountToken.expires_at > func.now(),
    )
    return int((await db.execute(query)).scalar_one())


async def count_recent_tokens(
    db: AsyncSession, user_id: uuid.UUID, purpose: str, within: timedelta
) -> int:
    """Tokens of this account and purpose issued within `within` (spent or not)."""
    query = select(func.count()).where(
        AccountToken.user_id == user_id,
        AccountToken.purpose == purpose,
        AccountToken.created_at > func.now() - within,
    )
    return int((await db.execute(query)).scalar_one())


async def spend_token(
    db: AsyncSession, token_hash: str, purpose: str, *, spent_by: uuid.UUID | None = None
) -> SpentToken | None:
    """Spend a live token of an active account in one statement; None when there is no
    such token (unknown, already spent, expired, or its account deactivated)."""
    active = select(User.id).where(User.id == AccountToken.user_id, User.is_active)
    row = (
        await db.execute(
            update(AccountToken)
            .where(
                AccountToken.token_hash == token_hash,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > func.now(),
                active.exists(),
            )
            .values(used_at=func.now(), used_by_user_id=spent_by)
            .returning(AccountToken.id, AccountToken.user_id)
        )
    ).one_or_none()
    return None if row is None else SpentToken(row.id, row.user_id)


__all__ = [
    "EMAIL_UNIQUE",
    "IssuedToken",
    "SpentToken",
    "UserFilters",
    "change_role",
    "count_live_tokens",
    "count_recent_tokens",
    "insert_user",
    "issue_token",
    "search_users",
    "spend_live_tokens",
    "spend_token",
    "stamp_sign_in",
    "update_user",
    "user_by_email",
    "user_by_id",
    "violated_constraint",
]
