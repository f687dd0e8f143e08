"""Nerdboard's background jobs (a procrastinate Blueprint; run by `lyceum worker`).

- `nerdboard:reset_history` — pause the simulation and rebuild the generated history from its
  recorded seed. Deferred by `POST /api/nerdboard/simulation/reset` in the request's
  transaction (`service.request_reset`), one at a time. Idempotent: the same seed rebuilds the
  same history, so a retry after a crash leaves what one run would.

The simulation's ticking is not a job (see `runtime.py` for why); the ticker loop runs beside
the jobs in `lyceum worker`.
"""

from __future__ import annotations

import logging

from procrastinate import Blueprint
from rich.progress import Progress

from lyceum.core.db.session import session
from lyceum.nerdboard import repository
from lyceum.nerdboard.connection import POOL
from lyceum.nerdboard.service import RESET_JOB

logger = logging.getLogger(__name__)


def blueprint() -> Blueprint:
    """A fresh Blueprint of Nerdboard's jobs (procrastinate renames tasks as it adds them)."""
    jobs = Blueprint()

    # The lock keeps two resets from running at once even if one was queued by hand.
    @jobs.task(name="reset_history", lock=RESET_JOB, queueing_lock=RESET_JOB)
    async def reset_history(who: str) -> str:
        from lyceum.nerdboard.generate import reset_history as rebuild

        try:
            with Progress(disable=True) as progress:
                return await rebuild(progress, who=who)
        except Exception as exc:
            logger.exception("simulation reset failed")
            async with session(profile="nerdboard", pool=POOL) as db:
                await repository.write_clock(db, last_event=f"reset failed: {exc}"[:500])
            raise

    return jobs


__all__ = ["blueprint"]
