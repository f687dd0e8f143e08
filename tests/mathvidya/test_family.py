"""Family protection through the API: a parent is linked to a student only with an invite code
the student's account issued; each side sees only its own links; the primary contact is one
parent; either side unlinks — each change audited, each bad input refused with nothing
written, and nobody reaching a child they are not linked to."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.service.audit import Actor
from lyceum.mathvidya.service.family import INVITE_REFUSED
from lyceum.mathvidya.service.ownership import may_read_student
from tests.mathvidya.calls import as_account
from tests.mathvidya.rows import add_user

API = "/api/mathvidya"
CODE_SHAPE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")


async def _invite(client: httpx.AsyncClient, student: uuid.UUID) -> str:
    answer = await client.post(f"{API}/family/invites", headers=as_account("student", student))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


async def _redeem(
    client: httpx.AsyncClient, parent: uuid.UUID, code: str, relationship: str = "mother"
) -> httpx.Response:
    return await client.post(
        f"{API}/family/links",
        json={"code": code, "relationship_type": relationship},
        headers=as_account("parent", parent),
    )


async def _link(client: httpx.AsyncClient, parent: uuid.UUID, student: uuid.UUID) -> str:
    answer = await _redeem(client, parent, await _invite(client, student))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["mapping_id"])


async def _children(client: httpx.AsyncClient, parent: uuid.UUID) -> list[dict[str, Any]]:
    answer = await client.get(f"{API}/family/children", headers=as_account("parent", parent))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def _parents(client: httpx.AsyncClient, student: uuid.UUID) -> list[dict[str, Any]]:
    answer = await client.get(f"{API}/family/parents", headers=as_account("student", student))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def _mappings(db: AsyncSession, student: uuid.UUID) -> list[tuple[uuid.UUID, bool]]:
    rows = await db.execute(
        text(
            "SELECT parent_user_id, is_primary_contact FROM mathvidya.parent_student_mappings"
            " WHERE student_user_id = :s ORDER BY parent_user_id"
        ),
        {"s": student},
    )
    return [(row[0], row[1]) for row in rows]


async def _audit(db: AsyncSession, action: str) -> list[dict[str, Any]]:
    rows = await db.execute(
        text(
            "SELECT entity_type, entity_id, actor_user_id, actor_role::text AS actor_role,"
            " details FROM mathvidya.audit_logs WHERE action = :a"
        ),
        {"a": action},
    )
    return [dict(row._mapping) for row in rows]


async def _audit_about(db: AsyncSession, action: str, student: uuid.UUID) -> list[dict[str, Any]]:
    return [
        entry
        for entry in await _audit(db, action)
        if entry["details"].get("student_id") == str(student)
    ]


# ---- invite and link -----------------------------------------------------------------------


async def test_a_student_invites_a_parent_who_links_and_becomes_primary_contact(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student", first_name="Asha", last_name="Rao")
    parent = await add_user(db_session, "parent", first_name="Lata", last_name="Rao")
    issued = await client.post(f"{API}/family/invites", headers=as_account("student", student))
    assert issued.status_code == 201, issued.text
    assert issued.headers["cache-control"] == "no-store"
    code = issued.json()["code"]
    assert CODE_SHAPE.fullmatch(code), code
    expires = datetime.fromisoformat(issued.json()["expires_at"])
    assert timedelta(hours=47) < expires - datetime.now(UTC) <= timedelta(hours=48, minutes=1)
    stored = (
        await db_session.execute(
            text(
                "SELECT token_hash, purpose FROM mathvidya.account_tokens"
                " WHERE user_id = :s AND used_at IS NULL"
            ),
            {"s": student},
        )
    ).one()
    assert stored.purpose == "family_invite" and code.replace("-", "") not in stored.token_hash
    [issued_entry] = await _audit(db_session, "family.invite_issued")
    assert issued_entry["entity_id"] == student and issued_entry["actor_user_id"] == student

    # Case, spaces and the dash do not matter.
    typed = " " + code.replace("-", "").lower()[:4] + " " + code.replace("-", "").lower()[4:]
    linked = await _redeem(client, parent, typed, "mother")
    assert linked.status_code == 201, linked.text
    child = linked.json()
    assert child == {
        "mapping_id": child["mapping_id"],
        "student_id": str(student),
        "first_name": "Asha",
        "last_name": "Rao",
        "student_class": "X",
        "relationship_type": "mother",
        "is_primary_contact": True,
    }
    assert await _children(client, parent) == [child]
    [mine] = await _parents(client, student)
    assert mine == {
        "mapping_id": child["mapping_id"],
        "parent_id": str(parent),
        "first_name": "Lata",
        "last_name": "Rao",
        "relationship_type": "mother",
        "is_primary_contact": True,
    }
    [entry] = await _audit(db_session, "family.linked")
    assert entry["entity_type"] == "parent_student_mapping"
    assert str(entry["entity_id"]) == child["mapping_id"]
    assert (entry["actor_user_id"], entry["actor_role"]) == (parent, "parent")
    assert entry["details"]["student_id"] == str(student)
    assert entry["details"]["is_primary_contact"] is True
    spent = (
        await db_session.execute(
            text("SELECT used_by_user_id FROM mathvidya.account_tokens WHERE user_id = :s"),
            {"s": student},
        )
    ).scalar_one()
    assert spent == parent


async def test_a_code_links_one_parent_only(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    first, second = await add_user(db_session, "parent"), await add_user(db_session, "parent")
    code = await _invite(client, student)
    assert (await _redeem(client, first, code)).status_code == 201
    again = await _redeem(client, second, code, "father")
    assert again.status_code == 404
    assert again.json()["error"] == {
        "code": "not_found",
        "message": INVITE_REFUSED,
        "details": {"field": "code"},
    }
    assert await _mappings(db_session, student) == [(first, True)]


async def test_an_already_linked_parent_gets_a_409_and_the_code_stays_usable(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    parent, other = await add_user(db_session, "parent"), await add_user(db_session, "parent")
    await _link(client, parent, student)
    code = await _invite(client, student)
    twice = await _redeem(client, parent, code, "father")
    assert twice.status_code == 409, twice.text
    assert "already linked" in twice.json()["error"]["message"]
    assert len(await _audit_about(db_session, "family.linked", student)) == 1
    # The refused redemption was rolled back whole: the code still links someone else.
    later = await _redeem(client, other, code, "guardian")
    assert later.status_code == 201, later.text
    assert later.json()["is_primary_contact"] is False
    assert sorted(await _mappings(db_session, student)) == sorted([(parent, True), (other, False)])


async def test_every_bad_code_is_the_same_404_and_links_nobody(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    parent = await add_user(db_session, "parent")
    superseded = await _invite(client, student)
    live = await _invite(client, student)  # cancels `superseded`
    expired_student = await add_user(db_session, "student")
    expired = await _invite(client, expired_student)
    await db_session.execute(
        text(
            "UPDATE mathvidya.account_tokens SET created_at = now() - interval '3 days',"
            " expires_at = now() - interval '1 day' WHERE user_id = :s"
        ),
        {"s": expired_student},
    )
    inactive_student = await add_user(db_session, "student")
    inactive = await _invite(client, inactive_student)
    await db_session.execute(
        text("UPDATE mathvidya.users SET is_active = false WHERE id = :s"),
        {"s": inactive_student},
    )
    for code in (superseded, expired, inactive, "ABCD-EFGH", "hello", "0O1I-L000", live + "X"):
        answer = await _redeem(client, parent, code)
        assert answer.status_code == 404, (code, answer.text)
        assert answer.json()["error"]["message"] == INVITE_REFUSED
    for other in (student, expired_student, inactive_student):
        assert await _mappings(db_session, other) == []
    assert await _audit(db_session, "family.linked") == []
    assert (await _redeem(client, parent, live)).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"relationship_type": "mother"}, "code"),
        ({"code": "", "relationship_type": "mother"}, "code"),
        ({"code": "x" * 33, "relationship_type": "mother"}, "code"),
        ({"code": 12345678, "relationship_type": "mother"}, "code"),
        ({"code": "ABCD-EFGH"}, "relationship_type"),
        ({"code": "ABCD-EFGH", "relationship_type": "uncle"}, "relationship_type"),
        ({"code": "ABCD-EFGH", "relationship_type": "mother", "student_id": "x"}, "student_id"),
    ],
)
async def test_a_malformed_link_request_names_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession, body: dict[str, Any], field: str
) -> None:
    parent = await add_user(db_session, "parent")
    answer = await client.post(
        f"{API}/family/links", json=body, headers=as_account("parent", parent)
    )
    assert answer.status_code == 422, answer.text
    assert field in {str(p["loc"][-1]) for p in answer.json()["error"]["details"]}


async def test_the_family_routes_admit_only_their_roles(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    ids = {role: await add_user(db_session, role) for role in ("student", "parent", "teacher")}
    ids["admin"] = await add_user(db_session, "admin")
    refused = [
        ("POST", "/family/invites", "parent"),
        ("POST", "/family/invites", "teacher"),
        ("POST", "/family/links", "student"),
        ("POST", "/family/links", "admin"),
        ("GET", "/family/children", "student"),
        ("GET", "/family/children", "teacher"),
        ("GET", "/family/parents", "parent"),
        ("GET", "/family/parents", "admin"),
        ("PUT", "/family/primary-contact", "teacher"),
        ("DELETE", f"/family/links/{uuid.uuid4()}", "admin"),
    ]
    for method, path, role in refused:
        answer = await client.request(method, API + path, headers=as_account(role, ids[role]))
        assert answer.status_code == 403, (method, path, role, answer.text)
    assert (await client.get(f"{API}/family/children")).status_code == 401


# ---- primary contact -----------------------------------------------------------------------


async def test_the_student_and_a_parent_choose_the_primary_contact(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    mother, father = await add_user(db_session, "parent"), await add_user(db_session, "parent")
    mother_link = await _link(client, mother, student)
    father_link = await _link(client, father, student)
    assert [p["is_primary_contact"] for p in await _parents(client, student)] == [True, False]

    chosen = await client.put(
        f"{API}/family/primary-contact",
        json={"mapping_id": father_link},
        headers=as_account("student", student),
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json() == {
        "mapping_id": father_link,
        "student_id": str(student),
        "parent_id": str(father),
        "is_primary_contact": True,
    }
    assert sorted(await _mappings(db_session, student)) == sorted([(mother, False), (father, True)])
    [entry] = await _audit(db_session, "family.primary_contact_changed")
    assert entry["actor_user_id"] == student
    assert entry["details"]["previous_parent_id"] == str(mother)

    # A parent makes themselves primary; choosing the current primary changes nothing.
    mine = await client.put(
        f"{API}/family/primary-contact",
        json={"mapping_id": mother_link},
        headers=as_account("parent", mother),
    )
    assert mine.status_code == 200 and mine.json()["parent_id"] == str(mother)
    again = await client.put(
        f"{API}/family/primary-contact",
        json={"mapping_id": mother_link},
        headers=as_account("parent", mother),
    )
    assert again.status_code == 200
    assert len(await _audit(db_session, "family.primary_contact_changed")) == 2
    assert sorted(await _mappings(db_session, student)) == sorted([(mother, True), (father, False)])
    # A parent cannot hand the role to (or take it from) another parent's link.
    theirs = await client.put(
        f"{API}/family/primary-contact",
        json={"mapping_id": father_link},
        headers=as_account("parent", mother),
    )
    assert theirs.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "mapping_id"), ({"mapping_id": "not-a-uuid"}, "mapping_id"), ({"x": 1}, "x")],
)
async def test_a_malformed_primary_contact_change_names_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession, body: dict[str, Any], field: str
) -> None:
    student = await add_user(db_session, "student")
    answer = await client.put(
        f"{API}/family/primary-contact", json=body, headers=as_account("student", student)
    )
    assert answer.status_code == 422, answer.text
    assert field in {str(p["loc"][-1]) for p in answer.json()["error"]["details"]}


# ---- unlinking -----------------------------------------------------------------------------


async def test_either_side_unlinks_and_the_next_parent_becomes_primary(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    mother, father = await add_user(db_session, "parent"), await add_user(db_session, "parent")
    mother_link = await _link(client, mother, student)
    father_link = await _link(client, father, student)

    gone = await client.delete(
        f"{API}/family/links/{mother_link}", headers=as_account("parent", mother)
    )
    assert gone.status_code == 204, gone.text
    assert await _children(client, mother) == []
    assert await _mappings(db_session, student) == [(father, True)]
    [entry] = await _audit(db_session, "family.unlinked")
    assert (entry["actor_user_id"], str(entry["entity_id"])) == (mother, mother_link)
    assert entry["details"]["was_primary_contact"] is True
    assert entry["details"]["promoted_mapping_id"] == father_link
    assert entry["details"]["student_id"] == str(student)

    # The mother's old link is gone for everyone; the student unlinks the father.
    again = await client.delete(
        f"{API}/family/links/{mother_link}", headers=as_account("parent", mother)
    )
    assert again.status_code == 404
    by_student = await client.delete(
        f"{API}/family/links/{father_link}", headers=as_account("student", student)
    )
    assert by_student.status_code == 204
    assert await _parents(client, student) == []
    assert len(await _audit(db_session, "family.unlinked")) == 2


async def test_nobody_else_can_unlink_or_touch_a_link(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    parent = await add_user(db_session, "parent")
    link = await _link(client, parent, student)
    stranger_parent = await add_user(db_session, "parent")
    other_student = await add_user(db_session, "student")
    for role, user_id in (("parent", stranger_parent), ("student", other_student)):
        removed = await client.delete(
            f"{API}/family/links/{link}", headers=as_account(role, user_id)
        )
        assert removed.status_code == 404, removed.text
        primary = await client.put(
            f"{API}/family/primary-contact",
            json={"mapping_id": link},
            headers=as_account(role, user_id),
        )
        assert primary.status_code == 404
        assert removed.json()["error"]["message"] == primary.json()["error"]["message"]
    assert await _mappings(db_session, student) == [(parent, True)]
    assert await _audit(db_session, "family.unlinked") == []


# ---- child protection ----------------------------------------------------------------------


async def test_each_side_sees_only_its_own_links(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """Parent P has children A and B; parent Q is linked to A only; parent R to nobody.
    A never learns of B (P's other child), Q never of B nor of P, R of nobody."""
    a = await add_user(db_session, "student", first_name="Anil")
    b = await add_user(db_session, "student", first_name="Bina")
    p = await add_user(db_session, "parent", first_name="Priya")
    q = await add_user(db_session, "parent", first_name="Qadir")
    r = await add_user(db_session, "parent", first_name="Rohan")
    await _link(client, p, a)
    await _link(client, p, b)
    await _link(client, q, a)

    assert {c["student_id"] for c in await _children(client, p)} == {str(a), str(b)}
    q_view = await client.get(f"{API}/family/children", headers=as_account("parent", q))
    assert [c["student_id"] for c in q_view.json()] == [str(a)]
    assert str(b) not in q_view.text and "Bina" not in q_view.text
    assert str(p) not in q_view.text and "Priya" not in q_view.text
    assert await _children(client, r) == []

    a_view = await client.get(f"{API}/family/parents", headers=as_account("student", a))
    assert {x["parent_id"] for x in a_view.json()} == {str(p), str(q)}
    assert str(b) not in a_view.text and "Bina" not in a_view.text
    a_me = await client.get(f"{API}/me", headers=as_account("student", a))
    assert str(b) not in a_me.text
    b_view = await client.get(f"{API}/family/parents", headers=as_account("student", b))
    assert [x["parent_id"] for x in b_view.json()] == [str(p)]
    assert str(a) not in b_view.text and str(q) not in b_view.text

    # The rule every object route applies (service/ownership.py) agrees.
    def actor(user_id: uuid.UUID, role: UserRole) -> Actor:
        return Actor(user_id, role, "someone")

    async def reads(who: Actor, student: uuid.UUID) -> bool:
        return await may_read_student(db_session, who, student)

    assert await reads(actor(p, UserRole.PARENT), a) and await reads(actor(p, UserRole.PARENT), b)
    assert await reads(actor(q, UserRole.PARENT), a)
    assert not await reads(actor(q, UserRole.PARENT), b)
    assert not await reads(actor(r, UserRole.PARENT), a)
    assert not await reads(actor(a, UserRole.STUDENT), b)
    assert not await reads(actor(b, UserRole.STUDENT), a)


async def test_once_unlinked_a_parent_no_longer_reaches_the_child(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    parent = await add_user(db_session, "parent")
    link = await _link(client, parent, student)
    parent_actor = Actor(parent, UserRole.PARENT, "parent")
    assert await may_read_student(db_session, parent_actor, student)
    await client.delete(f"{API}/family/links/{link}", headers=as_account("student", student))
    assert await _children(client, parent) == []
    assert not await may_read_student(db_session, parent_actor, student)


async def test_a_parent_guessing_codes_is_throttled(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    guesser = await add_user(db_session, "parent")
    for _ in range(10):
        assert (await _redeem(client, guesser, "ABCD-EFGH")).status_code == 404
    code = await _invite(client, student)
    blocked = await _redeem(client, guesser, code)
    assert blocked.status_code == 429, blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    assert await _mappings(db_session, student) == []
    # Another parent is not affected, and the code was not spent by the refused attempt.
    assert (await _redeem(client, await add_user(db_session, "parent"), code)).status_code == 201
