"""Mathvidya accounts signing in (the platform's sign-in edges ask through
`AppSpec.sign_in`, after the operator accounts).

Passwords are Argon2id (the database refuses any other hash), verified in a worker thread.
A sign-in and a failed sign-in of an existing account each write an audit row; an unknown
email writes none (there is no account to attach it to, and logging typed emails would keep
strangers' addresses) but costs the same Argon2 verification as a known one.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.appspec import AppAccount
from lyceum.core.auth import verify_and_maybe_rehash
from lyceum.core.operators import InvalidEmail, normalise_email, verify_as_if_known
from lyceum.mathvidya.enums import account_role
from lyceum.mathvidya.repository import accounts as account_rows
from lyceum.mathvidya.service.audit import Actor, Origin, record


class WrongPassword(Exception):
    """An existing account, the wrong password (or a deactivated account)."""


async def sign_in(db: AsyncSession, email: str, password: str, origin: Origin) -> AppAccount | None:
    """The account these credentials open; None for an email no account has; WrongPassword
    (after auditing the failure) for a wrong password or a deactivated account."""
    try:
        address = normalise_email(email)
    except InvalidEmail:
        return None
    user = await account_rows.user_by_email(db, address)
    if user is None:
        await verify_as_if_known(password)
        return None
    matched, new_hash = await asyncio.to_thread(
        verify_and_maybe_rehash, user.password_hash, password
    )
    actor = Actor(user.id, user.role, user.full_name, user.student_class)
    if not matched or not user.is_active:
        reason = "wrong_password" if not matched else "account_inactive"
        await record(db, "auth.sign_in_failed", "user", user.id, actor=actor, origin=origin,
                     details={"reason": reason})  # fmt: skip
        raise WrongPassword
    await account_rows.stamp_sign_in(db, user.id, datetime.now(UTC), new_hash)
    await record(db, "auth.signed_in", "user", user.id, actor=actor, origin=origin)
    return AppAccount(
        subject=str(user.id), roles=(account_role(user.role),), display_name=user.full_name
    )


__all__ = ["WrongPassword", "sign_in"]
