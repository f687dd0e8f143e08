"""`lyceum`: run the platform, manage its database, seed, generate and benchmark."""

from __future__ import annotations

import asyncio
import enum
import os
import signal
import subprocess
import sys
from types import FrameType
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from lyceum.apps import APPS
from lyceum.cli.common import console, err_console, fail, repo_root, run_async, settings_or_exit
from lyceum.cli.db import db_app
from lyceum.cli.jobs import jobs_app
from lyceum.cli.outbox import outbox_app
from lyceum.core.appspec import GenerateOptions
from lyceum.core.errors import ConfigurationError, LyceumError
from lyceum.core.logging import configure_logging

app = typer.Typer(
    name="lyceum",
    help="Lyceum: Nerdboard, TutorMax, Mathvidya and the Adaptive Learning Decision Engine "
    "on one PostgreSQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
app.add_typer(outbox_app, name="outbox")
# Each app's own commands, `lyceum <app> …`, from its AppSpec (the factory imports the app's
# cli module only now, when the command line is built).
for _spec in APPS.values():
    if _spec.cli is not None:
        app.add_typer(_spec.cli(), name=_spec.name)

# Enums give Typer its choices: a wrong app name is a usage error listing the valid ones.
AppName = enum.Enum("AppName", {name: name for name in sorted(APPS)}, type=str)  # type: ignore[misc]
# `web`: the pages in a browser (benchmarks/web_*.py), across every app that has pages.
BenchTarget = enum.Enum(  # type: ignore[misc]
    "BenchTarget", {name: name for name in ["core", "web", *sorted(APPS)]}, type=str
)
Scale = enum.Enum("Scale", {name: name for name in ("small", "default", "large")}, type=str)  # type: ignore[misc]
HostOption = Annotated[str, typer.Option(help="Interface to bind.")]
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
WorkersOption = Annotated[
    int, typer.Option(min=1, max=64, help="Server processes (one per CPU core is typical).")
]


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _serve(host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    settings = settings_or_exit()
    # SIGTERM (service managers, `kill`) and SIGINT (Ctrl-C) both ask the server to stop:
    # uvicorn shuts down gracefully, then re-raises the signal to the handler it found.
    # Found here, either ends the process with status 0 through a normal exit, so atexit
    # runs and an embedded server this process holds is released. Otherwise SIGTERM's
    # default action would end it with 143 and skip atexit, and SIGINT would depend on
    # what the parent left (a shell's background job starts with SIGINT ignored).
    previous = {sig: signal.signal(sig, _exit_cleanly) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        uvicorn.run(
            "lyceum.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            # Each worker is a process with its own pools and tick listener; one simulation
            # worker runs among them (advisory lock).
            workers=workers,
            # A worker must answer the supervisor's first ping after its interpreter has
            # started and re-imported this CLI (spawn), which takes seconds on a busy machine;
            # uvicorn's 5 s would kill and restart it forever.
            timeout_worker_healthcheck=30,
            log_level=settings.log_level.lower(),
            proxy_headers=False,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@app.command()
def serve(
    host: HostOption = "127.0.0.1", port: PortOption = 8000, workers: WorkersOption = 1
) -> None:
    """Serve the API (the database must already be migrated; see `lyceum up`)."""
    _serve(host, port, workers)


WORKER = (sys.executable, "-m", "lyceum.cli.main", "worker")


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=64, help="Jobs run at once (JOBS_CONCURRENCY).")
    ] = None,
) -> None:
    """Run the background worker: every app's jobs, the periodic jobs and Nerdboard's
    simulation ticker, until Ctrl-C or SIGTERM (both stop it cleanly)."""
    from lyceum.core.jobs.worker import WorkerStopped, run_worker

    settings = settings_or_exit()
    if concurrency is not None:
        settings = settings.model_copy(update={"jobs_concurrency": concurrency})
    console.print("worker running; Ctrl-C stops it")
    try:
        asyncio.run(run_worker(settings, APPS.values()))
    except (ConfigurationError, WorkerStopped) as exc:
        fail(str(exc))


def _start_worker() -> subprocess.Popen[bytes]:
    process = subprocess.Popen(WORKER, env=os.environ, stdin=subprocess.DEVNULL)
    console.print(f"Job worker: pid {process.pid} (lyceum jobs list shows its queue)")
    return process


def _stop_worker(process: subprocess.Popen[bytes], grace: float) -> None:
    # Ctrl-C reaches the worker too (same process group); SIGTERM covers the API exiting
    # on its own. The worker finishes running jobs for up to JOBS_SHUTDOWN_SECONDS.
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace + 15)
    except subprocess.TimeoutExpired:
        err_console.print("the job worker did not stop in time; killing it")
        process.kill()
        process.wait(10)


@app.command()
def up(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    generate: Annotated[bool, typer.Option(help="Generate demo data for every app.")] = True,
    scale: Annotated[Scale, typer.Option(help="Demo data scale.")] = Scale.small,  # type: ignore[attr-defined]
    seed: Annotated[int, typer.Option(help="Random seed for demo data.")] = 42,
) -> None:
    """Everything at once: database (embedded unless configured), migrations, reference and
    demo data, then the API and the job worker. Ctrl-C stops it all, the embedded server
    included."""
    from lyceum.cli.db import run_alembic
    from lyceum.cli.seeding import catch_up_for, generate_for, seed_everything
    from lyceum.core.db.url import resolve_database_url

    settings = settings_or_exit()
    try:
        url = resolve_database_url(settings, create_missing=True)
    except ConfigurationError as exc:
        fail(str(exc))
    where = "embedded PostgreSQL 18" if not settings.database_configured else "external PostgreSQL"
    console.print(f"[bold]database[/]: {where} — {url.render_as_string(hide_password=True)}")
    run_alembic("upgrade", "head")
    credentials = run_async(seed_everything(settings, None))
    if generate:
        options = GenerateOptions(seed=seed, scale=scale.value, skip_if_present=True)
        for line in run_async(generate_for(list(APPS.values()), options)):
            console.print(line)
        for line in run_async(catch_up_for(list(APPS.values()), options)):
            console.print(line)
    from lyceum.cli.banner import banner_lines

    console.rule("[bold green]Lyceum is starting")
    for line in banner_lines(f"http://{host}:{port}", settings, APPS.values(), credentials):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print("Press Ctrl-C to stop everything.")
    job_worker = _start_worker()
    # uvicorn re-raises the SIGTERM it handled once the API has stopped; as a plain exit it
    # lets the `finally` below stop the worker (the default action would skip it).
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        _serve(host, port)
    finally:
        _stop_worker(job_worker, settings.jobs_shutdown_seconds)


@app.command(name="seed")
def seed_command(
    app_name: Annotated[
        AppName | None, typer.Argument(metavar="[APP]", help="One app, or all.")
    ] = None,
) -> None:
    """Load reference data (plans, holidays, settings, the demo operator…); idempotent."""
    from lyceum.cli.seeding import seed_everything

    settings = settings_or_exit()
    try:
        credentials = run_async(seed_everything(settings, app_name.value if app_name else None))
    except ConfigurationError as exc:
        fail(str(exc))
    if credentials:
        console.print(f"demo operator: {credentials[0]}")


@app.command(name="generate")
def generate_command(
    app_name: Annotated[AppName, typer.Argument(metavar="APP", help="App name.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    scale: Annotated[Scale, typer.Option(help="Size.")] = Scale.default,  # type: ignore[attr-defined]
    months: Annotated[int, typer.Option(min=1, max=36, help="Months of history.")] = 12,
) -> None:
    """Generate synthetic data for APP at realistic scale (bulk-loaded with COPY)."""
    from lyceum.apps import get_app
    from lyceum.cli.seeding import generate_for

    settings_or_exit()
    spec = get_app(app_name.value)
    if spec.generate is None:
        fail(f"{spec.title} has no data generator yet")
    for line in run_async(
        generate_for([spec], GenerateOptions(seed=seed, scale=scale.value, months=months))
    ):
        console.print(line)


@app.command()
def bench(
    target: Annotated[
        BenchTarget | None,
        typer.Argument(metavar="[APP]", help="`core`, `web` or an app; all when omitted."),
    ] = None,
) -> None:
    """Run the benchmarks (benchmarks/*.py), which print figures against a same-run baseline."""
    directory = repo_root() / "benchmarks"
    scripts = sorted(
        path
        for path in directory.glob("*.py")
        if not path.name.startswith("_")
        and (target is None or path.stem.startswith(f"{target.value}_"))
    )
    if not scripts:
        fail(f"no benchmarks for {target.value if target else 'any app'} in {directory}")
    failed = 0
    for script in scripts:
        console.rule(f"[bold]{script.stem}")
        failed += (
            subprocess.run([sys.executable, str(script)], check=False, env=os.environ).returncode
            != 0
        )
    if failed:
        fail(f"{failed} benchmark(s) failed")


def main() -> None:
    """Entry point: usage errors and configuration errors are one line, never a traceback."""
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    configure_logging(
        level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO"
    )
    try:
        # Without standalone mode, click returns an Exit's code instead of raising it.
        result = app(standalone_mode=False)
        sys.exit(result if isinstance(result, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except typer.TyperException as exc:
        # Typer vendors click; its UsageError/BadParameter carry exit_code 2 and a context.
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        err_console.print(f"lyceum: error: {message}{hint}", highlight=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except ConfigurationError as exc:
        err_console.print(f"lyceum: error: {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except LyceumError as exc:
        # A refusal with a message for a person (unknown scale, missing clock row, ...).
        err_console.print(f"lyceum: error: {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        err_console.print(f"lyceum: error: cannot use the database: {reason}", soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
