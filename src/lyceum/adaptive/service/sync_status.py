"""What teachers and admins see of the sync: devices (last push and pull, changes not yet
pulled, the queue each reported) and dead letters, and asking a device to retry one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas
from lyceum.adaptive.repository import devices
from lyceum.core.errors import NotFound


@dataclass(frozen=True, slots=True)
class Viewer:
    """Whose students the caller sees: a teacher's classes, or everyone (None)."""

    teacher_id: uuid.UUID | None


class StatusParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: uuid.UUID | None = Field(default=None, description="One class's students.")
    student_id: uuid.UUID | None = Field(default=None, description="One student.")
    limit: int = Field(default=200, ge=1, le=1_000)


async def overview(db: AsyncSession, viewer: Viewer, params: StatusParams) -> schemas.SyncOverview:
    scope = (viewer.teacher_id, params.class_id, params.student_id)
    return schemas.SyncOverview(
        devices=[
            schemas.DeviceState(**row) for row in await devices.devices(db, *scope, params.limit)
        ],
        dead_letters=[
            schemas.DeadLetter(**row)
            for row in await devices.dead_letters(db, *scope, params.limit)
        ],
    )


async def request_retry(
    db: AsyncSession, viewer: Viewer, operation_id: uuid.UUID
) -> schemas.RetryRequested:
    stamp = await devices.request_retry(db, viewer.teacher_id, operation_id)
    if stamp is None:
        raise NotFound("no dead letter with this id among your students")
    return schemas.RetryRequested(operation_id=operation_id, retry_requested_at=stamp)


__all__ = ["StatusParams", "Viewer", "overview", "request_retry"]
