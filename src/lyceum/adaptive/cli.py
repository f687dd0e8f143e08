"""`lyceum adaptive …`: the adaptive app's init script and the local SQLite backups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lyceum.core.cli import confirm, console, fail, refuse_in_production, settings_or_exit
from lyceum.core.errors import ConfigurationError, LyceumError

commands = typer.Typer(
    help="Adaptive Learning Decision Engine: initialise both databases, back up and restore "
    "the local SQLite database, sync a device with the server.",
    no_args_is_help=True,
)
sync_commands = typer.Typer(
    help="Sync this device's local database (SQLITE_DATABASE_URL) with the server: push the "
    "queued operations, pull the server's changes. Without a subcommand: one sync (--once, "
    "the default) or a sync every --interval seconds (--watch).",
)
commands.add_typer(sync_commands, name="sync")


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


@commands.command(name="plan-eval")
def plan_eval(
    scale: Annotated[str, typer.Option(help="Synthetic world: small or default.")] = "default",
    seed: Annotated[int, typer.Option(help="The synthetic world's seed.")] = 0,
    output: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path(
        "benchmarks/results/adaptive_plans.json"
    ),
) -> None:
    """Simulate the synthetic students from the end of their history to their exam, following
    the optimized plan and the weightage-only plan at equal hours; report expected marks."""
    import json

    from lyceum.adaptive.planning.evaluation import evaluate

    if scale not in ("small", "default"):
        fail("--scale is small or default", code=2)
    report = evaluate(scale, seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    for name, run in report["runs"].items():
        marks, gained = run["expected_marks"], run["marks_gained_over_no_study"]
        _say(
            f"{name}: optimized plan {marks['optimized_plan']:.2f}, weightage-only "
            f"{marks['weightage_only_plan']:.2f}, no study {marks['no_study']:.2f} expected "
            f"marks ({report['students']} students): {run['relative_improvement']:+.1%} "
            f"(marks gained over no study {gained['relative_improvement']:+.1%}); one plan "
            f"{run['plan_ms_one_student']['median']:.0f} ms median"
        )
    if "latent_truth_reference" in report:
        ref = report["latent_truth_reference"]
        _say(f"reference reading the latent truth: {ref['expected_marks']:.2f} "
             f"({ref['relative_improvement']:+.1%})")  # fmt: skip
    _say(f"written to {output}")


# ---- lyceum adaptive evaluate | fit (the mastery model) ------------------------------------


@commands.command(name="evaluate")
def evaluate_mastery(
    scale: Annotated[str, typer.Option(help="Synthetic world: small or default.")] = "default",
    seed: Annotated[int, typer.Option(help="The synthetic world's seed.")] = 0,
    output: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path(
        "benchmarks/results/adaptive_mastery.json"
    ),
) -> None:
    """The mastery model on a time holdout of the synthetic world (next-attempt log-loss and
    AUC beside Kolibri's 3-of-5 rule and running accuracy), and parameter recovery on a world
    whose truth is BKT."""
    from lyceum.adaptive.mastery.report import mastery_report

    if scale not in ("small", "default"):
        fail("--scale is small or default", code=2)
    report = mastery_report(scale, seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.to_json())
    for line in report.lines():
        _say(line)
    _say(f"written to {output}")


@commands.command(name="fit")
def fit_mastery() -> None:
    """Fit the mastery model per concept by EM from every attempt in the database, save the
    parameters and recompute every student's mastery under them (one transaction)."""
    from datetime import UTC, datetime

    from lyceum.adaptive.connection import get_session
    from lyceum.adaptive.service.mastery_fit import FitSummary
    from lyceum.adaptive.service.mastery_fit import fit_mastery as fit
    from lyceum.core.cli import run_async

    settings_or_exit()

    async def run() -> FitSummary:
        async with get_session() as db:
            return await fit(db, datetime.now(UTC))

    try:
        summary = run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    _say(
        f"fitted {summary.concepts_fitted} of {summary.concepts} concepts (the rest: the pooled "
        f"fit) from {summary.attempts:,} attempts by {summary.students:,} students in "
        f"{summary.fit_seconds:.1f} s; log-likelihood {summary.log_likelihood:,.1f}; "
        f"{summary.mastery_rows:,} mastery rows recomputed"
    )


# ---- lyceum adaptive sync ------------------------------------------------------------------


def _run_sync(coroutine: object) -> object:
    import asyncio

    from lyceum.adaptive.device import SyncRefused, SyncUnavailable
    from lyceum.adaptive.device.commands import NotSignedIn

    try:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    except NotSignedIn as exc:
        fail(str(exc), code=2)
    except SyncRefused as exc:
        fail(f"the server refused this device: {exc}")
    except SyncUnavailable as exc:
        fail(f"the server could not be reached: {exc} (the queue is kept; try again later)")


@sync_commands.callback(invoke_without_command=True)
def sync(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option("--watch", help="Keep syncing until stopped.")] = False,
    once: Annotated[bool, typer.Option("--once", help="One sync, then exit (default).")] = False,
    interval: Annotated[
        float, typer.Option(min=1.0, help="Seconds between syncs with --watch.")
    ] = 30.0,
) -> None:
    """Push the queue, then pull the server's changes."""
    if ctx.invoked_subcommand is not None:
        return
    if watch and once:
        fail("give --once or --watch, not both", code=2)
    from lyceum.adaptive.device import commands as device

    settings = settings_or_exit()
    if watch:
        _say(f"syncing every {interval:g} s; stop with Ctrl+C")
        _run_sync(device.watch(settings.sqlite_database_url, interval))
        return
    summary = _run_sync(device.sync_once(settings.sqlite_database_url))
    push, pull = summary.push, summary.pull  # type: ignore[attr-defined]
    _say(
        f"pushed {push.applied} applied, {push.duplicates} duplicate, {push.rejected} rejected "
        f"in {push.batches} batch(es); pulled {pull.changes} change(s), cursor {pull.cursor}"
    )


@sync_commands.command(name="login")
def sync_login(
    server: Annotated[str, typer.Option(help="The server's base URL, e.g. http://host:8000.")],
    email: Annotated[str, typer.Option(help="The student's sign-in email.")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, help="Asked for when not given.")
    ],
) -> None:
    """Sign this device in as a student (the token is kept in the local database)."""
    from lyceum.adaptive.device import commands as device

    settings = settings_or_exit()
    state = _run_sync(device.sign_in(settings.sqlite_database_url, server, email, password))
    _say(f"device {state.device_id} signed in to {server} as student {state.student_id}")  # type: ignore[attr-defined]


@sync_commands.command(name="status")
def sync_status() -> None:
    """The queue (waiting, completed, dead letters with their reasons), cursor, last sync."""
    import asyncio

    from lyceum.adaptive.device import commands as device

    settings = settings_or_exit()
    report = asyncio.run(device.status(settings.sqlite_database_url))
    state, counts = report.state, report.counts
    _say(
        f"device {state.device_id}, student {state.student_id or '-'}, "
        f"server {state.server_url or '-'}"
    )
    _say(
        f"waiting {counts.waiting} (sent, answer not received: {counts.in_progress}), "
        f"completed {counts.completed}, dead letters {counts.failed}"
    )
    _say(
        f"cursor {state.cursor}; last push {state.last_push_at or 'never'}; "
        f"last pull {state.last_pull_at or 'never'}"
    )
    if state.last_error:
        _say(f"last error ({state.last_error_at}): {state.last_error}")
    for op in report.dead_letters:
        _say(f"dead letter {op.id} {op.entity_type}/{op.operation.value}: {op.last_error}")


@sync_commands.command(name="retry")
def sync_retry(
    operations: Annotated[
        list[str] | None, typer.Argument(help="Dead-letter operation ids (default: all).")
    ] = None,
) -> None:
    """Put dead letters back in the queue (after fixing what the server rejected)."""
    import asyncio
    import uuid

    from lyceum.adaptive.device import commands as device

    settings = settings_or_exit()
    try:
        ids = [uuid.UUID(value) for value in operations] if operations else None
    except ValueError:
        fail("operation ids are UUIDs, as `lyceum adaptive sync status` prints them", code=2)
    moved = asyncio.run(device.retry(settings.sqlite_database_url, ids))
    _say(f"{moved} dead letter(s) back in the queue; run `lyceum adaptive sync` to send them")
