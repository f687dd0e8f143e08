"""Browser sessions: the signed cookie a person's pages carry, and its CSRF token.

The API keeps bearer tokens; a browser gets a session cookie at sign-in instead, which it
sends by itself — to our pages, to the JSON the pages fetch, to the SSE stream (EventSource
cannot set headers). That automatic sending is what cross-site request forgery abuses, so:

- the cookie is `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on cross-site
  POSTs or fetches) and `Secure` behind HTTPS (`HTTPS_ONLY`, or a request that came as https);
- it is a JWT signed with `SECRET_KEY` for a session audience of its own (`<aud>:session`), so a
  session cookie is never accepted as a bearer token nor a bearer token as a session;
- every state-changing request it authenticates must also carry the session's CSRF token
  (synchronizer pattern): in the `X-CSRF-Token` header (the pages' `fetch`) or the
  `csrf_token` form field (plain forms). The token is a random claim of the signed cookie, and
  the pages get it in a `<meta>` tag; a forged cross-site request cannot read it.
- Signing in itself is protected by a short-lived, random `lyceum_csrf` cookie and the same
  value in the sign-in form (double submit): a foreign page cannot make a browser sign in to
  an account of the attacker's choosing.

An expired or forged cookie is no session: the page edge sends the person to sign in and back.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from lyceum.core.principal import JWT_ALGORITHM, Principal
from lyceum.core.settings import Settings

SESSION_COOKIE = "lyceum_session"
SIGN_IN_CSRF_COOKIE = "lyceum_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The sign-in form's double-submit cookie lives long enough to type a password.
SIGN_IN_CSRF_SECONDS = 30 * 60


@dataclass(frozen=True, slots=True)
class PageSession:
    principal: Principal
    csrf: str
    expires_at: datetime
    # What the pages call the person (their display name, else their email).
    display_name: str


def session_audience(settings: Settings) -> str:
    return f"{settings.jwt_audience}:session"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def issue_session(
    subject: str,
    roles: list[str],
    settings: Settings,
    *,
    display_name: str,
    now: datetime | None = None,
) -> tuple[str, PageSession]:
    """The cookie value for a new session, and the session it stands for."""
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = issued + timedelta(seconds=settings.session_ttl_seconds)
    csrf = new_csrf_token()
    value = jwt.encode(
        {
            "sub": subject,
            "roles": list(roles),
            "aud": session_audience(settings),
            "iat": issued,
            "exp": expires,
            "csrf": csrf,
            "name": display_name,
        },
        settings.effective_secret_key,
        algorithm=JWT_ALGORITHM,
    )
    principal = Principal(
        subject=subject, roles=frozenset(roles), via="session", name=display_name or None
    )
    return value, PageSession(principal, csrf, expires, display_name)


def read_session(value: str | None, settings: Settings) -> PageSession | None:
    """The session a cookie stands for; None when it is missing, forged, expired or not a
    session cookie."""
    if not value:
        return None
    try:
        claims = jwt.decode(
            value,
            settings.effective_secret_key,
            algorithms=[JWT_ALGORITHM],
            audience=session_audience(settings),
            options={"require": ["exp", "sub", "aud", "iat", "csrf"]},
        )
    except jwt.InvalidTokenError:
        return None
    roles, csrf = claims.get("roles", []), claims.get("csrf")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        return None
    if not isinstance(csrf, str) or not csrf:
        return None
    name = claims.get("name")
    known_name = name if isinstance(name, str) and name else None
    principal = Principal(
        subject=str(claims["sub"]), roles=frozenset(roles), via="session", name=known_name
    )
    return PageSession(
        principal,
        csrf,
        datetime.fromtimestamp(claims["exp"], UTC),
        known_name or principal.subject,
    )


def csrf_matches(expected: str, presented: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    return bool(presented) and hmac.compare_digest(expected.encode(), str(presented).encode())


__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "SIGN_IN_CSRF_COOKIE",
    "SIGN_IN_CSRF_SECONDS",
    "PageSession",
    "csrf_matches",
    "issue_session",
    "new_csrf_token",
    "read_session",
    "session_audience",
]
