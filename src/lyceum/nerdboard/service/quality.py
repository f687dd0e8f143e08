"""Nerdboard's data-quality use cases: run every check (SQL in `repository.quality`, scoring in
the pure `scoring.quality`) and log the results, and report the latest results and history."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.cache import Cache, CacheResult
from lyceum.nerdboard import schemas
from lyceum.nerdboard.repository import quality
from lyceum.nerdboard.scoring.quality import (
    QualityCheck,
    QualityLogEntry,
    QualityResult,
    describe_outcome,
    score_check,
)
from lyceum.nerdboard.service.dashboard import ClockCache, cached


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


async def run_quality_checks(
    session: AsyncSession,
    *,
    until: datetime | None = None,
    window: timedelta = timedelta(days=7),
    checked_at: datetime | None = None,
    checks: Sequence[QualityCheck] | None = None,
) -> list[QualityResult]:
    """Run `checks` (default: all) over [until - window, until) and log one row per check.

    `until` and `checked_at` default to the simulation clock (wall time if the clock row is
    missing). Flushes, never commits: the caller owns the transaction.
    """
    if window <= timedelta(0):
        raise ValueError(f"window must be positive, got {window}")
    clock = await quality.simulation_clock(session) or datetime.now(UTC)
    end = until or clock
    stamp = checked_at or clock
    _require_aware("until", end)
    _require_aware("checked_at", stamp)
    start = end - window
    results: list[QualityResult] = []
    for check in quality.QUALITY_CHECKS if checks is None else checks:
        started = time.perf_counter()
        affected, checked, samples = await quality.measure(session, check, start, end, clock)
        score = score_check(affected, checked, check.thresholds)
        results.append(
            QualityResult(
                check_name=check.name,
                category=check.category,
                status=score.status,
                quality_score=score.quality_score,
                affected_count=affected,
                checked_count=checked,
                samples=samples,
                error_details=describe_outcome(
                    check.message, check.params, affected, checked, samples
                ),
                checked_at=stamp,
                window_start=start,
                window_end=end,
                elapsed_ms=(time.perf_counter() - started) * 1000.0,
            )
        )
    await quality.log_results(session, results)
    return results


def _quality_row(entry: QualityLogEntry) -> schemas.QualityCheckStatus:
    return schemas.QualityCheckStatus(
        check_name=entry.check_name,
        status=entry.status,
        quality_score=entry.quality_score,
        affected_records_count=entry.affected_records_count,
        error_details=entry.error_details,
        checked_at=entry.checked_at,
    )


async def quality_report(session: AsyncSession, *, history: int) -> schemas.QualityResponse:
    latest = await quality.latest_quality_status(session)
    recent = await quality.quality_history(session, limit=history) if history else []
    return schemas.QualityResponse(
        overall_score=None
        if not latest
        else round(sum(e.quality_score for e in latest) / len(latest), 3),
        checks=[_quality_row(e) for e in latest],
        history=[_quality_row(e) for e in recent],
    )


# A run of the checks drops the cached reports at once (after its commit), instead of leaving
# them until the next tick: with the simulation paused that could be minutes.
QUALITY_CACHE_TAG = "nerdboard-quality"


async def cached_quality(
    cache: Cache, session: AsyncSession, *, history: int, clocks: ClockCache | None = None
) -> CacheResult:
    """GET /quality and the data-quality page share the entry."""
    return await cached(
        cache,
        session,
        "quality",
        f"history={history}",
        lambda _clock: quality_report(session, history=history),
        clocks,
        tags=(QUALITY_CACHE_TAG,),
    )


async def forget_cached_reports(cache: Cache) -> None:
    await cache.invalidate_tag(QUALITY_CACHE_TAG)


async def run_quality(session: AsyncSession) -> schemas.QualityRunResponse:
    results = await run_quality_checks(session)
    return schemas.QualityRunResponse(
        checks=[
            schemas.QualityCheckStatus(
                check_name=r.check_name,
                status=r.status,
                quality_score=r.quality_score,
                affected_records_count=r.affected_count,
                error_details=r.error_details,
                checked_at=r.checked_at,
            )
            for r in results
        ]
    )


__all__ = ["quality_report", "run_quality", "run_quality_checks"]
