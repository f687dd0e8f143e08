"""Checking credentials, shared by the API's `POST /api/auth/login` and the pages' sign-in
form: the throttle (429 after repeated failures, per account and per client address), the
password check — each app's own accounts (`AppSpec.sign_in`: Mathvidya's students, parents,
teachers and admins), then the operator accounts — and taking back an attempt the database
could not check.

Every check verifies a password (against a throwaway hash for an unknown email), so an
unknown email and a wrong password cost the same; an operator's sign-in costs one Argon2
verification more than an app account's, which the throttle keeps from being a useful
oracle."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.apps import APPS
from lyceum.core.appspec import SignInAttempt
from lyceum.core.auth import request_settings
from lyceum.core.db.availability import database_unavailable
from lyceum.core.errors import Unauthorized, Unavailable
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


@dataclass(frozen=True)
class SignedIn:
    """Who signed in: what a token or a session cookie is issued for."""

    subject: str
    roles: list[str]
    display_name: str


async def _app_account(attempt: SignInAttempt) -> SignedIn | None:
    """The first app account these credentials open, or None. An app that knows the email
    but not this password is passed over: an operator may share the address."""
    for app in APPS.values():
        if app.sign_in is None:
            continue
        try:
            account = await app.sign_in(attempt)
        except Unauthorized:
            continue
        if account is not None:
            return SignedIn(account.subject, list(account.roles), account.display_name)
    return None


async def check_credentials(
    db: AsyncSession,
    settings: Settings,
    throttle: SignInThrottle,
    email: str,
    password: str,
    address: str,
    user_agent: str | None = None,
) -> SignedIn:
    """Who signed in, or: HTTPException 429 (throttled), Unauthorized (wrong credentials),
    Forbidden (the demo account outside development), or the database's unavailability."""
    blocked = await throttle.attempt(email, address)
    if blocked is not None:
        raise HTTPException(
            429,
            f"too many failed sign-in attempts; try again in {blocked.retry_after} seconds",
            headers={"Retry-After": str(blocked.retry_after)},
        )
    try:
        # The apps first: each commits its own audit row (a failed attempt's too) on its own
        # session before the operators' lookup opens this request's transaction.
        signed_in = await _app_account(SignInAttempt(email, password, address, user_agent))
        if signed_in is None:
            operator = await authenticate(db, email, password, demo_allowed=settings.is_development)
            signed_in = SignedIn(
                str(operator.id), list(operator.roles), operator.display_name or operator.email
            )
    except Exception as exc:
        if isinstance(exc, Unavailable) or database_unavailable(exc) is not None:
            await throttle.undecided(email, address)
        raise
    await throttle.succeeded(email, address)
    return signed_in


def user_agent(request: Request) -> str | None:
    """The client's User-Agent, cut to what an audit row keeps."""
    agent = request.headers.get("user-agent")
    return agent[:500] if agent else None


__all__ = ["SignedIn", "check_credentials", "client_address", "login_throttle", "user_agent"]
