"""Compare what the models declare with what the database has: tables and indexes per schema.

This is `\\dt` and `\\di` made checkable: `lyceum db verify` exits non-zero when
the two disagree (a migration forgot an index, someone created one by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, MetaData, PrimaryKeyConstraint, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint

from lyceum.core.jobs.schema import is_queue_object


@dataclass
class SchemaReport:
    schema: str
    tables_expected: set[str] = field(default_factory=set)
    tables_found: set[str] = field(default_factory=set)
    indexes_expected: set[str] = field(default_factory=set)
    indexes_found: set[str] = field(default_factory=set)

    @property
    def missing_tables(self) -> set[str]:
        return self.tables_expected - self.tables_found

    @property
    def extra_tables(self) -> set[str]:
        return self.tables_found - self.tables_expected

    @property
    def missing_indexes(self) -> set[str]:
        return self.indexes_expected - self.indexes_found

    @property
    def extra_indexes(self) -> set[str]:
        return self.indexes_found - self.indexes_expected

    @property
    def ok(self) -> bool:
        return not (
            self.missing_tables or self.extra_tables or self.missing_indexes or self.extra_indexes
        )


def expected_objects(metadata: MetaData, schema: str) -> tuple[set[str], set[str]]:
    """(table names, index names) the models declare for `schema`, including the indexes
    PostgreSQL builds for primary keys, unique and exclusion constraints."""
    tables: set[str] = set()
    indexes: set[str] = set()
    for table in metadata.tables.values():
        if (table.schema or "public") != schema:
            continue
        tables.add(table.name)
        indexes.update(str(index.name) for index in table.indexes if index.name)
        indexes.update(table.info.get("extra_indexes", ()))
        for constraint in table.constraints:
            if not constraint.name:
                continue
            # An exclusion constraint over expressions lists no columns, yet has its index.
            if isinstance(constraint, ExcludeConstraint) or (
                isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
                and len(constraint.columns) > 0  # a table without a primary key has an empty one
            ):
                indexes.add(str(constraint.name))
    return tables, indexes


def found_objects(connection: Connection, schema: str) -> tuple[set[str], set[str]]:
    """What `schema` holds, less the job queue's objects (procrastinate's, not our models')."""
    tables = {
        row[0]
        for row in connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
                "AND tablename <> 'alembic_version'"
            ),
            {"schema": schema},
        )
        if not is_queue_object(row[0])
    }
    indexes = {
        row[0]
        for row in connection.execute(
            text("SELECT indexname FROM pg_indexes WHERE schemaname = :schema"),
            {"schema": schema},
        )
        if row[0] != "alembic_version_pkc" and not is_queue_object(row[0])
    }
    return tables, indexes


def verify_schemas(
    connection: Connection, metadata: MetaData, schemas: tuple[str, ...]
) -> list[SchemaReport]:
    reports = []
    for schema in schemas:
        report = SchemaReport(schema)
        report.tables_expected, report.indexes_expected = expected_objects(metadata, schema)
        report.tables_found, report.indexes_found = found_objects(connection, schema)
        reports.append(report)
    return reports
