"""Mathvidya accounts sign in through the platform's sign-in edges (API token and page
session), carry `mathvidya:<role>`, and every attempt on an existing account is audited."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.auth import hash_password
from tests.mathvidya.rows import add_user

PASSWORD = "a-long-student-password"


async def _student(db: AsyncSession, **overrides: object) -> tuple[uuid.UUID, str]:
    email = f"s-{uuid.uuid4().hex[:10]}@example.com"
    user_id = await add_user(
        db, "student", email=email, password_hash=hash_password(PASSWORD), **overrides
    )
    return user_id, email


async def _audit(db: AsyncSession, user_id: uuid.UUID) -> list[str]:
    rows = await db.execute(
        text("SELECT action FROM mathvidya.audit_logs WHERE entity_id = :id ORDER BY occurred_at"),
        {"id": user_id},
    )
    return list(rows.scalars())


async def test_a_student_gets_a_token_with_their_role_and_the_sign_in_is_audited(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user_id, email = await _student(db_session)
    answer = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["subject"] == str(user_id)
    assert me.json()["roles"] == ["mathvidya:student"]
    plans = await client.get("/api/mathvidya/plans", headers={"Authorization": f"Bearer {token}"})
    assert plans.status_code == 200 and len(plans.json()) == 4
    assert await _audit(db_session, user_id) == ["auth.signed_in"]
    # A Mathvidya account passes no platform guard.
    nerdboard = await client.get(
        "/api/nerdboard/overview", headers={"Authorization": f"Bearer {token}"}
    )
    assert nerdboard.status_code == 403


async def test_a_wrong_password_is_refused_like_any_and_audited_against_the_account(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user_id, email = await _student(db_session)
    answer = await client.post(
        "/api/auth/login", json={"email": email, "password": "not-it-at-all"}
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "wrong email or password"
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody-here@example.com", "password": "whatever-it-is"}
    )
    assert (
        unknown.status_code == 401
        and unknown.json()["error"]["message"] == "wrong email or password"
    )
    assert await _audit(db_session, user_id) == ["auth.sign_in_failed"]


async def test_a_deactivated_account_cannot_sign_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user_id, email = await _student(db_session, is_active=False)
    answer = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 401
    assert await _audit(db_session, user_id) == ["auth.sign_in_failed"]


async def test_the_sign_in_page_opens_a_session_for_a_mathvidya_account(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user_id, email = await _student(db_session)
    form = await client.get("/sign-in")
    csrf = form.cookies["lyceum_csrf"]
    answer = await client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf, "next": "/"},
        cookies={"lyceum_csrf": csrf},
    )
    assert answer.status_code == 303, answer.text
    assert "lyceum_session" in answer.cookies
    me = await client.get(
        "/api/auth/me", cookies={"lyceum_session": answer.cookies["lyceum_session"]}
    )
    assert me.json() == {"subject": str(user_id), "roles": ["mathvidya:student"], "via": "session"}
