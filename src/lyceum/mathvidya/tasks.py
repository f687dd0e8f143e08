"""Mathvidya's background jobs (a procrastinate Blueprint; run by `lyceum worker`).

- `mathvidya:expire_subscriptions` — every night at 02:00 India time (Asia/Kolkata, 20:30
  UTC the day before): subscriptions whose period has ended become `expired`. Idempotent, so
  a retry, a second worker or a manual run changes nothing more.
- `mathvidya:submit_overdue_exams` — every minute: exams still in progress 15 minutes after
  their time ran out are handed in (MCQs marked) through the same code as a student's own
  submission (`service.exams.submit_overdue`). Rows are taken `FOR UPDATE SKIP LOCKED`, so two
  workers never hand in one exam twice, and a handed-in exam no longer matches.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from procrastinate import Blueprint

from lyceum.core.jobs import periodic
from lyceum.mathvidya.connection import get_session
from lyceum.mathvidya.repository import catalogue as repository
from lyceum.mathvidya.service import exams as exam_service

logger = logging.getLogger(__name__)

# Families, teachers and the CBSE calendar are in India: the night is India's night.
TIMEZONE = "Asia/Kolkata"
EXPIRE_CRON = "0 2 * * *"
OVERDUE_CRON = "* * * * *"


def blueprint() -> Blueprint:
    """A fresh Blueprint of Mathvidya's jobs (procrastinate renames tasks as it adds them)."""
    jobs = Blueprint()

    @periodic(jobs, cron=EXPIRE_CRON, timezone=TIMEZONE, periodic_id="nightly")
    @jobs.task(name="expire_subscriptions")
    async def expire_subscriptions(timestamp: int) -> int:
        # `timestamp` is the schedule's occurrence; what has ended is judged at run time, so
        # a run delayed past another `ends_at` expires that one too.
        async with get_session() as db:
            expired = await repository.expire_ended_subscriptions(db, at=datetime.now(UTC))
        logger.info("expired %d subscriptions", expired)
        return expired

    @periodic(jobs, cron=OVERDUE_CRON, timezone=TIMEZONE, periodic_id="every_minute")
    @jobs.task(name="submit_overdue_exams")
    async def submit_overdue_exams(timestamp: int) -> int:
        return await submit_overdue_exams_now()

    return jobs


async def submit_overdue_exams_now() -> int:
    """One run of `mathvidya:submit_overdue_exams`, in its own session (committed)."""
    async with get_session() as db:
        handed_in = await exam_service.submit_overdue(db, now=datetime.now(UTC))
    if handed_in:
        logger.info("handed in %d overdue exams", handed_in)
    return handed_in


__all__ = ["EXPIRE_CRON", "OVERDUE_CRON", "TIMEZONE", "blueprint", "submit_overdue_exams_now"]
