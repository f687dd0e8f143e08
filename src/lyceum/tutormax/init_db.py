"""TutorMax's init script (seed 002's `init_db.py`): `python -m lyceum.tutormax.init_db`,
also `lyceum tutormax init`.

1. Verify the connection (and say which server it reached).
2. Only with `--reset`, and only after asking: delete TutorMax's data. Nothing else this
   script does can lose data, so nothing else asks.
3. Create the schema through the migrations (`alembic upgrade head`), never `create_all`.
4. Print the next steps.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from sqlalchemy import text

from lyceum.core.db import migrate
from lyceum.core.db.engine import database_url, get_sync_engine
from lyceum.core.db.inspect import SchemaState, counts_line, inspect_schema
from lyceum.core.errors import ConfigurationError, Forbidden, LyceumError
from lyceum.core.settings import Settings, load_settings
from lyceum.tutormax.models import SCHEMA, TABLE_COLUMN_COUNTS
from lyceum.tutormax.repository import TRUNCATE_ALL

NEXT_STEPS = """\
Next steps:
  lyceum generate tutormax      a year of synthetic history (~1,000 tutors, ~3,000 sessions a day)
  lyceum serve                  the platform's API on http://127.0.0.1:8000
  python -c "from lyceum.tutormax import get_settings; print(get_settings().database_url)"
  docs/tutormax.md              the tables, the utility functions and the connection API"""


DatabaseState = SchemaState


def inspect_database(settings: Settings) -> DatabaseState:
    """Connect and describe TutorMax's schema; a refused connection is one clear error."""
    return inspect_schema(settings, SCHEMA, list(TABLE_COLUMN_COUNTS))


def delete_tutormax_data(settings: Settings) -> None:
    with get_sync_engine(settings).begin() as connection:
        connection.execute(text(TRUNCATE_ALL))


def initialize(
    settings: Settings,
    *,
    reset: bool,
    confirm: Callable[[str], bool],
    say: Callable[[str], None],
) -> DatabaseState:
    """Run the init steps; returns the database's state at the end."""
    where = database_url(settings).render_as_string(hide_password=True)
    say(f"Connecting to {where} ...")
    state = inspect_database(settings)
    say(f"Connected: PostgreSQL {state.server_version}, migration {state.revision or 'none yet'}")
    if reset and state.rows is not None:
        if settings.env == "production":
            raise Forbidden("--reset deletes TutorMax's data and is refused when ENV=production")
        held = ", ".join(f"{count:,} {table}" for table, count in state.rows.items() if count)
        question = f"Delete all TutorMax data ({held or 'the tables are empty'})?"
        if not confirm(question):
            raise LyceumError("cancelled: nothing was changed")
        delete_tutormax_data(settings)
        say("TutorMax data deleted.")
    say("Applying migrations (alembic upgrade head) ...")
    migrate.upgrade("head")
    state = inspect_database(settings)
    assert state.rows is not None  # the migrations create the schema
    say(f"Schema {SCHEMA} ready at migration {state.revision}: {len(state.rows)} tables.")
    say(f"Rows: {counts_line(state.rows)}")
    say(NEXT_STEPS)
    return state


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lyceum.tutormax.init_db",
        description="Verify the connection, create TutorMax's schema through the migrations, "
        "and print the next steps.",
    )
    parser.add_argument(
        "--reset", action="store_true", help="delete TutorMax's data first (asks first)"
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    args = parser.parse_args(argv)

    def confirm(question: str) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            raise LyceumError(f"{question} — refusing without confirmation; pass --yes")
        return input(f"{question} [y/N] ").strip().lower() in {"y", "yes"}

    try:
        initialize(load_settings(), reset=args.reset, confirm=confirm, say=print)
    except (LyceumError, ConfigurationError) as exc:
        print(f"init_db: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
