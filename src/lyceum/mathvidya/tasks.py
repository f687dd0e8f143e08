"""Mathvidya's background jobs (a procrastinate Blueprint; run by `lyceum worker`).

- `mathvidya:expire_subscriptions` — every night at 02:00 India time (Asia/Kolkata, 20:30
  UTC the day before): subscriptions whose period has ended become `expired`. Idempotent, so
  a retry, a second worker or a manual run changes nothing more.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from procrastinate import Blueprint

from lyceum.core.jobs import periodic
from lyceum.mathvidya.connection import get_session
from lyceum.mathvidya.repository import catalogue as repository

logger = logging.getLogger(__name__)

# Families, teachers and the CBSE calendar are in India: the night is India's night.
TIMEZONE = "Asia/Kolkata"
EXPIRE_CRON = "0 2 * * *"


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

    return jobs


__all__ = ["EXPIRE_CRON", "TIMEZONE", "blueprint"]
