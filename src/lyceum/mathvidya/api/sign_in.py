"""Mathvidya's `AppSpec.sign_in` hook: the platform's sign-in edges (the shell's form,
`POST /api/auth/login`) ask it when no operator account has the email. It is an edge of its
own: it opens a session on Mathvidya's pool and commits the audit row — a failed sign-in's
too, which is why the failure is raised only after the commit."""

from __future__ import annotations

import ipaddress

from lyceum.core.appspec import AppAccount, SignInAttempt
from lyceum.core.errors import Unauthorized
from lyceum.core.operators import LOGIN_FAILED
from lyceum.mathvidya.connection import get_session
from lyceum.mathvidya.service import accounts
from lyceum.mathvidya.service.audit import Origin


async def sign_in(attempt: SignInAttempt) -> AppAccount | None:
    origin = Origin(ip_address=_ip(attempt.address), user_agent=attempt.user_agent)
    failed = False
    async with get_session() as db:
        try:
            account = await accounts.sign_in(db, attempt.email, attempt.password, origin)
        except accounts.WrongPassword:
            failed, account = True, None
    if failed:
        raise Unauthorized(LOGIN_FAILED)
    return account


def _ip(address: str) -> str | None:
    # The column is INET; a peer without an address ("unknown") is kept as none.
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


__all__ = ["sign_in"]
