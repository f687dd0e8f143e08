"""Authentication primitives: password hashing, JWTs, and the FastAPI dependencies.

No database here: the operator accounts table and the login endpoint call these
functions. Every failure is a Lyceum error (`Unauthorized`/`Forbidden`), which the
web edge's exception handler turns into the shared JSON error shape.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lyceum.core import sessions
from lyceum.core.access import SIGNED_IN, AccessPolicy, declare_access
from lyceum.core.errors import Forbidden, Unauthorized
from lyceum.core.principal import JWT_ALGORITHM, Principal
from lyceum.core.settings import Settings, get_settings

# ---- passwords ---------------------------------------------------------------

# OWASP Password Storage Cheat Sheet (Argon2id, first listed option): m=19 MiB,
# t=2, p=1. Chosen over argon2-cffi's RFC 9106 default (64 MiB, p=4) because a
# 2-core server must absorb bursts of logins without running out of memory or CPU.
ARGON2_MEMORY_COST_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1


def default_password_hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=ARGON2_TIME_COST,
        memory_cost=ARGON2_MEMORY_COST_KIB,
        parallelism=ARGON2_PARALLELISM,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


# One shared instance: PasswordHasher is stateless and thread-safe.
_DEFAULT_HASHER = default_password_hasher()


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    return (hasher or _DEFAULT_HASHER).hash(password)


def verify_password(
    password_hash: str, password: str, *, hasher: PasswordHasher | None = None
) -> bool:
    """True only on a match; a wrong password or a corrupt stored hash is just False."""
    try:
        return (hasher or _DEFAULT_HASHER).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, *, hasher: PasswordHasher | None = None) -> bool:
    """True when the hash was made with other parameters (an unparseable one counts too)."""
    try:
        return (hasher or _DEFAULT_HASHER).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def verify_and_maybe_rehash(
    password_hash: str, password: str, *, hasher: PasswordHasher | None = None
) -> tuple[bool, str | None]:
    """Verify; on success with outdated parameters also return a fresh hash to store.

    Login is the only moment the cleartext is available, so it is when old hashes
    get upgraded after the parameters change.
    """
    hasher = hasher or _DEFAULT_HASHER
    if not verify_password(password_hash, password, hasher=hasher):
        return False, None
    if needs_rehash(password_hash, hasher=hasher):
        return True, hasher.hash(password)
    return True, None


# ---- tokens ------------------------------------------------------------------

_RESERVED_CLAIMS = frozenset({"sub", "roles", "aud", "iat", "nbf", "exp", "jti"})
_INVALID_TOKEN = 'Bearer error="invalid_token"'  # noqa: S105 - an RFC 6750 header value


def issue_token(
    subject: str,
    roles: Sequence[str],
    *,
    secret: str,
    audience: str,
    ttl_seconds: int,
    now: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    if not subject:
        raise ValueError("a token needs a non-empty subject")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    if isinstance(roles, str):  # a bare string would become a set of letters
        raise TypeError("roles must be a sequence of role names, not a string")
    clashing = _RESERVED_CLAIMS.intersection(extra or {})
    if clashing:
        raise ValueError(f"extra claims may not override: {', '.join(sorted(clashing))}")
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware (a naive time would be read as local)")
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    payload: dict[str, Any] = {
        **(extra or {}),
        "sub": subject,
        "roles": list(roles),
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM)


def _token_error(message: str, reason: str, *, header: str = _INVALID_TOKEN) -> Unauthorized:
    # The error handler owns the response; details carry what RFC 6750 wants in
    # the WWW-Authenticate header so it can be set there.
    return Unauthorized(message, details={"reason": reason, "www_authenticate": header})


def verify_token(token: str, *, secret: str, audience: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            audience=audience,
            options={"require": ["exp", "sub", "aud", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise _token_error("the token has expired; sign in again", "expired") from None
    except jwt.InvalidAudienceError:
        raise _token_error("the token was issued for another service", "audience") from None
    except jwt.ImmatureSignatureError:
        raise _token_error("the token is not valid yet", "not_yet_valid") from None
    except jwt.InvalidAlgorithmError:
        raise _token_error(
            f"the token is signed with an algorithm this service refuses (only {JWT_ALGORITHM})",
            "algorithm",
        ) from None
    except jwt.InvalidSignatureError:
        raise _token_error("the token's signature does not match", "signature") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _token_error(f"the token lacks the '{exc.claim}' claim", "missing_claim") from None
    except jwt.DecodeError:
        raise _token_error("the token is malformed", "malformed") from None
    except jwt.InvalidTokenError:
        raise _token_error("the token is invalid", "invalid") from None

    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise _token_error("the token's roles claim is malformed", "malformed")
    return Principal(subject=str(claims["sub"]), roles=frozenset(roles), via="jwt")


# ---- FastAPI dependencies ------------------------------------------------------

DEMO_ROLES = frozenset({"operator", "admin"})


def request_settings(request: Request) -> Settings:
    """The Settings the app was built with (on app.state; tests swap them there), else the
    process's."""
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def _bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization")
    if header is None:
        raise _token_error(
            "authentication required: send 'Authorization: Bearer <token>'",
            "missing",
            header="Bearer",
        )
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _token_error(
            "the Authorization header must be 'Bearer <token>'",
            "malformed_header",
            header='Bearer error="invalid_request"',
        )
    return token


# Only for the OpenAPI document: every operation behind `get_principal` lists this bearer
# scheme under `security`, so clients (and schemathesis) know which calls need a token.
# auto_error=False: the header is parsed, and refused, by `_bearer_token` below, which
# tells a missing header from a malformed one.
BEARER_SCHEME = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="A token from POST /api/auth/login (in development also DEMO_TOKEN).",
)


async def _presented_csrf(request: Request) -> str | None:
    presented = request.headers.get(sessions.CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        # A plain HTML form cannot set headers; Starlette keeps the parsed form, so the
        # route still reads it.
        value = (await request.form()).get(sessions.CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    return presented


async def session_principal(request: Request, settings: Settings) -> Principal | None:
    """The caller a browser session cookie stands for (None without a valid one). A request
    that changes something must also present the session's CSRF token, or it is Forbidden."""
    session = sessions.read_session(request.cookies.get(sessions.SESSION_COOKIE), settings)
    if session is None:
        return None
    if request.method not in sessions.SAFE_METHODS and not sessions.csrf_matches(
        session.csrf, await _presented_csrf(request)
    ):
        raise Forbidden(
            "this request changes something and lacks the page's CSRF token; reload the page"
            " and try again",
            details={"reason": "csrf"},
        )
    return session.principal


@declare_access(SIGNED_IN)
async def get_principal(
    request: Request,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)] = None,
) -> Principal:
    """The authenticated caller, or Unauthorized: a bearer token when an Authorization header
    is sent (API clients), else the browser's session cookie (the pages and what they fetch)."""
    settings = request_settings(request)
    if "Authorization" not in request.headers:
        from_session = await session_principal(request, settings)
        if from_session is not None:
            return from_session
    token = _bearer_token(request)
    demo_token = settings.effective_demo_token  # None outside development
    # Constant-time comparison so response timing reveals nothing about the token.
    if demo_token is not None and hmac.compare_digest(token.encode(), demo_token.encode()):
        return Principal(subject="demo", roles=DEMO_ROLES, via="demo_token")
    return verify_token(token, secret=settings.effective_secret_key, audience=settings.jwt_audience)


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers holding at least one of `roles`; it declares
    `AccessPolicy.any_of(*roles)`, which the authorization matrix holds it to."""
    if not roles:
        raise ValueError("require_roles needs at least one role; use get_principal for any caller")
    wanted = tuple(dict.fromkeys(roles))

    @declare_access(AccessPolicy.any_of(*wanted))
    async def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.has_any_role(*wanted):
            raise Forbidden(
                f"this action needs one of the roles: {', '.join(wanted)}",
                details={"required_roles": list(wanted)},
            )
        return principal

    return dependency


__all__ = [
    "BEARER_SCHEME",
    "DEMO_ROLES",
    "JWT_ALGORITHM",
    "Principal",
    "default_password_hasher",
    "get_principal",
    "hash_password",
    "issue_token",
    "needs_rehash",
    "request_settings",
    "require_roles",
    "session_principal",
    "verify_and_maybe_rehash",
    "verify_password",
    "verify_token",
]
