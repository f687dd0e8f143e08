"""Checking an operator's credentials, shared by the API's `POST /api/auth/login` and the
pages' sign-in form: the throttle (429 after repeated failures, per account and per client
address), the password check, and taking back an attempt the database could not check."""

from __future__ import annotations

from fastapi import HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.auth import request_settings
from lyceum.core.db.availability import database_unavailable
from lyceum.core.errors import Unavailable
from lyceum.core.models import Operator
from lyceum.core.operators import authenticate
from lyceum.core.ratelimit import SignInThrottle
from lyceum.core.settings import Settings


def login_throttle(request: Request) -> SignInThrottle:
    return SignInThrottle.from_settings(
        request.app.state.login_limiter, request_settings(request), "login"
    )


def client_address(request: Request) -> str:
    # The socket's peer: `lyceum serve` trusts no forwarding headers (proxy_headers=False).
    return request.client.host if request.client else "unknown"


async def check_credentials(
    db: AsyncSession,
    settings: Settings,
    throttle: SignInThrottle,
    email: str,
    password: str,
    address: str,
) -> Operator:
    """The operator, or: HTTPException 429 (throttled), Unauthorized (wrong credentials),
    Forbidden (the demo account outside development), or the database's unavailability."""
    blocked = await throttle.attempt(email, address)
    if blocked is not None:
        raise HTTPException(
            429,
            f"too many failed sign-in attempts; try again in {blocked.retry_after} seconds",
            headers={"Retry-After": str(blocked.retry_after)},
        )
    try:
        operator = await authenticate(db, email, password, demo_allowed=settings.is_development)
    except Exception as exc:
        if isinstance(exc, Unavailable) or database_unavailable(exc) is not None:
            await throttle.undecided(email, address)
        raise
    await throttle.succeeded(email, address)
    return operator


__all__ = ["check_credentials", "client_address", "login_throttle"]
