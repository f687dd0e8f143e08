"""Background jobs on PostgreSQL (procrastinate): see docs/architecture.md, "Background jobs".

- `defer(session, "<app>:<task>", **kwargs)` queues a job in the caller's transaction;
  `defer_exclusive` also refuses while one with the same key is queued or running.
- Apps declare jobs as a `procrastinate.Blueprint` in `<app>/tasks.py`, made by their
  `AppSpec.tasks` factory; `periodic(...)` schedules one by a cron read in a time zone.
- `build_job_app` assembles the App; `run_worker` is `lyceum worker`.
"""

from lyceum.core.jobs.admin import (
    STATUSES,
    JobRow,
    QueueStats,
    cancel_job,
    get_job,
    list_jobs,
    queue_stats,
    retry_job,
)
from lyceum.core.jobs.app import (
    DEFAULT_RETRY,
    NO_RETRY,
    PLATFORM,
    build_job_app,
    job_app,
    task_names,
)
from lyceum.core.jobs.defer import AlreadyQueued, UnknownTask, defer, defer_exclusive
from lyceum.core.jobs.periodic import next_run, periodic

__all__ = [
    "DEFAULT_RETRY",
    "NO_RETRY",
    "PLATFORM",
    "STATUSES",
    "AlreadyQueued",
    "JobRow",
    "QueueStats",
    "UnknownTask",
    "build_job_app",
    "cancel_job",
    "defer",
    "defer_exclusive",
    "get_job",
    "job_app",
    "list_jobs",
    "next_run",
    "periodic",
    "queue_stats",
    "retry_job",
    "task_names",
]
