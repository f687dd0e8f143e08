"""Nerdboard's simulation controls: start, pause, resume, speed, and the history reset (a
job deferred in the request's transaction). Each locks the clock row, so two operators'
changes are applied one after the other, never lost."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core import jobs
from lyceum.core.errors import Conflict
from lyceum.nerdboard import repository, schemas
from lyceum.nerdboard.simulation.clock import validate_speed

# ---- simulation controls -----------------------------------------------------------


def state_model(clock: repository.ClockRow) -> schemas.SimulationState:
    return schemas.SimulationState(
        current_date=clock.current_date,
        speed_multiplier=clock.speed_multiplier,
        is_running=clock.is_running,
        last_event=clock.last_event,
        updated_at=clock.updated_at,
    )


async def start(session: AsyncSession, speed: int | None, who: str) -> repository.ClockRow:
    clock = await repository.read_clock(session, for_update=True)
    if clock.is_running:
        raise Conflict("the simulation is already running")
    if speed is not None:
        validate_speed(speed)
    return await repository.write_clock(
        session,
        is_running=True,
        speed_multiplier=speed,
        last_event=f"started by {who} at {speed or clock.speed_multiplier}x",
    )


async def pause(session: AsyncSession, who: str) -> repository.ClockRow:
    clock = await repository.read_clock(session, for_update=True)
    if not clock.is_running:
        raise Conflict("the simulation is not running")
    return await repository.write_clock(session, is_running=False, last_event=f"paused by {who}")


async def resume(session: AsyncSession, who: str) -> repository.ClockRow:
    clock = await repository.read_clock(session, for_update=True)
    if clock.is_running:
        raise Conflict("the simulation is already running")
    return await repository.write_clock(session, is_running=True, last_event=f"resumed by {who}")


async def set_speed(session: AsyncSession, speed: int, who: str) -> repository.ClockRow:
    validate_speed(speed)
    await repository.read_clock(session, for_update=True)
    return await repository.write_clock(
        session, speed_multiplier=speed, last_event=f"speed set to {speed}x by {who}"
    )


# ---- reset --------------------------------------------------------------------------

RESET_JOB = "nerdboard:reset_history"


async def request_reset(session: AsyncSession, who: str) -> int:
    """Queue the history rebuild in the caller's transaction; Conflict (409) while one is
    already queued or running. The job's id."""
    return await jobs.defer_exclusive(session, RESET_JOB, lock=RESET_JOB, who=who)
