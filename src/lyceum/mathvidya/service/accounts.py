"""Mathvidya accounts: signing in, signing up, the profile, password reset, and the admins'
management of accounts.

Signing in (the platform's sign-in edges ask through `AppSpec.sign_in`, after the operator
accounts). Passwords are Argon2id (the database refuses any other hash), hashed and verified
in a worker thread. A sign-in and a failed sign-in of an existing account each write an audit
row; an unknown email writes none (there is no account to attach it to, and logging typed
emails would keep strangers' addresses) but costs the same Argon2 verification as a known one.

Signing up is open to students (class X or XII) and parents only; teachers and admins are
created by an admin (`create_staff`), so nobody can make themselves staff. A taken e-mail is a
409 with a sentence: sign-up must say so to be usable, and the throttled sign-in and the
reset flow below reveal no more than that.

Password reset never tells whether an e-mail has an account: the request always answers the
same sentence. For an active account it stores a token — only the SHA-256 of its secret, so a
read of `account_tokens` opens nothing — valid for an hour, spends the account's older live
reset tokens (only the newest link works), and enqueues the e-mail carrying the secret in the
outbox, in the same transaction (a rolled-back request sends nothing). At most
`MAX_RESETS_PER_HOUR` links are sent to one account an hour: beyond that the request is
answered the same and nothing is sent, so the form cannot be used to flood a mailbox.
Confirming spends the token in one UPDATE that checks it unspent, unexpired and its account
active, so a link works exactly once even under concurrent use.

Admins list and search accounts, deactivate and reactivate them (a deactivated account is
refused by every guard at its next request: the guards read `users` each time), and move
staff between teacher and admin. A student's or a parent's role never changes: their class,
family links, exams and subscriptions belong to that role. An admin cannot deactivate or
demote their own account, so the last admin cannot lock everyone out by mistake.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core import outbox
from lyceum.core.appspec import AppAccount
from lyceum.core.auth import hash_password, verify_and_maybe_rehash
from lyceum.core.errors import Conflict, InvalidInput, NotFound
from lyceum.core.operators import InvalidEmail, normalise_email, verify_as_if_known
from lyceum.mathvidya.enums import UserRole, account_role
from lyceum.mathvidya.models import User
from lyceum.mathvidya.repository import accounts as account_rows
from lyceum.mathvidya.schemas import accounts as schemas
from lyceum.mathvidya.service.audit import Actor, Origin, record

PASSWORD_RESET = "password_reset"  # noqa: S105 - a token purpose, not a secret
RESET_LIFETIME = timedelta(hours=1)
MAX_RESETS_PER_HOUR = 3
RESET_PATH = "/mathvidya/reset-password"

RESET_ACCEPTED = (
    "if an active Mathvidya account has this e-mail address, a link to reset its password"
    " has been sent to it; the link works once, within an hour"
)
RESET_REFUSED = (
    "this password-reset link is not valid: it has expired (links last an hour), has been"
    " used already or replaced by a newer one; ask for a new link"
)
RESET_DONE = "your password has been changed; sign in with the new one"


class WrongPassword(Exception):
    """An existing account, the wrong password (or a deactivated account)."""


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.role, user.full_name, user.student_class)


def token_hash(secret: str) -> str:
    """What `account_tokens.token_hash` stores for a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


# ---- signing in ----------------------------------------------------------------------------


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
    actor = actor_of(user)
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


# ---- creating accounts -------------------------------------------------------------------


async def _create(
    db: AsyncSession, role: UserRole, body: schemas.ParentSignUp, extra: dict[str, Any]
) -> User:
    password_hash = await asyncio.to_thread(hash_password, body.password)
    user = await account_rows.insert_user(
        db,
        email=body.email,
        password_hash=password_hash,
        role=role,
        first_name=body.first_name,
        last_name=body.last_name,
        phone=body.phone,
        **extra,
    )
    if user is None:
        raise Conflict(
            f"an account with the e-mail address {body.email} already exists; sign in, or"
            " reset its password if it is yours",
            details={"field": "email"},
        )
    return user


async def _signed_up(
    db: AsyncSession,
    role: UserRole,
    body: schemas.ParentSignUp,
    extra: dict[str, Any],
    origin: Origin,
) -> schemas.Account:
    """A student or parent signing up: the account, and its audit row (the new account acts)."""
    user = await _create(db, role, body, extra)
    await record(
        db,
        "account.created",
        "user",
        user.id,
        actor=actor_of(user),
        origin=origin,
        details={"role": user.role.value, "via": "sign_up"},
    )
    return schemas.Account.model_validate(user)


async def sign_up_student(
    db: AsyncSession, body: schemas.StudentSignUp, origin: Origin
) -> schemas.Account:
    extra = {"student_class": body.student_class, "school_name": body.school_name}
    return await _signed_up(db, UserRole.STUDENT, body, extra, origin)


async def sign_up_parent(
    db: AsyncSession, body: schemas.ParentSignUp, origin: Origin
) -> schemas.Account:
    return await _signed_up(db, UserRole.PARENT, body, {}, origin)


async def create_staff(
    db: AsyncSession, actor: Actor, body: schemas.StaffCreate, origin: Origin
) -> schemas.Account:
    user = await _create(db, UserRole(body.role), body, {})
    await record(
        db,
        "account.created",
        "user",
        user.id,
        actor=actor,
        origin=origin,
        details={"role": user.role.value, "via": "admin"},
    )
    return schemas.Account.model_validate(user)


# ---- the profile ---------------------------------------------------------------------------


async def _account(db: AsyncSession, user_id: uuid.UUID) -> User:
    user = await account_rows.user_by_id(db, user_id)
    if user is None:
        raise NotFound("no such account", details={"reason": "not_found"})
    return user


async def profile(db: AsyncSession, actor: Actor) -> schemas.Account:
    return schemas.Account.model_validate(await _account(db, actor.user_id))


async def update_profile(
    db: AsyncSession, actor: Actor, change: schemas.ProfileChange, origin: Origin
) -> schemas.Account:
    given = change.model_fields_set
    if not given:
        raise InvalidInput(
            "nothing to change: give first_name, last_name, phone or school_name",
            details={"field": None},
        )
    for field in ("first_name", "last_name"):
        if field in given and getattr(change, field) is None:
            raise InvalidInput(f"{field} cannot be removed", details={"field": field})
    if (
        "school_name" in given
        and change.school_name is not None
        and actor.role is not UserRole.STUDENT
    ):
        raise InvalidInput(
            "only a student's account has a school", details={"field": "school_name"}
        )
    user = await _account(db, actor.user_id)
    before = {field: getattr(user, field) for field in sorted(given)}
    after = {field: getattr(change, field) for field in sorted(given)}
    changed = {field for field in given if before[field] != after[field]}
    if changed:
        await account_rows.update_user(db, user.id, **{f: after[f] for f in changed})
        await record(
            db,
            "account.updated",
            "user",
            user.id,
            actor=actor,
            origin=origin,
            details={
                "before": {f: before[f] for f in sorted(changed)},
                "after": {f: after[f] for f in sorted(changed)},
            },
        )
        await db.refresh(user)
    return schemas.Account.model_validate(user)


# ---- password reset ------------------------------------------------------------------------


def _reset_email(user: User, secret: str) -> tuple[str, str]:
    link = f"{RESET_PATH}?token={secret}"
    subject = "Reset your Mathvidya password"
    body = (
        f"Hello {user.first_name},\n\n"
        "Someone (we hope you) asked to reset the password of your Mathvidya account.\n"
        f"Open this link on the Mathvidya site within an hour to choose a new one:\n\n"
        f"{link}\n\n"
        "The link works once. If you did not ask for it, ignore this e-mail: your password"
        " stays as it is.\n"
    )
    return subject, body


async def request_password_reset(
    db: AsyncSession, body: schemas.PasswordResetRequest, origin: Origin
) -> schemas.Accepted:
    """Always the same answer (see the module's note); for an active account, a new token
    and the e-mail carrying it."""
    user = await account_rows.user_by_email(db, body.email)
    if user is None or not user.is_active:
        return schemas.Accepted(message=RESET_ACCEPTED)
    recent = await account_rows.count_recent_tokens(db, user.id, PASSWORD_RESET, timedelta(hours=1))
    if recent >= MAX_RESETS_PER_HOUR:
        await record(
            db,
            "auth.password_reset_requested",
            "user",
            user.id,
            actor=None,
            origin=origin,
            details={"email_sent": False, "reason": "throttled"},
        )
        return schemas.Accepted(message=RESET_ACCEPTED)
    await account_rows.spend_live_tokens(db, user.id, PASSWORD_RESET)
    secret = secrets.token_urlsafe(32)
    issued = await account_rows.issue_token(
        db, user.id, PASSWORD_RESET, token_hash(secret), RESET_LIFETIME
    )
    subject, text = _reset_email(user, secret)
    await outbox.enqueue(
        db,
        outbox.EMAIL,
        user.email,
        subject,
        text,
        source="mathvidya",
        reference=f"account_tokens/{issued.id}",
        dedupe_key=f"mathvidya:password_reset:{issued.id}",
    )
    await record(
        db,
        "auth.password_reset_requested",
        "user",
        user.id,
        actor=None,
        origin=origin,
        details={"email_sent": True},
    )
    return schemas.Accepted(message=RESET_ACCEPTED)


async def confirm_password_reset(
    db: AsyncSession, body: schemas.PasswordResetConfirm, origin: Origin
) -> schemas.Done:
    spent = await account_rows.spend_token(db, token_hash(body.token.strip()), PASSWORD_RESET)
    if spent is None:
        raise NotFound(RESET_REFUSED, details={"field": "token"})
    new_hash = await asyncio.to_thread(hash_password, body.new_password)
    await account_rows.update_user(db, spent.user_id, password_hash=new_hash)
    # Any other link still out there dies with this one.
    await account_rows.spend_live_tokens(db, spent.user_id, PASSWORD_RESET)
    user = await _account(db, spent.user_id)
    await record(
        db,
        "auth.password_reset",
        "user",
        user.id,
        actor=actor_of(user),
        origin=origin,
        details={"token_id": str(spent.id)},
    )
    return schemas.Done(message=RESET_DONE)


# ---- admins: listing and changing accounts -----------------------------------------------


async def list_users(db: AsyncSession, params: schemas.UserListParams) -> schemas.AccountPage:
    filters = account_rows.UserFilters(
        role=params.role,
        text=params.q.strip() if params.q else None,
        is_active=params.is_active,
    )
    users, total = await account_rows.search_users(
        db, filters, limit=params.limit, offset=params.offset
    )
    return schemas.AccountPage(
        items=[schemas.Account.model_validate(user) for user in users],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )


STAFF = (UserRole.TEACHER, UserRole.ADMIN)


async def change_user(
    db: AsyncSession, actor: Actor, user_id: uuid.UUID, change: schemas.UserChange, origin: Origin
) -> schemas.Account:
    if change.is_active is None and change.role is None:
        raise InvalidInput("nothing to change: give is_active or role", details={"field": None})
    user = await _account(db, user_id)
    if user.id == actor.user_id and (
        change.is_active is False or (change.role is not None and change.role != user.role)
    ):
        field = "is_active" if change.is_active is False else "role"
        raise InvalidInput(
            "an admin cannot deactivate or demote their own account (it could leave nobody"
            " to administer Mathvidya); ask another admin",
            details={"field": field},
        )
    if change.role is not None and user.role not in STAFF:
        raise InvalidInput(
            f"a {user.role.value}'s role cannot change: their class, family links, exams and"
            " subscriptions belong to that role; only teachers and admins move between roles",
            details={"field": "role"},
        )
    if change.role is not None and change.role != user.role:
        old, new = user.role, UserRole(change.role)
        if not await account_rows.change_role(db, user.id, new):
            raise Conflict(
                f"this {old.value} cannot become a {new.value}: work recorded under the"
                f" {old.value} role (evaluations) refers to the account; create a separate"
                f" {new.value} account instead",
                details={"field": "role"},
            )
        await record(
            db,
            "account.role_changed",
            "user",
            user.id,
            actor=actor,
            origin=origin,
            details={"from": old.value, "to": new.value},
        )
    if change.is_active is not None and change.is_active != user.is_active:
        await account_rows.update_user(db, user.id, is_active=change.is_active)
        action = "account.reactivated" if change.is_active else "account.deactivated"
        await record(db, action, "user", user.id, actor=actor, origin=origin)
    await db.refresh(user)
    return schemas.Account.model_validate(user)


__all__ = [
    "MAX_RESETS_PER_HOUR",
    "PASSWORD_RESET",
    "RESET_ACCEPTED",
    "RESET_DONE",
    "RESET_LIFETIME",
    "RESET_PATH",
    "RESET_REFUSED",
    "WrongPassword",
    "actor_of",
    "change_user",
    "confirm_password_reset",
    "create_staff",
    "list_users",
    "profile",
    "request_password_reset",
    "sign_in",
    "sign_up_parent",
    "sign_up_student",
    "token_hash",
    "update_profile",
]
