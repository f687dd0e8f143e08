"""Background jobs (schema lyceum): procrastinate's tables, types and functions.

The SQL comes from the installed procrastinate package, never from this repository: its
migration files are replayed in order, up to and including `THROUGH`, with `lyceum` as the
search path. Replaying the files (as procrastinate's own Django integration does) rather than
running its one-shot `schema.sql` keeps the history honest across package upgrades: a later
revision applies the files after `THROUGH`, and a database built from scratch passes through
exactly the same steps as one upgraded in place. tests/core/test_jobs_schema.py checks that the
result equals `SchemaManager.get_schema()` of the installed version, so an upgrade of the
package without a revision fails the tests (docs/architecture.md, "Background jobs", says how
to write that revision).

procrastinate's functions name its tables without a schema and would resolve them through the
*caller's* search_path; each one gets `SET search_path = lyceum, pg_temp` so it works from any
connection (the API's, whose search_path is the default).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:30:00+00:00
"""

import re
from collections.abc import Sequence
from pathlib import Path

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "lyceum"
# The newest migration file of procrastinate 3.10.0: this revision installs that schema.
THROUGH = "03.04.00_50_post_add_retry_failed_job_procedure.sql"

# Every procrastinate object is named procrastinate_* (indexes also idx_procrastinate_*).
_OURS = r"'procrastinate\_%'"
ADD_VALUE = re.compile(r"\bADD\s+VALUE\b", re.IGNORECASE)

PIN_FUNCTIONS = f"""
DO $$
DECLARE fn regprocedure;
BEGIN
    FOR fn IN SELECT p.oid::regprocedure FROM pg_proc p
              WHERE p.pronamespace = '{SCHEMA}'::regnamespace AND p.proname LIKE {_OURS}
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = {SCHEMA}, pg_temp', fn);
    END LOOP;
END
$$"""  # noqa: S608 - built from this module's constants

DROP_ALL = f"""
DO $$
DECLARE
    item record;
    dropped text;
BEGIN
    -- Triggers, then functions (one returns a table's row type, others are the triggers'),
    -- then the tables in one statement (their foreign keys point at each other), then types.
    FOR item IN SELECT t.tgname, t.tgrelid::regclass AS tbl FROM pg_trigger t
                JOIN pg_class c ON c.oid = t.tgrelid
                WHERE c.relnamespace = '{SCHEMA}'::regnamespace AND c.relname LIKE {_OURS}
                  AND NOT t.tgisinternal
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', item.tgname, item.tbl);
    END LOOP;
    SELECT string_agg(p.oid::regprocedure::text, ', ') INTO dropped FROM pg_proc p
     WHERE p.pronamespace = '{SCHEMA}'::regnamespace AND p.proname LIKE {_OURS};
    IF dropped IS NOT NULL THEN
        EXECUTE 'DROP FUNCTION ' || dropped;
    END IF;
    SELECT string_agg(c.oid::regclass::text, ', ') INTO dropped FROM pg_class c
     WHERE c.relnamespace = '{SCHEMA}'::regnamespace AND c.relkind = 'r' AND c.relname LIKE {_OURS};
    IF dropped IS NOT NULL THEN
        EXECUTE 'DROP TABLE ' || dropped;
    END IF;
    -- Enums and composite types (a table's row type went with its table).
    SELECT string_agg(t.oid::regtype::text, ', ') INTO dropped FROM pg_type t
     WHERE t.typnamespace = '{SCHEMA}'::regnamespace AND t.typname LIKE {_OURS}
       AND (t.typtype = 'e' OR (t.typtype = 'c'
            AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'));
    IF dropped IS NOT NULL THEN
        EXECUTE 'DROP TYPE ' || dropped;
    END IF;
END
$$"""  # noqa: S608 - built from this module's constants


def _files() -> list[Path]:
    directory = Path(SchemaManager.get_migrations_path())
    # Names are zero-padded versions (NN.NN.NN_NN_slug.sql): name order is version order.
    files = sorted(directory.glob("*.sql"))
    names = [path.name for path in files]
    if THROUGH not in names:
        raise RuntimeError(
            f"the installed procrastinate has no migration {THROUGH}; "
            "install the version in uv.lock (make .venv/.lyceum-installed)"
        )
    return files[: names.index(THROUGH) + 1]


def _sql(path: Path) -> str:
    # Alembic runs the text through SQLAlchemy's text(): a bare ":name" would be read as a
    # bind parameter. procrastinate's files have none today; escape any a later one adds.
    return re.sub(r"(?<![:\w]):(?=[A-Za-z_])", r"\\:", path.read_text(encoding="utf-8"))


def _batches() -> list[list[Path]]:
    """The files in transactions: PostgreSQL refuses to use an enum value added by `ALTER
    TYPE ... ADD VALUE` before the transaction that added it commits, so a batch ends after
    each file that adds one (as each file is its own transaction in procrastinate's tools)."""
    batches: list[list[Path]] = [[]]
    for path in _files():
        batches[-1].append(path)
        if ADD_VALUE.search(path.read_text(encoding="utf-8")):
            batches.append([])
    return [batch for batch in batches if batch]


def upgrade() -> None:
    # Alembic runs a revision in one transaction; this one needs a few (see _batches), each
    # with lyceum as its search path (the files name no schema).
    with op.get_context().autocommit_block():
        batches = _batches()
        for number, batch in enumerate(batches, start=1):
            op.execute("BEGIN")
            op.execute("SET LOCAL lock_timeout = '10s'")
            op.execute(f"SET LOCAL search_path TO {SCHEMA}")
            for path in batch:
                op.execute(_sql(path))
            if number == len(batches):
                op.execute(PIN_FUNCTIONS)
            op.execute("COMMIT")


def downgrade() -> None:
    op.execute(DROP_ALL)
