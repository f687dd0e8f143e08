"""Beyond seed 003's fifteen tables, for billing (issue 15): `payments`, one per payment the
provider confirmed, each with its GST invoice number.

No card data is ever stored: the provider's payment id, the amounts and who paid. The
provider's id is unique, which makes its webhook idempotent (a redelivered event finds its
payment and changes nothing). Amounts are in rupees: the plan price is GST-inclusive, split
into the taxable value and 18 % GST (CGST + SGST, or IGST, on the invoice); the database
checks the parts add up.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, Index, Numeric, Sequence, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.mathvidya.models.base import (
    RESTRICT,
    SCHEMA,
    SET_NULL,
    MathvidyaBase,
    created_at,
    fk,
    not_blank,
    uuid_pk,
)

# Invoice numbers (`MV/<financial year>/<number>`) come from one sequence (migration 0013).
# A sequence can skip a number when a transaction rolls back: the payment row takes its
# number in the statement that inserts it, so only a failed insert leaves a gap.
INVOICE_SEQUENCE = Sequence("invoice_number_seq", schema=SCHEMA, metadata=MathvidyaBase.metadata)


class Payment(MathvidyaBase):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider_payment_id"),
        UniqueConstraint("invoice_number"),
        not_blank("provider_payment_id"),
        not_blank("invoice_number"),
        CheckConstraint("amount_inr > 0", name="amount_positive"),
        CheckConstraint("taxable_value_inr >= 0 AND gst_inr >= 0", name="parts_non_negative"),
        CheckConstraint("taxable_value_inr + gst_inr = amount_inr", name="parts_add_up"),
        Index("ix_payments_subscription_id", "subscription_id"),
        Index("ix_payments_payer_user_id", "payer_user_id"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    provider_payment_id: Mapped[str] = mapped_column(String(100), nullable=False)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("subscriptions.id", RESTRICT), nullable=False
    )
    # Who paid (a parent, or the student); kept as NULL if that account is ever deleted.
    payer_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), fk("users.id", SET_NULL)
    )
    amount_inr: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    taxable_value_inr: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    gst_inr: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    invoice_number: Mapped[str] = mapped_column(String(40), nullable=False)
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = created_at()


__all__ = ["INVOICE_SEQUENCE", "Payment"]
