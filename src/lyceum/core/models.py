"""Platform tables, in schema `lyceum`: operator accounts and the record of generated data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import Base, TimestampMixin, UUIDPrimaryKeyMixin

PLATFORM_SCHEMA = "lyceum"
OPERATOR_ROLES = ("admin", "operator", "viewer")


class Operator(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """Someone who runs the platform (an operations manager, an admin)."""

    __tablename__ = "operators"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("email LIKE '%_@_%'", name="email_shape"),
        CheckConstraint(
            "roles <@ ARRAY['admin', 'operator', 'viewer']::text[] AND cardinality(roles) > 0",
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


__all__ = ["OPERATOR_ROLES", "GenerationRun", "Operator"]
