"""`GET /health`: can this process serve? Read by load balancers, orchestrators and `make up`.

It answers 503 with the *same* body as the 200 rather than the API's error shape:
probes switch on the status code, and the people reading a failing probe need to see
which dependency is down, which the error shape has no place for.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import time
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lyceum.core.access import public
from lyceum.core.cache import Cache
from lyceum.core.jobs import queue_stats

logger = logging.getLogger("lyceum.web.health")
router = APIRouter()

# A probe's own timeout is typically 1-5 s; answering within it, even with "down",
# beats letting the probe time out and guess.
CHECK_TIMEOUT_SECONDS = 2.0

try:
    VERSION = importlib.metadata.version("lyceum")
except importlib.metadata.PackageNotFoundError:  # running from a source tree without install
    VERSION = "0+unknown"


class DatabaseHealth(BaseModel):
    ok: bool
    latency_ms: float


class CacheHealth(BaseModel):
    ok: bool
    backend: Literal["redis", "memory"]


class JobsHealth(BaseModel):
    # Jobs a worker could start now; null when the queue could not be read.
    queue_depth: int | None
    # How long the oldest of them has waited, in seconds; null if none waits (or unread).
    oldest_waiting_seconds: float | None


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    database: DatabaseHealth
    cache: CacheHealth
    jobs: JobsHealth
    version: str


async def check_database(engine: AsyncEngine) -> DatabaseHealth:
    # A fresh round trip through the pool, not a cached flag: the probe exists to
    # notice a database that went away after startup.
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        ok = True
    except Exception:
        logger.warning("health: the database check failed", exc_info=True)
        ok = False
    return DatabaseHealth(ok=ok, latency_ms=round((time.perf_counter() - started) * 1000, 3))


async def check_cache(cache: Cache, backend: Literal["redis", "memory"]) -> CacheHealth:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            ok = await cache.ping()
    except Exception:
        logger.warning("health: the cache check failed", exc_info=True)
        ok = False
    return CacheHealth(ok=ok, backend=backend)


async def check_jobs(engine: AsyncEngine) -> JobsHealth:
    # Informational: a backlog is for alerts to judge, and an unreadable queue is already
    # reported by the database check, so this never makes the probe fail.
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), engine.connect() as connection:
            stats = await queue_stats(connection)
    except Exception:
        logger.warning("health: the job queue could not be read", exc_info=True)
        return JobsHealth(queue_depth=None, oldest_waiting_seconds=None)
    return JobsHealth(
        queue_depth=stats.queue_depth, oldest_waiting_seconds=stats.oldest_waiting_seconds
    )


# Public: probes carry no credentials, and the answer names no data.
@router.get(
    "",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse}},
    dependencies=[Depends(public)],
)
async def health(request: Request, response: Response) -> HealthResponse:
    state = request.app.state
    # Same rule as build_cache: Redis exactly when a URL is configured.
    backend: Literal["redis", "memory"] = "redis" if state.settings.redis_url else "memory"
    database, cache, jobs = await asyncio.gather(
        check_database(state.engine), check_cache(state.cache, backend), check_jobs(state.engine)
    )
    healthy = database.ok and cache.ok
    if not healthy:
        response.status_code = 503
    return HealthResponse(
        status="ok" if healthy else "degraded",
        database=database,
        cache=cache,
        jobs=jobs,
        version=VERSION,
    )
