"""The low-level half of the Mathvidya test helpers: SQLSTATEs, fixed instants, the untyped
writes and typed reads, `expect_violation`, and catalog look-ups. Import from
`tests.mathvidya.rows`, which re-exports all of this beside the row factories.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import pytest
from sqlalchemy import Table, column, delete, func, insert, select, table, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.expression import TableClause

from lyceum.mathvidya.models import PRODUCT_TABLE_NAMES, SCHEMA, TABLE_NAMES, MathvidyaBase

Row = dict[str, Any]

CHECK_VIOLATION = "23514"
UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
NOT_NULL_VIOLATION = "23502"
EXCLUSION_VIOLATION = "23P01"

# The seed's fifteen tables; the two the product added (issue 15: account tokens, payments);
# and every table of schema `mathvidya`, which the constraint tests cover alike.
TABLES = TABLE_NAMES
PRODUCT_TABLES = PRODUCT_TABLE_NAMES
ALL_TABLES = TABLES + PRODUCT_TABLES
JSONB_COLUMNS = frozenset(
    {
        "features",
        "mcq_choices",
        "marking_scheme",
        "config",
        "template_snapshot",
        "questions_snapshot",
        "annotations",
        "details",
        "config_value",
        "payload",
    }
)

IST = timezone(timedelta(hours=5, minutes=30), "IST")
SUBSCRIBED = datetime(2025, 3, 25, 10, 0, tzinfo=IST)
PERIOD_START = datetime(2025, 4, 1, tzinfo=IST)
PERIOD_END = datetime(2026, 4, 1, tzinfo=IST)
USAGE_MONTH = date(2025, 4, 1)
CANCELLED = datetime(2025, 5, 10, 12, 0, tzinfo=IST)
REVIEWED = datetime(2025, 2, 1, 11, 0, tzinfo=IST)
EXAM_CREATED = datetime(2025, 4, 7, 10, 0, tzinfo=IST)
EXAM_STARTED = EXAM_CREATED + timedelta(minutes=10)
EXAM_SUBMITTED = EXAM_STARTED + timedelta(hours=3)
EVALUATION_ASSIGNED = EXAM_SUBMITTED + timedelta(hours=1)
EVALUATION_STARTED = EVALUATION_ASSIGNED + timedelta(hours=1)
EXAM_EVALUATED = EXAM_SUBMITTED + timedelta(days=1)
SLA_DEADLINE = EXAM_SUBMITTED + timedelta(days=6)
TOKEN_ISSUED = datetime(2025, 3, 20, 9, 0, tzinfo=IST)
TOKEN_EXPIRES = TOKEN_ISSUED + timedelta(hours=1)
PAID = SUBSCRIBED + timedelta(minutes=2)

# The shape of an Argon2id hash (the only kind `users` accepts); nobody's password.
ARGON2ID_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
UNIT = "Algebra"
MCQ_CHOICES = [
    {"key": "A", "text": "x = 1"},
    {"key": "B", "text": "x = 2"},
    {"key": "C", "text": "x = 3"},
    {"key": "D", "text": "x = 4"},
]
MARKS = {"MCQ": 1, "VSA": 2, "SA": 3, "LA": 5}


def _section(name: str, kind: str, count: int, marks_each: int) -> Row:
    return {"name": name, "question_type": kind, "count": count, "marks_each": marks_each}


# CBSE's board paper: 20 MCQs, 5 VSA, 6 SA, 4 LA and 3 case-based (LA, 4 marks) = 80.
TEMPLATE_SHAPES: dict[str, Row] = {
    "board_exam": {
        "total_marks": 80,
        "duration_minutes": 180,
        "units": [],
        "config": {
            "sections": [
                _section("A", "MCQ", 20, 1),
                _section("B", "VSA", 5, 2),
                _section("C", "SA", 6, 3),
                _section("D", "LA", 4, 5),
                _section("E", "LA", 3, 4),
            ]
        },
    },
    "section_wise": {
        "total_marks": 20,
        "duration_minutes": 40,
        "units": [],
        "config": {"sections": [_section("A", "MCQ", 20, 1)]},
    },
    "unit_wise": {
        "total_marks": 25,
        "duration_minutes": 60,
        "units": [UNIT],
        "config": {
            "sections": [_section("A", "MCQ", 5, 1), _section("B", "VSA", 4, 2),
                         _section("C", "SA", 4, 3)],
            "unit_weightage": {UNIT: 25},
        },
    },
}  # fmt: skip

# The status an exam is in while its evaluation is in each status.
EXAM_STATUS_FOR_EVALUATION = {
    "pending": "submitted",
    "assigned": "under_evaluation",
    "in_progress": "under_evaluation",
    "completed": "evaluated",
    "cancelled": "submitted",
}


def unique_suffix() -> str:
    return uuid.uuid4().hex[:12]


# --- writing and reading ----------------------------------------------------------------------


def mv_table(name: str, *columns: str) -> TableClause:
    """An untyped view of a Mathvidya table: values reach PostgreSQL exactly as given."""
    return table(name, *(column(c) for c in dict.fromkeys(columns)), schema=SCHEMA)


def model_table(name: str) -> Table:
    """The model's (typed) table, for reads that decode JSONB, enums and numerics."""
    return MathvidyaBase.metadata.tables[f"mathvidya.{name}"]


def _bind(values: Row) -> Row:
    # asyncpg's jsonb codec takes JSON text; None stays SQL NULL.
    return {
        k: json.dumps(v) if k in JSONB_COLUMNS and v is not None else v for k, v in values.items()
    }


async def insert_row(db: AsyncSession, name: str, values: Row) -> uuid.UUID:
    target = mv_table(name, "id", *values)
    statement = insert(target).values(_bind(values)).returning(target.c.id)
    return uuid.UUID(str((await db.execute(statement)).scalar_one()))


async def update_row(db: AsyncSession, name: str, row_id: uuid.UUID, values: Row) -> None:
    target = mv_table(name, "id", *values)
    await db.execute(update(target).where(target.c.id == row_id).values(_bind(values)))


async def delete_row(db: AsyncSession, name: str, row_id: uuid.UUID) -> None:
    target = mv_table(name, "id")
    await db.execute(delete(target).where(target.c.id == row_id))


def primary_key(name: str) -> tuple[str, ...]:
    """The primary-key columns of table `name`: `("id",)` for all but the two derived tables
    (leaderboard_entries, analytics_snapshots), which are keyed by what they describe."""
    return tuple(c.name for c in model_table(name).primary_key.columns)


async def insert_keyed(db: AsyncSession, name: str, values: Row) -> Row:
    """Insert `values` into any table, keyed by `id` or not; return the row's primary key
    as {column: value} (decoded by the model's types), for `fetch_keyed` and `count_rows`."""
    key = primary_key(name)
    target = mv_table(name, *key, *values)
    statement = insert(target).values(_bind(values)).returning(*(target.c[k] for k in key))
    inserted = dict((await db.execute(statement)).mappings().one())
    return await _decoded_key(db, name, inserted)


async def _decoded_key(db: AsyncSession, name: str, key: Row) -> Row:
    # The untyped view returns text-ish values; read the key back through the model's types.
    target = model_table(name)
    query = select(*(target.c[k] for k in key))
    for column_name, value in key.items():
        query = query.where(target.c[column_name] == value)
    return dict((await db.execute(query)).mappings().one())


async def fetch_keyed(db: AsyncSession, name: str, key: Row) -> Row | None:
    """The stored row with primary key `key` (from `insert_keyed`), decoded; None if none."""
    target = model_table(name)
    query = select(target)
    for column_name, value in key.items():
        query = query.where(target.c[column_name] == value)
    found = (await db.execute(query)).mappings().first()
    return dict(found) if found is not None else None


async def delete_keyed(db: AsyncSession, name: str, key: Row) -> None:
    target = mv_table(name, *key)
    query = delete(target)
    for column_name, value in key.items():
        query = query.where(target.c[column_name] == value)
    await db.execute(query)


async def fetch_row(db: AsyncSession, name: str, row_id: uuid.UUID) -> Row | None:
    """The stored row, decoded by the model's column types; None if there is none."""
    target = model_table(name)
    found = (await db.execute(select(target).where(target.c.id == row_id))).mappings().first()
    return dict(found) if found is not None else None


async def count_rows(db: AsyncSession, name: str, **where: Any) -> int:
    target = model_table(name)
    query = select(func.count()).select_from(target)
    for key, value in where.items():
        query = query.where(target.c[key] == value)
    return int((await db.execute(query)).scalar_one())


def violation(error: DBAPIError) -> tuple[str | None, str | None, str | None]:
    """(SQLSTATE, constraint name, column name) of the asyncpg error behind `error`."""
    cause = error.orig.__cause__ if error.orig is not None else None
    return (
        getattr(cause, "sqlstate", None),
        getattr(cause, "constraint_name", None),
        getattr(cause, "column_name", None),
    )


Statement = Executable | Callable[[], Awaitable[object]]


async def expect_violation(
    db: AsyncSession, sqlstate: str, name: str | None, statement: Statement
) -> DBAPIError:
    """Run `statement` (a SQLAlchemy statement, or an async callable doing the work) inside a
    SAVEPOINT; assert PostgreSQL refuses it with `sqlstate` naming `name`.

    `name` is the constraint; for NOT NULL (23502) it is the column; None skips the name check
    (e.g. errors raised by triggers). Any database error is caught, not just IntegrityError,
    so trigger refusals (55000, 42501) can be checked the same way.
    """
    with pytest.raises(DBAPIError) as refused:
        async with db.begin_nested():
            if isinstance(statement, Executable):
                await db.execute(statement)
            else:
                await statement()
    state, constraint, column_name = violation(refused.value)
    assert state == sqlstate, (state, constraint, str(refused.value.orig))
    if name is not None:
        named = column_name if sqlstate == NOT_NULL_VIOLATION else constraint
        assert named == name, (state, constraint, column_name, str(refused.value.orig))
    return refused.value


async def expect_insert_violation(
    db: AsyncSession, sqlstate: str, name: str | None, table_name: str, values: Row
) -> DBAPIError:
    async def attempt() -> None:
        await insert_keyed(db, table_name, values)

    return await expect_violation(db, sqlstate, name, attempt)


# --- small queries the factories share -------------------------------------------------------


async def scalar(db: AsyncSession, sql: str, **params: Any) -> Any:
    return (await db.execute(text(sql), params)).scalar_one()


async def one_row(db: AsyncSession, sql: str, **params: Any) -> Row:
    return dict((await db.execute(text(sql), params)).mappings().one())


async def next_number(
    db: AsyncSession, name: str, parent_column: str, parent_id: uuid.UUID, number_column: str
) -> int:
    # Each child needs a number unused within its parent: the next one after the highest.
    target = mv_table(name, parent_column, number_column)
    query = select(func.coalesce(func.max(target.c[number_column]), 0) + 1).where(
        target.c[parent_column] == parent_id
    )
    return int((await db.execute(query)).scalar_one())


def percentage(total_score: Decimal, total_marks: int) -> Decimal:
    """What ck_exam_instances_percentage_of_total wants: PostgreSQL's round(), half up."""
    return (total_score * 100 / total_marks).quantize(Decimal("0.01"), ROUND_HALF_UP)


# --- the catalog --------------------------------------------------------------------------------


class Constraint(NamedTuple):
    table: str
    definition: str
    on_delete: str  # pg_constraint.confdeltype: a, r, c, n, d (blank for non-FKs)
    on_update: str


async def catalog_constraints(db: AsyncSession, kind: str) -> dict[str, Constraint]:
    """name -> Constraint, for one pg_constraint.contype ('c', 'u', 'f', 'p', 'x')."""
    found = await db.execute(
        text(
            "SELECT c.conname, t.relname, pg_get_constraintdef(c.oid),"
            " c.confdeltype::text, c.confupdtype::text"
            " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
            " WHERE c.connamespace = CAST(:schema AS regnamespace) AND c.contype::text = :kind"
        ),
        {"schema": SCHEMA, "kind": kind},
    )
    return {name: Constraint(*rest) for name, *rest in found.all()}


async def unique_names(db: AsyncSession) -> dict[str, str]:
    """name -> table of every unique constraint and unique index that is not a primary key
    (the partial unique indexes have no constraint of their own)."""
    found = await db.execute(
        text(
            "SELECT i.relname, t.relname FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relnamespace = CAST(:schema AS regnamespace)"
            " AND x.indisunique AND NOT x.indisprimary"
        ),
        {"schema": SCHEMA},
    )
    return {index: table_name for index, table_name in found.all()}


async def drop_constraints(db: AsyncSession, name: str, constraints: tuple[str, ...]) -> None:
    """Drop constraints of table `name` (CASCADE: a primary key takes the foreign keys that
    need it). DDL is transactional: call this inside a savepoint that will be rolled back."""
    for constraint in constraints:
        await db.execute(text(f"ALTER TABLE mathvidya.{name} DROP CONSTRAINT {constraint} CASCADE"))


# --- CHECK cases, shared by the test_constraints_checks_* modules --------------------------------


class Bad(NamedTuple):
    """A row of `table` (valid_row + `overrides`) that the CHECK `constraint` must refuse."""

    table: str
    overrides: Row
    constraint: str
    # Checks a row breaking `constraint` cannot help breaking too; dropped inside the
    # savepoint so the rule under test is the only one left to fire.
    shadowed_by: tuple[str, ...] = ()


class Good(NamedTuple):
    """A row at the edge of the CHECKs in `proves`, which the database must keep as given."""

    table: str
    overrides: Row
    proves: tuple[str, ...]


def case_id(case: Bad | Good) -> str:
    shown = "-".join(f"{k}={v}" for k, v in case.overrides.items())
    return f"{case.table}-{shown}"[:120]


async def free_basic_plan(db: AsyncSession) -> None:
    """Delete the seeded `basic` plan (in the test's transaction): the four plan types are all
    seeded and unique, so a new plan row (valid_row's plan_type is `basic`) needs one freed."""
    await db.execute(text("DELETE FROM mathvidya.subscription_plans WHERE plan_type = 'basic'"))


__all__ = [
    "ALL_TABLES",
    "ARGON2ID_HASH",
    "CANCELLED",
    "CHECK_VIOLATION",
    "EVALUATION_ASSIGNED",
    "EVALUATION_STARTED",
    "EXAM_CREATED",
    "EXAM_EVALUATED",
    "EXAM_STARTED",
    "EXAM_STATUS_FOR_EVALUATION",
    "EXAM_SUBMITTED",
    "EXCLUSION_VIOLATION",
    "FOREIGN_KEY_VIOLATION",
    "IST",
    "JSONB_COLUMNS",
    "MARKS",
    "MCQ_CHOICES",
    "NOT_NULL_VIOLATION",
    "PAID",
    "PERIOD_END",
    "PERIOD_START",
    "PRODUCT_TABLES",
    "REVIEWED",
    "SLA_DEADLINE",
    "SUBSCRIBED",
    "TABLES",
    "TEMPLATE_SHAPES",
    "TOKEN_EXPIRES",
    "TOKEN_ISSUED",
    "UNIQUE_VIOLATION",
    "UNIT",
    "USAGE_MONTH",
    "Bad",
    "Constraint",
    "Good",
    "Row",
    "Statement",
    "case_id",
    "catalog_constraints",
    "count_rows",
    "delete_keyed",
    "delete_row",
    "drop_constraints",
    "expect_insert_violation",
    "expect_violation",
    "fetch_keyed",
    "fetch_row",
    "free_basic_plan",
    "insert_keyed",
    "insert_row",
    "model_table",
    "mv_table",
    "next_number",
    "one_row",
    "percentage",
    "primary_key",
    "scalar",
    "unique_names",
    "unique_suffix",
    "update_row",
    "violation",
]
