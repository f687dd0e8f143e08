"""The adaptive app's background jobs (a procrastinate Blueprint; run by `lyceum worker`).

- `adaptive:compact_change_log` — every night at 03:30 UTC: the sync's change log keeps only
  each entity's newest entry. A pull sends an entity's current state, so older entries are
  never needed, and a device whose cursor is behind the compaction misses nothing.
  Idempotent.

- `adaptive:replan_student(student_id)` — redo one student's study plan from their current
  mastery and profile and save it (`service.plans.replan`). Queued, in the same transaction,
  by whatever changes what a plan is made from: an attempt submitted through the API, a push
  that applied attempts or profile fields, a profile update (`service/replanning.py`). At
  most one waits per student (procrastinate's queueing lock) and one runs at a time per
  student (its lock), so a burst of attempts makes one replan. Idempotent: running it again
  makes the same plan from the same data. A student without an exam date (or whose exam has
  passed) has nothing to plan: the job says so and succeeds.

- `adaptive:refit_mastery` — every night at 04:00 UTC: fit the mastery model again from every
  attempt held (`service.mastery_fit.fit_mastery`: parameters, offsets, every student's
  mastery recomputed under them). Pushes wait on the change log's lock while it runs (tens
  of seconds at default scale), hence the night. Idempotent: the same attempts give the same
  fit.

Updating mastery needs no job: the push and the API do it in the transaction that adds the
attempts, so a pull right after a push already brings it back.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from procrastinate import Blueprint

from lyceum.adaptive.connection import get_session
from lyceum.adaptive.repository import changes
from lyceum.core.jobs import periodic

logger = logging.getLogger(__name__)
COMPACT_CRON = "30 3 * * *"
REFIT_CRON = "0 4 * * *"


async def compact_change_log_now() -> int:
    """One compaction, in its own session (committed); returns the rows removed."""
    async with get_session() as db:
        removed = await changes.compact(db)
    logger.info("adaptive change log: %d superseded rows removed", removed)
    return removed


async def refit_mastery_now() -> str:
    """One refit in its own session (committed): what was done, in a sentence."""
    # Imported here: the fit (NumPy, SciPy) loads only in processes that fit.
    from lyceum.adaptive.service.mastery_fit import fit_mastery

    async with get_session() as db:
        summary = await fit_mastery(db, datetime.now(UTC))
    outcome = (
        f"fitted {summary.concepts} concepts on {summary.attempts:,} attempts in"
        f" {summary.fit_seconds:.1f} s; {summary.mastery_rows:,} mastery rows recomputed"
    )
    logger.info("adaptive mastery refit: %s", outcome)
    return outcome


async def replan_student_now(student_id: uuid.UUID) -> str:
    """One replan in its own session (committed): what was done, in a sentence."""
    # Imported here: the planner (SciPy) loads only in processes that plan.
    from lyceum.adaptive.service import plans

    async with get_session() as db:
        outcome = await plans.replan_in_background(db, student_id, datetime.now(UTC))
    logger.info("adaptive replan of student %s: %s", student_id, outcome)
    return outcome


def blueprint() -> Blueprint:
    """A fresh Blueprint of the adaptive app's jobs (procrastinate renames tasks as it adds
    them)."""
    jobs = Blueprint()

    @periodic(jobs, cron=COMPACT_CRON, periodic_id="nightly")
    @jobs.task(name="compact_change_log")
    async def compact_change_log(timestamp: int) -> int:
        return await compact_change_log_now()

    @periodic(jobs, cron=REFIT_CRON, periodic_id="nightly")
    @jobs.task(name="refit_mastery")
    async def refit_mastery(timestamp: int) -> str:
        return await refit_mastery_now()

    @jobs.task(name="replan_student")
    async def replan_student(student_id: str) -> str:
        return await replan_student_now(uuid.UUID(student_id))

    return jobs


__all__ = [
    "COMPACT_CRON",
    "REFIT_CRON",
    "blueprint",
    "compact_change_log_now",
    "refit_mastery_now",
    "replan_student_now",
]
