"""What Mathvidya's two edges, the API (`api/`) and the pages (`pages.py`), take from a
request: a session on Mathvidya's pool, where the request came from (for the audit trail),
and the signed-in Mathvidya account (`require_account`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.access import AccessPolicy, declare_access
from lyceum.core.auth import get_principal
from lyceum.core.errors import Forbidden, NotFound
from lyceum.core.pages import page_user
from lyceum.core.principal import Principal
from lyceum.mathvidya.connection import get_db
from lyceum.mathvidya.enums import UserRole, account_role
from lyceum.mathvidya.repository import accounts as account_rows
from lyceum.mathvidya.service.audit import Actor, Origin

MathvidyaSession = Annotated[AsyncSession, Depends(get_db, scope="function")]

NO_ACCOUNT = (
    "this sign-in names no active Mathvidya account (it may have been deactivated); sign in"
    " again with a Mathvidya account"
)


def request_origin(request: Request) -> Origin:
    # The socket's peer: `lyceum serve` trusts no forwarding headers.
    agent = request.headers.get("user-agent")
    request_id = request.headers.get("x-request-id")
    return Origin(
        ip_address=request.client.host if request.client else None,
        user_agent=agent[:500] if agent else None,
        request_id=request_id[:64] if request_id else None,
    )


RequestOrigin = Annotated[Origin, Depends(request_origin)]


def _account_guard(
    roles: tuple[UserRole, ...], principal: Callable[..., Awaitable[Principal]]
) -> Callable[..., Awaitable[Actor]]:
    wanted = tuple(account_role(role) for role in (roles or tuple(UserRole)))

    @declare_access(AccessPolicy.any_of(*wanted))
    # `principal` is a closure variable: as a default, not inside a (postponed, string)
    # annotation, which FastAPI could not resolve.
    async def dependency(
        db: MathvidyaSession,
        person: Principal = Depends(principal),  # noqa: B008
    ) -> Actor:
        if not person.has_any_role(*wanted):
            raise Forbidden(
                f"this needs one of the roles: {', '.join(wanted)}",
                details={"required_roles": list(wanted)},
            )
        actor = await account_of(db, person)
        if actor is None:
            raise NotFound(NO_ACCOUNT, details={"reason": "no_account"})
        return actor

    return dependency


async def account_of(db: AsyncSession, person: Principal) -> Actor | None:
    """The active Mathvidya account a credential stands for, or None (an operator, a
    deactivated account, a role the account no longer has)."""
    try:
        user_id = uuid.UUID(person.subject)
    except ValueError:
        return None
    user = await account_rows.user_by_id(db, user_id)
    if user is None or not user.is_active or account_role(user.role) not in person.roles:
        return None
    return Actor(user.id, user.role, user.full_name, user.student_class)


def require_account(*roles: UserRole) -> Callable[..., Awaitable[Actor]]:
    """A dependency admitting a signed-in Mathvidya account holding one of `roles` (any of the
    four when none are named), read fresh from `users` on each request: a deactivated account
    is refused at once, not when its token expires. It declares
    `AccessPolicy.any_of("mathvidya:<role>", ...)`, which the authorization matrix checks."""
    return _account_guard(roles, get_principal)


def page_account(*roles: UserRole) -> Callable[..., Awaitable[Actor]]:
    """`require_account` for pages: without a session the browser is sent to sign in and back
    (`core.pages.page_user`), a person without the role gets the 403 page."""
    return _account_guard(roles, page_user)


Student = Annotated[Actor, Depends(require_account(UserRole.STUDENT))]
Parent = Annotated[Actor, Depends(require_account(UserRole.PARENT))]
Staff = Annotated[Actor, Depends(require_account(UserRole.TEACHER, UserRole.ADMIN))]
Admin = Annotated[Actor, Depends(require_account(UserRole.ADMIN))]
AnyAccount = Annotated[Actor, Depends(require_account())]

__all__ = [
    "NO_ACCOUNT",
    "Admin",
    "AnyAccount",
    "MathvidyaSession",
    "Parent",
    "RequestOrigin",
    "Staff",
    "Student",
    "account_of",
    "page_account",
    "request_origin",
    "require_account",
]
