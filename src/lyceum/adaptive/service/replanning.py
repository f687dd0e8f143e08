"""Asking for a student's study plan to be redone, in the caller's transaction.

The job `adaptive:replan_student` (tasks.py) is queued with a queueing lock per student, so
at most one waits per student however many attempts arrive: a burst of answers (or a push of
500) makes one replan, not one each.

Why the waiting job is also row-locked: if a job is already waiting, this transaction's
attempts must still reach the plan. The waiting job will read them only if it starts after
this transaction commits; the worker takes jobs with `FOR UPDATE SKIP LOCKED`, so holding a
share lock on the waiting job's row until commit keeps the worker off it until then. Without
it, the worker could start the waiting job in between, plan from the data before this
transaction, and leave this transaction with no replan queued at all.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core import jobs

logger = logging.getLogger(__name__)

REPLAN_JOB = "adaptive:replan_student"
# Per student: one waiting job (queueing lock) and one running at a time (lock).
_KEY = "adaptive:replan:{student}"

_HOLD_WAITING = text(
    "SELECT id FROM lyceum.procrastinate_jobs"
    " WHERE queueing_lock = :key AND status = 'todo' FOR SHARE"
)


def replan_key(student_id: uuid.UUID) -> str:
    return _KEY.format(student=student_id)


async def request_replan(db: AsyncSession, student_id: uuid.UUID) -> int:
    """Queue the student's replan, or hold the one already waiting until this transaction
    commits; the job's id."""
    key = replan_key(student_id)
    # Twice at most: a waiting job can start between our look and our insert (then the
    # insert succeeds), or another transaction can queue one in between (then we hold it).
    for _ in range(3):
        waiting = await db.scalar(_HOLD_WAITING, {"key": key})
        if waiting is not None:
            return int(waiting)
        try:
            return await jobs.defer(
                db, REPLAN_JOB, queueing_lock=key, lock=key, student_id=str(student_id)
            )
        except jobs.AlreadyQueued:
            continue
    raise jobs.AlreadyQueued(f"could not queue or hold the replan of student {student_id}")


__all__ = ["REPLAN_JOB", "replan_key", "request_replan"]
