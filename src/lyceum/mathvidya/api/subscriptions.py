"""`/api/mathvidya`: subscriptions, activation, the payment webhook, payments and invoices
(issue 15). Rules live in service/subscriptions.py and service/billing.py."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import Field

from lyceum.core.access import public
from lyceum.core.query import QueryParams
from lyceum.mathvidya.dependencies import (
    Admin,
    AnyAccount,
    MathvidyaSession,
    RequestOrigin,
    require_account,
)
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.schemas import subscriptions as schemas
from lyceum.mathvidya.service import billing
from lyceum.mathvidya.service import subscriptions as service
from lyceum.mathvidya.service.audit import Actor

# Students buy for themselves, parents for linked children.
Buyer = Annotated[Actor, Depends(require_account(UserRole.STUDENT, UserRole.PARENT))]
# Reading a student's subscriptions and payments, cancelling: the student, a parent, an admin.
Holder = Annotated[
    Actor, Depends(require_account(UserRole.STUDENT, UserRole.PARENT, UserRole.ADMIN))
]


class SubscriptionListParams(QueryParams):
    student_id: uuid.UUID | None = None


class PaymentListParams(QueryParams):
    """Filters of `GET /payments`; a non-admin only ever sees their own payments."""

    student_id: uuid.UUID | None = None
    payer_id: uuid.UUID | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


WEBHOOK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": schemas.PaymentEvent.model_json_schema()}},
    }
}


class PendingParams(QueryParams):
    limit: int = Field(default=100, ge=1, le=500)


def router() -> APIRouter:
    api = APIRouter()

    @api.post(
        "/subscriptions",
        response_model=schemas.SubscriptionView,
        status_code=status.HTTP_201_CREATED,
    )
    async def subscription_create(
        actor: Buyer, db: MathvidyaSession, origin: RequestOrigin, body: schemas.SubscribeBody
    ) -> schemas.SubscriptionView:
        """Buy a plan (pending until paid or activated by an admin); a renewal when the student
        already holds an active subscription (it starts when that one ends)."""
        return await service.subscribe(db, actor, origin, body)

    @api.get("/subscriptions", response_model=schemas.StudentSubscriptions)
    async def subscription_list(
        actor: Holder,
        db: MathvidyaSession,
        params: Annotated[SubscriptionListParams, Query()],
    ) -> schemas.StudentSubscriptions:
        """A student's subscriptions, the one in force first, with this month's remaining
        exams and the day (India time) the quota resets."""
        return await service.student_subscriptions(db, actor, params.student_id)

    @api.post(
        "/subscriptions/{subscription_id}/renew",
        response_model=schemas.SubscriptionView,
        status_code=status.HTTP_201_CREATED,
    )
    async def subscription_renew(
        subscription_id: uuid.UUID, actor: Buyer, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.SubscriptionView:
        """Another year of the same plan, starting when the active period ends."""
        return await service.renew(db, actor, origin, subscription_id)

    @api.post(
        "/subscriptions/{subscription_id}/upgrade",
        response_model=schemas.SubscriptionView,
        status_code=status.HTTP_201_CREATED,
    )
    async def subscription_upgrade(
        subscription_id: uuid.UUID,
        actor: Buyer,
        db: MathvidyaSession,
        origin: RequestOrigin,
        body: schemas.UpgradeBody,
    ) -> schemas.SubscriptionView:
        """Move to a higher plan: the current subscription ends now, a pending one for the new
        plan starts now, its year lengthened by the unused value of the old one."""
        return await service.upgrade(db, actor, origin, subscription_id, body)

    @api.post("/subscriptions/{subscription_id}/cancel", response_model=schemas.SubscriptionView)
    async def subscription_cancel(
        subscription_id: uuid.UUID,
        actor: Holder,
        db: MathvidyaSession,
        origin: RequestOrigin,
        body: schemas.CancelBody | None = None,
    ) -> schemas.SubscriptionView:
        """End a pending or active subscription now (the student, the paying parent, an
        admin)."""
        return await service.cancel(
            db, actor, origin, subscription_id, body or schemas.CancelBody()
        )

    @api.get("/admin/subscriptions/pending", response_model=list[schemas.PendingActivation])
    async def subscription_pending(
        _: Admin, db: MathvidyaSession, params: Annotated[PendingParams, Query()]
    ) -> list[schemas.PendingActivation]:
        """Subscriptions waiting for an admin's activation, oldest first."""
        return await service.pending_activations(db, limit=params.limit)

    @api.post(
        "/admin/subscriptions/{subscription_id}/activate",
        response_model=schemas.SubscriptionView,
    )
    async def subscription_activate(
        subscription_id: uuid.UUID, actor: Admin, db: MathvidyaSession, origin: RequestOrigin
    ) -> schemas.SubscriptionView:
        """Activate a pending subscription (e.g. paid offline); 409 naming the overlapping
        period when the student already holds an active one then."""
        return await service.activate_by_admin(db, actor, origin, subscription_id)

    @api.post(
        "/payments/webhook",
        response_model=schemas.WebhookAnswer,
        dependencies=[Depends(public)],
        openapi_extra=WEBHOOK_BODY,
    )
    async def payment_webhook(
        request: Request,
        db: MathvidyaSession,
        origin: RequestOrigin,
        x_mathvidya_signature: Annotated[str, Header(max_length=200)],
        x_mathvidya_timestamp: Annotated[str | None, Header(max_length=20)] = None,
    ) -> schemas.WebhookAnswer:
        """The payment provider's `payment.captured` event, signed with HMAC-SHA256 of the raw
        body (`X-Mathvidya-Signature: sha256=<hex>`); idempotent by the provider's payment
        id."""
        body = await request.body()
        return await billing.record_captured_payment(
            db, origin, body, x_mathvidya_signature, x_mathvidya_timestamp
        )

    @api.get("/payments", response_model=list[schemas.PaymentView])
    async def payment_list(
        actor: AnyAccount, db: MathvidyaSession, params: Annotated[PaymentListParams, Query()]
    ) -> list[schemas.PaymentView]:
        """Payments the caller made or that were made for them; an admin sees all, filtered."""
        return await billing.list_payments(
            db,
            actor,
            student_id=params.student_id,
            payer_id=params.payer_id,
            limit=params.limit,
            offset=params.offset,
        )

    @api.get(
        "/payments/{payment_id}/invoice.pdf",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    async def payment_invoice(
        payment_id: uuid.UUID, actor: AnyAccount, db: MathvidyaSession
    ) -> Response:
        """The payment's GST invoice (the payer, the student, admins)."""
        found = await billing.invoice_pdf(db, actor, payment_id)
        return Response(
            content=found.content,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{found.filename}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    return api


__all__ = ["router"]
