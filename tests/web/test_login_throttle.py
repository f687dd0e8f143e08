"""Sign-in throttling over HTTP: 429 with Retry-After per account and per client address,
counted in the real Redis; in-process without REDIS_URL; open (and logged) when Redis fails.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from lyceum.core.operators import LOGIN_FAILED, create_operator
from lyceum.core.ratelimit import MemoryAttemptStore, RedisAttemptStore, SignInThrottle
from lyceum.core.settings import load_settings
from lyceum.web.app import create_app
from tests.fixtures.app import asgi_client
from tests.fixtures.live import free_port

PASSWORD = "correct horse battery"
WINDOW = 600

ClientFactory = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
def throttled(engine: AsyncEngine, redis_url: str, db_connection: AsyncConnection) -> ClientFactory:
    """An app with small limits (its own Redis key namespace), sharing the test's
    transaction like the `client` fixture."""

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        settings = load_settings(
            nerdboard_simulation_worker=False,
            login_max_failures_per_account=3,
            login_max_failures_per_address=5,
            login_failure_window_seconds=WINDOW,
            **overrides,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            app.state.login_limiter.namespace = f"test|{uuid.uuid4().hex}|ratelimit"
            async with asgi_client(app) as client:
                yield app, client

    return build


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


def assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW
    error = response.json()["error"]
    assert error["code"] == "too_many_requests"
    assert error["message"] == (
        f"too many failed sign-in attempts; try again in {retry_after} seconds"
    )
    return retry_after


async def test_an_account_is_throttled_after_its_failures(
    throttled: ClientFactory, db_session: AsyncSession
) -> None:
    await create_operator(db_session, "ada@example.org", PASSWORD, "Ada")
    await create_operator(db_session, "bob@example.org", PASSWORD, "Bob")
    async with throttled() as (app, client):
        # The email is normalised first: these are one account.
        for spelling in ("ada@example.org", "ADA@example.org", " Ada@Example.org "):
            response = await login(client, spelling, "wrong password")
            assert response.status_code == 401
            assert response.json()["error"]["message"] == LOGIN_FAILED
        # Now even the right password waits: the account is out of attempts.
        assert_throttled(await login(client, "ada@example.org", PASSWORD))
        # Another account from the same address is not affected.
        assert (await login(client, "bob@example.org", PASSWORD)).status_code == 200

        # The count lives in the real Redis, with the window as its expiry.
        throttle = SignInThrottle.from_settings(
            app.state.login_limiter, app.state.settings, "login"
        )
        assert isinstance(app.state.login_limiter.store, RedisAttemptStore)
        key = app.state.login_limiter.key(throttle.account, "ada@example.org")
        direct = aioredis.Redis.from_url(app.state.settings.redis_url)
        try:
            assert int(await direct.get(key)) == 4  # three failures and the refused attempt
            assert 0 < await direct.pttl(key) <= WINDOW * 1000
        finally:
            await direct.aclose()


async def test_an_address_is_throttled_across_accounts(throttled: ClientFactory) -> None:
    async with throttled() as (_, client):
        # Five different (unknown) accounts, one failure each: the address's budget.
        for n in range(5):
            assert (await login(client, f"guess{n}@example.org", "x")).status_code == 401
        response = await login(client, "guess5@example.org", "x")
        assert_throttled(response)


async def test_a_success_resets_the_account_and_costs_the_address_nothing(
    throttled: ClientFactory, db_session: AsyncSession
) -> None:
    await create_operator(db_session, "cy@example.org", PASSWORD, "Cy")
    async with throttled() as (_, client):
        for _ in range(2):
            assert (await login(client, "cy@example.org", "typo")).status_code == 401
        assert (await login(client, "cy@example.org", PASSWORD)).status_code == 200
        # The account starts afresh: three more failures are allowed, the fourth is not.
        for _ in range(3):
            assert (await login(client, "cy@example.org", "typo")).status_code == 401
        assert_throttled(await login(client, "cy@example.org", "typo"))

    async with throttled() as (_, client):
        # Successes never use the address's budget (5): ten in a row all pass.
        for _ in range(10):
            assert (await login(client, "cy@example.org", PASSWORD)).status_code == 200


async def test_without_redis_the_limit_holds_in_process(
    throttled: ClientFactory, db_session: AsyncSession
) -> None:
    await create_operator(db_session, "dee@example.org", PASSWORD, "Dee")
    async with throttled(redis_url=None) as (app, client):
        assert isinstance(app.state.login_limiter.store, MemoryAttemptStore)
        for _ in range(3):
            assert (await login(client, "dee@example.org", "nope")).status_code == 401
        assert_throttled(await login(client, "dee@example.org", PASSWORD))


async def test_a_redis_failure_lets_logins_through_and_is_logged(
    throttled: ClientFactory, db_session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await create_operator(db_session, "eve@example.org", PASSWORD, "Eve")
    # Nothing listens there: every Redis call fails at once with a connection error.
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    async with throttled(redis_url=dead_redis) as (_, client):
        with caplog.at_level(logging.WARNING, logger="lyceum.core.ratelimit"):
            # Past the account's limit, yet no 429: the limiter fails open...
            for _ in range(5):
                assert (await login(client, "eve@example.org", "nope")).status_code == 401
            # ...and the login itself works.
            assert (await login(client, "eve@example.org", PASSWORD)).status_code == 200
    failures = [r for r in caplog.records if r.name == "lyceum.core.ratelimit"]
    assert failures
    assert "allowing the attempt" in failures[0].getMessage()


def test_openapi_documents_the_429() -> None:
    app = create_app(load_settings(_env_file=None))
    responses = app.openapi()["paths"]["/api/auth/login"]["post"]["responses"]
    assert "Retry-After" in responses["429"]["headers"]
