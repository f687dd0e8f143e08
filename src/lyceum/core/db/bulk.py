"""Bulk loads from NumPy columns: COPY plans typed from the ORM, and index deferral.

Column types for COPY come from the ORM tables, so a model change cannot silently send a
column in the wrong binary format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import numpy as np
from sqlalchemy import Boolean, DateTime, Float, Integer, SmallInteger, String, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.sql.expression import FromClause
from sqlalchemy.types import TypeDecorator

from lyceum.core.db.copy import CopyColumn, PgType, copy_columns


def pgtype_of(column_type: Any) -> PgType:
    """The binary COPY encoding for an ORM column type (string enums are text; a
    TypeDecorator is sent as the type it stores)."""
    if isinstance(column_type, TypeDecorator):
        return pgtype_of(column_type.impl_instance)
    if isinstance(column_type, UUID | Uuid):
        return "uuid"
    if isinstance(column_type, ARRAY):
        # varchar(n)[] and text[] differ on the wire (the element type is sent).
        item = column_type.item_type
        return "varchar[]" if isinstance(item, String) and not isinstance(item, Text) else "text[]"
    if isinstance(column_type, JSONB):
        return "jsonb"
    if isinstance(column_type, String | Text):
        return "text"
    if isinstance(column_type, SmallInteger):
        return "int2"
    if isinstance(column_type, Integer):
        return "int4"
    if isinstance(column_type, Float):
        return "float8"
    if isinstance(column_type, DateTime):
        return "timestamptz"
    if isinstance(column_type, Boolean):
        return "bool"
    raise TypeError(f"no COPY encoding for column type {column_type!r}")


def copy_plan(table: FromClause, rows: Mapping[str, Any]) -> list[CopyColumn]:
    """The COPY columns for `rows` (column name -> values, plus optional `<name>_null`
    masks), typed from the ORM table; table columns absent from `rows` take their defaults."""
    names = {column.name for column in table.columns}
    unknown = set(rows) - names - {f"{name}_null" for name in names}
    if unknown:
        raise ValueError(f"{table.description}: no such columns: {', '.join(sorted(unknown))}")
    columns = []
    for column in table.columns:
        if column.name not in rows:
            continue
        nulls = rows.get(f"{column.name}_null")
        columns.append(
            CopyColumn(
                column.name,
                pgtype_of(column.type),
                rows[column.name],
                None if nulls is None else np.asarray(nulls, dtype=np.bool_),
            )
        )
    return columns


async def copy_table(
    connection: asyncpg.Connection, table: FromClause, rows: Mapping[str, Any]
) -> int:
    """COPY `rows` into the ORM table's schema-qualified table; returns rows written."""
    schema = getattr(table, "schema", None)
    if schema is None:
        raise ValueError(f"{table.description}: bulk loads need a schema-qualified table")
    return await copy_columns(connection, schema, table.description, copy_plan(table, rows))


@asynccontextmanager
async def deferred_indexes(
    connection: asyncpg.Connection, schema: str, tables: Sequence[str]
) -> AsyncIterator[None]:
    """Drop the tables' secondary indexes and foreign keys for a bulk load; rebuild after.

    PostgreSQL's own advice for populating a table: one sorted index build beats a million
    random B-tree inserts, and one join validating a foreign key beats a trigger per row.
    Run inside the load's transaction, so a failure restores everything. Primary keys and
    unique constraints stay (time-ordered keys append at the right edge), and so do the
    foreign keys other tables hold on these.
    """
    qualified = [f"{schema}.{t}" for t in tables]
    indexes = await connection.fetch(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl"
        " FROM pg_index i WHERE i.indrelid = ANY($1::regclass[])"
        " AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        qualified,
    )
    foreign_keys = await connection.fetch(
        "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS ddl"
        " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[])",
        qualified,
    )
    for fk in foreign_keys:
        await connection.execute(f'ALTER TABLE {fk["tbl"]} DROP CONSTRAINT "{fk["conname"]}"')
    for index in indexes:
        await connection.execute(f"DROP INDEX {index['name']}")
    yield
    await connection.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for index in indexes:
        await connection.execute(index["ddl"])
    for fk in foreign_keys:
        await connection.execute(
            f'ALTER TABLE {fk["tbl"]} ADD CONSTRAINT "{fk["conname"]}" {fk["ddl"]}'
        )


@asynccontextmanager
async def deferred_keys(
    connection: asyncpg.Connection, schema: str, tables: Sequence[str]
) -> AsyncIterator[None]:
    """Also drop the tables' primary keys and unique constraints while they load.

    Use inside `deferred_indexes`, which has dropped the loaded tables' foreign keys; a key
    another table's foreign key still depends on stays. Keys that append at an index's right
    edge are cheap to keep, but string keys arrive in no index order, and building the index
    once afterwards checks uniqueness as inserting would have.
    """
    keys = await connection.fetch(
        "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS ddl"
        " FROM pg_constraint c WHERE contype IN ('p', 'u') AND conrelid = ANY($1::regclass[])"
        " AND NOT EXISTS (SELECT FROM pg_constraint f WHERE f.contype = 'f'"
        " AND f.conindid = c.conindid)"
        " ORDER BY contype, conname",
        [f"{schema}.{t}" for t in tables],
    )
    for key in keys:
        await connection.execute(f'ALTER TABLE {key["tbl"]} DROP CONSTRAINT "{key["conname"]}"')
    yield
    for key in keys:
        await connection.execute(
            f'ALTER TABLE {key["tbl"]} ADD CONSTRAINT "{key["conname"]}" {key["ddl"]}'
        )


__all__ = ["copy_plan", "copy_table", "deferred_indexes", "deferred_keys", "pgtype_of"]
