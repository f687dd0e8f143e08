"""`lyceum adaptive …`: the adaptive app's init script and the local SQLite backups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lyceum.core.cli import confirm, console, fail, refuse_in_production, settings_or_exit
from lyceum.core.errors import ConfigurationError, LyceumError

commands = typer.Typer(
    help="Adaptive Learning Decision Engine: initialise both databases, back up and restore "
    "the local SQLite database.",
    no_args_is_help=True,
)


def _say(line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)


@commands.command()
def init() -> None:
    """Migrate PostgreSQL to head, create or verify the local SQLite database, print both
    databases' table counts and the next steps."""
    from lyceum.adaptive.init_db import initialize
    from lyceum.core.db.engine import close_db_sync

    settings = settings_or_exit()
    try:
        initialize(settings, say=_say)
    except (LyceumError, ConfigurationError) as exc:
        fail(str(exc))
    finally:
        close_db_sync()


@commands.command(name="backup-local")
def backup_local(
    file: Annotated[Path, typer.Argument(help="Where to write the copy (SQLite file).")],
) -> None:
    """Copy the local SQLite database (SQLITE_DATABASE_URL) to FILE with SQLite's online
    backup API: safe while the app writes to it."""
    from lyceum.adaptive.backup import backup_local as copy_local
    from lyceum.adaptive.backup import table_counts

    settings = settings_or_exit()
    try:
        written = copy_local(settings.sqlite_database_url, file)
        rows = sum(table_counts(written).values())
    except LyceumError as exc:
        fail(str(exc))
    _say(f"local backup written to {written} ({written.stat().st_size:,} bytes, {rows:,} rows)")


@commands.command(name="restore-local")
def restore_local(
    file: Annotated[Path, typer.Argument(help="A copy made by `lyceum adaptive backup-local`.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the local SQLite database's contents with the copy in FILE."""
    from lyceum.adaptive.backup import local_path
    from lyceum.adaptive.backup import restore_local as copy_back

    settings = settings_or_exit()
    refuse_in_production(settings, "adaptive restore-local")
    if not file.is_file():
        fail(f"no such backup file: {file}", code=2)
    try:
        target = local_path(settings.sqlite_database_url)
    except (LyceumError, ValueError) as exc:
        fail(str(exc), code=2)
    confirm(f"Replace the local database {target} with the contents of {file}?", yes)
    try:
        copy_back(file, target)
    except LyceumError as exc:
        fail(str(exc))
    _say(f"local database {target} restored from {file}")
