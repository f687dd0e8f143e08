"""Security headers on every response: a 200, a 401, a 404, a 422, a 413 and a 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN, load_settings
from lyceum.web.app import create_app
from lyceum.web.security import CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY
from tests.fixtures.app import asgi_client

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}

Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def boom() -> None:
    raise RuntimeError("an unhandled bug")


# (status expected, how to get it)
CASES: dict[str, tuple[int, Request]] = {
    "200": (200, lambda c: c.get("/health")),
    "401": (401, lambda c: c.get("/api/auth/me")),
    "404": (404, lambda c: c.get("/api/no-such-route")),
    "405": (405, lambda c: c.get("/api/auth/login")),
    "422": (422, lambda c: c.post("/api/auth/login", json={"email": "nope", "password": "x"})),
    "413": (413, lambda c: c.post("/api/auth/login", content=b"{" + b" " * 2_000_000 + b"}")),
    "500": (500, lambda c: c.get("/boom")),
}


@pytest.fixture
def app_with_a_bug(app: FastAPI) -> FastAPI:
    app.add_api_route("/boom", boom, tags=["test"])
    return app


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_every_response_carries_the_headers(
    app_with_a_bug: FastAPI, client: httpx.AsyncClient, case: str
) -> None:
    status, request = CASES[case]
    response = await request(client)
    assert response.status_code == status, response.text
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (case, name)
    # Plain HTTP: no HSTS (browsers ignore it there, and it would be a lie behind no TLS).
    assert "strict-transport-security" not in response.headers


async def test_hsts_only_on_https_requests(client: httpx.AsyncClient, app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as secure:
        for response in (await secure.get("/health"), await secure.get("/api/missing")):
            assert response.headers["strict-transport-security"] == STRICT_TRANSPORT_SECURITY
    assert "strict-transport-security" not in (await client.get("/health")).headers


async def test_https_only_sends_hsts_behind_a_tls_proxy(
    engine: AsyncEngine, redis_url: str, db_connection: AsyncConnection
) -> None:
    app = create_app(load_settings(https_only=True, nerdboard_simulation_worker=False))
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        response = await client.get("/health")  # http: TLS ended at the proxy
    assert response.headers["strict-transport-security"] == STRICT_TRANSPORT_SECURITY


async def test_authenticated_responses_are_not_stored(client: httpx.AsyncClient) -> None:
    token = {"Authorization": f"Bearer {DEVELOPMENT_DEMO_TOKEN}"}
    me = await client.get("/api/auth/me", headers=token)
    assert me.status_code == 200
    assert me.headers["cache-control"] == "no-store"
    # An error answered to a request with credentials is not stored either.
    missing = await client.get("/api/no-such-route", headers=token)
    assert missing.headers["cache-control"] == "no-store"
    # Anonymous public responses keep the default (none set).
    assert "cache-control" not in (await client.get("/health")).headers


async def test_docs_assets_carry_nosniff(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/docs/swagger-ui-bundle.js")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
