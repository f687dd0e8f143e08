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

    _standing_jobs(jobs)  # issue 16: leaderboard refresh, nightly analytics, monthly reports
    _evaluation_jobs(jobs)  # issue 16: SLA monitor (assignment, reassignment, breaches, notices)

    return jobs


async def submit_overdue_exams_now() -> int:
    """One run of `mathvidya:submit_overdue_exams`, in its own session (committed)."""
    async with get_session() as db:
        handed_in = await exam_service.submit_overdue(db, now=datetime.now(UTC))
    if handed_in:
        logger.info("handed in %d overdue exams", handed_in)
    return handed_in


# ---- issue 16: leaderboards, analytics, monthly reports -------------------------------------
# Schedules (India time): the boards every `leaderboard.refresh_interval_minutes` (30), the
# analytics at `analytics.refresh_schedule` (02:00), the parents' reports on the 1st at 06:00.
# Crons are fixed when the worker starts; a changed setting takes a code change here.
LEADERBOARD_CRON = "*/30 * * * *"
ANALYTICS_CRON = "0 2 * * *"
MONTHLY_REPORT_CRON = "0 6 1 * *"


def _standing_jobs(jobs: Blueprint) -> None:
    @periodic(jobs, cron=LEADERBOARD_CRON, timezone=TIMEZONE, periodic_id="leaderboards")
    @jobs.task(name="refresh_leaderboards")
    async def refresh_leaderboards(timestamp: int) -> int:
        return await refresh_leaderboards_now()

    @periodic(jobs, cron=ANALYTICS_CRON, timezone=TIMEZONE, periodic_id="analytics")
    @jobs.task(name="aggregate_analytics")
    async def aggregate_analytics(timestamp: int) -> int:
        return await aggregate_analytics_now()

    @periodic(jobs, cron=MONTHLY_REPORT_CRON, timezone=TIMEZONE, periodic_id="monthly_reports")
    @jobs.task(name="send_monthly_reports")
    async def send_monthly_reports(timestamp: int) -> int:
        return await send_monthly_reports_now()


async def refresh_leaderboards_now(now: datetime | None = None) -> int:
    """One run of `mathvidya:refresh_leaderboards` (its own session, committed): the rows
    written over all classes and months refreshed. Idempotent: the months are rewritten."""
    from lyceum.mathvidya.service import leaderboard

    async with get_session() as db:
        summaries = await leaderboard.refresh(db, now or datetime.now(UTC))
    written = sum(sum(summary.entries.values()) for summary in summaries)
    logger.info("leaderboards refreshed: %s", [s.model_dump() for s in summaries])
    return written


async def aggregate_analytics_now(now: datetime | None = None) -> int:
    """One run of `mathvidya:aggregate_analytics`: snapshots written for India's day (a rerun
    the same day overwrites them). Returns students + teachers."""
    from lyceum.mathvidya.service import analytics

    async with get_session() as db:
        summary = await analytics.aggregate(db, now or datetime.now(UTC))
    logger.info(
        "analytics for %s: %d students, %d teachers",
        summary.day,
        summary.students,
        summary.teachers,
    )
    return summary.students + summary.teachers


async def send_monthly_reports_now(now: datetime | None = None) -> int:
    """One run of `mathvidya:send_monthly_reports`: last month's report e-mails enqueued (a
    rerun enqueues none: each has a dedupe key)."""
    from lyceum.mathvidya.service import reports

    async with get_session() as db:
        sent = await reports.send_monthly_reports(db, now or datetime.now(UTC))
    logger.info("monthly reports announced: %d", sent)
    return sent


# ---- issue 16: the SLA monitor --------------------------------------------------------------
# Every 5 minutes: expired claims taken back, pending evaluations and re-evaluations assigned,
# forecast breaches moved, forecasts stored, breaches recorded once, holders warned once
# (messages go through the outbox, which the platform's delivery job sends).
SLA_MONITOR_CRON = "*/5 * * * *"


def _evaluation_jobs(jobs: Blueprint) -> None:
    @periodic(jobs, cron=SLA_MONITOR_CRON, timezone=TIMEZONE, periodic_id="sla_monitor")
    @jobs.task(name="monitor_sla")
    async def monitor_sla(timestamp: int) -> int:
        return await monitor_sla_now()


async def monitor_sla_now(now: datetime | None = None) -> int:
    """One run of `mathvidya:monitor_sla` in its own session (committed): how many things it
    changed (0 on a rerun with nothing new, or when another worker holds the run)."""
    from lyceum.mathvidya.service import sla_monitor

    async with get_session() as db:
        run = await sla_monitor.run(db, now=now or datetime.now(UTC))
    if run.changed:
        logger.info("SLA monitor: %s", run)
    return run.changed


__all__ = ["EXPIRE_CRON", "OVERDUE_CRON", "TIMEZONE", "blueprint", "submit_overdue_exams_now"]
