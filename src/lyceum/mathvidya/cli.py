"""`lyceum mathvidya …`: Mathvidya's commands."""

from __future__ import annotations

import typer
from rich.table import Table

from lyceum.core.cli import console, fail, settings_or_exit
from lyceum.core.errors import LyceumError

commands = typer.Typer(
    help="Mathvidya: verify its schema and the reference data the migrations load.",
    no_args_is_help=True,
)

# Seed 003, "Step 5: Verify Database": the rows its reference-data migration loads (0007), plus
# the six settings of the evaluation workflow (migration 0014): 18 + 6 settings.
EXPECTED_REFERENCE_ROWS = {"subscription_plans": 4, "holidays": 26, "system_config": 24}


@commands.command()
def verify() -> None:
    """Seed 003's "Verify Database" step: every table of schema mathvidya with its rows, and
    the reference data checked against the migrations (4 plans, 26 holidays, 24 settings: the
    seed's 18 and the evaluation workflow's 6). Exits 1 when a table is missing or the
    reference data differs."""
    from lyceum.core.db.engine import close_db_sync
    from lyceum.core.db.inspect import inspect_schema
    from lyceum.mathvidya.models import SCHEMA, TABLE_NAMES

    settings = settings_or_exit()
    try:
        state = inspect_schema(settings, SCHEMA, TABLE_NAMES)
    except LyceumError as exc:
        fail(str(exc))
    finally:
        close_db_sync()
    if state.rows is None:
        fail("schema mathvidya does not exist yet: run `lyceum db upgrade` (or `make migrate`)")
    table = Table(title=f"mathvidya at migration {state.revision}")
    table.add_column("table_name")
    table.add_column("rows", justify="right")
    table.add_column("expected", justify="right")
    problems = [f"table {name} is missing" for name in TABLE_NAMES if name not in state.rows]
    for name, count in state.rows.items():
        expected = EXPECTED_REFERENCE_ROWS.get(name)
        mark = "" if expected is None else str(expected)
        if expected is not None and count != expected:
            problems.append(f"{name} has {count} rows, the seed loads {expected}")
            mark = f"[red]{expected}[/]"
        table.add_row(name, f"{count:,}", mark)
    console.print(table)
    if problems:
        fail("; ".join(problems))
    console.print(f"{len(state.rows)} tables; reference data as the seed loads it")


__all__ = ["EXPECTED_REFERENCE_ROWS", "commands"]
