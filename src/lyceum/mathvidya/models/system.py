"""System tables (seed 003): `audit_logs` (immutable), `holidays` (the SLA calendar) and
`system_config` (JSON settings the services read).

`audit_logs` has no foreign keys on purpose: it records events about rows that may later be
deleted, and an `ON DELETE` action would have to change the log. Its triggers (migration
0006) reject UPDATE, DELETE and TRUNCATE, and are `ENABLE ALWAYS`, so they fire even in
sessions with `session_replication_role = replica`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import TimestampMixin
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.models.base import (
    SCHEMA,
    SET_NULL,
    MathvidyaBase,
    created_at,
    fk,
    not_blank,
    uuid_pk,
)
from lyceum.mathvidya.models.enums import USER_ROLE

# "exam.submitted", "evaluation.sla_breached", "subscription.activated": noun.verb, lower case.
DOTTED_NAME = "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$"


class AuditLog(MathvidyaBase):
    __tablename__ = "audit_logs"
    __table_args__ = (
        CheckConstraint(f"action ~ '{DOTTED_NAME}'", name="action_format"),
        CheckConstraint("entity_type ~ '^[a-z][a-z0-9_]*$'", name="entity_type_format"),
        CheckConstraint("jsonb_typeof(details) = 'object'", name="details_is_object"),
        # An actor is a user with a role, or nobody (system jobs).
        CheckConstraint(
            "(actor_user_id IS NULL) = (actor_role IS NULL)", name="actor_role_iff_actor"
        ),
        # An entity's history, newest first.
        Index(
            "ix_audit_logs_entity",
            "entity_type",
            "entity_id",
            text("occurred_at DESC"),
        ),
        # What a user did.
        Index("ix_audit_logs_actor_user_id_occurred_at", "actor_user_id", text("occurred_at DESC")),
        Index("ix_audit_logs_action_occurred_at", "action", text("occurred_at DESC")),
        # Append-only and written in time order: a BRIN index answers time ranges at a tiny
        # fraction of a B-tree's size.
        Index("ix_audit_logs_occurred_at", "occurred_at", postgresql_using="brin"),
        Index(
            "ix_audit_logs_details",
            "details",
            postgresql_using="gin",
            postgresql_ops={"details": "jsonb_path_ops"},
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    occurred_at: Mapped[datetime] = created_at()
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_role: Mapped[UserRole | None] = mapped_column(USER_ROLE)
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(50), nullable=False)
    entity_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # What changed: {"before": {...}, "after": {...}} or event details.
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(String(500))
    request_id: Mapped[str | None] = mapped_column(String(64))


class Holiday(TimestampMixin, MathvidyaBase):
    """A day the SLA clock does not run (seeded with national holidays, migration 0007)."""

    __tablename__ = "holidays"
    __table_args__ = (
        # Two holidays can fall on one day (Gandhi Jayanti and Dussehra on 2 October 2025).
        UniqueConstraint("holiday_date", "name"),
        CheckConstraint(
            "holiday_date BETWEEN DATE '2000-01-01' AND DATE '2100-12-31'", name="date_plausible"
        ),
        not_blank("name"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    holiday_date: Mapped[date] = mapped_column(Date, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # National (all India) or added by the admins (a regional or company holiday).
    is_national: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    description: Mapped[str | None] = mapped_column(Text)


class SystemConfig(TimestampMixin, MathvidyaBase):
    """One setting: a dotted key and a JSON value (seeded by migration 0007)."""

    __tablename__ = "system_config"
    __table_args__ = (
        UniqueConstraint("config_key"),
        CheckConstraint(f"config_key ~ '{DOTTED_NAME}'", name="config_key_format"),
        not_blank("description"),
        Index("ix_system_config_updated_by_user_id", "updated_by_user_id"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    config_key: Mapped[str] = mapped_column(String(100), nullable=False)
    config_value: Mapped[Any] = mapped_column(JSONB, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    updated_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), fk("users.id", SET_NULL)
    )


__all__ = ["DOTTED_NAME", "AuditLog", "Holiday", "SystemConfig"]
