"""`/api/auth`: operators and app accounts (Mathvidya's) sign in for a bearer token and ask
who they are."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.access import public
from lyceum.core.auth import Principal, get_principal, issue_token, request_settings
from lyceum.core.db.session import get_db_session
from lyceum.core.operators import MAX_PASSWORD_LENGTH, InvalidEmail, normalise_email
from lyceum.core.ratelimit import SignInThrottle
from lyceum.core.request import RequestBody
from lyceum.core.settings import Settings
from lyceum.web.errors import ErrorResponse
from lyceum.web.sign_in import check_credentials, client_address, login_throttle, user_agent

router = APIRouter()


# scope="function": the session commits before the response leaves, so a failed commit
# is reported to the client instead of happening silently after a 200.
DbSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
AppSettings = Annotated[Settings, Depends(request_settings)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def _email(value: str) -> str:
    try:
        return normalise_email(value)
    except InvalidEmail as exc:
        raise PydanticCustomError(
            "value_error", "value is not a valid email address: {reason}", {"reason": str(exc)}
        ) from None


class LoginRequest(RequestBody):
    # Checked by `normalise_email` (trimmed, lower-cased, one '@'), which unlike
    # `email-validator` admits the special-use domains on-premise installs use (`.local`).
    email: Annotated[
        str, Field(max_length=320, json_schema_extra={"format": "email"}), AfterValidator(_email)
    ]
    # No minimum beyond one character: the length rule applies when a password is set,
    # and an older account must still be able to sign in.
    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the RFC 6750 scheme name
    expires_in: int


class PrincipalResponse(BaseModel):
    subject: str
    roles: list[str]
    via: Literal["jwt", "demo_token", "session"]


THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorResponse,
        "description": "Too many failed sign-ins for this account or from this address",
        "headers": {
            "Retry-After": {
                "description": "Seconds until another attempt is accepted",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    }
}


# Public: this is where a caller without a token gets one.
@router.post(
    "/login", response_model=TokenResponse, responses=THROTTLED, dependencies=[Depends(public)]
)
async def login(
    body: LoginRequest,
    db: DbSession,
    settings: AppSettings,
    response: Response,
    request: Request,
    throttle: Annotated[SignInThrottle, Depends(login_throttle)],
) -> TokenResponse:
    signed_in = await check_credentials(
        db,
        settings,
        throttle,
        body.email,
        body.password,
        client_address(request),
        user_agent(request),
    )
    token = issue_token(
        signed_in.subject,
        signed_in.roles,
        secret=settings.effective_secret_key,
        audience=settings.jwt_audience,
        ttl_seconds=settings.jwt_ttl_seconds,
    )
    # RFC 6749 §5.1: a response carrying a token must not be stored by caches.
    response.headers["Cache-Control"] = "no-store"
    return TokenResponse(access_token=token, expires_in=settings.jwt_ttl_seconds)


@router.get("/me", response_model=PrincipalResponse)
async def me(principal: CurrentPrincipal) -> PrincipalResponse:
    return PrincipalResponse(
        subject=principal.subject, roles=sorted(principal.roles), via=principal.via
    )
