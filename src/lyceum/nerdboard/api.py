"""Nerdboard's HTTP API, mounted at /api/nerdboard. Thin: parse, authorise, call the service.

Reads need any authenticated caller; simulation controls need the operator or admin role.
Query parameters are `QueryParams` models: a misspelt or repeated parameter, or a number
written loosely (`0.0` for an integer), is a 422 that names it rather than a silently
ignored or reinterpreted filter. Subjects are the catalog's, listed in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response, status
from pydantic import Field
from sse_starlette import EventSourceResponse

from lyceum.core.auth import Principal, require_roles
from lyceum.core.cache import CacheResult
from lyceum.core.errors import Unavailable
from lyceum.core.models import OPERATOR_ROLES
from lyceum.core.query import QueryParams
from lyceum.nerdboard import repository as repo
from lyceum.nerdboard import schemas, service
from lyceum.nerdboard.dependencies import CacheDep, Clocks, NerdboardSession
from lyceum.nerdboard.events import TickBroadcaster, sse_frame
from lyceum.nerdboard.forecasting.staffing import MIN_TARGET_UTILIZATION
from lyceum.nerdboard.marketplace.catalog import SUBJECT_NAMES
from lyceum.nerdboard.service import forecast as forecasts
from lyceum.nerdboard.service import quality
from lyceum.nerdboard.service.dashboard import DEFAULT_AT_RISK_BELOW, DEFAULT_HEALTH_BINS

# The operator accounts; an app account (a TutorMax tutor) passes no other app's guard.
Reader = Annotated[Principal, Depends(require_roles(*OPERATOR_ROLES))]
Operator = Annotated[Principal, Depends(require_roles("operator", "admin"))]
JSON = "application/json"


# The marketplace's fixed catalog, so the OpenAPI document lists exactly the accepted values.
Subject = Literal[SUBJECT_NAMES]  # type: ignore[valid-type]
SUBJECT_DESCRIPTION = "Only this subject (one of the catalog's); all subjects when omitted."
TARGET_DESCRIPTION = (
    "Share of tutor hours that bookings should fill; staffing is demand / target. Below "
    f"{MIN_TARGET_UTILIZATION:g} the requirement would be more than "
    f"{1 / MIN_TARGET_UTILIZATION:g} times the demand, which is no plan."
)

TargetUtilization = Annotated[
    float, Field(ge=MIN_TARGET_UTILIZATION, le=1, description=TARGET_DESCRIPTION)
]


class OverviewParams(QueryParams):
    target_utilization: TargetUtilization = service.DEFAULT_TARGET_UTILIZATION


class CapacityParams(QueryParams):
    days: int = Field(default=90, ge=1, le=730, description="Days of history before the clock.")
    subject: Subject | None = Field(default=None, description=SUBJECT_DESCRIPTION)
    granularity: Literal["day", "week"] = "day"


class ForecastParams(QueryParams):
    weeks: int = Field(default=8, ge=1, le=26)
    subject: Subject | None = Field(default=None, description=SUBJECT_DESCRIPTION)
    target_utilization: TargetUtilization = service.DEFAULT_TARGET_UTILIZATION


class HealthParams(QueryParams):
    at_risk_below: float = Field(default=DEFAULT_AT_RISK_BELOW, gt=0, le=100)
    limit: int = Field(default=50, ge=1, le=500)
    bins: int = Field(default=DEFAULT_HEALTH_BINS, ge=2, le=50)


class QualityParams(QueryParams):
    history: int = Field(default=50, ge=0, le=500)


def _json(result: CacheResult) -> Response:
    # X-Cache says whether this request was served from the cache or built the entry, or was
    # served the previous entry while the current one is built ("stale", forecasts only).
    state = "stale" if result.stale else "hit" if result.hit else "miss"
    return Response(content=result.value, media_type=JSON, headers={"X-Cache": state})


def _changed(clocks: service.ClockCache | None, clock: repo.ClockRow) -> schemas.SimulationState:
    # This process's next read must not serve the clock from before the change.
    if clocks is not None:
        clocks.invalidate()
    return service.state_model(clock)


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/overview", response_model=schemas.Overview)
    async def overview(
        _: Reader,
        db: NerdboardSession,
        cache: CacheDep,
        clocks: Clocks,
        params: Annotated[OverviewParams, Query()],
    ) -> Response:
        """Headline KPIs for the week before the simulation clock."""
        return _json(await service.cached_overview(cache, db, params.target_utilization, clocks))

    @api.get("/subjects", response_model=list[str])
    async def subjects(_: Reader, db: NerdboardSession) -> list[str]:
        return await repo.subjects(db)

    @api.get("/capacity", response_model=schemas.CapacityResponse)
    async def capacity(
        _: Reader,
        db: NerdboardSession,
        cache: CacheDep,
        clocks: Clocks,
        params: Annotated[CapacityParams, Query()],
    ) -> Response:
        """Capacity, bookings and utilization per subject, by day or ISO week."""
        return _json(
            await service.cached_capacity(
                cache,
                db,
                days=params.days,
                subject=params.subject,
                granularity=params.granularity,
                clocks=clocks,
            )
        )

    @api.get("/forecast", response_model=schemas.ForecastResponse)
    async def forecast(
        _: Reader,
        db: NerdboardSession,
        cache: CacheDep,
        clocks: Clocks,
        params: Annotated[ForecastParams, Query()],
    ) -> Response:
        """Weekly demand forecast with 80/95 % intervals, staffing and shortfall alerts."""
        return _json(
            await forecasts.cached_forecast(
                cache,
                db,
                weeks=params.weeks,
                subject=params.subject,
                target_utilization=params.target_utilization,
                clocks=clocks,
            )
        )

    @api.get("/customer-health", response_model=schemas.CustomerHealth)
    async def customer_health(
        _: Reader,
        db: NerdboardSession,
        cache: CacheDep,
        clocks: Clocks,
        params: Annotated[HealthParams, Query()],
    ) -> Response:
        """Distribution of the latest weekly health scores and the customers most at risk."""
        return _json(
            await service.cached_customer_health(
                cache,
                db,
                at_risk_below=params.at_risk_below,
                limit=params.limit,
                bins=params.bins,
                clocks=clocks,
            )
        )

    @api.get("/quality", response_model=schemas.QualityResponse)
    async def quality_status(
        _: Reader,
        db: NerdboardSession,
        cache: CacheDep,
        clocks: Clocks,
        params: Annotated[QualityParams, Query()],
    ) -> Response:
        """Each check's latest result, the overall 0-5 score, and recent runs."""
        return _json(await quality.cached_quality(cache, db, history=params.history, clocks=clocks))

    @api.post("/quality/run", response_model=schemas.QualityRunResponse)
    async def run_quality(
        _: Operator, db: NerdboardSession, cache: CacheDep, after: BackgroundTasks
    ) -> schemas.QualityRunResponse:
        """Run every data-quality check now (over the week before the simulation clock)."""
        # Background tasks run after the session's commit: a report read in between is
        # rebuilt from the committed run, never cached from before it.
        after.add_task(quality.forget_cached_reports, cache)
        return await quality.run_quality(db)

    # ---- simulation ----------------------------------------------------------------

    @api.get("/simulation", response_model=schemas.SimulationState)
    async def simulation_state(
        _: Reader, db: NerdboardSession, clocks: Clocks
    ) -> schemas.SimulationState:
        """The clock (as of this process's last read: at most 0.25 s or one tick old)."""
        clock = await (clocks.get(db) if clocks else repo.read_clock(db))
        return service.state_model(clock)

    @api.post("/simulation/start", response_model=schemas.SimulationState)
    async def start(
        who: Operator,
        db: NerdboardSession,
        clocks: Clocks,
        body: schemas.StartRequest | None = None,
    ) -> schemas.SimulationState:
        speed = body.speed_multiplier if body else None
        return _changed(clocks, await service.start(db, speed, who.label))

    @api.post("/simulation/pause", response_model=schemas.SimulationState)
    async def pause(who: Operator, db: NerdboardSession, clocks: Clocks) -> schemas.SimulationState:
        return _changed(clocks, await service.pause(db, who.label))

    @api.post("/simulation/resume", response_model=schemas.SimulationState)
    async def resume(
        who: Operator, db: NerdboardSession, clocks: Clocks
    ) -> schemas.SimulationState:
        return _changed(clocks, await service.resume(db, who.label))

    @api.put("/simulation/speed", response_model=schemas.SimulationState)
    async def set_speed(
        who: Operator, db: NerdboardSession, clocks: Clocks, body: schemas.SpeedChange
    ) -> schemas.SimulationState:
        return _changed(clocks, await service.set_speed(db, body.speed_multiplier, who.label))

    @api.post(
        "/simulation/reset",
        response_model=schemas.ResetAccepted,
        status_code=status.HTTP_202_ACCEPTED,
    )
    async def reset(who: Operator, db: NerdboardSession) -> schemas.ResetAccepted:
        """Pause, and rebuild the generated history from its recorded seed: a job for
        `lyceum worker`, queued with this request (409 while one is queued or running)."""
        job_id = await service.request_reset(db, who.label)
        return schemas.ResetAccepted(
            status="resetting",
            job_id=job_id,
            message="the history is being rebuilt by the worker; GET /simulation shows when "
            "it is done",
        )

    # ---- live stream ---------------------------------------------------------------

    @api.get("/stream", response_class=EventSourceResponse)
    async def stream(_: Reader, request: Request) -> EventSourceResponse:
        """Server-Sent Events: a `kpis` event now and after every simulation tick."""
        broadcaster: TickBroadcaster | None = getattr(
            request.app.state, "nerdboard_broadcaster", None
        )
        if broadcaster is None:
            raise Unavailable("live streams are not available in this process")
        queue = broadcaster.subscribe()
        first = broadcaster.latest or await broadcaster.build_now()

        async def events() -> AsyncIterator[bytes]:
            # Frames are encoded once per tick by the broadcaster and shared by every stream.
            try:
                yield sse_frame(first)
                while True:
                    yield sse_frame(await queue.get())
            finally:
                broadcaster.unsubscribe(queue)

        return EventSourceResponse(events(), ping=15)

    return api
