"""Mathvidya accounts and billing (issue 15): `account_tokens` (password-reset and family-invite
secrets, stored hashed), `payments` (one per confirmed payment, with its GST invoice number)
and the invoice-number sequence.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 23:43:29.224014+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE mathvidya.invoice_number_seq")
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_user_id", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('password_reset', 'family_invite')",
            name=op.f("ck_account_tokens_purpose_known"),
        ),
        sa.CheckConstraint(
            "token_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_account_tokens_token_hash_hex")
        ),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_account_tokens_expires_after_created")
        ),
        sa.CheckConstraint(
            "used_at >= created_at", name=op.f("ck_account_tokens_used_after_created")
        ),
        sa.ForeignKeyConstraint(
            ["used_by_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_account_tokens_used_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
        schema="mathvidya",
    )
    op.create_index(
        "ix_account_tokens_user_id_purpose_live",
        "account_tokens",
        ["user_id", "purpose"],
        unique=False,
        schema="mathvidya",
        postgresql_where=sa.text("used_at IS NULL"),
    )
    op.create_index(
        "ix_account_tokens_used_by_user_id",
        "account_tokens",
        ["used_by_user_id"],
        unique=False,
        schema="mathvidya",
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=100), nullable=False),
        sa.Column("subscription_id", sa.UUID(), nullable=False),
        sa.Column("payer_user_id", sa.UUID(), nullable=True),
        sa.Column("amount_inr", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("taxable_value_inr", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("gst_inr", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("invoice_number", sa.String(length=40), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "btrim(invoice_number) <> ''", name=op.f("ck_payments_invoice_number_not_blank")
        ),
        sa.CheckConstraint(
            "btrim(provider_payment_id) <> ''",
            name=op.f("ck_payments_provider_payment_id_not_blank"),
        ),
        sa.CheckConstraint("amount_inr > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "taxable_value_inr + gst_inr = amount_inr", name=op.f("ck_payments_parts_add_up")
        ),
        sa.CheckConstraint(
            "taxable_value_inr >= 0 AND gst_inr >= 0", name=op.f("ck_payments_parts_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["payer_user_id"],
            ["mathvidya.users.id"],
            name=op.f("fk_payments_payer_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["mathvidya.subscriptions.id"],
            name=op.f("fk_payments_subscription_id_subscriptions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("invoice_number", name=op.f("uq_payments_invoice_number")),
        sa.UniqueConstraint("provider_payment_id", name=op.f("uq_payments_provider_payment_id")),
        schema="mathvidya",
    )
    op.create_index(
        "ix_payments_payer_user_id", "payments", ["payer_user_id"], unique=False, schema="mathvidya"
    )
    op.create_index(
        "ix_payments_subscription_id",
        "payments",
        ["subscription_id"],
        unique=False,
        schema="mathvidya",
    )


def downgrade() -> None:
    op.drop_index("ix_payments_subscription_id", table_name="payments", schema="mathvidya")
    op.drop_index("ix_payments_payer_user_id", table_name="payments", schema="mathvidya")
    op.drop_table("payments", schema="mathvidya")
    op.drop_index(
        "ix_account_tokens_user_id_purpose_live",
        table_name="account_tokens",
        schema="mathvidya",
        postgresql_where=sa.text("used_at IS NULL"),
    )
    op.drop_index(
        "ix_account_tokens_used_by_user_id", table_name="account_tokens", schema="mathvidya"
    )
    op.drop_table("account_tokens", schema="mathvidya")
    op.execute("DROP SEQUENCE mathvidya.invoice_number_seq")
