"""The page shell's own pages: home, sign-in, sign-out.

- `GET /` lists the four products, linking to each one's pages (or saying what is coming).
- `GET /sign-in?next=…` shows the form; `POST /sign-in` checks the credentials exactly as the
  API's login does (throttle included), sets the session cookie and goes back to `next`.
- `POST /sign-out` ends the session.

See `lyceum.core.sessions` for the cookie and the CSRF rules.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.access import public
from lyceum.core.auth import request_settings
from lyceum.core.db.session import get_db_session
from lyceum.core.errors import Forbidden, Unauthorized
from lyceum.core.operators import MAX_PASSWORD_LENGTH, InvalidEmail, normalise_email
from lyceum.core.pages import page_user, render
from lyceum.core.principal import Principal
from lyceum.core.ratelimit import SignInThrottle
from lyceum.core.request import RequestBody
from lyceum.core.sessions import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    SIGN_IN_CSRF_SECONDS,
    csrf_matches,
    issue_session,
    new_csrf_token,
    read_session,
)
from lyceum.web.sign_in import check_credentials, client_address, login_throttle, user_agent

SIGN_IN = "/sign-in"
SIGN_OUT = "/sign-out"
WRONG_CREDENTIALS = "That email and password do not match an account."
FORM_EXPIRED = "The sign-in form had expired. Please sign in again."

DbSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
Person = Annotated[Principal, Depends(page_user)]
Throttle = Annotated[SignInThrottle, Depends(login_throttle)]


class SignInForm(RequestBody):
    """The sign-in form's fields (an HTML form: every value a string)."""

    email: Annotated[str, Field(max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
    csrf_token: Annotated[str, Field(max_length=200)]
    next: Annotated[str, Field(max_length=2000)] = "/"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another origin."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def sign_in_url(target: str) -> str:
    return f"{SIGN_IN}?next={quote(target, safe='/')}" if target != "/" else SIGN_IN


def _secure(request: Request) -> bool:
    return bool(request_settings(request).https_only or request.url.scheme == "https")


def _sign_in_form(
    request: Request, target: str, *, message: str = "", email: str = "", status_code: int = 200
) -> HTMLResponse:
    token = new_csrf_token()
    response = render(
        request,
        "sign_in.html",
        {"next": target, "message": message, "email": email, CSRF_FIELD: token},
        status_code=status_code,
    )
    response.set_cookie(
        SIGN_IN_CSRF_COOKIE,
        token,
        max_age=SIGN_IN_CSRF_SECONDS,
        path=SIGN_IN,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


def router() -> APIRouter:
    shell = APIRouter(include_in_schema=False)

    @shell.get("/", response_class=HTMLResponse)
    async def home(request: Request, person: Person) -> HTMLResponse:
        return render(request, "home.html", {"title": "Lyceum"})

    @shell.get(SIGN_IN, response_class=HTMLResponse, dependencies=[Depends(public)])
    async def sign_in_form(
        request: Request,
        next_: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
        signed_out: Annotated[bool, Query()] = False,
        expired: Annotated[bool, Query()] = False,
    ) -> Response:
        target = safe_next(next_)
        if read_session(request.cookies.get(SESSION_COOKIE), request_settings(request)):
            return RedirectResponse(target, status_code=303)
        message = (
            "You have signed out." if signed_out
            else "Your session has ended. Please sign in again." if expired
            else ""
        )  # fmt: skip
        return _sign_in_form(request, target, message=message)

    @shell.post(SIGN_IN, response_class=HTMLResponse, dependencies=[Depends(public)])
    async def sign_in(
        request: Request,
        db: DbSession,
        throttle: Throttle,
        form: Annotated[SignInForm, Form()],
    ) -> Response:
        target = safe_next(form.next)
        email, password = form.email, form.password
        if not csrf_matches(request.cookies.get(SIGN_IN_CSRF_COOKIE, ""), form.csrf_token):
            return _sign_in_form(request, target, message=FORM_EXPIRED, status_code=400)
        try:
            address = normalise_email(email)
        except InvalidEmail:
            return _sign_in_form(
                request, target, message=WRONG_CREDENTIALS, email=email, status_code=401
            )
        settings = request_settings(request)
        try:
            signed_in = await check_credentials(
                db,
                settings,
                throttle,
                address,
                password,
                client_address(request),
                user_agent(request),
            )
        except Unauthorized:
            return _sign_in_form(
                request, target, message=WRONG_CREDENTIALS, email=email, status_code=401
            )
        except Forbidden as exc:
            return _sign_in_form(request, target, message=exc.message, email=email, status_code=403)
        except HTTPException as exc:
            if exc.status_code != 429:
                raise
            response = _sign_in_form(
                request, target, message=str(exc.detail).capitalize() + ".", email=email,
                status_code=429,
            )  # fmt: skip
            response.headers.update(exc.headers or {})
            return response
        value, _session = issue_session(
            signed_in.subject, signed_in.roles, settings, display_name=signed_in.display_name
        )
        answer = RedirectResponse(target, status_code=303)
        answer.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=settings.session_ttl_seconds,
            path="/",
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )
        answer.delete_cookie(SIGN_IN_CSRF_COOKIE, path=SIGN_IN)
        return answer

    # A state change from a plain form: the session's CSRF token comes as a form field.
    @shell.post(SIGN_OUT)
    async def sign_out(request: Request, person: Person) -> Response:
        session = getattr(request.state, "page_session", None)
        if session is not None:
            # Only a cookie session can be ended by a forged form post: it needs the token.
            form = await request.form()
            presented = form.get(CSRF_FIELD)
            if not csrf_matches(session.csrf, presented if isinstance(presented, str) else None):
                raise Forbidden(
                    "signing out needs the page's CSRF token; reload the page and try again",
                    details={"reason": "csrf"},
                )
        response = RedirectResponse(f"{SIGN_IN}?signed_out=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return shell


__all__ = ["SIGN_IN", "SIGN_OUT", "router", "safe_next", "sign_in_url"]
