"""Platform tables, in schema `lyceum`: operator accounts and the record of generated data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import Base, TimestampMixin, UUIDPrimaryKeyMixin

PLATFORM_SCHEMA = "lyceum"
OPERATOR_ROLES = ("admin", "operator", "viewer")
# App roles an account may hold instead of (or beside) the operator roles. Each is named
# after its app (core.access) and passes only the routes that name it: `tutormax:tutor` is a
# tutor reading their own TutorMax profile (the link is tutormax.tutor_accounts).
APP_ACCOUNT_ROLES = ("tutormax:tutor",)
ACCOUNT_ROLES = OPERATOR_ROLES + APP_ACCOUNT_ROLES


class Operator(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """Someone who runs the platform (an operations manager, an admin)."""

    __tablename__ = "operators"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("email LIKE '%_@_%'", name="email_shape"),
        CheckConstraint(
            "roles <@ ARRAY['admin', 'operator', 'viewer', 'tutormax:tutor']::text[]"
            " AND cardinality(roles) > 0",
            name="roles_known",
        ),
        Index("uq_operators_email", "email", unique=True),
        {"schema": PLATFORM_SCHEMA},
    )

    email: Mapped[str] = mapped_column(String(320), nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    roles: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("ARRAY['operator']::text[]")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)

    def __repr__(self) -> str:
        return f"Operator(email={self.email!r}, roles={self.roles!r})"


class GenerationRun(UUIDPrimaryKeyMixin, Base):
    """One run of an app's synthetic-data generator, with the parameters that reproduce it.

    Generators are deterministic, so this row is enough to rebuild the same data (Nerdboard's
    simulation reset does) and to tell whether `lyceum up` already generated it.
    """

    __tablename__ = "generation_runs"
    __table_args__ = (
        CheckConstraint("months >= 1", name="months_positive"),
        Index("ix_generation_runs_app_generated_at", "app", "generated_at"),
        {"schema": PLATFORM_SCHEMA},
    )

    app: Mapped[str] = mapped_column(String(50), nullable=False)
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    scale: Mapped[str] = mapped_column(String(20), nullable=False)
    months: Mapped[int] = mapped_column(Integer, nullable=False)
    # What the generator reports about its output (row counts, the simulated date range).
    summary: Mapped[dict[str, object]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    generated_at: Mapped[datetime] = mapped_column(nullable=False, server_default=func.now())


OUTBOX_STATUSES = ("pending", "sent", "failed")


class OutboxMessage(UUIDPrimaryKeyMixin, Base):
    """A message to deliver (an email, a chat post), written in the transaction of the change
    it announces, so it is sent exactly when that change commits; `core.outbox` delivers it."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in OUTBOX_STATUSES) + ")",
            name="status_known",
        ),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_at_iff_sent"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("btrim(channel) <> '' AND btrim(recipient) <> ''", name="addressed"),
        Index("uq_outbox_dedupe_key", "dedupe_key", unique=True),
        # The sender's one query: due pending messages, oldest first.
        Index(
            "ix_outbox_pending_next_attempt_at",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        {"schema": PLATFORM_SCHEMA},
    )

    # How to deliver it ("email", ...) and to whom, in that channel's terms (an address).
    channel: Mapped[str] = mapped_column(String(50), nullable=False)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # Who wrote it (an app name) and what it is about ("intervention:<id>"), for people.
    source: Mapped[str] = mapped_column(String(50), nullable=False)
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # A second enqueue with the same key is ignored: retried jobs do not send twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(nullable=False, server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The moment of the write (not of its transaction): messages a transaction writes are
    # delivered in the order it wrote them.
    created_at: Mapped[datetime] = mapped_column(
        nullable=False, server_default=func.clock_timestamp()
    )
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


__all__ = [
    "ACCOUNT_ROLES",
    "APP_ACCOUNT_ROLES",
    "OPERATOR_ROLES",
    "OUTBOX_STATUSES",
    "GenerationRun",
    "Operator",
    "OutboxMessage",
]
