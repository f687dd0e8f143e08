"""Looking at and steering the queue: `lyceum jobs list|retry|cancel` and `/health`'s figures.

Plain SQL on procrastinate's tables through the caller's session; state changes go through
procrastinate's own functions, so its rules (which status may become which) hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lyceum.core.errors import Conflict, NotFound

Status = Literal["todo", "doing", "succeeded", "failed", "cancelled", "aborted"]
STATUSES: tuple[Status, ...] = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")


@dataclass(frozen=True)
class JobRow:
    id: int
    task_name: str
    status: str
    queue: str
    attempts: int
    args: dict[str, Any]
    deferred_at: datetime | None
    scheduled_at: datetime | None
    finished_at: datetime | None
    queueing_lock: str | None
    lock: str | None


@dataclass(frozen=True)
class QueueStats:
    # Jobs waiting that a worker could start now (todo and due).
    queue_depth: int
    # How long the oldest of them has been waiting (since it became due), or None.
    oldest_waiting_seconds: float | None


_SELECT = """
SELECT j.id, j.task_name, j.status::text AS status, j.queue_name, j.attempts, j.args,
       j.scheduled_at, j.queueing_lock, j.lock,
       (SELECT min(e.at) FROM lyceum.procrastinate_events e
         WHERE e.job_id = j.id AND e.type = 'deferred') AS deferred_at,
       (SELECT max(e.at) FROM lyceum.procrastinate_events e
         WHERE e.job_id = j.id AND e.type IN ('succeeded', 'failed', 'cancelled', 'aborted'))
         AS finished_at
  FROM lyceum.procrastinate_jobs j
"""


def _row(row: Any) -> JobRow:
    return JobRow(
        id=row.id,
        task_name=row.task_name,
        status=row.status,
        queue=row.queue_name,
        attempts=row.attempts,
        args=row.args,
        deferred_at=row.deferred_at,
        scheduled_at=row.scheduled_at,
        finished_at=row.finished_at,
        queueing_lock=row.queueing_lock,
        lock=row.lock,
    )


async def list_jobs(
    db: AsyncSession, *, status: str | None = None, task: str | None = None, limit: int = 50
) -> list[JobRow]:
    """The newest jobs first, filtered by status and task name."""
    rows = await db.execute(
        text(
            _SELECT + " WHERE (CAST(:status AS text) IS NULL OR j.status::text = :status)"
            " AND (CAST(:task AS text) IS NULL OR j.task_name = :task)"
            " ORDER BY j.id DESC LIMIT :limit"
        ),
        {"status": status, "task": task, "limit": limit},
    )
    return [_row(row) for row in rows]


async def get_job(db: AsyncSession, job_id: int) -> JobRow:
    row = (await db.execute(text(_SELECT + " WHERE j.id = :id"), {"id": job_id})).one_or_none()
    if row is None:
        raise NotFound(f"no job {job_id}")
    return _row(row)


async def retry_job(db: AsyncSession, job_id: int) -> JobRow:
    """Queue a failed job again, to run now (its attempts count on)."""
    job = await get_job(db, job_id)
    if job.status != "failed":
        raise Conflict(f"job {job_id} is {job.status}; only a failed job can be retried")
    await db.execute(
        text("SELECT lyceum.procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"),
        {"id": job_id},
    )
    return await get_job(db, job_id)


async def cancel_job(db: AsyncSession, job_id: int) -> tuple[JobRow, str]:
    """Cancel a waiting job, or ask the worker running it to abort: (job, what happened)."""
    job = await get_job(db, job_id)
    if job.status not in ("todo", "doing"):
        raise Conflict(f"job {job_id} is {job.status}; only a waiting or running job can stop")
    await db.execute(
        text("SELECT lyceum.procrastinate_cancel_job_v1(:id, :abort, false)"),
        {"id": job_id, "abort": job.status == "doing"},
    )
    after = await get_job(db, job_id)
    if after.status == "cancelled":
        return after, "cancelled"
    return after, "abort requested: the worker running it stops it"


_STATS = text(
    """
SELECT count(*) AS depth,
       extract(epoch FROM now() - min(coalesce(j.scheduled_at, d.at))) AS oldest
  FROM lyceum.procrastinate_jobs j
  LEFT JOIN LATERAL (SELECT min(e.at) AS at FROM lyceum.procrastinate_events e
                      WHERE e.job_id = j.id AND e.type = 'deferred') d ON true
 WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
"""
)


async def queue_stats(db: AsyncSession | AsyncConnection) -> QueueStats:
    row = (await db.execute(_STATS)).one()
    oldest = None if row.oldest is None else max(0.0, round(float(row.oldest), 3))
    return QueueStats(queue_depth=int(row.depth), oldest_waiting_seconds=oldest)


__all__ = [
    "STATUSES",
    "JobRow",
    "QueueStats",
    "cancel_job",
    "get_job",
    "list_jobs",
    "queue_stats",
    "retry_job",
]
