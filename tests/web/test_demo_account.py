"""The development demo operator (`demo@lyceum.local`, admin, published password) signs in only
to a server running with ENV=development; the same database served in production refuses it.

In process, on the test's transaction; `tests/web/test_faults.py` does the same against a real
`lyceum serve` started with ENV=production.
"""

from __future__ import annotations

import secrets

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Forbidden, Unauthorized
from lyceum.core.operators import (
    DEMO_EMAIL,
    DEMO_REFUSED,
    authenticate,
    demo_password,
    ensure_demo_operator,
)
from lyceum.core.settings import load_settings
from tests.fixtures.app import asgi_client, started_app


@pytest.fixture
async def demo_account(db_session: AsyncSession) -> dict[str, str]:
    credentials = await ensure_demo_operator(db_session, load_settings(env="development"))
    assert credentials is not None
    return {"email": credentials[0], "password": credentials[1]}


async def test_demo_account_signs_in_to_a_development_server(
    client: httpx.AsyncClient, demo_account: dict[str, str]
) -> None:
    response = await client.post("/api/auth/login", json=demo_account)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("env", ["production", "staging", "test"])
async def test_demo_account_is_refused_outside_development(
    demo_account: dict[str, str], env: str
) -> None:
    settings = load_settings(env=env, secret_key=secrets.token_urlsafe(48))
    async with started_app(settings) as app, asgi_client(app) as http:
        refused = await http.post("/api/auth/login", json=demo_account)
        wrong = await http.post(
            "/api/auth/login", json={**demo_account, "password": "not the demo password"}
        )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == {
        "code": "forbidden",
        "message": DEMO_REFUSED,
        "details": {"reason": "demo_account"},
    }
    # A wrong password learns nothing more than for any other account.
    assert wrong.status_code == 401


async def test_authenticate_refuses_the_demo_account_unless_allowed(
    db_session: AsyncSession, demo_account: dict[str, str]
) -> None:
    with pytest.raises(Forbidden, match="ENV=development"):
        await authenticate(db_session, DEMO_EMAIL, demo_password())
    with pytest.raises(Unauthorized):
        await authenticate(db_session, DEMO_EMAIL, "wrong password")
    operator = await authenticate(db_session, DEMO_EMAIL, demo_password(), demo_allowed=True)
    assert operator.email == DEMO_EMAIL
