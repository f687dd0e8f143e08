"""Column types that mean the same on PostgreSQL and on the local SQLite database.

The adaptive app keeps one set of models for both databases (seed 004's dual-database
design). Where the two differ, these types make the values round-trip unchanged:

- `UTCDateTime`: TIMESTAMPTZ on PostgreSQL; on SQLite, which has no zone, the instant is
  stored in UTC and comes back as an aware UTC datetime. Naive datetimes are refused on
  both, so a local clock reading can never be stored as if it were UTC.
- `StringList`: `text[]` on PostgreSQL, a JSON array on SQLite.
- `JSONDocument`: JSONB on PostgreSQL, JSON text on SQLite.
- UUIDs use SQLAlchemy's `Uuid`: native `uuid` on PostgreSQL, 32 hex characters on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a time zone (UTC is stored)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite returns what was stored (UTC) without a zone.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StringList(TypeDecorator[list[str]]):
    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Text()))
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> list[str] | None:
        return None if value is None else [str(item) for item in value]

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str] | None:
        return None if value is None else list(value)


__all__ = ["JSONDocument", "StringList", "UTCDateTime"]
