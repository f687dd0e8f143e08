"""Subscriptions (issue 15, acceptance 3): buying, listing with the month's quota, admin
activation refused on overlap (409 naming the period, the exclusion constraint deciding),
renewal, upgrade with its credit, cancellation, expiry; and the India-time month arithmetic."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.calendar_ist import (
    IST,
    add_years,
    exams_remaining,
    financial_year,
    ist_month_start,
    next_reset,
)
from lyceum.mathvidya.repository.catalogue import expire_ended_subscriptions
from lyceum.mathvidya.service import subscriptions as subscription_service
from tests.mathvidya.calls import as_account
from tests.mathvidya.rows import add, add_subscription, add_user, count_rows, fetch_row

API = "/api/mathvidya"


# ---- helpers (test_billing.py uses them too) -----------------------------------------------


async def family(db: AsyncSession) -> tuple[uuid.UUID, uuid.UUID]:
    """A student and a parent linked to them."""
    student = await add_user(db, "student")
    parent = await add_user(db, "parent")
    await add(db, "parent_student_mappings", parent_user_id=parent, student_user_id=student)
    return student, parent


async def actions(db: AsyncSession, entity_id: uuid.UUID) -> list[str]:
    rows = await db.execute(
        text(
            "SELECT action FROM mathvidya.audit_logs WHERE entity_id = :id"
            " ORDER BY occurred_at, action"
        ),
        {"id": entity_id},
    )
    return list(rows.scalars())


def now() -> datetime:
    return datetime.now(UTC)


async def running(
    db: AsyncSession, student: uuid.UUID, plan_type: str = "basic", **overrides: Any
) -> uuid.UUID:
    """An active subscription in force now (from 30 days ago to 335 days ahead)."""
    values: dict[str, Any] = {
        "user_id": student,
        "status": "active",
        "starts_at": now() - timedelta(days=30),
        "ends_at": now() + timedelta(days=335),
        "usage_month": ist_month_start(now()),
    }
    values.update(overrides)
    return await add_subscription(db, plan_type, **values)


async def pending(
    db: AsyncSession, student: uuid.UUID, start: datetime, **overrides: Any
) -> uuid.UUID:
    values: dict[str, Any] = {
        "user_id": student,
        "status": "pending",
        "starts_at": start,
        "ends_at": add_years(start),
        "payment_reference": None,
        "amount_paid_inr": Decimal(0),
        "purchased_by_user_id": student,
    }
    values.update(overrides)
    return await add_subscription(db, **values)


# ---- the India-time calendar ----------------------------------------------------------------


def test_months_are_counted_in_india_time() -> None:
    # 31 March 20:00 UTC is 1 April 01:30 in India: an April moment.
    late_march_utc = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    assert ist_month_start(late_march_utc) == date(2026, 4, 1)
    assert next_reset(late_march_utc) == date(2026, 5, 1)
    assert ist_month_start(datetime(2026, 3, 31, 18, 29, tzinfo=UTC)) == date(2026, 3, 1)
    assert next_reset(datetime(2026, 12, 15, tzinfo=IST)) == date(2027, 1, 1)
    assert financial_year(datetime(2026, 3, 31, 18, 29, tzinfo=UTC)) == "2025-26"
    assert financial_year(late_march_utc) == "2026-27"
    with pytest.raises(ValueError, match="time zone"):
        ist_month_start(datetime(2026, 1, 1))


def test_a_counter_of_an_earlier_month_counts_as_nothing_used() -> None:
    at = datetime(2026, 5, 10, tzinfo=IST)
    assert exams_remaining(5, 3, date(2026, 5, 1), at) == 2
    assert exams_remaining(5, 5, date(2026, 4, 1), at) == 5
    assert exams_remaining(5, 5, date(2026, 5, 1), at) == 0


def test_a_year_later_keeps_the_india_wall_clock() -> None:
    leap = datetime(2028, 2, 29, 10, 0, tzinfo=IST)
    assert add_years(leap) == datetime(2029, 2, 28, 10, 0, tzinfo=IST)
    assert add_years(datetime(2026, 4, 1, tzinfo=UTC)) == datetime(2027, 4, 1, tzinfo=UTC)


# ---- buying ----------------------------------------------------------------------------------


async def test_a_student_buys_a_plan_for_themself_pending_with_the_plans_terms(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    before = now()
    answer = await client.post(
        f"{API}/subscriptions",
        json={"plan_type": "premium"},
        headers=as_account("student", student),
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "pending" and body["student_id"] == str(student)
    assert (body["exams_per_month"], body["sla_hours"], body["leaderboard_access"]) == (
        50,
        48,
        True,
    )
    assert Decimal(body["price_inr"]) == Decimal("9999.00")
    starts = datetime.fromisoformat(body["starts_at"])
    assert before - timedelta(seconds=5) <= starts <= now()
    assert datetime.fromisoformat(body["ends_at"]) == add_years(starts)
    row = await fetch_row(db_session, "subscriptions", uuid.UUID(body["id"]))
    assert row is not None and row["purchased_by_user_id"] == student
    assert row["usage_month"] == ist_month_start(now())
    assert await actions(db_session, row["id"]) == ["subscription.requested"]


async def test_a_linked_parent_buys_for_the_child_and_an_unlinked_one_cannot(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student, parent = await family(db_session)
    stranger = await add_user(db_session, "parent")
    answer = await client.post(
        f"{API}/subscriptions",
        json={"plan_type": "basic", "student_id": str(student)},
        headers=as_account("parent", parent),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["purchased_by_user_id"] == str(parent)
    refused = await client.post(
        f"{API}/subscriptions",
        json={"plan_type": "basic", "student_id": str(student)},
        headers=as_account("parent", stranger),
    )
    assert refused.status_code == 404
    # A student cannot buy for another student either.
    other = await add_user(db_session, "student")
    sideways = await client.post(
        f"{API}/subscriptions",
        json={"plan_type": "basic", "student_id": str(other)},
        headers=as_account("student", student),
    )
    assert sideways.status_code == 404
    assert await count_rows(db_session, "subscriptions", user_id=student) == 1
    assert await count_rows(db_session, "subscriptions", user_id=other) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plan_type": "platinum"}, "plan_type"),
        ({}, "plan_type"),
        ({"plan_type": "basic", "student_id": "not-a-uuid"}, "student_id"),
        ({"plan_type": "basic", "auto_renew": True}, "auto_renew"),
    ],
)
async def test_bad_input_to_subscribe_is_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, body: dict[str, Any], field: str
) -> None:
    student = await add_user(db_session, "student")
    answer = await client.post(
        f"{API}/subscriptions", json=body, headers=as_account("student", student)
    )
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert await count_rows(db_session, "subscriptions", user_id=student) == 0


async def test_a_parent_must_name_the_child(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, parent = await family(db_session)
    answer = await client.post(
        f"{API}/subscriptions", json={"plan_type": "basic"}, headers=as_account("parent", parent)
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == {"field": "student_id"}


async def test_a_second_pending_subscription_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    headers = as_account("student", student)
    first = await client.post(f"{API}/subscriptions", json={"plan_type": "basic"}, headers=headers)
    assert first.status_code == 201
    second = await client.post(
        f"{API}/subscriptions", json={"plan_type": "centum"}, headers=headers
    )
    assert second.status_code == 409
    assert "awaiting payment" in second.json()["error"]["message"]
    assert await count_rows(db_session, "subscriptions", user_id=student) == 1


async def test_buying_while_subscribed_is_a_renewal_starting_when_the_current_one_ends(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    current = await running(db_session, student)
    held = await fetch_row(db_session, "subscriptions", current)
    assert held is not None
    answer = await client.post(
        f"{API}/subscriptions/{current}/renew", headers=as_account("student", student)
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert datetime.fromisoformat(body["starts_at"]) == held["ends_at"]
    assert body["plan_type"] == "basic" and body["status"] == "pending"


# ---- listing ---------------------------------------------------------------------------------


async def test_the_list_puts_the_current_one_first_with_the_months_remaining_exams(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student, parent = await family(db_session)
    old = await add_subscription(
        db_session,
        user_id=student,
        status="expired",
        starts_at=now() - timedelta(days=400),
        ends_at=now() - timedelta(days=35),
    )
    current = await running(db_session, student, exams_used_this_month=3)
    renewal = await pending(db_session, student, now() + timedelta(days=335))
    for role, who in (("student", student), ("parent", parent)):
        answer = await client.get(
            f"{API}/subscriptions",
            params={"student_id": str(student)},
            headers=as_account(role, who),
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["subscriptions"][0]["id"] == str(current)
        assert {item["id"] for item in body["subscriptions"]} == {
            str(old),
            str(current),
            str(renewal),
        }
        assert body["current_subscription_id"] == str(current)
        assert body["exams_remaining_this_month"] == 2
        assert body["quota_resets_on"] == next_reset(now()).isoformat()
        assert [item["is_current"] for item in body["subscriptions"]] == [True, False, False]
    # A student may leave student_id out.
    own = await client.get(f"{API}/subscriptions", headers=as_account("student", student))
    assert own.json()["current_subscription_id"] == str(current)


async def test_a_last_months_counter_leaves_the_whole_quota(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    last_month = (ist_month_start(now()) - timedelta(days=1)).replace(day=1)
    await running(db_session, student, exams_used_this_month=5, usage_month=last_month)
    answer = await client.get(f"{API}/subscriptions", headers=as_account("student", student))
    assert answer.json()["exams_remaining_this_month"] == 5


async def test_subscriptions_are_hidden_from_everyone_else(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student, _ = await family(db_session)
    await running(db_session, student)
    stranger = await add_user(db_session, "parent")
    other = await add_user(db_session, "student")
    admin = await add_user(db_session, "admin")
    teacher = await add_user(db_session, "teacher")
    params = {"student_id": str(student)}
    for role, who, expected in (
        ("parent", stranger, 404),
        ("student", other, 404),
        ("admin", admin, 200),
        ("teacher", teacher, 403),
    ):
        answer = await client.get(
            f"{API}/subscriptions", params=params, headers=as_account(role, who)
        )
        assert answer.status_code == expected, (role, answer.text)


async def test_an_expired_subscription_no_longer_counts_as_current(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    ended = await add_subscription(
        db_session,
        user_id=student,
        status="active",
        starts_at=now() - timedelta(days=366),
        ends_at=now() - timedelta(minutes=1),
    )
    headers = as_account("student", student)
    # Even before the nightly job runs, a period that is over is not in force.
    before = (await client.get(f"{API}/subscriptions", headers=headers)).json()
    assert before["current_subscription_id"] is None and before["exams_remaining_this_month"] == 0
    assert await expire_ended_subscriptions(db_session, at=now()) >= 1
    after = (await client.get(f"{API}/subscriptions", headers=headers)).json()
    assert after["current_subscription_id"] is None
    assert after["subscriptions"][0]["id"] == str(ended)
    assert after["subscriptions"][0]["status"] == "expired"


# ---- activation --------------------------------------------------------------------------------


async def test_an_admin_activates_a_pending_subscription(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    admin = await add_user(db_session, "admin")
    planned = now() - timedelta(days=2)
    waiting = await pending(db_session, student, planned)
    answer = await client.post(
        f"{API}/admin/subscriptions/{waiting}/activate", headers=as_account("admin", admin)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "active" and body["is_current"]
    starts = datetime.fromisoformat(body["starts_at"])
    assert starts > planned  # the later of now and the planned start
    assert datetime.fromisoformat(body["ends_at"]) == add_years(starts)
    assert await actions(db_session, waiting) == ["subscription.activated"]
    again = await client.post(
        f"{API}/admin/subscriptions/{waiting}/activate", headers=as_account("admin", admin)
    )
    assert again.status_code == 409
    student_try = await client.post(
        f"{API}/admin/subscriptions/{waiting}/activate", headers=as_account("student", student)
    )
    assert student_try.status_code == 403
    missing = await client.post(
        f"{API}/admin/subscriptions/{uuid.uuid4()}/activate", headers=as_account("admin", admin)
    )
    assert missing.status_code == 404


async def test_activating_an_overlapping_period_is_409_naming_it(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    admin = await add_user(db_session, "admin")
    first = await pending(db_session, student, now())
    second = await pending(db_session, student, now() + timedelta(days=100))
    ok = await client.post(
        f"{API}/admin/subscriptions/{first}/activate", headers=as_account("admin", admin)
    )
    assert ok.status_code == 200, ok.text
    refused = await client.post(
        f"{API}/admin/subscriptions/{second}/activate", headers=as_account("admin", admin)
    )
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert "already has an active subscription from" in error["message"]
    assert error["details"]["overlapping_subscription_id"] == str(first)
    shown = datetime.fromisoformat(ok.json()["starts_at"]).astimezone(IST).strftime("%d %b %Y")
    assert shown in error["message"]
    row = await fetch_row(db_session, "subscriptions", second)
    assert row is not None and row["status"] == "pending"


async def test_the_exclusion_constraint_decides_when_the_check_misses_the_overlap(
    client: httpx.AsyncClient, db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent activation can slip past the friendly check; the constraint still
    refuses, and the answer is the same 409."""
    student = await add_user(db_session, "student")
    admin = await add_user(db_session, "admin")
    await running(db_session, student)
    late = await pending(db_session, student, now())
    calls = 0

    async def blind_first(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await real(*args, **kwargs)

    real = subscription_service.find_overlap
    monkeypatch.setattr(subscription_service, "find_overlap", blind_first)
    refused = await client.post(
        f"{API}/admin/subscriptions/{late}/activate", headers=as_account("admin", admin)
    )
    assert refused.status_code == 409, refused.text
    assert "already has an active subscription" in refused.json()["error"]["message"]
    assert calls == 2
    row = await fetch_row(db_session, "subscriptions", late)
    assert row is not None and row["status"] == "pending"


# ---- cancellation and upgrade -------------------------------------------------------------


async def test_cancel_by_owner_paying_parent_or_admin_only(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student, parent = await family(db_session)
    other_parent = await add_user(db_session, "parent")
    await add(
        db_session, "parent_student_mappings", parent_user_id=other_parent, student_user_id=student
    )
    stranger = await add_user(db_session, "student")
    paid_by_parent = await running(db_session, student, purchased_by_user_id=parent)

    url = f"{API}/subscriptions/{paid_by_parent}/cancel"
    assert (await client.post(url, headers=as_account("student", stranger))).status_code == 404
    assert (await client.post(url, headers=as_account("parent", other_parent))).status_code == 403
    too_long = await client.post(
        url, json={"reason": "x" * 501}, headers=as_account("parent", parent)
    )
    assert too_long.status_code == 422 and "reason" in too_long.text
    answer = await client.post(
        url, json={"reason": "Moving abroad"}, headers=as_account("parent", parent)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "cancelled" and body["cancellation_reason"] == "Moving abroad"
    assert body["cancelled_at"] is not None and not body["is_current"]
    assert await actions(db_session, paid_by_parent) == ["subscription.cancelled"]
    again = await client.post(url, headers=as_account("student", student))
    assert again.status_code == 409


async def test_an_upgrade_cancels_the_current_plan_and_credits_its_unused_days(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student, parent = await family(db_session)
    # Half a year used of a basic plan paid 2999: about 1500 of value left, which buys
    # about 54 days of premium (9999 a year).
    start = now() - timedelta(days=182)
    current = await running(
        db_session,
        student,
        starts_at=start,
        ends_at=add_years(start),
        amount_paid_inr=Decimal("2999.00"),
        exams_used_this_month=4,
    )
    answer = await client.post(
        f"{API}/subscriptions/{current}/upgrade",
        json={"plan_type": "premium"},
        headers=as_account("parent", parent),
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["plan_type"] == "premium" and body["status"] == "pending"
    starts, ends = (datetime.fromisoformat(body[key]) for key in ("starts_at", "ends_at"))
    credit = ends - add_years(starts)
    expected = subscription_service.upgrade_credit(
        Decimal("2999.00"), start, add_years(start), starts, Decimal("9999.00")
    )
    assert credit == expected and 50 <= credit.days <= 56
    old = await fetch_row(db_session, "subscriptions", current)
    assert old is not None and old["status"] == "cancelled"
    assert old["cancellation_reason"] == "upgraded to Premium Plan"
    new = await fetch_row(db_session, "subscriptions", uuid.UUID(body["id"]))
    assert new is not None and new["exams_used_this_month"] == 4
    # Activated, the credit is kept.
    admin = await add_user(db_session, "admin")
    active = await client.post(
        f"{API}/admin/subscriptions/{body['id']}/activate", headers=as_account("admin", admin)
    )
    assert active.status_code == 200, active.text
    a_starts = datetime.fromisoformat(active.json()["starts_at"])
    assert datetime.fromisoformat(active.json()["ends_at"]) == add_years(a_starts) + credit


async def test_an_upgrade_must_be_to_a_higher_plan(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student = await add_user(db_session, "student")
    current = await running(db_session, student, plan_type="premium")
    answer = await client.post(
        f"{API}/subscriptions/{current}/upgrade",
        json={"plan_type": "basic"},
        headers=as_account("student", student),
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == {"field": "plan_type"}
    row = await fetch_row(db_session, "subscriptions", current)
    assert row is not None and row["status"] == "active"
    assert await count_rows(db_session, "subscriptions", user_id=student) == 1
