"""The adaptive app's init script (seed 004's `init_db.py`): `python -m lyceum.adaptive.init_db`,
also `lyceum adaptive init`. It initialises both databases:

1. PostgreSQL: verify the connection, then build the schema through the migrations
   (`alembic upgrade head`; the adaptive tables are migration 0008), never `create_all`.
2. The local SQLite database (SQLITE_DATABASE_URL): create it from the models if missing,
   or add whatever tables it lacks (`create_all` is idempotent and drops nothing).
3. Print the rows of every table on both, and the next steps.

Nothing here deletes data, so nothing asks.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import OperationalError

from lyceum.adaptive.backup import local_path, table_counts
from lyceum.adaptive.local import TABLES, create_local_engine, create_local_schema
from lyceum.adaptive.models import SCHEMA
from lyceum.core.db import migrate
from lyceum.core.db.engine import database_url
from lyceum.core.db.inspect import SchemaState, counts_line, inspect_schema
from lyceum.core.errors import ConfigurationError, LyceumError, Unavailable
from lyceum.core.settings import Settings, load_settings

TABLE_NAMES = [table.name for table in TABLES]

NEXT_STEPS = """\
Next steps:
  lyceum seed                              reference data for every app
  lyceum serve                             the platform's API on http://127.0.0.1:8000
  lyceum adaptive backup-local FILE        copy the local database (safe while in use)
  python -m lyceum.adaptive.migrate        upgrade | downgrade | current | history
  docs/adaptive.md                         the tables, the offline sync and the engine"""


ServerState = SchemaState


@dataclass(frozen=True)
class InitResult:
    server: ServerState
    local_path: Path
    local_rows: dict[str, int]


def inspect_server(settings: Settings) -> ServerState:
    """Connect and describe the adaptive schema; a refused connection is one clear error."""
    return inspect_schema(settings, SCHEMA, TABLE_NAMES)


async def _create_local(url: str) -> None:
    engine = create_local_engine(url)
    try:
        await create_local_schema(engine)
    finally:
        await engine.dispose()


def initialize_local(url: str) -> tuple[Path, bool]:
    """Create or complete the local database at `url`; (its path, whether it was new)."""
    try:
        path = local_path(url)
    except ValueError as exc:  # make_url's complaint about a malformed URL
        raise ConfigurationError(f"SQLITE_DATABASE_URL: {exc}") from None
    existed = path.is_file()
    try:
        asyncio.run(_create_local(url))
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise Unavailable(f"cannot open the local database {path}: {reason}") from None
    return path, not existed


def initialize(settings: Settings, *, say: Callable[[str], None]) -> InitResult:
    """Run the init steps for both databases; returns their state at the end."""
    where = database_url(settings).render_as_string(hide_password=True)
    say(f"PostgreSQL: connecting to {where} ...")
    state = inspect_server(settings)
    say(f"Connected: PostgreSQL {state.server_version}, migration {state.revision or 'none yet'}")
    say("Applying migrations (alembic upgrade head) ...")
    migrate.upgrade("head")
    state = inspect_server(settings)
    if state.rows is None or len(state.rows) != len(TABLE_NAMES):
        raise LyceumError(f"the migrations did not create every table of schema {SCHEMA}")
    say(f"Schema {SCHEMA} ready at migration {state.revision}: {len(state.rows)} tables.")
    say(f"PostgreSQL rows: {counts_line(state.rows)}")

    url = settings.sqlite_database_url
    path, created = initialize_local(url)
    found = table_counts(path)
    missing = [table for table in TABLE_NAMES if table not in found]
    if missing:
        raise LyceumError(f"the local database {path} lacks tables: {', '.join(missing)}")
    local_rows = {table: found[table] for table in TABLE_NAMES}
    say(
        f"Local SQLite database {'created' if created else 'verified'} at {path} "
        f"(WAL mode): {len(local_rows)} tables."
    )
    say(f"SQLite rows: {counts_line(local_rows)}")
    say(NEXT_STEPS)
    return InitResult(state, path, local_rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lyceum.adaptive.init_db",
        description="Verify the PostgreSQL connection and migrate it to head, create or verify "
        "the local SQLite database, print both databases' table counts and the next steps.",
    )
    parser.parse_args(argv)
    try:
        initialize(load_settings(), say=print)
    except (LyceumError, ConfigurationError) as exc:
        print(f"init_db: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
