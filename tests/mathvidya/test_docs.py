"""docs/mathvidya.md against the live schema: every table, column, enum type, constraint,
index, trigger and sequence of schema `mathvidya` must be named in it (in backticks), every
constraint-like name it mentions must exist, and its table of counts must match the catalog.

The names come from the migrated test database's catalog, not from the models, so a
constraint added in a migration without a line in the reference fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DOC = Path(__file__).resolve().parents[2] / "docs" / "mathvidya.md"

# What must be documented: one catalog query per kind of object, each returning names.
NAME_QUERIES: dict[str, str] = {
    # contype 'n' (NOT NULL, catalogued from PostgreSQL 18) is documented per column instead.
    "constraint": "SELECT conname FROM pg_constraint"
    " WHERE connamespace = 'mathvidya'::regnamespace AND contype <> 'n'",
    "index": "SELECT indexname FROM pg_indexes WHERE schemaname = 'mathvidya'",
    "trigger": "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE c.relnamespace = 'mathvidya'::regnamespace AND NOT t.tgisinternal",
    "enum type": "SELECT typname FROM pg_type"
    " WHERE typnamespace = 'mathvidya'::regnamespace AND typtype = 'e'",
    "table": "SELECT tablename FROM pg_tables WHERE schemaname = 'mathvidya'",
    "column": "SELECT DISTINCT column_name FROM information_schema.columns"
    " WHERE table_schema = 'mathvidya'",
    "sequence": "SELECT sequencename FROM pg_sequences WHERE schemaname = 'mathvidya'",
}

# The rows of the document's "Counts" table, by label, and the query giving each figure.
_CONSTRAINTS = "SELECT count(*) FROM pg_constraint WHERE connamespace = 'mathvidya'::regnamespace"
_INDEXES = (
    "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " WHERE c.relnamespace = 'mathvidya'::regnamespace"
)
COUNT_QUERIES: dict[str, str] = {
    "tables": "SELECT count(*) FROM pg_tables WHERE schemaname = 'mathvidya'",
    "columns": "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'mathvidya'",
    "CHECK constraints": _CONSTRAINTS + " AND contype = 'c'",
    "UNIQUE constraints": _CONSTRAINTS + " AND contype = 'u'",
    "unique indexes other than primary keys": _INDEXES
    + " AND i.indisunique AND NOT i.indisprimary",
    "primary keys": _CONSTRAINTS + " AND contype = 'p'",
    "foreign keys": _CONSTRAINTS + " AND contype = 'f'",
    "exclusion constraints": _CONSTRAINTS + " AND contype = 'x'",
    "indexes, total": _INDEXES,
    "indexes excluding primary keys": _INDEXES + " AND NOT i.indisprimary",
    "— partial": _INDEXES + " AND i.indpred IS NOT NULL",
    "ENUM types": "SELECT count(*) FROM pg_type"
    " WHERE typnamespace = 'mathvidya'::regnamespace AND typtype = 'e'",
    "triggers": "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE c.relnamespace = 'mathvidya'::regnamespace AND NOT t.tgisinternal",
    "sequences": "SELECT count(*) FROM pg_sequences WHERE schemaname = 'mathvidya'",
}

# Backticked names in the document that look like catalog object names.
CATALOG_NAME = re.compile(r"`((?:pk|uq|ck|fk|ix|ex|trg)_[a-z0-9_]+)`")


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


async def _names(db: AsyncSession, query: str) -> set[str]:
    return set((await db.execute(text(query))).scalars())


@pytest.mark.parametrize("kind", list(NAME_QUERIES))
async def test_every_catalog_name_is_documented(
    db_session: AsyncSession, doc: str, kind: str
) -> None:
    names = await _names(db_session, NAME_QUERIES[kind])
    assert names, f"the catalog lists no {kind} in schema mathvidya: is the database migrated?"
    missing = sorted(name for name in names if f"`{name}`" not in doc)
    assert not missing, f"{DOC.name} does not name (as `name`) these of kind {kind!r}: {missing}"


async def test_documented_catalog_names_exist(db_session: AsyncSession, doc: str) -> None:
    # A renamed or dropped constraint, index or trigger leaves a stale name behind.
    known: set[str] = set()
    for kind in ("constraint", "index", "trigger"):
        known |= await _names(db_session, NAME_QUERIES[kind])
    mentioned = set(CATALOG_NAME.findall(doc))
    assert mentioned, "the document names no constraint, index or trigger"
    stale = sorted(mentioned - known)
    assert not stale, f"{DOC.name} names objects schema mathvidya does not have: {stale}"


def _documented_count(doc: str, label: str) -> int:
    # A row of the Counts table: "| label | 113 …|".
    match = re.search(rf"^\| {re.escape(label)} \| (\d+)\b", doc, flags=re.MULTILINE)
    assert match, f"the Counts table of {DOC.name} has no row {label!r}"
    return int(match.group(1))


@pytest.mark.parametrize("label", list(COUNT_QUERIES))
async def test_counts_table_matches_catalog(db_session: AsyncSession, doc: str, label: str) -> None:
    actual = (await db_session.execute(text(COUNT_QUERIES[label]))).scalar_one()
    assert _documented_count(doc, label) == actual, f"{label}: the catalog has {actual}"
