"""Beyond seed 003's fifteen tables, for accounts (issue 15): `account_tokens`, the single-use
secrets an account issues — a password-reset link, a family invite code.

Only a SHA-256 of each secret is stored: the secret itself travels once (an outbox e-mail for
a reset, the student's screen for an invite), so a read of this table opens no account. A
token is spent by setting `used_at` in the same UPDATE that checks it is unspent and unexpired,
which makes redeeming it race-free.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.mathvidya.models.base import CASCADE, SCHEMA, MathvidyaBase, created_at, fk, uuid_pk

TOKEN_PURPOSES = ("password_reset", "family_invite")


class AccountToken(MathvidyaBase):
    __tablename__ = "account_tokens"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        CheckConstraint(
            "purpose IN (" + ", ".join(f"'{p}'" for p in TOKEN_PURPOSES) + ")",
            name="purpose_known",
        ),
        CheckConstraint("token_hash ~ '^[0-9a-f]{64}$'", name="token_hash_hex"),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        CheckConstraint("used_at >= created_at", name="used_after_created"),
        # An account's live tokens of a kind (a new reset request supersedes the old one).
        Index(
            "ix_account_tokens_user_id_purpose_live",
            "user_id",
            "purpose",
            postgresql_where=text("used_at IS NULL"),
        ),
        Index("ix_account_tokens_used_by_user_id", "used_by_user_id"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # The account that issued it (the student, for an invite) or that it resets.
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("users.id", CASCADE), nullable=False
    )
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who redeemed it (the parent who used an invite); kept if that account goes.
    used_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), fk("users.id", "SET NULL")
    )


__all__ = ["TOKEN_PURPOSES", "AccountToken"]
