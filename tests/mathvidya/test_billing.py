"""Payments (issue 15, acceptance 3): the provider's webhook (HMAC-verified, idempotent by
payment id, also under concurrent redelivery), the amount check, GST arithmetic, invoice
numbers, and the invoice PDF that only the payer and admins can download."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.core.errors import Unauthorized
from lyceum.mathvidya.calendar_ist import add_years, financial_year
from lyceum.mathvidya.invoicing import split_inclusive
from lyceum.mathvidya.invoicing.gst import format_invoice_number, invoice_prefix
from lyceum.mathvidya.service import billing
from tests.fixtures.app import asgi_client
from tests.mathvidya.calls import as_account
from tests.mathvidya.rows import add, add_user, count_rows, fetch_row
from tests.mathvidya.test_subscriptions import actions, family, now, pending

API = "/api/mathvidya"
WEBHOOK = f"{API}/payments/webhook"
SECRET = billing.DEVELOPMENT_SECRET  # the test server runs with ENV=development


def event(subscription_id: uuid.UUID, /, **overrides: Any) -> dict[str, Any]:
    return {
        "event": "payment.captured",
        "payment_id": f"pay_{uuid.uuid4().hex[:14]}",
        "subscription_id": str(subscription_id),
        "amount_inr": "2999.00",
        **overrides,
    }


def signed(
    document: dict[str, Any] | bytes, *, secret: str = SECRET, timestamp: str | None = None
) -> tuple[bytes, dict[str, str]]:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Mathvidya-Signature": billing.sign(secret, body, timestamp),
    }
    if timestamp is not None:
        headers["X-Mathvidya-Timestamp"] = timestamp
    return body, headers


async def deliver(
    client: httpx.AsyncClient, document: dict[str, Any] | bytes, **kwargs: Any
) -> httpx.Response:
    body, headers = signed(document, **kwargs)
    return await client.post(WEBHOOK, content=body, headers=headers)


async def bought(db: AsyncSession) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """(student, paying parent, the pending basic subscription the parent bought)."""
    student, parent = await family(db)
    subscription = await pending(db, student, now(), purchased_by_user_id=parent)
    return student, parent, subscription


def pdf_text(content: bytes) -> str:
    """The PDF's text: its streams inflated (fpdf2 compresses page content)."""
    parts = [content.decode("latin-1")]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.DOTALL):
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(parts)


# ---- pure arithmetic -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "price", ["2999.00", "4999.00", "9999.00", "14999.00", "0.01", "1.00", "100.05"]
)
def test_the_gst_split_adds_up_to_the_paisa(price: str) -> None:
    split = split_inclusive(Decimal(price))
    assert split.taxable + split.gst == split.total == Decimal(price)
    assert split.cgst + split.sgst == split.gst
    assert abs(split.cgst - split.sgst) <= Decimal("0.01")
    for part in (split.taxable, split.gst, split.cgst, split.sgst):
        assert part == part.quantize(Decimal("0.01")) and part >= 0


def test_the_split_of_the_basic_plan_rounds_half_up() -> None:
    split = split_inclusive(Decimal("2999"))
    # 2999 / 1.18 = 2541.5254... → 2541.53; GST 457.47 = CGST 228.74 (228.735 up) + SGST 228.73.
    assert (split.taxable, split.gst, split.cgst, split.sgst) == (
        Decimal("2541.53"),
        Decimal("457.47"),
        Decimal("228.74"),
        Decimal("228.73"),
    )


def test_invoice_numbers_name_the_indian_financial_year() -> None:
    april = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
    assert invoice_prefix(april) == "MV/2026-27/"
    assert invoice_prefix(datetime(2027, 3, 31, 12, tzinfo=UTC)) == "MV/2026-27/"
    assert format_invoice_number("MV/2026-27/", 42) == "MV/2026-27/000042"
    assert format_invoice_number("MV/2026-27/", 1234567) == "MV/2026-27/1234567"


def test_a_signature_compares_the_whole_hmac() -> None:
    body = b'{"a": 1}'
    good = billing.sign("s3cret", body)
    billing.verify_signature("s3cret", body, good, None)
    for bad in (
        good[:-1] + ("0" if good[-1] != "0" else "1"),
        good.upper(),
        "",
        "sha256=",
        good[7:],
    ):
        with pytest.raises(Unauthorized):
            billing.verify_signature("s3cret", body, bad, None)
    stamp = "1800000000"
    billing.verify_signature(
        "s3cret", body, billing.sign("s3cret", body, stamp), stamp, now=1800000100
    )
    with pytest.raises(Unauthorized, match="five minutes"):
        billing.verify_signature(
            "s3cret", body, billing.sign("s3cret", body, stamp), stamp, now=1800000301
        )


# ---- the webhook -----------------------------------------------------------------------------


async def test_a_captured_payment_is_recorded_invoiced_and_activates_the_subscription(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, parent, subscription = await bought(db_session)
    document = event(subscription)
    answer = await deliver(client, document)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "recorded" and body["subscription_id"] == str(subscription)
    assert re.fullmatch(rf"MV/{financial_year(now())}/\d{{6,}}", body["invoice_number"])
    payment = await fetch_row(db_session, "payments", uuid.UUID(body["payment_id"]))
    assert payment is not None
    assert payment["provider_payment_id"] == document["payment_id"]
    assert payment["payer_user_id"] == parent
    assert (payment["amount_inr"], payment["taxable_value_inr"], payment["gst_inr"]) == (
        Decimal("2999.00"),
        Decimal("2541.53"),
        Decimal("457.47"),
    )
    held = await fetch_row(db_session, "subscriptions", subscription)
    assert held is not None and held["status"] == "active"
    assert held["payment_reference"] == document["payment_id"]
    assert held["amount_paid_inr"] == Decimal("2999.00")
    assert held["ends_at"] == add_years(held["starts_at"])
    assert await actions(db_session, subscription) == ["subscription.activated"]
    assert await actions(db_session, payment["id"]) == ["payment.captured"]
    # Numbers come from the sequence: the next payment's is higher.
    _, _, second = await bought(db_session)
    later = (await deliver(client, event(second))).json()["invoice_number"]
    assert int(later.rsplit("/", 1)[1]) > int(body["invoice_number"].rsplit("/", 1)[1])


async def test_a_redelivery_is_already_recorded_and_changes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, _, subscription = await bought(db_session)
    document = event(subscription)
    first = await deliver(client, document)
    assert first.status_code == 200
    before = await fetch_row(db_session, "subscriptions", subscription)
    again = await deliver(client, document)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "already recorded"
    assert again.json()["payment_id"] == first.json()["payment_id"]
    assert again.json()["invoice_number"] == first.json()["invoice_number"]
    assert await count_rows(db_session, "payments", provider_payment_id=document["payment_id"]) == 1
    assert await fetch_row(db_session, "subscriptions", subscription) == before
    assert await actions(db_session, subscription) == ["subscription.activated"]


@pytest.mark.parametrize(
    "signature",
    ["sha256=" + "0" * 64, "not-a-signature", "WRONG-SECRET"],
)
async def test_a_bad_signature_is_401_and_writes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, signature: str
) -> None:
    _, _, subscription = await bought(db_session)
    body = json.dumps(event(subscription)).encode()
    if signature == "WRONG-SECRET":
        signature = billing.sign("another-secret", body)
    answer = await client.post(WEBHOOK, content=body, headers={"X-Mathvidya-Signature": signature})
    assert answer.status_code == 401
    assert "signature" in answer.json()["error"]["message"]
    assert await count_rows(db_session, "payments", subscription_id=subscription) == 0
    held = await fetch_row(db_session, "subscriptions", subscription)
    assert held is not None and held["status"] == "pending"


async def test_a_missing_signature_is_422_and_a_tampered_body_401(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, _, subscription = await bought(db_session)
    missing = await client.post(WEBHOOK, json=event(subscription))
    assert missing.status_code == 422 and "x-mathvidya-signature" in missing.text.lower()
    body, headers = signed(event(subscription))
    tampered = body.replace(b"2999.00", b"0001.00")
    assert (await client.post(WEBHOOK, content=tampered, headers=headers)).status_code == 401
    assert await count_rows(db_session, "payments", subscription_id=subscription) == 0


async def test_a_stale_timestamp_is_refused_and_a_fresh_one_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, _, subscription = await bought(db_session)
    stale = await deliver(client, event(subscription), timestamp=str(int(time.time()) - 600))
    assert stale.status_code == 401 and "five minutes" in stale.json()["error"]["message"]
    fresh = await deliver(client, event(subscription), timestamp=str(int(time.time())))
    assert fresh.status_code == 200, fresh.text


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (b"{not json", "body"),
        ({"event": "payment.refunded"}, "event"),
        ({"amount_inr": 2999.0}, "amount_inr"),
        ({"amount_inr": "29,99"}, "amount_inr"),
        ({"subscription_id": "nope"}, "subscription_id"),
        ({"payment_id": ""}, "payment_id"),
    ],
)
async def test_a_malformed_event_is_422_naming_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession, document: Any, field: str
) -> None:
    _, _, subscription = await bought(db_session)
    if isinstance(document, dict):
        document = event(subscription, **document)
    answer = await deliver(client, document)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"]["field"] == field
    assert await count_rows(db_session, "payments", subscription_id=subscription) == 0


async def test_an_amount_other_than_the_plans_price_is_422_and_nothing_is_written(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, _, subscription = await bought(db_session)
    answer = await deliver(client, event(subscription, amount_inr="2998.99"))
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["details"]["field"] == "amount_inr" and "2999.00" in error["message"]
    assert await count_rows(db_session, "payments", subscription_id=subscription) == 0
    held = await fetch_row(db_session, "subscriptions", subscription)
    assert held is not None and held["status"] == "pending" and held["payment_reference"] is None
    assert await actions(db_session, subscription) == []


async def test_a_payment_for_an_unknown_or_cancelled_subscription_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    assert (await deliver(client, event(uuid.uuid4()))).status_code == 404
    _, _, subscription = await bought(db_session)
    await db_session.execute(
        text(
            "UPDATE mathvidya.subscriptions SET status = 'cancelled', cancelled_at = now()"
            " WHERE id = :id"
        ),
        {"id": subscription},
    )
    answer = await deliver(client, event(subscription))
    assert answer.status_code == 409
    assert await count_rows(db_session, "payments", subscription_id=subscription) == 0


async def test_without_a_secret_outside_development_webhooks_are_503(
    client: httpx.AsyncClient, db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, subscription = await bought(db_session)
    monkeypatch.delenv(billing.SECRET_ENV, raising=False)
    monkeypatch.setattr(billing, "get_settings", lambda: SimpleNamespace(is_development=False))
    answer = await deliver(client, event(subscription))
    assert answer.status_code == 503
    assert billing.SECRET_ENV in answer.json()["error"]["message"]
    # A configured secret (environment) works, and the development one then does not.
    monkeypatch.setenv(billing.SECRET_ENV, "production-grade-secret")
    assert (await deliver(client, event(subscription))).status_code == 401
    ok = await deliver(client, event(subscription), secret="production-grade-secret")
    assert ok.status_code == 200, ok.text


# ---- concurrent deliveries (committed data, separate connections) ---------------------------


@pytest.fixture
async def committed_purchase(engine: AsyncEngine) -> AsyncIterator[tuple[uuid.UUID, uuid.UUID]]:
    """(student, pending subscription) committed for real, so that concurrent requests each
    get their own connection and transaction; removed afterwards (audit rows stay: they are
    immutable, and the test database is thrown away)."""
    async with engine.begin() as connection:
        session = AsyncSession(bind=connection)
        student = await add_user(session, "student")
        subscription = await pending(session, student, now())
        await session.flush()
    yield student, subscription
    async with engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM mathvidya.payments WHERE subscription_id = :id"), {"id": subscription}
        )
        await connection.execute(
            text("DELETE FROM mathvidya.subscriptions WHERE user_id = :id"), {"id": student}
        )
        await connection.execute(
            text("DELETE FROM mathvidya.users WHERE id = :id"), {"id": student}
        )


async def test_concurrent_deliveries_of_one_payment_record_it_once(
    app: FastAPI, engine: AsyncEngine, committed_purchase: tuple[uuid.UUID, uuid.UUID]
) -> None:
    _, subscription = committed_purchase
    document = event(subscription)
    async with asgi_client(app) as http:
        answers = await asyncio.gather(*(deliver(http, document) for _ in range(4)))
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert sorted(a.json()["status"] for a in answers) == ["already recorded"] * 3 + ["recorded"]
    assert len({a.json()["invoice_number"] for a in answers}) == 1
    async with engine.connect() as connection:
        count = await connection.execute(
            text("SELECT count(*) FROM mathvidya.payments WHERE provider_payment_id = :p"),
            {"p": document["payment_id"]},
        )
        assert count.scalar_one() == 1
        status = await connection.execute(
            text("SELECT status::text FROM mathvidya.subscriptions WHERE id = :id"),
            {"id": subscription},
        )
        assert status.scalar_one() == "active"


# ---- invoices and the payment list ----------------------------------------------------------


async def _paid(
    client: httpx.AsyncClient, db: AsyncSession
) -> tuple[uuid.UUID, uuid.UUID, dict[str, Any]]:
    student, parent, subscription = await bought(db)
    answer = await deliver(client, event(subscription))
    assert answer.status_code == 200, answer.text
    return student, parent, answer.json()


async def test_the_invoice_is_a_gst_pdf_for_the_payer_and_admins(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, parent, paid = await _paid(client, db_session)
    admin = await add_user(db_session, "admin")
    url = f"{API}/payments/{paid['payment_id']}/invoice.pdf"
    for role, who in (("parent", parent), ("admin", admin)):
        answer = await client.get(url, headers=as_account(role, who))
        assert answer.status_code == 200, (role, answer.text)
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-disposition"].startswith("attachment;")
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.content.startswith(b"%PDF")
    content = pdf_text(answer.content)
    for expected in (
        paid["invoice_number"],
        "999293",
        "CGST @ 9%",
        "SGST @ 9%",
        "2,541.53",
        "228.74",
        "228.73",
        "2,999.00",
        "Basic Plan",
        "GSTIN",
    ):
        assert expected in content, expected


async def test_the_invoice_is_404_to_everyone_else(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student, _, paid = await _paid(client, db_session)
    unlinked_parent = await add_user(db_session, "parent")
    other_student = await add_user(db_session, "student")
    # Linked to the student but did not pay: the invoice is the payer's document.
    other_guardian = await add_user(db_session, "parent")
    await add(
        db_session,
        "parent_student_mappings",
        parent_user_id=other_guardian,
        student_user_id=student,
    )
    teacher = await add_user(db_session, "teacher")
    url = f"{API}/payments/{paid['payment_id']}/invoice.pdf"
    for role, who in (
        # The student whose plan it paid for: the invoice is the payer's tax document.
        ("student", student),
        ("parent", unlinked_parent),
        ("student", other_student),
        ("parent", other_guardian),
        ("teacher", teacher),
    ):
        answer = await client.get(url, headers=as_account(role, who))
        assert answer.status_code == 404, (role, answer.status_code)
    missing = await client.get(
        f"{API}/payments/{uuid.uuid4()}/invoice.pdf", headers=as_account("student", student)
    )
    assert missing.status_code == 404
    assert (await client.get(url)).status_code == 401


async def test_the_payment_list_shows_ones_own_payments_and_admins_filter(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    student, parent, paid = await _paid(client, db_session)
    other_student, other_parent, other_paid = await _paid(client, db_session)
    admin = await add_user(db_session, "admin")
    for role, who in (("parent", parent), ("student", student)):
        listed = await client.get(f"{API}/payments", headers=as_account(role, who))
        assert listed.status_code == 200
        assert [p["id"] for p in listed.json()] == [paid["payment_id"]]
        # The invoice link only for its payer (the parent), not for the student.
        link = listed.json()[0]["invoice_url"]
        assert (link or "").endswith("/invoice.pdf") == (role == "parent")
    # A non-admin's filter cannot widen what they see.
    sneaky = await client.get(
        f"{API}/payments",
        params={"student_id": str(other_student)},
        headers=as_account("parent", parent),
    )
    assert sneaky.json() == []
    filtered = await client.get(
        f"{API}/payments",
        params={"student_id": str(other_student)},
        headers=as_account("admin", admin),
    )
    assert [p["id"] for p in filtered.json()] == [other_paid["payment_id"]]
    bad = await client.get(
        f"{API}/payments", params={"limit": "0"}, headers=as_account("admin", admin)
    )
    assert bad.status_code == 422 and "limit" in bad.text
    assert other_parent != parent
