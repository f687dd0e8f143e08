"""Errors as a person in a browser meets them: a page, not a JSON body.

Every error handler (`web/errors.py`) answers in the API's one error shape; for a page
request — a browser asking for HTML, anywhere but the API, the documentation, the static
assets and health — the same answer is turned into:

- 401 (no valid session): a redirect to the sign-in page, which comes back afterwards
  (`next`); with an expired or forged session cookie it also says the session ended;
- anything else: the error page, with the status, the same sentence the API would give, and
  the incident id of a 500 (its `Retry-After` and other headers kept).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from lyceum.core.sessions import SESSION_COOKIE

Handler = Callable[[Request, Exception], Awaitable[Response]]

# Not pages: machine clients, the documentation and the assets answer as they always did.
NOT_PAGES = ("/api/", "/health", "/openapi.json", "/docs", "/redoc", "/static/")
SIGN_IN = "/sign-in"
TITLES = {
    400: "That request could not be understood",
    401: "Sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    422: "That request could not be understood",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(NOT_PAGES) or path == "/openapi.json":
        return False
    return "text/html" in request.headers.get("accept", "")


def _sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    expired = "&expired=1" if request.cookies.get(SESSION_COOKIE) else ""
    response = RedirectResponse(
        f"{SIGN_IN}?next={quote(target, safe='/?=&')}{expired}", status_code=303
    )
    if expired:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _message(response: Response) -> tuple[str, Any]:
    try:
        error = orjson.loads(bytes(response.body))["error"]
        return str(error.get("message", "")), error.get("details")
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return "", None


def as_page(request: Request, response: Response) -> Response:
    """The HTML form of an error response, for a page request."""
    if response.status_code == 401:
        return _sign_in_redirect(request)
    render = getattr(request.app.state, "render_page", None)
    if render is None:
        return response
    message, details = _message(response)
    incident = details.get("incident_id") if isinstance(details, dict) else None
    page: Response = render(
        request,
        "error.html",
        {
            "status": response.status_code,
            "title": TITLES.get(response.status_code, "Error"),
            "message": message,
            "incident": incident,
        },
        response.status_code,
    )
    for name, value in response.headers.items():
        if name.lower() in ("retry-after", "allow", "www-authenticate"):
            page.headers[name] = value
    return page


def for_pages(handler: Handler) -> Handler:
    """`handler`, answering page requests with a page."""

    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        return as_page(request, response) if wants_html(request) else response

    return handle


__all__ = ["NOT_PAGES", "as_page", "for_pages", "wants_html"]
