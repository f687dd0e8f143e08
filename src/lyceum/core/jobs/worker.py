"""`lyceum worker`: procrastinate's worker for every app's jobs, beside the apps' own loops.

One process runs, on one event loop:
- procrastinate's worker (jobs from every queue, the periodic deferrer, heartbeats),
- each app's `AppSpec.worker` context (long-running loops that are not jobs, such as
  Nerdboard's simulation ticker), and
- the platform's outbox sender (`core.outbox.run_sender`), which delivers the messages apps
  write in their transactions.

SIGINT and SIGTERM stop it the same way: no new job is fetched, running jobs get
`JOBS_SHUTDOWN_SECONDS` to finish (then they are aborted and retried later), the app loops
stop, pools close, and the process exits 0, releasing the embedded PostgreSQL if it held it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterable, Mapping
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from procrastinate import App, Blueprint

from lyceum.core.cache import build_cache
from lyceum.core.db.engine import close_db
from lyceum.core.jobs.app import build_job_app, describe
from lyceum.core.outbox import sender_running
from lyceum.core.settings import Settings

if TYPE_CHECKING:
    from lyceum.core.appspec import AppSpec

logger = logging.getLogger(__name__)


class WorkerStopped(RuntimeError):
    """procrastinate's worker ended without being asked to (a side task failed)."""


async def run_worker(
    settings: Settings,
    specs: Iterable[AppSpec],
    *,
    extra: Mapping[str, Blueprint] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until `stop` is set or SIGINT/SIGTERM arrives."""
    specs = tuple(specs)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    cache = build_cache(settings.redis_url)
    try:
        app = build_job_app(settings, specs, extra=extra)
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(sender_running(settings))
            for spec in specs:
                if spec.worker is not None:
                    await stack.enter_async_context(spec.worker(settings, cache))
            async with app.open_async():
                await _run_jobs(app, stop)
        logger.info("worker stopped")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await cache.close()
        await close_db()


async def _run_jobs(app: App, stop: asyncio.Event) -> None:
    described = describe(app)
    logger.info(
        "worker started: %d jobs (%s); periodic: %s",
        len(described["tasks"]),
        ", ".join(described["tasks"]),
        "; ".join(described["periodic"]),
    )
    jobs = asyncio.create_task(
        app.run_worker_async(install_signal_handlers=False), name="procrastinate"
    )
    stopping = asyncio.create_task(stop.wait(), name="stop-requested")
    await asyncio.wait({jobs, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not jobs.done():
        # Cancelling procrastinate's worker is its graceful stop: it fetches nothing more and
        # waits for running jobs (shutdown_graceful_timeout), then aborts what is left.
        jobs.cancel()
    try:
        await jobs
    except asyncio.CancelledError:
        pass
    except Exception as exc:
        # procrastinate wraps driver errors in exceptions without a message of their own.
        reason = str(exc.__cause__ or exc) or type(exc).__name__
        raise WorkerStopped(
            f"the job worker failed: {reason.strip().splitlines()[0]} "
            "(is the database migrated? lyceum db upgrade)"
        ) from exc
    if not stop.is_set():
        raise WorkerStopped("the job worker stopped by itself; see the log above")


__all__ = ["WorkerStopped", "run_worker"]
