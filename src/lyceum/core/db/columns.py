"""Column and relationship helpers every app's models use, so a rule is written once.

- `relationship`: SQLAlchemy's, with `lazy="raise"` as the default. In async code an implicit
  lazy load is an error at best (MissingGreenlet) and an N+1 query at worst; with "raise" an
  unloaded relationship fails loudly at the line that touched it, and the query that needed it
  says `selectinload(...)`. tests/test_architecture.py checks every mapped relationship.
- `string_enum`: a Python `StrEnum` stored as a string with a CHECK listing its values (the
  seeds that name no PostgreSQL ENUM types).
- `between`, `not_blank`, `uuid_pk`, `created_at`: the recurring CHECKs and columns.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, func, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import relationship as sa_relationship

LAZY_DEFAULT = "raise"


def relationship(*args: Any, lazy: Any = LAZY_DEFAULT, **kwargs: Any) -> Any:
    """`sqlalchemy.orm.relationship` with `lazy="raise"` unless a strategy is chosen."""
    return sa_relationship(*args, lazy=lazy, **kwargs)


def string_enum(enum_class: type[enum.StrEnum], name: str, *, length: int) -> SAEnum:
    """A string column limited to the enum's values by a CHECK named `ck_<table>_<name>`."""
    return SAEnum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def between(column: str, low: float, high: float, name: str | None = None) -> CheckConstraint:
    return CheckConstraint(f"{column} BETWEEN {low} AND {high}", name=name or f"{column}_range")


def not_blank(column: str) -> CheckConstraint:
    return CheckConstraint(f"btrim({column}) <> ''", name=f"{column}_not_blank")


def uuid_pk() -> Mapped[uuid.UUID]:
    """A UUID key the database generates (COPY and raw SQL need not supply one)."""
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )


def created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


__all__ = [
    "LAZY_DEFAULT",
    "between",
    "created_at",
    "not_blank",
    "relationship",
    "string_enum",
    "uuid_pk",
]
