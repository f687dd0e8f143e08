"""Signing in with an adaptive account (`AppSpec.sign_in`): the platform's sign-in edges ask
this app when no operator account has the email. Its own edge: it opens a session on the
adaptive pool and commits nothing (no audit table in seed 004)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from lyceum.adaptive.connection import get_session
from lyceum.adaptive.enums import UserRole, account_role
from lyceum.adaptive.models import User
from lyceum.core.appspec import AppAccount, SignInAttempt
from lyceum.core.auth import verify_password
from lyceum.core.errors import Unauthorized
from lyceum.core.operators import LOGIN_FAILED, InvalidEmail, normalise_email, verify_as_if_known


async def sign_in(attempt: SignInAttempt) -> AppAccount | None:
    """The account these credentials open; None when no adaptive account has the email;
    Unauthorized for a wrong password or a deactivated account."""
    try:
        email = normalise_email(attempt.email)
    except InvalidEmail:
        return None
    async with get_session() as db:
        user = (await db.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        await verify_as_if_known(attempt.password)
        return None
    matched = await asyncio.to_thread(verify_password, user.password_hash, attempt.password)
    if not matched or not user.is_active:
        raise Unauthorized(LOGIN_FAILED)
    return AppAccount(
        subject=str(user.id),
        roles=(account_role(UserRole(user.role)),),
        display_name=user.full_name or user.username,
    )


__all__ = ["sign_in"]
