"""The page shell over HTTP, as a browser meets it: sign-in with its CSRF cookie, the session
cookie, sign-in and back, the home page, the 403 and 404 pages, CSRF on every state change a
cookie authenticates, sign-out, and the assets served from our own origin."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lyceum.apps import APPS
from lyceum.core.appspec import AppSpec, NavLink
from lyceum.core.operators import create_operator
from lyceum.core.pages import page_roles, render
from lyceum.core.principal import Principal
from lyceum.core.sessions import SESSION_COOKIE, issue_session, session_audience
from lyceum.core.settings import load_settings
from lyceum.web.assets import PLOTLY_JS, asset_url
from tests.fixtures.app import asgi_client, started_app

PASSWORD = "correct horse battery staple"
HTML = {"Accept": "text/html,application/xhtml+xml"}


async def _operator(db: AsyncSession, email: str, roles: list[str]) -> None:
    await create_operator(db, email, PASSWORD, email.split("@")[0].title(), roles=roles)
    await db.commit()


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no hidden field {name}"
    return found.group(1)


async def _sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, target: str = "/"
) -> httpx.Response:
    form = await client.get("/sign-in", params={"next": target}, headers=HTML)
    assert form.status_code == 200
    return await client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": _hidden(form.text, "csrf_token"),
            "next": _hidden(form.text, "next"),
        },
        headers=HTML,
    )


async def test_a_page_without_a_session_goes_to_sign_in_and_comes_back(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _operator(db_session, "ada@example.org", ["operator"])
    away = await client.get("/?from=bookmark", headers=HTML)
    assert away.status_code == 303
    assert away.headers["location"] == "/sign-in?next=/?from=bookmark"
    signed_in = await _sign_in(client, "ada@example.org", target="/?from=bookmark")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/?from=bookmark"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests; see the HTTPS test below
    home = await client.get("/", headers=HTML)
    assert home.status_code == 200
    assert "Good to see you, Ada" in home.text
    for spec in APPS.values():
        assert spec.title in home.text


async def test_a_wrong_password_is_a_message_on_the_form(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _operator(db_session, "bo@example.org", ["viewer"])
    wrong = await _sign_in(client, "bo@example.org", password="not it")
    assert wrong.status_code == 401
    assert "That email and password do not match an account." in wrong.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


async def test_the_sign_in_form_needs_its_own_csrf_token(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _operator(db_session, "cy@example.org", ["viewer"])
    # A foreign page posting to our form has neither our cookie nor its value.
    forged = await client.post(
        "/sign-in",
        data={"email": "cy@example.org", "password": PASSWORD, "csrf_token": "guess"},
        headers=HTML,
    )
    assert forged.status_code == 400
    assert "sign-in form had expired" in forged.text
    assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")


async def test_next_never_leaves_the_site(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _operator(db_session, "di@example.org", ["viewer"])
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client.cookies.clear()
        response = await _sign_in(client, "di@example.org", target=target)
        assert response.headers["location"] == "/", target


async def test_cookie_sessions_need_the_csrf_token_to_change_anything(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _operator(db_session, "ed@example.org", ["operator"])
    await _sign_in(client, "ed@example.org")
    me = await client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["via"] == "session"
    home = await client.get("/", headers=HTML)
    token = re.search(r'name="csrf-token" content="([^"]+)"', home.text)
    assert token is not None
    forged = await client.post("/api/nerdboard/quality/run")
    assert forged.status_code == 403
    assert "CSRF" in forged.json()["error"]["message"]
    allowed = await client.post(
        "/api/nerdboard/quality/run", headers={"X-CSRF-Token": token.group(1)}
    )
    assert allowed.status_code not in (401, 403), allowed.text


async def test_sign_out_needs_the_token_and_ends_the_session(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _operator(db_session, "fa@example.org", ["viewer"])
    await _sign_in(client, "fa@example.org")
    home = await client.get("/", headers=HTML)
    token = _hidden(home.text, "csrf_token")
    refused = await client.post("/sign-out", data={"csrf_token": "wrong"}, headers=HTML)
    assert refused.status_code == 403
    assert "CSRF token" in refused.text
    out = await client.post("/sign-out", data={"csrf_token": token}, headers=HTML)
    assert out.status_code == 303
    assert out.headers["location"] == "/sign-in?signed_out=1"
    assert (await client.get("/", headers=HTML)).status_code == 303
    assert "You have signed out." in (await client.get("/sign-in?signed_out=1")).text


async def test_an_expired_session_says_so_and_comes_back(app: FastAPI) -> None:
    settings = app.state.settings
    value, _ = issue_session(
        "someone", ["viewer"], settings, display_name="Gil",
        now=datetime.now(UTC) - timedelta(seconds=settings.session_ttl_seconds + 60),
    )  # fmt: skip
    async with asgi_client(app) as browser:
        browser.cookies.set(SESSION_COOKIE, value)
        response = await browser.get("/", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/&expired=1"


def test_a_session_cookie_is_no_bearer_token_and_the_reverse() -> None:
    settings = load_settings()
    value, _ = issue_session("someone", ["admin"], settings, display_name="X")
    claims = jwt.decode(
        value, settings.effective_secret_key, algorithms=["HS256"],
        audience=session_audience(settings),
    )  # fmt: skip
    assert claims["aud"] != settings.jwt_audience
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(
            value, settings.effective_secret_key, algorithms=["HS256"],
            audience=settings.jwt_audience,
        )  # fmt: skip


async def test_behind_https_the_session_cookie_is_secure(
    engine: object, redis_url: str, db_connection: AsyncConnection
) -> None:
    async with started_app(load_settings(https_only=True)) as app, asgi_client(app) as http:
        form = await http.get("/sign-in", headers=HTML)
        assert "Secure" in form.headers["set-cookie"]


def _guarded_app_spec() -> AppSpec:
    def pages() -> APIRouter:
        router = APIRouter()

        @router.get("/", response_class=HTMLResponse)
        async def admin_only(
            request: Request, person: Annotated[Principal, Depends(page_roles("admin"))]
        ) -> HTMLResponse:
            return render(request, "error.html", {"status": 200, "title": "Admins only"})

        return router

    return AppSpec(
        name="guarded", title="Guarded", description="A page for admins", pages=pages,
        nav=(NavLink("Admins", "/"),),
    )  # fmt: skip


async def test_a_page_the_person_may_not_see_is_a_403_page_saying_why(
    engine: object, redis_url: str, db_connection: AsyncConnection, db_session: AsyncSession
) -> None:
    from lyceum.web.app import create_app

    await _operator(db_session, "gu@example.org", ["viewer"])
    app = create_app(load_settings(), apps=[*APPS.values(), _guarded_app_spec()])
    async with app.router.lifespan_context(app), asgi_client(app) as browser:
        await _sign_in(browser, "gu@example.org")
        page = await browser.get("/guarded/", headers=HTML)
        assert page.status_code == 403
        assert "This page needs one of the roles: admin." in page.text
        assert "Admins" in page.text  # the navigation still shows the app's pages
        missing = await browser.get("/guarded/nowhere", headers=HTML)
        assert missing.status_code == 404 and "Page not found" in missing.text
        # The same refusal to an API client is the API's error shape.
        api = await browser.get("/guarded/")
        assert api.status_code == 403 and api.json()["error"]["code"] == "forbidden"


async def test_assets_come_from_our_origin_gzipped_and_cached(client: httpx.AsyncClient) -> None:
    url = asset_url("plotly.min.js")
    assert url.startswith("/static/vendor/plotly.min.js?v=")
    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert response.content == PLOTLY_JS.read_bytes()  # httpx decodes the gzip
    raw = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    own = await client.get(asset_url("lyceum.js"))
    assert own.status_code == 200 and "window.Lyceum" in own.text
    assert own.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert (await client.get("/static/lyceum/..%2Fshell.py")).status_code in (404, 422)
    assert (await client.get("/static/lyceum/missing.css")).status_code == 404
    assert len(gzip.compress(PLOTLY_JS.read_bytes())) < PLOTLY_JS.stat().st_size


async def test_pages_answer_with_their_own_security_policy(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _operator(db_session, "ha@example.org", ["viewer"])
    await _sign_in(client, "ha@example.org")
    page = await client.get("/", headers=HTML)
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert "cdn" not in page.text.lower() and "https://" not in page.text
