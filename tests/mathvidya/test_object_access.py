"""Child protection, route by route (issue 15 item 2): every route that names one student's
object — an exam, a subscription, a payment's invoice, a family link, an account — called by
each of six people: the owner (the student), their linked parent (who paid), a parent not
linked to them, another student, a teacher and an admin. Each call either reaches the object
(any answer but 401/403/404, and for a list the object in it) or is refused; the table below
says which, and the test counts every call that goes the other way. The target is zero.

Each call runs inside a savepoint that is rolled back, so a renewal, a cancellation or a
hand-in by one person does not change what the next person meets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tests.fixtures.tokens import token_for
from tests.mathvidya.exam_fixtures import add_bank, add_student, mcq_template
from tests.mathvidya.rows import add, add_user

API = "/api/mathvidya"
OWNER, LINKED, UNLINKED, OTHER, TEACHER, ADMIN = (
    "owner", "linked parent", "unlinked parent", "other student", "teacher", "admin",
)  # fmt: skip
PEOPLE = (OWNER, LINKED, UNLINKED, OTHER, TEACHER, ADMIN)
ROLE = {
    OWNER: "student", LINKED: "parent", UNLINKED: "parent",
    OTHER: "student", TEACHER: "teacher", ADMIN: "admin",
}  # fmt: skip


@dataclass(frozen=True)
class World:
    ids: dict[str, uuid.UUID]
    exam: str
    subscription: str
    pending: str
    payment: str
    mapping: str


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    allowed: frozenset[str]
    body: dict[str, Any] | None = None
    # For a list: whether the answer holds the object (else any non-refusal counts).
    holds: Callable[[Any], bool] | None = None
    page: bool = False


async def build(client: httpx.AsyncClient, db: AsyncSession) -> World:
    await add_bank(db)
    owner = await add_student(db)
    template = await mcq_template(db)
    linked = await add_user(db, "parent")
    ids = {
        OWNER: owner,
        LINKED: linked,
        UNLINKED: await add_user(db, "parent"),
        OTHER: await add_user(db, "student", student_class="XII"),
        TEACHER: await add_user(db, "teacher"),
        ADMIN: await add_user(db, "admin"),
    }
    mapping = await add(
        db,
        "parent_student_mappings",
        parent_user_id=linked,
        student_user_id=owner,
        relationship_type="father",
        is_primary_contact=True,
    )
    owner_headers = token_for("mathvidya:student", subject=str(owner))
    made = await client.post(
        f"{API}/exams", json={"template_id": str(template)}, headers=owner_headers
    )
    assert made.status_code == 201, made.text
    exam = made.json()["id"]
    started = await client.post(f"{API}/exams/{exam}/start", headers=owner_headers)
    assert started.status_code == 200, started.text
    subs = await client.get(f"{API}/subscriptions", headers=owner_headers)
    subscription = subs.json()["current_subscription_id"]
    # A pending renewal the linked parent bought, and a payment they made for it.
    parent_headers = token_for("mathvidya:parent", subject=str(linked))
    pending = await client.post(
        f"{API}/subscriptions",
        json={"plan_type": "premium", "student_id": str(owner)},
        headers=parent_headers,
    )
    assert pending.status_code == 201, pending.text
    payment = await add(
        db,
        "payments",
        subscription_id=uuid.UUID(subscription),
        payer_user_id=linked,
        provider_payment_id=f"pay_{uuid.uuid4().hex[:12]}",
        invoice_number=f"MV/TEST/{uuid.uuid4().hex[:8]}",
    )
    return World(ids, exam, subscription, pending.json()["id"], str(payment), str(mapping))


def calls(world: World) -> list[Call]:
    owner = str(world.ids[OWNER])
    readers = frozenset({OWNER, LINKED, ADMIN})
    buyers = frozenset({OWNER, LINKED})
    now = datetime.now(UTC).isoformat()
    exam, sub = world.exam, world.subscription

    def holds(key: str, value: str) -> Callable[[Any], bool]:
        def check(answer: Any) -> bool:
            items = answer if isinstance(answer, list) else answer.get("subscriptions", [])
            return any(str(item.get(key)) == value for item in items)

        return check

    return [
        Call("GET", f"{API}/exams/{exam}", readers),
        Call("GET", f"/mathvidya/exams/{exam}", readers, page=True),
        Call("GET", f"{API}/exams?student_id={owner}", readers, holds=holds("id", exam)),
        Call("POST", f"{API}/exams/{exam}/start", frozenset({OWNER})),
        Call(
            "PUT",
            f"{API}/exams/{exam}/answers/1",
            frozenset({OWNER}),
            {"selected_option": "B", "answered_at": now},
        ),
        Call("PUT", f"{API}/exams/{exam}/unanswered/2", frozenset({OWNER}), {"declared_at": now}),
        Call("POST", f"{API}/exams/{exam}/submit", frozenset({OWNER})),
        Call(
            "GET",
            f"{API}/subscriptions?student_id={owner}",
            readers,
            holds=holds("id", sub),
        ),
        Call("POST", f"{API}/subscriptions/{sub}/renew", buyers),
        Call("POST", f"{API}/subscriptions/{sub}/upgrade", buyers, {"plan_type": "centum"}),
        # The current plan was bought by the student: their parent may not cancel it; the
        # renewal the parent bought, they may.
        Call("POST", f"{API}/subscriptions/{sub}/cancel", frozenset({OWNER, ADMIN}), {}),
        Call("POST", f"{API}/subscriptions/{world.pending}/cancel", readers, {}),
        Call("POST", f"{API}/admin/subscriptions/{world.pending}/activate", frozenset({ADMIN})),
        # The invoice is the payer's (the linked parent's) tax document.
        Call("GET", f"{API}/payments/{world.payment}/invoice.pdf", frozenset({LINKED, ADMIN})),
        Call(
            "GET",
            f"{API}/payments?student_id={owner}",
            readers,
            holds=holds("id", world.payment),
        ),
        Call(
            "GET",
            f"{API}/family/parents",
            frozenset({OWNER}),
            holds=holds("mapping_id", world.mapping),
        ),
        Call(
            "GET",
            f"{API}/family/children",
            frozenset({LINKED}),
            holds=holds("mapping_id", world.mapping),
        ),
        Call(
            "PUT",
            f"{API}/family/primary-contact",
            buyers,
            {"mapping_id": world.mapping},
        ),
        Call("DELETE", f"{API}/family/links/{world.mapping}", buyers),
        Call("PATCH", f"{API}/admin/users/{owner}", frozenset({ADMIN}), {"is_active": False}),
    ]


def reached(call: Call, answer: httpx.Response) -> bool:
    if answer.status_code in (401, 403, 404):
        return False
    assert answer.status_code < 500, f"{call.method} {call.path}: {answer.text}"
    if call.holds is not None:
        return answer.status_code == 200 and call.holds(answer.json())
    return True


async def test_every_object_route_admits_exactly_whom_the_rule_says(
    client: httpx.AsyncClient, db_session: AsyncSession, db_connection: AsyncConnection
) -> None:
    world = await build(client, db_session)
    await db_session.flush()
    unexpected: list[str] = []
    checked = 0
    for call in calls(world):
        for person in PEOPLE:
            headers = token_for(f"mathvidya:{ROLE[person]}", subject=str(world.ids[person]))
            if call.page:
                headers["Accept"] = "text/html"
            savepoint = await db_connection.begin_nested()
            try:
                answer = await client.request(
                    call.method, call.path, json=call.body, headers=headers
                )
            finally:
                await savepoint.rollback()
            checked += 1
            got, wanted = reached(call, answer), person in call.allowed
            if got != wanted:
                verb = "reached" if got else "was refused"
                unexpected.append(
                    f"{person} {verb} {call.method} {call.path}: {answer.status_code}"
                )
    assert checked == len(calls(world)) * len(PEOPLE)
    assert unexpected == [], "\n".join(unexpected)
