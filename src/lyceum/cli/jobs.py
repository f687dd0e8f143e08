"""`lyceum jobs …`: look at the background job queue, retry a failed job, cancel one."""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from lyceum.cli.common import console, fail, run_async, settings_or_exit
from lyceum.core.db.session import session
from lyceum.core.errors import ConfigurationError, LyceumError
from lyceum.core.jobs import admin

if TYPE_CHECKING:
    from datetime import datetime

jobs_app = typer.Typer(
    help="Background jobs: list the queue, retry a failed job, cancel a waiting one.",
    no_args_is_help=True,
)

JobStatus = enum.Enum("JobStatus", {name: name for name in admin.STATUSES}, type=str)  # type: ignore[misc]
JobId = Annotated[int, typer.Argument(min=1, metavar="JOB_ID", help="The job's id (see list).")]
COLOURS = {"failed": "red", "succeeded": "green", "doing": "cyan", "todo": "yellow"}


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _args(args: dict[str, object]) -> str:
    text = json.dumps(args, separators=(",", ":"), default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _line(job: admin.JobRow) -> str:
    return f"job {job.id} ({job.task_name}) is {job.status}, attempts {job.attempts}"


@jobs_app.command("list")
def list_command(
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this status.")] = None,
    task: Annotated[
        str | None, typer.Option(help="Only this task, e.g. nerdboard:reset_history.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
) -> None:
    """The newest jobs first."""
    settings_or_exit()

    async def run() -> list[admin.JobRow]:
        async with session() as db:
            return await admin.list_jobs(
                db, status=status.value if status else None, task=task, limit=limit
            )

    try:
        rows = run_async(run())
    except (ConfigurationError, LyceumError) as exc:
        fail(str(exc))
    table = Table(title=f"Jobs (newest first, at most {limit})")
    for column in ("id", "task", "status", "attempts", "deferred", "scheduled", "finished", "args"):
        table.add_column(column, justify="right" if column in ("id", "attempts") else "left")
    for job in rows:
        colour = COLOURS.get(job.status, "white")
        table.add_row(
            str(job.id),
            job.task_name,
            f"[{colour}]{job.status}[/]",
            str(job.attempts),
            _when(job.deferred_at),
            _when(job.scheduled_at),
            _when(job.finished_at),
            _args(job.args),
        )
    console.print(table)
    console.print(f"{len(rows)} job(s)")


@jobs_app.command("retry")
def retry_command(job_id: JobId) -> None:
    """Queue a failed job again, to run now."""
    settings_or_exit()

    async def run() -> admin.JobRow:
        async with session() as db:
            return await admin.retry_job(db, job_id)

    try:
        job = run_async(run())
    except (ConfigurationError, LyceumError) as exc:
        fail(str(exc))
    console.print(f"{_line(job)}: queued again")


@jobs_app.command("cancel")
def cancel_command(job_id: JobId) -> None:
    """Cancel a waiting job; for a running one, ask its worker to abort it."""
    settings_or_exit()

    async def run() -> tuple[admin.JobRow, str]:
        async with session() as db:
            return await admin.cancel_job(db, job_id)

    try:
        job, outcome = run_async(run())
    except (ConfigurationError, LyceumError) as exc:
        fail(str(exc))
    console.print(f"job {job.id} ({job.task_name}): {outcome}")
