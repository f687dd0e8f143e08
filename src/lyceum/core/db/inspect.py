"""What an app's schema holds right now: the server, the migration, rows per table.

The init scripts (`tutormax/init_db.py`, `adaptive/init_db.py`) and `lyceum mathvidya verify`
describe the database to a person before and after they act; they share this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from lyceum.core.db import migrate
from lyceum.core.db.engine import database_url, get_sync_engine
from lyceum.core.errors import Unavailable
from lyceum.core.settings import Settings


@dataclass(frozen=True)
class SchemaState:
    server_version: str
    revision: str | None
    # Rows per table of the schema, in the order asked for; None before the schema exists.
    rows: dict[str, int] | None


def _present_tables(connection: Connection, schema: str) -> set[str]:
    return {
        str(name)
        for name in connection.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": schema},
        ).scalars()
    }


def describe_schema(connection: Connection, schema: str, tables: Sequence[str]) -> SchemaState:
    """Server version, current migration and the row count of each of `tables` that exists."""
    version = str(connection.execute(text("SHOW server_version")).scalar())
    revision = migrate.current_revision(connection)
    present = _present_tables(connection, schema)
    if not present:
        return SchemaState(version, revision, None)
    rows = {
        # Names come from the app's models, never from input.
        table: int(
            connection.execute(text(f'SELECT count(*) FROM {schema}."{table}"')).scalar() or 0  # noqa: S608
        )
        for table in tables
        if table in present
    }
    return SchemaState(version, revision, rows)


def inspect_schema(settings: Settings, schema: str, tables: Sequence[str]) -> SchemaState:
    """Connect and describe `schema`; a refused connection becomes one clear error."""
    url = database_url(settings)
    try:
        with get_sync_engine(settings).connect() as connection:
            return describe_schema(connection, schema, tables)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        where = url.render_as_string(hide_password=True)
        raise Unavailable(f"cannot connect to PostgreSQL at {where}: {reason}") from None


def counts_line(rows: dict[str, int]) -> str:
    return ", ".join(f"{table} {count:,}" for table, count in rows.items())


__all__ = ["SchemaState", "counts_line", "describe_schema", "inspect_schema"]
