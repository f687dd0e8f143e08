"""Payments: the provider's webhook, GST invoices and the payment history.

**The webhook** (`POST /payments/webhook`) is public and authenticated by its signature: the
header `X-Mathvidya-Signature: sha256=<hex>` is the HMAC-SHA256 of the raw request body under
the shared secret, compared in constant time. With an optional `X-Mathvidya-Timestamp: <unix
seconds>` header the signed text is `<timestamp>.<raw body>` and a delivery more than five
minutes old (or early) is refused, so a captured request cannot be replayed later. The
secret comes from the environment variable `MATHVIDYA_PAYMENT_WEBHOOK_SECRET`, else from
`system_config` key `payment.webhook_secret`; only a development server falls back to a fixed
development secret, and any other server without a secret answers 503.

A `payment.captured` event is recorded once per provider payment id: the subscription row is
locked first (a concurrent delivery of the same payment waits, then finds it recorded), and
the unique constraint on `payments.provider_payment_id` is the final arbiter. A redelivery
answers 200 "already recorded" and changes nothing. The amount must be the plan's price
(422, nothing written, otherwise). Recording inserts the payment with its GST split and
invoice number, activates the subscription (`payment_reference` = the provider's id) and
writes the audit rows "payment.captured" and "subscription.activated" — one transaction.
The payer is the account that bought the subscription (`purchased_by_user_id`); the event's
`payer_email` is not trusted to name an account, and no card data is ever received or kept.

**Invoices** are the payer's tax document: readable by the payer and admins only (issue 15);
anyone else — the student whose plan it paid for included, unless they paid — gets 404, as for
a missing payment, and sees no invoice link in the payment history.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, InvalidInput, NotFound, Unauthorized, Unavailable
from lyceum.core.settings import get_settings
from lyceum.mathvidya.calendar_ist import IST, ist_date
from lyceum.mathvidya.enums import SubscriptionStatus, UserRole
from lyceum.mathvidya.invoicing import (
    InvoiceParty,
    InvoiceView,
    invoice_prefix,
    render_invoice,
    split_inclusive,
)
from lyceum.mathvidya.repository import subscriptions as repository
from lyceum.mathvidya.schemas import subscriptions as schemas
from lyceum.mathvidya.service import audit
from lyceum.mathvidya.service.audit import Actor, Origin
from lyceum.mathvidya.service.subscriptions import activate_pending

SECRET_ENV = "MATHVIDYA_PAYMENT_WEBHOOK_SECRET"  # noqa: S105 (a variable name)
SECRET_CONFIG_KEY = "payment.webhook_secret"  # noqa: S105 (a setting name)
# Only ever used by a server whose settings say development (see `webhook_secret`).
DEVELOPMENT_SECRET = "mathvidya-development-webhook-secret"  # noqa: S105 (development only)
SIGNATURE_PREFIX = "sha256="
REPLAY_WINDOW_SECONDS = 300

# The seller on every invoice. PLACEHOLDERS until the business registers for GST: set the
# `system_config` keys `billing.seller_name`, `billing.seller_address` (a list of lines),
# `billing.seller_gstin` and `billing.place_of_supply` to override them.
SELLER_NAME = "Mathvidya Learning (placeholder seller name)"
SELLER_ADDRESS = ("Address to be configured (billing.seller_address)",)
SELLER_GSTIN = "29AAAAA0000A1Z5 (placeholder)"
PLACE_OF_SUPPLY = "Karnataka (29) (placeholder)"


# ---- the secret and the signature ----------------------------------------------------------


async def webhook_secret(db: AsyncSession) -> str | None:
    """The shared secret, or None when none is configured (outside development)."""
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        return configured
    stored = await repository.config_value(db, SECRET_CONFIG_KEY)
    if isinstance(stored, str) and stored.strip():
        return stored.strip()
    if get_settings().is_development:
        return DEVELOPMENT_SECRET
    return None


def sign(secret: str, body: bytes, timestamp: str | None = None) -> str:
    """The header value a delivery of `body` carries (used by tests and the provider's
    sandbox)."""
    signed = f"{timestamp}.".encode() + body if timestamp is not None else body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    signature: str,
    timestamp: str | None,
    *,
    now: float | None = None,
) -> None:
    """Unauthorized unless `signature` is the body's HMAC (and `timestamp` is recent)."""
    if timestamp is not None:
        if not timestamp.isdigit():
            raise Unauthorized(
                "the webhook timestamp must be whole seconds since 1970",
                details={"header": "X-Mathvidya-Timestamp"},
            )
        age = (time.time() if now is None else now) - int(timestamp)
        if abs(age) > REPLAY_WINDOW_SECONDS:
            raise Unauthorized(
                "the webhook delivery is more than five minutes old (or from the future); it"
                " is refused as a possible replay",
                details={"header": "X-Mathvidya-Timestamp"},
            )
    expected = sign(secret, body, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise Unauthorized(
            "the webhook signature does not match the body; it must be"
            " 'sha256=' followed by the hex HMAC-SHA256 of the raw body under the shared secret",
            details={"header": "X-Mathvidya-Signature"},
        )


def parse_event(body: bytes) -> schemas.PaymentEvent:
    try:
        document: Any = json.loads(body)
    except ValueError:
        raise InvalidInput("the webhook body is not JSON", details={"field": "body"}) from None
    try:
        return schemas.PaymentEvent.model_validate(document, strict=False)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidInput(
            f"the webhook event is malformed: {field}: {first['msg']}",
            details={
                "field": field,
                "errors": [
                    {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                    for e in exc.errors()
                ],
            },
        ) from None


# ---- recording a payment -------------------------------------------------------------------


async def record_captured_payment(
    db: AsyncSession,
    origin: Origin,
    body: bytes,
    signature: str,
    timestamp: str | None,
) -> schemas.WebhookAnswer:
    secret = await webhook_secret(db)
    if secret is None:
        raise Unavailable(
            "payment webhooks are switched off: no webhook secret is configured (set"
            f" {SECRET_ENV} or the system setting {SECRET_CONFIG_KEY})",
            details={"reason": "no_webhook_secret"},
        )
    verify_signature(secret, body, signature, timestamp)
    event = parse_event(body)
    amount = Decimal(event.amount_inr)

    # Lock the subscription: a concurrent delivery of the same payment waits here.
    held = await repository.subscription(db, event.subscription_id, for_update=True)
    if held is None:
        raise NotFound(
            "the event names no subscription of ours", details={"field": "subscription_id"}
        )
    existing = await repository.payment_by_provider_id(db, event.payment_id)
    if existing is not None:
        return _already_recorded(existing, event)
    plan = await repository.plan_by_id(db, held.plan_id)
    assert plan is not None
    if amount != plan.annual_price_inr:
        raise InvalidInput(
            f"the amount paid, INR {amount:.2f}, is not the price of {plan.display_name},"
            f" INR {plan.annual_price_inr:.2f}",
            details={"field": "amount_inr", "expected": str(plan.annual_price_inr)},
        )
    if held.status is not SubscriptionStatus.PENDING:
        raise Conflict(
            f"the subscription is {held.status.value}, not awaiting payment; the payment was"
            " not applied (refund it or apply it by hand)",
            details={"status": held.status.value, "subscription_id": str(held.id)},
        )

    paid_at = datetime.now(UTC)
    split = split_inclusive(amount)
    payment = await repository.insert_payment(
        db,
        provider_payment_id=event.payment_id,
        subscription_id=held.id,
        payer_user_id=held.purchased_by_user_id,
        amount=split.total,
        taxable=split.taxable,
        gst=split.gst,
        invoice_prefix=invoice_prefix(paid_at),
        paid_at=paid_at,
    )
    if payment is None:  # a concurrent delivery recorded it between our check and insert
        existing = await repository.payment_by_provider_id(db, event.payment_id)
        assert existing is not None
        return _already_recorded(existing, event)
    starts_at, ends_at = await activate_pending(
        db, held, payment_reference=event.payment_id, amount_paid=split.total
    )
    await audit.record(
        db,
        "payment.captured",
        "payment",
        payment.id,
        actor=None,
        origin=origin,
        details={
            "provider_payment_id": event.payment_id,
            "subscription_id": str(held.id),
            "amount_inr": str(split.total),
            "invoice_number": payment.invoice_number,
        },
    )
    await audit.record(
        db,
        "subscription.activated",
        "subscription",
        held.id,
        actor=None,
        origin=origin,
        details={
            "by": "payment",
            "payment_id": str(payment.id),
            "student_id": str(held.user_id),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return schemas.WebhookAnswer(
        status="recorded",
        payment_id=payment.id,
        invoice_number=payment.invoice_number,
        subscription_id=held.id,
    )


def _already_recorded(existing: Any, event: schemas.PaymentEvent) -> schemas.WebhookAnswer:
    if existing.subscription_id != event.subscription_id:
        raise Conflict(
            "this payment id is already recorded for another subscription",
            details={"field": "payment_id"},
        )
    return schemas.WebhookAnswer(
        status="already recorded",
        payment_id=existing.id,
        invoice_number=existing.invoice_number,
        subscription_id=existing.subscription_id,
    )


# ---- reading payments and invoices ---------------------------------------------------------


def _may_download(actor: Actor, payer_id: uuid.UUID | None) -> bool:
    return actor.role is UserRole.ADMIN or (payer_id is not None and actor.user_id == payer_id)


def _invoice_url(payment_id: uuid.UUID) -> str:
    return f"/api/mathvidya/payments/{payment_id}/invoice.pdf"


async def list_payments(
    db: AsyncSession,
    actor: Actor,
    *,
    student_id: uuid.UUID | None,
    payer_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> list[schemas.PaymentView]:
    """An admin's view of all payments (filtered); anyone else's: what they paid and what
    was paid for them."""
    rows = await repository.payments(
        db,
        visible_to=None if actor.role is UserRole.ADMIN else actor.user_id,
        student_id=student_id,
        payer_id=payer_id,
        limit=limit,
        offset=offset,
    )
    return [
        schemas.PaymentView(
            id=payment.id,
            provider_payment_id=payment.provider_payment_id,
            subscription_id=payment.subscription_id,
            student_id=held.user_id,
            payer_user_id=payment.payer_user_id,
            plan_type=plan.plan_type,
            plan_name=plan.display_name,
            amount_inr=payment.amount_inr,
            taxable_value_inr=payment.taxable_value_inr,
            gst_inr=payment.gst_inr,
            invoice_number=payment.invoice_number,
            paid_at=payment.paid_at,
            invoice_url=_invoice_url(payment.id)
            if _may_download(actor, payment.payer_user_id)
            else None,
        )
        for payment, held, plan in rows
    ]


@dataclass(frozen=True, slots=True)
class InvoiceFile:
    filename: str
    content: bytes


async def _config_text(db: AsyncSession, key: str, default: str) -> str:
    value = await repository.config_value(db, key)
    return value.strip() if isinstance(value, str) and value.strip() else default


async def invoice_pdf(db: AsyncSession, actor: Actor, payment_id: uuid.UUID) -> InvoiceFile:
    found = await repository.payment_context(db, payment_id)
    allowed = found is not None and _may_download(actor, found.payment.payer_user_id)
    if found is None or not allowed:
        raise NotFound("no such payment", details={"reason": "not_found"})
    address = await repository.config_value(db, "billing.seller_address")
    seller = InvoiceParty(
        name=await _config_text(db, "billing.seller_name", SELLER_NAME),
        lines=(
            tuple(str(line) for line in address)
            if isinstance(address, list) and address
            else SELLER_ADDRESS
        ),
        gstin=await _config_text(db, "billing.seller_gstin", SELLER_GSTIN),
    )
    buyer_user = found.payer or found.student
    payment, held = found.payment, found.subscription
    view = InvoiceView(
        invoice_number=payment.invoice_number,
        invoice_date=ist_date(payment.paid_at),
        seller=seller,
        buyer=InvoiceParty(name=buyer_user.full_name, lines=(buyer_user.email,)),
        student_name=found.student.full_name,
        plan_name=found.plan.display_name,
        period_from=held.starts_at.astimezone(IST).date(),
        period_to=held.ends_at.astimezone(IST).date(),
        split=split_inclusive(payment.amount_inr),
        payment_reference=payment.provider_payment_id,
        place_of_supply=await _config_text(db, "billing.place_of_supply", PLACE_OF_SUPPLY),
    )
    safe_number = payment.invoice_number.replace("/", "-")
    return InvoiceFile(filename=f"invoice-{safe_number}.pdf", content=render_invoice(view))


__all__ = [
    "DEVELOPMENT_SECRET",
    "SECRET_CONFIG_KEY",
    "SECRET_ENV",
    "InvoiceFile",
    "invoice_pdf",
    "list_payments",
    "parse_event",
    "record_captured_payment",
    "sign",
    "verify_signature",
    "webhook_secret",
]
