"""Mathvidya accounts through the API: sign-up (students and parents), the profile, password
reset through the outbox, and the admins' user management — with the audit row each
security-relevant action writes, and every bad input refused with its field named and
nothing written."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.auth import hash_password
from lyceum.mathvidya.service.accounts import RESET_ACCEPTED
from tests.fixtures.tokens import token_for
from tests.mathvidya.calls import as_account, error_fields
from tests.mathvidya.rows import add_evaluation, add_user

API = "/api/mathvidya"
PASSWORD = "a-long-enough-password"


def _email() -> str:
    return f"acct-{uuid.uuid4().hex[:12]}@example.com"


def _student_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": _email(),
        "password": PASSWORD,
        "first_name": "Asha",
        "last_name": "Verma",
        "student_class": "X",
        "phone": "+91 98765 43210",
        "school_name": "Kendriya Vidyalaya",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


def _parent_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": _email(),
        "password": PASSWORD,
        "first_name": "Ravi",
        "last_name": "Verma",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


async def _count_users(db: AsyncSession) -> int:
    return int((await db.execute(text("SELECT count(*) FROM mathvidya.users"))).scalar_one())


async def _audit(db: AsyncSession, entity_id: uuid.UUID | str) -> list[dict[str, Any]]:
    rows = await db.execute(
        text(
            "SELECT action, actor_user_id, actor_role::text AS actor_role, details"
            " FROM mathvidya.audit_logs WHERE entity_id = :id"
            # Requests of one test share its transaction's now(): xmin orders them (see
            # test_questions.audit_actions).
            " ORDER BY occurred_at, xmin::text::bigint"
        ),
        {"id": str(entity_id)},
    )
    return [dict(row._mapping) for row in rows]


async def _user(db: AsyncSession, user_id: uuid.UUID | str) -> dict[str, Any]:
    row = (
        await db.execute(
            text("SELECT *, role::text AS role_text FROM mathvidya.users WHERE id = :id"),
            {"id": str(user_id)},
        )
    ).one()
    return dict(row._mapping)


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


# ---- sign-up -------------------------------------------------------------------------------


async def test_a_student_signs_up_signs_in_and_reads_their_profile(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    body = _student_body(email="  Asha.Verma+" + uuid.uuid4().hex[:6] + "@Example.COM ")
    answer = await client.post(f"{API}/accounts/students", json=body)
    assert answer.status_code == 201, answer.text
    account = answer.json()
    assert "password" not in answer.text and "argon2" not in answer.text
    assert account["email"] == body["email"].strip().lower()
    assert account["role"] == "student" and account["student_class"] == "X"
    assert account["phone"] == "+919876543210"
    assert account["school_name"] == "Kendriya Vidyalaya" and account["is_active"] is True
    stored = await _user(db_session, account["id"])
    assert stored["password_hash"].startswith("$argon2id$")
    audit = await _audit(db_session, account["id"])
    assert [(a["action"], a["actor_role"]) for a in audit] == [("account.created", "student")]
    assert audit[0]["actor_user_id"] == uuid.UUID(account["id"])
    assert audit[0]["details"] == {"role": "student", "via": "sign_up"}

    signed_in = await _login(client, account["email"], PASSWORD)
    assert signed_in.status_code == 200, signed_in.text
    bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    me = await client.get(f"{API}/me", headers=bearer)
    assert me.status_code == 200 and me.json()["id"] == account["id"]
    assert me.json()["last_login_at"] is not None


async def test_a_parent_signs_up_without_a_class(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    answer = await client.post(f"{API}/accounts/parents", json=_parent_body(phone="9876543210"))
    assert answer.status_code == 201, answer.text
    account = answer.json()
    assert account["role"] == "parent" and account["student_class"] is None
    assert account["phone"] == "9876543210"
    audit = await _audit(db_session, account["id"])
    assert [a["action"] for a in audit] == ["account.created"]


BAD_STUDENT_SIGN_UPS = [
    ("password", {"password": "short-pass1"}),
    ("password", {"password": 123456789012345}),
    ("password", {"password": ...}),
    ("email", {"email": "no-at-sign.example.com"}),
    ("email", {"email": "asha@localhost"}),
    ("email", {"email": ""}),
    ("first_name", {"first_name": "   "}),
    ("first_name", {"first_name": ...}),
    ("last_name", {"last_name": "x" * 101}),
    ("last_name", {"last_name": "Ver\x00ma"}),
    ("student_class", {"student_class": "XI"}),
    ("student_class", {"student_class": ...}),
    ("phone", {"phone": "12ab"}),
    ("phone", {"phone": "123"}),
    ("school_name", {"school_name": "s" * 201}),
    ("school_name", {"school_name": " "}),
    ("role", {"role": "admin"}),
]


@pytest.mark.parametrize(("field", "overrides"), BAD_STUDENT_SIGN_UPS)
async def test_a_bad_student_sign_up_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, field: str, overrides: dict[str, Any]
) -> None:
    before = await _count_users(db_session)
    answer = await client.post(f"{API}/accounts/students", json=_student_body(**overrides))
    assert answer.status_code == 422, answer.text
    assert field in error_fields(answer), answer.text
    assert PASSWORD not in answer.text
    assert await _count_users(db_session) == before


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("student_class", {"student_class": "X"}),
        ("school_name", {"school_name": "Somewhere"}),
        ("password", {"password": "tooshort"}),
        ("email", {"email": "@example.com"}),
    ],
)
async def test_a_bad_parent_sign_up_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, field: str, overrides: dict[str, Any]
) -> None:
    before = await _count_users(db_session)
    answer = await client.post(f"{API}/accounts/parents", json=_parent_body(**overrides))
    assert answer.status_code == 422, answer.text
    assert field in error_fields(answer)
    assert await _count_users(db_session) == before


async def test_a_taken_email_is_a_409_with_a_sentence_whatever_its_case(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    first = await client.post(f"{API}/accounts/parents", json=_parent_body())
    assert first.status_code == 201
    email = first.json()["email"]
    before = await _count_users(db_session)
    again = await client.post(f"{API}/accounts/students", json=_student_body(email=email.upper()))
    assert again.status_code == 409, again.text
    error = again.json()["error"]
    assert "already exists" in error["message"] and error["details"] == {"field": "email"}
    assert await _count_users(db_session) == before


# ---- the profile ---------------------------------------------------------------------------


async def test_an_account_changes_its_profile_and_the_change_is_audited(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student", first_name="Old", phone=None)
    headers = as_account("student", student)
    answer = await client.patch(
        f"{API}/me",
        json={"first_name": "  Meera ", "phone": "+91-99999-00000", "school_name": "DPS"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["first_name"] == "Meera" and answer.json()["phone"] == "+919999900000"
    me = await client.get(f"{API}/me", headers=headers)
    assert me.json()["school_name"] == "DPS"
    [entry] = await _audit(db_session, student)
    assert entry["action"] == "account.updated" and entry["actor_user_id"] == student
    assert entry["details"]["before"]["first_name"] == "Old"
    assert entry["details"]["after"] == {
        "first_name": "Meera",
        "phone": "+919999900000",
        "school_name": "DPS",
    }
    # Clearing the phone is a change; repeating the same values is none (no audit row).
    cleared = await client.patch(f"{API}/me", json={"phone": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["phone"] is None
    same = await client.patch(f"{API}/me", json={"first_name": "Meera"}, headers=headers)
    assert same.status_code == 200
    assert [a["action"] for a in await _audit(db_session, student)] == ["account.updated"] * 2


@pytest.mark.parametrize(
    ("role", "body", "field"),
    [
        ("student", {}, None),
        ("student", {"first_name": None}, "first_name"),
        ("student", {"last_name": ""}, "last_name"),
        ("student", {"phone": "call me"}, "phone"),
        ("student", {"email": "new@example.com"}, "email"),
        ("student", {"student_class": "XII"}, "student_class"),
        ("parent", {"school_name": "DPS"}, "school_name"),
        ("teacher", {"first_name": "A", "role": "admin"}, "role"),
    ],
)
async def test_a_bad_profile_change_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    role: str,
    body: dict[str, Any],
    field: str | None,
) -> None:
    user_id = await add_user(db_session, role)
    before = await _user(db_session, user_id)
    answer = await client.patch(f"{API}/me", json=body, headers=as_account(role, user_id))
    assert answer.status_code == 422, answer.text
    if field is not None:
        assert field in error_fields(answer)
    assert await _user(db_session, user_id) == before
    assert await _audit(db_session, user_id) == []


async def test_the_profile_needs_a_mathvidya_account(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/me")).status_code == 401
    operator = token_for("admin")
    assert (await client.get(f"{API}/me", headers=operator)).status_code == 403


# ---- password reset ------------------------------------------------------------------------

_LINK = re.compile(r"/mathvidya/reset-password\?token=([A-Za-z0-9_\-]+)")


async def _reset_tokens(db: AsyncSession, email: str) -> set[str]:
    rows = await db.execute(
        text("SELECT body FROM lyceum.outbox WHERE recipient = :e AND source = 'mathvidya'"),
        {"e": email},
    )
    found = set()
    for body in rows.scalars():
        match = _LINK.search(body)
        assert match, body
        found.add(match.group(1))
    return found


async def _account_with_password(db: AsyncSession, role: str = "student") -> tuple[uuid.UUID, str]:
    email = _email()
    user_id = await add_user(db, role, email=email, password_hash=hash_password(PASSWORD))
    return user_id, email


async def test_a_password_reset_end_to_end(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user_id, email = await _account_with_password(db_session)
    asked = await client.post(f"{API}/accounts/password-reset", json={"email": email.upper()})
    assert asked.status_code == 202, asked.text
    assert asked.json() == {"message": RESET_ACCEPTED}
    [secret] = await _reset_tokens(db_session, email)
    stored = (
        await db_session.execute(
            text(
                "SELECT token_hash, purpose, expires_at - created_at AS lifetime"
                " FROM mathvidya.account_tokens WHERE user_id = :u"
            ),
            {"u": user_id},
        )
    ).one()
    assert stored.purpose == "password_reset" and secret not in stored.token_hash
    assert stored.lifetime.total_seconds() == 3600

    new_password = "an-entirely-new-password"
    done = await client.post(
        f"{API}/accounts/password-reset/confirm",
        json={"token": secret, "new_password": new_password},
    )
    assert done.status_code == 200, done.text
    assert (await _login(client, email, PASSWORD)).status_code == 401
    assert (await _login(client, email, new_password)).status_code == 200
    # Single use.
    again = await client.post(
        f"{API}/accounts/password-reset/confirm",
        json={"token": secret, "new_password": "yet-another-password"},
    )
    assert again.status_code == 404
    assert again.json()["error"]["details"] == {"field": "token"}
    assert "not valid" in again.json()["error"]["message"]
    actions = sorted(a["action"] for a in await _audit(db_session, user_id))
    # The audit rows of one test share a timestamp (one transaction): compared unordered.
    assert actions == [
        "auth.password_reset",
        "auth.password_reset_requested",
        "auth.sign_in_failed",
        "auth.signed_in",
    ]
    reset = [a for a in await _audit(db_session, user_id) if a["action"] == "auth.password_reset"]
    assert reset[0]["actor_user_id"] == user_id


async def test_a_reset_request_answers_the_same_for_an_unknown_or_inactive_email(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    unknown = _email()
    answer = await client.post(f"{API}/accounts/password-reset", json={"email": unknown})
    assert answer.status_code == 202 and answer.json() == {"message": RESET_ACCEPTED}
    assert await _reset_tokens(db_session, unknown) == set()
    inactive_id, inactive = await _account_with_password(db_session)
    await db_session.execute(
        text("UPDATE mathvidya.users SET is_active = false WHERE id = :u"), {"u": inactive_id}
    )
    answer = await client.post(f"{API}/accounts/password-reset", json={"email": inactive})
    assert answer.status_code == 202 and answer.json() == {"message": RESET_ACCEPTED}
    assert await _reset_tokens(db_session, inactive) == set()


async def test_a_new_reset_request_spends_the_older_link(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, email = await _account_with_password(db_session)
    await client.post(f"{API}/accounts/password-reset", json={"email": email})
    [first] = await _reset_tokens(db_session, email)
    await client.post(f"{API}/accounts/password-reset", json={"email": email})
    [second] = await _reset_tokens(db_session, email) - {first}
    old = await client.post(
        f"{API}/accounts/password-reset/confirm",
        json={"token": first, "new_password": "an-entirely-new-password"},
    )
    assert old.status_code == 404
    new = await client.post(
        f"{API}/accounts/password-reset/confirm",
        json={"token": second, "new_password": "an-entirely-new-password"},
    )
    assert new.status_code == 200, new.text


async def test_an_expired_reset_link_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user_id, email = await _account_with_password(db_session)
    await client.post(f"{API}/accounts/password-reset", json={"email": email})
    [secret] = await _reset_tokens(db_session, email)
    await db_session.execute(
        text(
            "UPDATE mathvidya.account_tokens SET created_at = now() - interval '2 hours',"
            " expires_at = now() - interval '1 hour' WHERE user_id = :u"
        ),
        {"u": user_id},
    )
    answer = await client.post(
        f"{API}/accounts/password-reset/confirm",
        json={"token": secret, "new_password": "an-entirely-new-password"},
    )
    assert answer.status_code == 404 and "expired" in answer.json()["error"]["message"]
    assert (await _login(client, email, PASSWORD)).status_code == 200


async def test_a_bad_new_password_spends_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, email = await _account_with_password(db_session)
    await client.post(f"{API}/accounts/password-reset", json={"email": email})
    [secret] = await _reset_tokens(db_session, email)
    short = await client.post(
        f"{API}/accounts/password-reset/confirm", json={"token": secret, "new_password": "short"}
    )
    assert short.status_code == 422 and "new_password" in error_fields(short)
    unknown = await client.post(
        f"{API}/accounts/password-reset/confirm",
        json={"token": "made-up-token", "new_password": "an-entirely-new-password"},
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["details"] == {"field": "token"}
    good = await client.post(
        f"{API}/accounts/password-reset/confirm",
        json={"token": secret, "new_password": "an-entirely-new-password"},
    )
    assert good.status_code == 200


async def test_reset_emails_to_one_account_are_capped_per_hour(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user_id, email = await _account_with_password(db_session)
    for _ in range(5):
        answer = await client.post(f"{API}/accounts/password-reset", json={"email": email})
        assert answer.status_code == 202 and answer.json() == {"message": RESET_ACCEPTED}
    assert len(await _reset_tokens(db_session, email)) == 3
    sent = [a["details"]["email_sent"] for a in await _audit(db_session, user_id)]
    assert sorted(sent) == [False, False, True, True, True]


async def test_a_bad_reset_request_is_a_422(client: httpx.AsyncClient) -> None:
    answer = await client.post(f"{API}/accounts/password-reset", json={"email": "nope"})
    assert answer.status_code == 422 and error_fields(answer) == {"email"}


# ---- admins --------------------------------------------------------------------------------


async def test_an_admin_creates_a_teacher_who_can_sign_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin = await add_user(db_session, "admin")
    body = _parent_body(role="teacher")
    answer = await client.post(f"{API}/admin/users", json=body, headers=as_account("admin", admin))
    assert answer.status_code == 201, answer.text
    teacher = answer.json()
    assert teacher["role"] == "teacher" and teacher["student_class"] is None
    [entry] = await _audit(db_session, teacher["id"])
    assert entry["action"] == "account.created" and entry["actor_user_id"] == admin
    assert entry["details"] == {"role": "teacher", "via": "admin"}
    signed_in = await _login(client, body["email"], PASSWORD)
    assert signed_in.status_code == 200
    me = await client.get(
        f"{API}/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    )
    assert me.json()["role"] == "teacher"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "student"}, "role"),
        ({"role": "parent"}, "role"),
        ({"role": ...}, "role"),
        ({"password": "short"}, "password"),
        ({"email": "x"}, "email"),
        ({"student_class": "X"}, "student_class"),
    ],
)
async def test_a_bad_staff_creation_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, overrides: dict[str, Any], field: str
) -> None:
    admin = await add_user(db_session, "admin")
    before = await _count_users(db_session)
    body = _parent_body(**{"role": "teacher", **overrides})
    answer = await client.post(f"{API}/admin/users", json=body, headers=as_account("admin", admin))
    assert answer.status_code == 422, answer.text
    assert field in error_fields(answer)
    assert await _count_users(db_session) == before


async def test_only_an_admin_creates_staff(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    for role in ("teacher", "student", "parent"):
        user_id = await add_user(db_session, role)
        answer = await client.post(
            f"{API}/admin/users", json=_parent_body(role="admin"), headers=as_account(role, user_id)
        )
        assert answer.status_code == 403, (role, answer.text)
    admin = await add_user(db_session, "admin")
    body = _parent_body(role="admin")
    first = await client.post(f"{API}/admin/users", json=body, headers=as_account("admin", admin))
    assert first.status_code == 201
    taken = await client.post(f"{API}/admin/users", json=body, headers=as_account("admin", admin))
    assert taken.status_code == 409


async def test_an_admin_lists_and_searches_users(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin = await add_user(db_session, "admin")
    marker = uuid.uuid4().hex[:8]
    ids = []
    for index, role in enumerate(("student", "student", "parent")):
        ids.append(
            await add_user(db_session, role, first_name=f"Zq{marker}", last_name=f"Person{index}")
        )
    headers = as_account("admin", admin)
    found = await client.get(f"{API}/admin/users", params={"q": f"zq{marker}"}, headers=headers)
    assert found.status_code == 200, found.text
    page = found.json()
    assert page["total"] == 3 and [item["id"] for item in page["items"]] == [str(i) for i in ids]
    assert all("password_hash" not in item for item in page["items"])
    students = await client.get(
        f"{API}/admin/users",
        params={"q": f"zq{marker}", "role": "student", "limit": 1, "offset": 1},
        headers=headers,
    )
    assert students.json()["total"] == 2
    assert [item["id"] for item in students.json()["items"]] == [str(ids[1])]
    # A LIKE wildcard is searched for literally.
    wildcard = await client.get(f"{API}/admin/users", params={"q": "%"}, headers=headers)
    assert wildcard.status_code == 200 and wildcard.json()["total"] == 0
    email = (await _user(db_session, ids[2]))["email"]
    by_email = await client.get(f"{API}/admin/users", params={"q": email}, headers=headers)
    assert [item["id"] for item in by_email.json()["items"]] == [str(ids[2])]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"role": "superuser"}, "role"),
        ({"q": ""}, "q"),
        ({"sort": "email"}, "sort"),
    ],
)
async def test_bad_user_list_parameters_are_a_422(
    client: httpx.AsyncClient, db_session: AsyncSession, params: dict[str, Any], field: str
) -> None:
    admin = await add_user(db_session, "admin")
    answer = await client.get(
        f"{API}/admin/users", params=params, headers=as_account("admin", admin)
    )
    assert answer.status_code == 422, answer.text
    assert field in error_fields(answer)


async def test_a_deactivated_account_is_refused_at_once_and_can_be_reactivated(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin = await add_user(db_session, "admin")
    student = await add_user(db_session, "student")
    student_token = as_account("student", student)
    assert (await client.get(f"{API}/me", headers=student_token)).status_code == 200
    off = await client.patch(
        f"{API}/admin/users/{student}",
        json={"is_active": False},
        headers=as_account("admin", admin),
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    [entry] = await _audit(db_session, student)
    assert (entry["action"], entry["actor_user_id"]) == ("account.deactivated", admin)
    refused = await client.get(f"{API}/me", headers=student_token)
    assert refused.status_code == 404
    assert refused.json()["error"]["details"] == {"reason": "no_account"}
    on = await client.patch(
        f"{API}/admin/users/{student}", json={"is_active": True}, headers=as_account("admin", admin)
    )
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert (await client.get(f"{API}/me", headers=student_token)).status_code == 200
    audit = await _audit(db_session, student)
    assert sorted((a["action"], a["actor_user_id"]) for a in audit) == [
        ("account.deactivated", admin),
        ("account.reactivated", admin),
    ]


async def test_staff_move_between_teacher_and_admin_and_nobody_else_changes_role(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin = await add_user(db_session, "admin")
    headers = as_account("admin", admin)
    teacher = await add_user(db_session, "teacher")
    promoted = await client.patch(
        f"{API}/admin/users/{teacher}", json={"role": "admin"}, headers=headers
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    [entry] = await _audit(db_session, teacher)
    assert entry["action"] == "account.role_changed" and entry["actor_user_id"] == admin
    assert entry["details"] == {"from": "teacher", "to": "admin"}
    # The old token names the old role: refused.
    assert (
        await client.get(f"{API}/me", headers=as_account("teacher", teacher))
    ).status_code == 404
    assert (await client.get(f"{API}/me", headers=as_account("admin", teacher))).status_code == 200

    for role in ("student", "parent"):
        user_id = await add_user(db_session, role)
        refused = await client.patch(
            f"{API}/admin/users/{user_id}", json={"role": "teacher"}, headers=headers
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["details"] == {"field": "role"}
        assert f"a {role}'s role cannot change" in refused.json()["error"]["message"]
        assert (await _user(db_session, user_id))["role_text"] == role
        assert await _audit(db_session, user_id) == []
    bad = await client.patch(
        f"{API}/admin/users/{teacher}", json={"role": "student"}, headers=headers
    )
    assert bad.status_code == 422 and "role" in error_fields(bad)


async def test_a_teacher_with_evaluations_keeps_their_role(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin = await add_user(db_session, "admin")
    teacher = await add_user(db_session, "teacher")
    await add_evaluation(db_session, "assigned", teacher_user_id=teacher)
    answer = await client.patch(
        f"{API}/admin/users/{teacher}", json={"role": "admin"}, headers=as_account("admin", admin)
    )
    assert answer.status_code == 409, answer.text
    assert (await _user(db_session, teacher))["role_text"] == "teacher"
    assert await _audit(db_session, teacher) == []


async def test_an_admin_cannot_lock_themselves_out_and_changes_are_validated(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin = await add_user(db_session, "admin")
    headers = as_account("admin", admin)
    for body, field in (({"is_active": False}, "is_active"), ({"role": "teacher"}, "role")):
        answer = await client.patch(f"{API}/admin/users/{admin}", json=body, headers=headers)
        assert answer.status_code == 422 and error_fields(answer) == {field}, answer.text
    nothing = await client.patch(f"{API}/admin/users/{admin}", json={}, headers=headers)
    assert nothing.status_code == 422
    typed = await client.patch(
        f"{API}/admin/users/{admin}", json={"is_active": "no"}, headers=headers
    )
    assert typed.status_code == 422 and "is_active" in error_fields(typed)
    missing = await client.patch(
        f"{API}/admin/users/{uuid.uuid4()}", json={"is_active": False}, headers=headers
    )
    assert missing.status_code == 404
    assert await _audit(db_session, admin) == []
    teacher = await add_user(db_session, "teacher")
    refused = await client.patch(
        f"{API}/admin/users/{admin}",
        json={"is_active": False},
        headers=as_account("teacher", teacher),
    )
    assert refused.status_code == 403
