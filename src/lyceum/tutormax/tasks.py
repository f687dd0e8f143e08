"""TutorMax's background jobs (a procrastinate Blueprint; run by `lyceum worker`).

- `tutormax:daily` — every morning at 05:00 UTC (before the tutor-success team's day in the
  Americas, where the synthetic marketplace's tutors are): the day's metrics, churn scores,
  intervention rules and escalation (`service.daily.run_day`), committed once. Rerunning a
  day changes nothing, so a retry, a second worker or `lyceum tutormax daily` is harmless.
  One at a time (a lock): two runs of one day would only wait on each other's rows.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from procrastinate import Blueprint

from lyceum.core.jobs import periodic
from lyceum.tutormax.connection import get_session

logger = logging.getLogger(__name__)

DAILY_CRON = "0 5 * * *"
TIMEZONE = "UTC"
DAILY_LOCK = "tutormax:daily"


def blueprint() -> Blueprint:
    """A fresh Blueprint of TutorMax's jobs (procrastinate renames tasks as it adds them)."""
    jobs = Blueprint()

    @periodic(jobs, cron=DAILY_CRON, timezone=TIMEZONE, periodic_id="morning")
    @jobs.task(name="daily", lock=DAILY_LOCK)
    async def daily(timestamp: int) -> str:
        from lyceum.tutormax.service.daily import data_day, run_day

        today = datetime.fromtimestamp(timestamp, UTC).date()
        async with get_session() as db:
            day = await data_day(db, today)
            report = await run_day(db, day)
        logger.info("tutormax daily run: %s", report)
        return (
            f"{report.day}: {report.metric_rows} metric rows, {report.predictions} predictions"
            f" ({report.model_version}), {report.interventions_opened} interventions opened,"
            f" {report.escalated} escalated"
        )

    return jobs


__all__ = ["DAILY_CRON", "DAILY_LOCK", "TIMEZONE", "blueprint"]
