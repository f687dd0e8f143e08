"""Platform operator accounts: creation, login, and the development demo account.

Every function takes the caller's `AsyncSession` and only flushes; the edge (request
dependency, CLI command) commits. Argon2 runs in a worker thread: argon2-cffi releases
the GIL while hashing, so a burst of logins neither stalls the event loop nor waits on
one core.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.auth import hash_password, verify_and_maybe_rehash, verify_password
from lyceum.core.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from lyceum.core.models import ACCOUNT_ROLES, Operator
from lyceum.core.settings import Settings

MIN_PASSWORD_LENGTH = 12
# Argon2 accepts any length, so without a ceiling one request could buy seconds of CPU.
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 320  # the column's length (RFC 5321: 64 + 1 + 255)
MAX_DISPLAY_NAME_LENGTH = 200

DEMO_EMAIL = "demo@lyceum.local"
DEMO_PASSWORD_ENV = "LYCEUM_DEMO_PASSWORD"  # noqa: S105 - the variable's name
DEFAULT_DEMO_PASSWORD = "lyceum-demo-password"  # noqa: S105 - development only, printed by `make up`
DEMO_ROLES = ("admin", "operator")
DEMO_REFUSED = (
    f"{DEMO_EMAIL} is the development demo account, whose password is published; "
    "it can sign in only to a server running with ENV=development"
)

# One message for every login failure: telling "no such account" from "wrong password"
# would let anyone enumerate operator emails.
LOGIN_FAILED = "wrong email or password"
UNIQUE_VIOLATION = "23505"
_EMAIL_UNIQUE_INDEX = "uq_operators_email"

# Deliberately simpler than `email_validator`: that library refuses special-use domains
# such as `.local`, which the demo account and on-premise installs use. The address
# identifies an account; nothing is ever mailed to it.
_EMAIL_SHAPE = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)*")


class InvalidEmail(ValueError):
    """The text cannot be an operator's email; the message says why."""


def normalise_email(raw: str) -> str:
    """Lower-cased, trimmed email, or InvalidEmail. The DB enforces lower case as well."""
    email = raw.strip().lower()
    if not email:
        raise InvalidEmail("it is empty")
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(f"it is longer than {MAX_EMAIL_LENGTH} characters")
    if _EMAIL_SHAPE.fullmatch(email) is None:
        raise InvalidEmail("expected one '@' between a name and a domain, e.g. ada@example.org")
    return email


def _checked_email(raw: str) -> str:
    try:
        return normalise_email(raw)
    except InvalidEmail as exc:
        raise InvalidInput(
            f"not a valid email address: {exc}", details={"field": "email"}
        ) from None


def _checked_roles(roles: Iterable[str]) -> list[str]:
    if isinstance(roles, str):  # a bare string would be split into letters
        raise TypeError("roles must be a sequence of role names, not a string")
    wanted = list(dict.fromkeys(roles))
    unknown = [role for role in wanted if role not in ACCOUNT_ROLES]
    if unknown or not wanted:
        raise InvalidInput(
            f"roles must be a non-empty selection of: {', '.join(ACCOUNT_ROLES)}",
            details={"field": "roles", "unknown": unknown},
        )
    return wanted


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long",
            details={"field": "password", "min_length": MIN_PASSWORD_LENGTH},
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must be at most {MAX_PASSWORD_LENGTH} characters long",
            details={"field": "password", "max_length": MAX_PASSWORD_LENGTH},
        )
    return password


def _checked_display_name(display_name: str) -> str:
    name = display_name.strip()
    if not name or len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise InvalidInput(
            f"the display name must be 1 to {MAX_DISPLAY_NAME_LENGTH} characters",
            details={"field": "display_name"},
        )
    return name


def _is_email_duplicate(exc: IntegrityError) -> bool:
    orig = exc.orig
    # asyncpg's error hangs under SQLAlchemy's adapter; psycopg exposes `diag`.
    cause = getattr(orig, "__cause__", None)
    constraint = getattr(cause, "constraint_name", None) or getattr(
        getattr(orig, "diag", None), "constraint_name", None
    )
    if constraint is not None:
        return bool(constraint == _EMAIL_UNIQUE_INDEX)
    return getattr(orig, "sqlstate", None) == UNIQUE_VIOLATION


async def get_operator_by_email(db: AsyncSession, email: str) -> Operator | None:
    try:
        normalised = normalise_email(email)
    except InvalidEmail:
        return None
    result = await db.execute(select(Operator).where(Operator.email == normalised))
    return result.scalar_one_or_none()


async def create_operator(
    db: AsyncSession,
    email: str,
    password: str,
    display_name: str,
    roles: Iterable[str] = ("operator",),
) -> Operator:
    """Add an operator account; Conflict if the email is taken, InvalidInput if malformed."""
    operator = Operator(
        email=_checked_email(email),
        display_name=_checked_display_name(display_name),
        roles=_checked_roles(roles),
        password_hash=await asyncio.to_thread(hash_password, _checked_password(password)),
        is_active=True,
    )
    # A savepoint rather than check-then-insert: two concurrent creations would both
    # pass the check, and the unique index is the only arbiter that cannot race. Rolling
    # back just the savepoint leaves the caller's transaction usable.
    try:
        async with db.begin_nested():
            db.add(operator)
            await db.flush()
    except IntegrityError as exc:
        if _is_email_duplicate(exc):
            raise Conflict(
                f"an operator with email {operator.email} already exists",
                details={"field": "email"},
            ) from None
        raise
    return operator


@cache
def _dummy_hash() -> str:
    # Built on first use, not at import: hashing costs tens of milliseconds.
    return hash_password("timing-equaliser-not-a-password")


async def verify_as_if_known(password: str) -> None:
    """Spend what checking a password against a real account costs, for an email with no
    account, so the answer's timing does not tell the two apart."""
    await asyncio.to_thread(verify_password, _dummy_hash(), password)


async def authenticate(
    db: AsyncSession, email: str, password: str, *, demo_allowed: bool = False
) -> Operator:
    """The operator owning these credentials, or Unauthorized (one message for every cause).

    The development demo account (`ensure_demo_operator`: its email is `DEMO_EMAIL`) is
    Forbidden unless `demo_allowed` (the caller passes `settings.is_development`): a
    database seeded in development and then served with ENV=production must not admit an
    admin whose password `make up` prints.

    On success records `last_login_at` and, when the stored hash was made with other Argon2
    parameters, replaces it: login is the only moment the cleartext is at hand.
    """
    operator = await get_operator_by_email(db, email)
    if operator is None:
        # Verify against a throwaway hash so an unknown email costs as long as a known one.
        await verify_as_if_known(password)
        raise Unauthorized(LOGIN_FAILED)
    matched, new_hash = await asyncio.to_thread(
        verify_and_maybe_rehash, operator.password_hash, password
    )
    # Checked after verifying, so a disabled account answers in the same time as any other.
    if not matched or not operator.is_active:
        raise Unauthorized(LOGIN_FAILED)
    # Only after the password matched: a wrong guess learns nothing it could not before.
    if operator.email == DEMO_EMAIL and not demo_allowed:
        raise Forbidden(DEMO_REFUSED, details={"reason": "demo_account"})
    if new_hash is not None:
        operator.password_hash = new_hash
    operator.last_login_at = datetime.now(UTC)
    await db.flush()
    return operator


def demo_password() -> str:
    return os.environ.get(DEMO_PASSWORD_ENV) or DEFAULT_DEMO_PASSWORD


async def ensure_demo_operator(db: AsyncSession, settings: Settings) -> tuple[str, str] | None:
    """Development only: make `demo@lyceum.local` exist and match the printed password.

    Idempotent. An existing demo account is brought back in line (password, roles,
    active) so the credentials `make up` prints always work, even after
    LYCEUM_DEMO_PASSWORD changed. Returns None outside development, where no account
    with a published password may exist.
    """
    if not settings.is_development:
        return None
    password = _checked_password(demo_password())
    existing = (
        await db.execute(select(Operator).where(Operator.email == DEMO_EMAIL))
    ).scalar_one_or_none()
    if existing is None:
        await create_operator(db, DEMO_EMAIL, password, "Demo operator", roles=DEMO_ROLES)
        return DEMO_EMAIL, password
    if not await asyncio.to_thread(verify_password, existing.password_hash, password):
        existing.password_hash = await asyncio.to_thread(hash_password, password)
    existing.roles = list(dict.fromkeys([*DEMO_ROLES, *existing.roles]))
    existing.is_active = True
    await db.flush()
    return DEMO_EMAIL, password


__all__ = [
    "DEMO_EMAIL",
    "DEMO_REFUSED",
    "LOGIN_FAILED",
    "MIN_PASSWORD_LENGTH",
    "InvalidEmail",
    "authenticate",
    "create_operator",
    "demo_password",
    "ensure_demo_operator",
    "get_operator_by_email",
    "normalise_email",
    "verify_as_if_known",
]
