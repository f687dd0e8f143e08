"""What an app's `pages.py` builds its web pages with, on the shell the web edge serves.

- `page_user`: the signed-in person (their session cookie), or a trip to the sign-in page
  that comes back here afterwards (`SignInRequired`, which the web edge turns into a redirect);
- `page_roles(...)`: the same, for people holding one of the roles; anyone else gets the
  403 page, which says which role the page needs;
- `render(request, "app/page.html", {...})`: a template on the shell's layout (`base.html`),
  which receives the navigation, the person, and the CSRF token their page's scripts send.

Pages read through the app's own services, the same path as its API: there is no second
query path for the pages. Both guards declare their access policy, so the authorization
matrix covers every page like every API route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from lyceum.core.access import SIGNED_IN, AccessPolicy, declare_access
from lyceum.core.auth import get_principal, request_settings
from lyceum.core.errors import Forbidden, LyceumError
from lyceum.core.principal import Principal
from lyceum.core.sessions import SESSION_COOKIE, read_session


class SignInRequired(LyceumError):
    """No valid session: the person signs in, then comes back (`next`)."""

    status_code = 401
    code = "sign_in_required"


@declare_access(SIGNED_IN)
async def page_user(request: Request) -> Principal:
    """The person whose session cookie came with the request (a bearer token works too, for
    scripts and tests); else SignInRequired, which sends a browser to sign in and back."""
    session = read_session(request.cookies.get(SESSION_COOKIE), request_settings(request))
    if session is not None:
        request.state.page_session = session
        return session.principal
    if "Authorization" in request.headers:
        return await get_principal(request)
    raise SignInRequired("sign in to see this page")


def page_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A page dependency admitting people holding at least one of `roles` (403 page else)."""
    if not roles:
        raise ValueError("page_roles needs at least one role; use page_user for anyone")
    wanted = tuple(dict.fromkeys(roles))

    @declare_access(AccessPolicy.any_of(*wanted))
    async def dependency(person: Annotated[Principal, Depends(page_user)]) -> Principal:
        if not person.has_any_role(*wanted):
            raise Forbidden(
                f"this page needs one of the roles: {', '.join(wanted)}",
                details={"required_roles": list(wanted)},
            )
        return person

    return dependency


def json_island(views: Mapping[str, bytes]) -> Markup:
    """The views as one JSON object for a `<script type="application/json">` element.

    The cached bytes are spliced in without parsing them again. `<`, `>` and `&` are escaped
    as JSON `\\u` sequences (same value once parsed), so no text in the data — a check's
    error details, say — can close the script element or open a comment.
    """
    parts = [b"{"]
    for index, (name, value) in enumerate(views.items()):
        parts.append((b"," if index else b"") + orjson.dumps(name) + b":" + value)
    parts.append(b"}")
    text = b"".join(parts).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above for the script-data context


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """`template` rendered on the shell (the web edge put the environment on app.state)."""
    renderer: Callable[..., HTMLResponse] = request.app.state.render_page
    return renderer(request, template, dict(context or {}), status_code)


__all__ = ["SignInRequired", "json_island", "page_roles", "page_user", "render"]
