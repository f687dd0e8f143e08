"""`/api/mathvidya`: accounts (issue 15) — sign-up, the profile, password reset, and the admins'
user management. The rules and why are in `service/accounts.py`.

Public (no token; declared with `Depends(public)`): `POST /accounts/students`,
`POST /accounts/parents`, `POST /accounts/password-reset`,
`POST /accounts/password-reset/confirm`. Signing in is the platform's: `POST /api/auth/login`
(a bearer token) and the shell's `/sign-in` page (a session).

Any account: `GET /me`, `PATCH /me`. Admins: `POST /admin/users` (a teacher or an admin),
`GET /admin/users`, `PATCH /admin/users/{user_id}`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from lyceum.core.access import public
from lyceum.mathvidya.dependencies import Admin, AnyAccount, MathvidyaSession, RequestOrigin
from lyceum.mathvidya.schemas import accounts as schemas
from lyceum.mathvidya.service import accounts as service

PUBLIC = [Depends(public)]


def router() -> APIRouter:
    api = APIRouter()

    @api.post(
        "/accounts/students",
        response_model=schemas.Account,
        status_code=status.HTTP_201_CREATED,
        dependencies=PUBLIC,
    )
    async def sign_up_student(
        body: schemas.StudentSignUp, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Account:
        """Create a student's account (class X or XII). Sign in afterwards through
        `POST /api/auth/login`."""
        return await service.sign_up_student(db, body, origin)

    @api.post(
        "/accounts/parents",
        response_model=schemas.Account,
        status_code=status.HTTP_201_CREATED,
        dependencies=PUBLIC,
    )
    async def sign_up_parent(
        body: schemas.ParentSignUp, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Account:
        """Create a parent's account. A parent sees a child only once the child links them
        with an invite code (`/family`)."""
        return await service.sign_up_parent(db, body, origin)

    @api.post(
        "/accounts/password-reset",
        response_model=schemas.Accepted,
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=PUBLIC,
    )
    async def request_password_reset(
        body: schemas.PasswordResetRequest, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Accepted:
        """E-mail a one-hour, single-use reset link to the account with this address, if
        there is one; the answer is the same either way."""
        return await service.request_password_reset(db, body, origin)

    @api.post("/accounts/password-reset/confirm", response_model=schemas.Done, dependencies=PUBLIC)
    async def confirm_password_reset(
        body: schemas.PasswordResetConfirm, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Done:
        """Set a new password with the token from the reset link (spends the token)."""
        return await service.confirm_password_reset(db, body, origin)

    @api.get("/me", response_model=schemas.Account)
    async def me(actor: AnyAccount, db: MathvidyaSession) -> schemas.Account:
        """The signed-in account's profile."""
        return await service.profile(db, actor)

    @api.patch("/me", response_model=schemas.Account)
    async def update_me(
        actor: AnyAccount,
        body: schemas.ProfileChange,
        db: MathvidyaSession,
        origin: RequestOrigin,
    ) -> schemas.Account:
        """Change one's name, phone or (a student's) school."""
        return await service.update_profile(db, actor, body, origin)

    @api.post("/admin/users", response_model=schemas.Account, status_code=status.HTTP_201_CREATED)
    async def create_staff(
        actor: Admin, body: schemas.StaffCreate, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.Account:
        """Create a teacher's or an admin's account."""
        return await service.create_staff(db, actor, body, origin)

    @api.get("/admin/users", response_model=schemas.AccountPage)
    async def list_users(
        _: Admin, db: MathvidyaSession, params: Annotated[schemas.UserListParams, Query()]
    ) -> schemas.AccountPage:
        """Accounts by last name, filtered by role, activity and a text in name or e-mail."""
        return await service.list_users(db, params)

    @api.patch("/admin/users/{user_id}", response_model=schemas.Account)
    async def change_user(
        actor: Admin,
        user_id: uuid.UUID,
        body: schemas.UserChange,
        db: MathvidyaSession,
        origin: RequestOrigin,
    ) -> schemas.Account:
        """Deactivate or reactivate an account; move a staff account between teacher and
        admin."""
        return await service.change_user(db, actor, user_id, body, origin)

    return api


__all__ = ["router"]
