"""Operator accounts against the migrated database (each test rolled back)."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core import operators
from lyceum.core.auth import needs_rehash, verify_password
from lyceum.core.errors import Conflict, InvalidInput, Unauthorized
from lyceum.core.models import Operator
from lyceum.core.operators import (
    DEMO_EMAIL,
    LOGIN_FAILED,
    authenticate,
    create_operator,
    ensure_demo_operator,
    normalise_email,
)
from lyceum.core.settings import Settings

PASSWORD = "correct horse battery"
# Far below the standard parameters: what an old deployment might have stored.
WEAK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def dev_settings() -> Settings:
    return Settings(_env_file=None, env="development")


async def count_by_email(db: AsyncSession, email: str) -> int:
    query = select(func.count()).select_from(Operator).where(Operator.email == email)
    return int((await db.execute(query)).scalar_one())


async def test_create_operator_normalises_and_hashes(db_session: AsyncSession) -> None:
    operator = await create_operator(db_session, "  Ada@Example.ORG ", PASSWORD, " Ada ")
    assert operator.id is not None
    assert operator.email == "ada@example.org"
    assert operator.display_name == "Ada"
    assert operator.roles == ["operator"]
    assert operator.is_active
    assert operator.password_hash != PASSWORD
    assert verify_password(operator.password_hash, PASSWORD)
    assert not needs_rehash(operator.password_hash)


async def test_create_operator_deduplicates_roles(db_session: AsyncSession) -> None:
    operator = await create_operator(
        db_session, "root@example.org", PASSWORD, "Root", roles=["admin", "operator", "admin"]
    )
    assert operator.roles == ["admin", "operator"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"roles": ["superuser"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 11}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "two@@example.org"}, "email"),
        ({"display_name": "   "}, "display_name"),
    ],
)
async def test_create_operator_rejects_bad_input(
    db_session: AsyncSession, overrides: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {
        "email": "bad@example.org",
        "password": PASSWORD,
        "display_name": "Bad",
        **overrides,
    }
    with pytest.raises(InvalidInput) as caught:
        await create_operator(db_session, **arguments)
    assert caught.value.details["field"] == field


async def test_roles_as_a_bare_string_is_a_programming_error(db_session: AsyncSession) -> None:
    with pytest.raises(TypeError):
        await create_operator(db_session, "s@example.org", PASSWORD, "S", roles="admin")


async def test_duplicate_email_is_conflict_and_session_stays_usable(
    db_session: AsyncSession,
) -> None:
    await create_operator(db_session, "grace@example.org", PASSWORD, "Grace")
    with pytest.raises(Conflict) as caught:
        await create_operator(db_session, "GRACE@example.org", PASSWORD, "Grace again")
    assert "grace@example.org" in caught.value.message
    # Only the savepoint was rolled back: the first operator and the transaction survive.
    assert await count_by_email(db_session, "grace@example.org") == 1
    await create_operator(db_session, "hopper@example.org", PASSWORD, "Hopper")


async def test_check_constraint_rejects_upper_case_email(db_session: AsyncSession) -> None:
    # The service lower-cases, but the database is the last line for raw SQL and COPY.
    with pytest.raises(IntegrityError, match="email_lowercase"):
        async with db_session.begin_nested():
            await db_session.execute(
                text(
                    "INSERT INTO lyceum.operators (email, display_name, password_hash) "
                    "VALUES ('Upper@Example.org', 'Upper', 'x')"
                )
            )


async def test_authenticate_success_records_login(db_session: AsyncSession) -> None:
    created = await create_operator(db_session, "kay@example.org", PASSWORD, "Kay")
    assert created.last_login_at is None
    operator = await authenticate(db_session, "KAY@example.org", PASSWORD)
    assert operator.id == created.id
    assert operator.last_login_at is not None
    assert operator.last_login_at.tzinfo is not None


async def test_authenticate_failures_share_one_message(db_session: AsyncSession) -> None:
    await create_operator(db_session, "lin@example.org", PASSWORD, "Lin")
    disabled = await create_operator(db_session, "off@example.org", PASSWORD, "Off")
    disabled.is_active = False
    await db_session.flush()

    messages = []
    for email, password in [
        ("lin@example.org", "wrong password!"),
        ("nobody@example.org", PASSWORD),
        ("off@example.org", PASSWORD),
        ("not an email", PASSWORD),
    ]:
        with pytest.raises(Unauthorized) as caught:
            await authenticate(db_session, email, password)
        messages.append(caught.value.message)
    assert set(messages) == {LOGIN_FAILED}


async def test_unknown_email_still_verifies_a_hash(
    db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Equal work for known and unknown emails, so timing does not reveal which exist.
    calls: list[str] = []

    def recording_verify(password_hash: str, password: str) -> bool:
        calls.append(password)
        return False

    monkeypatch.setattr(operators, "verify_password", recording_verify)
    with pytest.raises(Unauthorized):
        await authenticate(db_session, "ghost@example.org", "some password")
    assert calls == ["some password"]


async def test_login_upgrades_an_outdated_hash(db_session: AsyncSession) -> None:
    operator = await create_operator(db_session, "old@example.org", PASSWORD, "Old")
    weak = WEAK_HASHER.hash(PASSWORD)
    operator.password_hash = weak
    await db_session.flush()
    assert needs_rehash(weak)

    await authenticate(db_session, "old@example.org", PASSWORD)
    await db_session.refresh(operator)
    assert operator.password_hash != weak
    assert not needs_rehash(operator.password_hash)
    assert verify_password(operator.password_hash, PASSWORD)


async def test_login_keeps_a_current_hash(db_session: AsyncSession) -> None:
    operator = await create_operator(db_session, "cur@example.org", PASSWORD, "Current")
    before = operator.password_hash
    await authenticate(db_session, "cur@example.org", PASSWORD)
    assert operator.password_hash == before


async def test_demo_operator_is_created_once(
    db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LYCEUM_DEMO_PASSWORD", raising=False)
    first = await ensure_demo_operator(db_session, dev_settings())
    second = await ensure_demo_operator(db_session, dev_settings())
    assert first == second == (DEMO_EMAIL, "lyceum-demo-password")
    assert await count_by_email(db_session, DEMO_EMAIL) == 1
    operator = await authenticate(db_session, DEMO_EMAIL, "lyceum-demo-password", demo_allowed=True)
    assert set(operator.roles) == {"admin", "operator"}


async def test_demo_password_follows_the_environment(
    db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LYCEUM_DEMO_PASSWORD", "first demo password")
    await ensure_demo_operator(db_session, dev_settings())
    monkeypatch.setenv("LYCEUM_DEMO_PASSWORD", "second demo password")
    # The printed credentials must work, so a changed variable resets the password.
    assert await ensure_demo_operator(db_session, dev_settings()) == (
        DEMO_EMAIL,
        "second demo password",
    )
    await authenticate(db_session, DEMO_EMAIL, "second demo password", demo_allowed=True)
    with pytest.raises(Unauthorized):
        await authenticate(db_session, DEMO_EMAIL, "first demo password", demo_allowed=True)


async def test_demo_operator_is_reactivated(db_session: AsyncSession) -> None:
    await ensure_demo_operator(db_session, dev_settings())
    operator = await authenticate(
        db_session, DEMO_EMAIL, operators.demo_password(), demo_allowed=True
    )
    operator.is_active = False
    await db_session.flush()
    await ensure_demo_operator(db_session, dev_settings())
    assert operator.is_active


async def test_no_demo_operator_outside_development(db_session: AsyncSession) -> None:
    production = Settings(_env_file=None, env="production", secret_key="k" * 40)
    assert await ensure_demo_operator(db_session, production) is None
    assert await count_by_email(db_session, DEMO_EMAIL) == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada@Example.org", "ada@example.org"),
        (" demo@lyceum.local ", "demo@lyceum.local"),
        ("a.b+c@sub.example.co.uk", "a.b+c@sub.example.co.uk"),
    ],
)
def test_normalise_email_accepts(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "plain",
        "@example.org",
        "ada@",
        "a@b@c.org",
        "ada @example.org",
        "ada@.org",
        "ada@example..org",
        "x" * 65 + "@example.org",
        "a@" + "b" * 330 + ".org",
    ],
)
def test_normalise_email_rejects(raw: str) -> None:
    with pytest.raises(operators.InvalidEmail):
        normalise_email(raw)
