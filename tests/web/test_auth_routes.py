"""`/api/auth/login` and `/api/auth/me` through the real app, database and Redis."""

from __future__ import annotations

import httpx
import jwt
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.auth import needs_rehash, verify_password
from lyceum.core.operators import LOGIN_FAILED, create_operator
from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN, load_settings

PASSWORD = "correct horse battery"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def test_login_issues_a_token_that_works_on_me(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    operator = await create_operator(
        db_session, "ada@example.org", PASSWORD, "Ada", roles=["operator", "admin"]
    )
    response = await login(client, "Ada@Example.org", PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    settings = load_settings()
    assert body["expires_in"] == settings.jwt_ttl_seconds
    assert response.headers["cache-control"] == "no-store"
    claims = jwt.decode(
        body["access_token"],
        settings.effective_secret_key,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
    )
    assert claims["sub"] == str(operator.id)

    me = await client.get("/api/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json() == {"subject": str(operator.id), "roles": ["admin", "operator"], "via": "jwt"}


async def test_login_records_last_login(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    operator = await create_operator(db_session, "kay@example.org", PASSWORD, "Kay")
    assert (await login(client, "kay@example.org", PASSWORD)).status_code == 200
    await db_session.refresh(operator)
    assert operator.last_login_at is not None


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await create_operator(db_session, "lin@example.org", PASSWORD, "Lin")
    wrong = await login(client, "lin@example.org", "not the password")
    unknown = await login(client, "nobody@example.org", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == {
        "code": "unauthorized",
        "message": LOGIN_FAILED,
        "details": None,
    }


async def test_inactive_operator_cannot_log_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    operator = await create_operator(db_session, "off@example.org", PASSWORD, "Off")
    operator.is_active = False
    await db_session.flush()
    response = await login(client, "off@example.org", PASSWORD)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == LOGIN_FAILED


async def test_login_rehashes_when_parameters_changed(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    operator = await create_operator(db_session, "old@example.org", PASSWORD, "Old")
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    operator.password_hash = weak
    await db_session.flush()

    assert (await login(client, "old@example.org", PASSWORD)).status_code == 200
    await db_session.refresh(operator)
    assert operator.password_hash != weak
    assert "m=19456,t=2,p=1" in operator.password_hash
    assert not needs_rehash(operator.password_hash)
    assert verify_password(operator.password_hash, PASSWORD)
    # And the upgraded hash still logs in.
    assert (await login(client, "old@example.org", PASSWORD)).status_code == 200


async def test_me_without_token_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


async def test_me_with_bad_token_names_the_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/me", headers=bearer("not.a.token"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_demo_token_works_in_development(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/me", headers=bearer(DEVELOPMENT_DEMO_TOKEN))
    assert response.status_code == 200
    assert response.json() == {
        "subject": "demo",
        "roles": ["admin", "operator"],
        "via": "demo_token",
    }


async def test_login_body_is_validated(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/auth/login", json={"email": "a@example.org"})
    assert missing.status_code == 422
    assert missing.json()["error"]["message"] == "body.password: Field required"
    empty = await client.post("/api/auth/login", json={"email": "a@example.org", "password": ""})
    assert empty.status_code == 422


async def test_login_accepts_the_demo_domain(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    # `.local` is a special-use domain that strict email validators refuse.
    await create_operator(db_session, "someone@lyceum.local", PASSWORD, "Local")
    assert (await login(client, "someone@lyceum.local", PASSWORD)).status_code == 200
