"""Subscriptions, payments and the payment provider's webhook event, as the API takes and
answers them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from lyceum.core.request import FROM_JSON_TEXT, RequestBody
from lyceum.mathvidya.enums import PlanType, SubscriptionStatus

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class SubscribeBody(RequestBody):
    """Buy a plan: a student for themself (no `student_id`), a parent for a linked child."""

    plan_type: Annotated[PlanType, FROM_JSON_TEXT]
    student_id: Annotated[uuid.UUID | None, FROM_JSON_TEXT] = None


class UpgradeBody(RequestBody):
    plan_type: Annotated[PlanType, FROM_JSON_TEXT]


class CancelBody(RequestBody):
    reason: Reason | None = None


class SubscriptionView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    student_id: uuid.UUID
    plan_type: PlanType
    plan_name: str
    status: SubscriptionStatus
    is_current: bool
    starts_at: datetime
    ends_at: datetime
    exams_per_month: int
    sla_hours: int
    leaderboard_access: bool
    # This IST month's exams left (the current subscription only; None for the others).
    exams_remaining_this_month: int | None
    amount_paid_inr: Decimal
    # What a payment for this subscription must be (its plan's GST-inclusive annual price).
    price_inr: Decimal
    payment_reference: str | None
    purchased_by_user_id: uuid.UUID | None
    cancelled_at: datetime | None
    cancellation_reason: str | None
    created_at: datetime


class StudentSubscriptions(BaseModel):
    """A student's subscriptions, the one in force first."""

    student_id: uuid.UUID
    current_subscription_id: uuid.UUID | None
    exams_remaining_this_month: int
    # First day of the next month in India time, when the monthly exam count starts again.
    quota_resets_on: date
    subscriptions: list[SubscriptionView]


class PaymentEvent(BaseModel):
    """The provider's `payment.captured` event (no card data: ids and the amount)."""

    model_config = ConfigDict(extra="ignore")

    event: Literal["payment.captured"]
    payment_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    subscription_id: uuid.UUID
    # A decimal string with at most two places ("2999.00"); a JSON number is refused so that
    # no binary fraction ever reaches the arithmetic.
    amount_inr: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,8}(\.[0-9]{1,2})?$")]
    payer_email: Annotated[str, StringConstraints(max_length=255)] | None = None


class WebhookAnswer(BaseModel):
    status: Literal["recorded", "already recorded"]
    payment_id: uuid.UUID
    invoice_number: str
    subscription_id: uuid.UUID


class PaymentView(BaseModel):
    id: uuid.UUID
    provider_payment_id: str
    subscription_id: uuid.UUID
    student_id: uuid.UUID
    payer_user_id: uuid.UUID | None
    plan_type: PlanType
    plan_name: str
    amount_inr: Decimal
    taxable_value_inr: Decimal
    gst_inr: Decimal
    invoice_number: str
    paid_at: datetime
    # Only for those who may download the invoice: the payer and admins.
    invoice_url: str | None


class PendingActivation(BaseModel):
    """A subscription waiting for an admin's activation, with whose it is."""

    id: uuid.UUID
    student_id: uuid.UUID
    student_name: str
    student_email: str
    student_class: str | None
    plan_type: PlanType
    plan_name: str
    price_inr: Decimal
    starts_at: datetime
    created_at: datetime


__all__ = [
    "CancelBody",
    "PaymentEvent",
    "PaymentView",
    "PendingActivation",
    "StudentSubscriptions",
    "SubscribeBody",
    "SubscriptionView",
    "UpgradeBody",
    "WebhookAnswer",
]
