"""The procrastinate App: every app's job blueprint plus the platform's own jobs.

Each app declares its jobs as a `procrastinate.Blueprint` made by `AppSpec.tasks` (a factory:
procrastinate renames a blueprint's tasks when it is added, so each App needs fresh ones).
`build_job_app` adds them under the app's name, so Nerdboard's `reset_history` is the task
`nerdboard:reset_history` (`:` is procrastinate's namespace separator), and the platform's
are `lyceum:*`. The last App built is this process's registry: `defer` checks names and
arguments against it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from procrastinate import App, Blueprint, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from psycopg.conninfo import make_conninfo

from lyceum.core import outbox
from lyceum.core.db.session import session
from lyceum.core.db.url import resolve_database_url
from lyceum.core.errors import LyceumError
from lyceum.core.jobs.periodic import ZonedPeriodicRegistry, every_seconds_cron
from lyceum.core.jobs.schema import SCHEMA
from lyceum.core.settings import Settings, libpq_url

if TYPE_CHECKING:
    from lyceum.core.appspec import AppSpec

logger = logging.getLogger(__name__)

PLATFORM = "lyceum"
# A failed job is retried after 4, 16, 64 and 256 s (4 ** attempt), then left failed for
# `lyceum jobs retry`. Transient faults (a database restart, a lock timeout) get about five
# minutes to clear.
DEFAULT_RETRY = RetryStrategy(max_attempts=5, exponential_wait=4)
# Finished jobs kept for `lyceum jobs list`, then purged by the platform's daily job.
KEEP_FINISHED_HOURS = 7 * 24


class _NoRetry(BaseRetryStrategy):
    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        return None


# For a task that must not run again by itself (it says so; the default is DEFAULT_RETRY).
NO_RETRY = _NoRetry()

_current: App | None = None


def connector(settings: Settings) -> PsycopgConnector:
    """procrastinate's connector: its own small psycopg pool, search_path `lyceum` (its SQL
    names its tables without a schema), on the configured or embedded database."""
    url = resolve_database_url(settings)
    conninfo = make_conninfo(
        libpq_url(url), options=f"-c search_path={SCHEMA}", application_name="lyceum:jobs"
    )
    # One connection per concurrent job to finish it, plus the fetcher, the periodic
    # deferrer and the heartbeat; LISTEN takes one of its own outside the pool.
    return PsycopgConnector(conninfo=conninfo, min_size=1, max_size=settings.jobs_concurrency + 3)


def platform_blueprint(settings: Settings) -> Blueprint:
    """The platform's own jobs: crash recovery, the purge of old finished jobs, and one
    outbox delivery pass on demand."""
    jobs = Blueprint()

    @jobs.periodic(cron=every_seconds_cron(settings.jobs_recovery_seconds), periodic_id="recovery")
    @jobs.task(
        name="retry_stalled_jobs",
        pass_context=True,
        retry=NO_RETRY,
        queueing_lock=f"{PLATFORM}:retry_stalled_jobs",
    )
    async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
        """Put back in the queue the running jobs of workers that stopped sending heartbeats
        (killed, frozen, cut off). Their tasks are idempotent, so running again is safe."""
        manager = context.app.job_manager
        stalled = list(
            await manager.get_stalled_jobs(
                seconds_since_heartbeat=settings.jobs_stalled_after_seconds
            )
        )
        for job in stalled:
            logger.warning("retrying job %s of a worker that stopped: %s", job.id, job.task_name)
            await manager.retry_job(job)
        return len(stalled)

    @jobs.periodic(cron="17 3 * * *", periodic_id="daily")
    @jobs.task(name="purge_finished_jobs", pass_context=True, retry=NO_RETRY)
    async def purge_finished_jobs(context: JobContext, timestamp: int) -> None:
        """Drop succeeded and cancelled jobs (and their events) after a week; failed ones stay
        until someone looks (`lyceum jobs list --status failed`)."""
        await context.app.job_manager.delete_old_jobs(
            nb_hours=KEEP_FINISHED_HOURS, include_cancelled=True
        )

    @jobs.task(name="deliver_outbox", queueing_lock=f"{PLATFORM}:deliver_outbox")
    async def deliver_outbox() -> int:
        """One delivery pass over the outbox (what `lyceum worker`'s sender loop does every
        few seconds), for a deployment or a test that wants it as a job; returns messages
        sent."""
        async with session() as db:
            report = await outbox.deliver_due(db, outbox.transports_for(settings))
        return report.sent

    return jobs


def build_job_app(
    settings: Settings,
    specs: Iterable[AppSpec],
    *,
    extra: Mapping[str, Blueprint] | None = None,
) -> App:
    """The App for these apps (and `extra` blueprints by namespace, for tests); also made
    this process's registry for `defer`."""
    global _current
    app = App(
        connector=connector(settings),
        worker_defaults={
            "concurrency": settings.jobs_concurrency,
            "update_heartbeat_interval": settings.jobs_heartbeat_seconds,
            "stalled_worker_timeout": settings.jobs_stalled_after_seconds,
            "shutdown_graceful_timeout": settings.jobs_shutdown_seconds,
        },
    )
    app.periodic_registry = ZonedPeriodicRegistry()
    app.add_tasks_from(platform_blueprint(settings), namespace=PLATFORM)
    for spec in specs:
        if spec.tasks is not None:
            app.add_tasks_from(spec.tasks(), namespace=spec.name)
    for namespace, blueprint in (extra or {}).items():
        app.add_tasks_from(blueprint, namespace=namespace)
    for task in app.tasks.values():
        if task.retry_strategy is None:
            task.retry_strategy = DEFAULT_RETRY
    _current = app
    return app


def job_app() -> App:
    """This process's job registry (the App `build_job_app` built last)."""
    if _current is None:
        raise LyceumError(
            "no job registry in this process: the edge must call build_job_app() at startup"
        )
    return _current


def task_names(app: App) -> list[str]:
    """Registered task names, without procrastinate's built-in ones and aliases."""
    return sorted(
        name
        for name, task in app.tasks.items()
        if name == task.name and not name.startswith("builtin:")
    )


def describe(app: App) -> dict[str, Any]:
    """Tasks and periodic schedules, for logs and `lyceum worker`'s start line."""
    return {
        "tasks": task_names(app),
        "periodic": sorted(
            f"{periodic.task.name} @ {periodic.cron}"
            for periodic in app.periodic_registry.periodic_tasks.values()
        ),
    }


__all__ = [
    "DEFAULT_RETRY",
    "KEEP_FINISHED_HOURS",
    "NO_RETRY",
    "PLATFORM",
    "build_job_app",
    "connector",
    "describe",
    "job_app",
    "platform_blueprint",
    "task_names",
]
