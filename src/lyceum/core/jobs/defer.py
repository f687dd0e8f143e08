"""Deferring a job in the caller's transaction.

`defer(session, "nerdboard:reset_history", who="...")` inserts the job through procrastinate's
own SQL function, `procrastinate_defer_jobs_v1`, on the SQLAlchemy session's connection: the
job commits with the request's (or the script's) other writes, or not at all. A worker cannot
see it before the commit, and a rollback leaves no job behind.
"""

from __future__ import annotations

import inspect
import json
from datetime import datetime, timedelta
from typing import Any

from procrastinate import App
from procrastinate.manager import QUEUEING_LOCK_CONSTRAINT
from procrastinate.tasks import Task
from sqlalchemy import DateTime, Integer, String, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, InvalidInput
from lyceum.core.jobs.app import job_app, task_names


class UnknownTask(InvalidInput):
    """No task of that name is registered."""


class AlreadyQueued(Conflict):
    """A job holding the same queueing lock is waiting (or, for `defer_exclusive`, running)."""


_DEFER = text(
    "SELECT unnest(lyceum.procrastinate_defer_jobs_v1(ARRAY[ROW("
    ":queue, :task_name, :priority, :lock, :queueing_lock, :args, :scheduled_at"
    ")::lyceum.procrastinate_job_to_defer_v1])) AS id"
).bindparams(
    bindparam("queue", type_=String),
    bindparam("task_name", type_=String),
    bindparam("priority", type_=Integer),
    bindparam("lock", type_=String),
    bindparam("queueing_lock", type_=String),
    bindparam("args", type_=JSONB),
    bindparam("scheduled_at", type_=DateTime(timezone=True)),
)

_ACTIVE_WITH_KEY = text(
    "SELECT id FROM lyceum.procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') AND (queueing_lock = :key OR lock = :key) "
    "ORDER BY id LIMIT 1"
)


def registered_task(name: str, app: App | None = None) -> Task[Any, Any, Any]:
    app = app or job_app()
    task = app.tasks.get(name)
    if task is None or name.startswith("builtin:"):
        raise UnknownTask(f"unknown job {name!r}; registered jobs: {', '.join(task_names(app))}")
    return task


def _check_arguments(task: Task[Any, Any, Any], kwargs: dict[str, Any]) -> None:
    """Refuse now what the worker would refuse later: missing, unknown or non-JSON arguments."""
    parameters = list(inspect.signature(task.func).parameters.values())
    if task.pass_context:
        parameters = parameters[1:]
    try:
        inspect.Signature(parameters).bind(**kwargs)
    except TypeError as exc:
        raise InvalidInput(f"job {task.name}: {exc}") from None
    try:
        json.dumps(kwargs)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"job {task.name}: arguments must be JSON values ({exc})") from None


async def defer(
    session: AsyncSession,
    task_name: str,
    *,
    queueing_lock: str | None = None,
    lock: str | None = None,
    schedule_in: timedelta | None = None,
    schedule_at: datetime | None = None,
    priority: int | None = None,
    queue: str | None = None,
    **task_kwargs: Any,
) -> int:
    """Queue `task_name(**task_kwargs)` in `session`'s transaction; the job's id.

    `queueing_lock`: at most one waiting job per value (AlreadyQueued otherwise, and the
    caller's transaction stays usable). `lock`: jobs sharing it run one at a time.
    `schedule_in`/`schedule_at`: not before then. Unset options take the task's defaults.
    """
    task = registered_task(task_name)
    _check_arguments(task, task_kwargs)
    if schedule_in is not None and schedule_at is not None:
        raise InvalidInput("give schedule_in or schedule_at, not both")
    if schedule_in is not None:
        schedule_at = datetime.now().astimezone() + schedule_in
    if schedule_at is not None and schedule_at.utcoffset() is None:
        raise InvalidInput("schedule_at must be timezone-aware")
    params = {
        "queue": queue or task.queue,
        "task_name": task.name,
        "priority": task.priority if priority is None else priority,
        "lock": lock if lock is not None else task.lock,
        "queueing_lock": queueing_lock if queueing_lock is not None else task.queueing_lock,
        "args": task_kwargs,
        "scheduled_at": schedule_at,
    }
    if params["queueing_lock"] is None:
        return int((await session.execute(_DEFER, params)).scalar_one())
    try:
        # A savepoint: a refused insert must not abort the caller's transaction.
        async with session.begin_nested():
            return int((await session.execute(_DEFER, params)).scalar_one())
    except IntegrityError as exc:
        if QUEUEING_LOCK_CONSTRAINT not in str(exc.orig):
            raise
        raise AlreadyQueued(
            f"a {task.name} job with queueing lock {params['queueing_lock']!r} is already queued"
        ) from None


async def defer_exclusive(
    session: AsyncSession, task_name: str, *, lock: str, **options: Any
) -> int:
    """`defer` unless a job holding `lock` is queued *or running* (AlreadyQueued, a 409).

    `lock` is both the job's queueing lock and its lock; a transaction-scoped advisory lock
    on it makes concurrent callers take turns, so exactly one of them queues the job.
    """
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": lock}
    )
    active = await session.scalar(_ACTIVE_WITH_KEY, {"key": lock})
    if active is not None:
        raise AlreadyQueued(f"job {active} ({task_name}) is already queued or running")
    return await defer(session, task_name, queueing_lock=lock, lock=lock, **options)


__all__ = ["AlreadyQueued", "UnknownTask", "defer", "defer_exclusive", "registered_task"]
