"""The adaptive app's background jobs (a procrastinate Blueprint; run by `lyceum worker`).

- `adaptive:compact_change_log` — every night at 03:30 UTC: the sync's change log keeps only
  each entity's newest entry. A pull sends an entity's current state, so older entries are
  never needed, and a device whose cursor is behind the compaction misses nothing.
  Idempotent.

Recomputing mastery needs no job: the push does it in the transaction that adds the
attempts, so a pull right after a push already brings it back.
"""

from __future__ import annotations

import logging

from procrastinate import Blueprint

from lyceum.adaptive.connection import get_session
from lyceum.adaptive.repository import changes
from lyceum.core.jobs import periodic

logger = logging.getLogger(__name__)
COMPACT_CRON = "30 3 * * *"


async def compact_change_log_now() -> int:
    """One compaction, in its own session (committed); returns the rows removed."""
    async with get_session() as db:
        removed = await changes.compact(db)
    logger.info("adaptive change log: %d superseded rows removed", removed)
    return removed


def blueprint() -> Blueprint:
    """A fresh Blueprint of the adaptive app's jobs (procrastinate renames tasks as it adds
    them)."""
    jobs = Blueprint()

    @periodic(jobs, cron=COMPACT_CRON, periodic_id="nightly")
    @jobs.task(name="compact_change_log")
    async def compact_change_log(timestamp: int) -> int:
        return await compact_change_log_now()

    return jobs


__all__ = ["COMPACT_CRON", "blueprint", "compact_change_log_now"]
