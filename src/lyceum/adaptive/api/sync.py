"""The offline sync's HTTP edge: a student's device pushes its queued operations and pulls the
server's changes; teachers and admins see devices and dead letters and ask a device to send a
rejected operation again.

Who may touch what: a device acts for the student its token names (the token's subject), and
every operation naming another student is rejected; a teacher sees the students of their own
classes only; an adaptive admin (or a platform admin) sees everyone.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas
from lyceum.adaptive.connection import get_db
from lyceum.adaptive.enums import ADMIN_ROLE, STUDENT_ROLE, TEACHER_ROLE
from lyceum.adaptive.service import sync_pull, sync_push, sync_status
from lyceum.core.auth import Principal, require_roles
from lyceum.core.errors import NotFound

AdaptiveSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
Student = Annotated[Principal, Depends(require_roles(STUDENT_ROLE))]
Staff = Annotated[Principal, Depends(require_roles(TEACHER_ROLE, ADMIN_ROLE, "admin"))]


def _account_id(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        # Signed in, but as someone with no adaptive account (an operator, say): the same
        # answer Mathvidya gives, 404, since the caller's role was admitted.
        raise NotFound(
            "this sign-in names no adaptive account; sign in with an adaptive account",
            details={"reason": "no_account"},
        ) from None


def _viewer(principal: Principal) -> sync_status.Viewer:
    if principal.has_any_role(ADMIN_ROLE, "admin"):
        return sync_status.Viewer(teacher_id=None)
    return sync_status.Viewer(teacher_id=_account_id(principal))


def router() -> APIRouter:
    api = APIRouter(prefix="/sync", tags=["adaptive sync"])

    @api.post("/push", response_model=schemas.PushResponse)
    async def push(
        body: schemas.PushRequest, principal: Student, db: AdaptiveSession
    ) -> schemas.PushResponse:
        """Apply a batch of the device's queued operations, each at most once: the answer
        says, per operation, `applied`, `duplicate` (applied before: success) or `rejected`
        with the reason. A rejected operation never stops the others."""
        return await sync_push.push(db, _account_id(principal), body)

    @api.get("/pull", response_model=schemas.PullResponse)
    async def pull(
        principal: Student,
        db: AdaptiveSession,
        params: Annotated[schemas.PullParams, Query()],
    ) -> schemas.PullResponse:
        """The server's changes after `cursor`, oldest first, as the rows' current state."""
        return await sync_pull.pull(db, _account_id(principal), params)

    @api.get("/status", response_model=schemas.SyncOverview)
    async def status(
        principal: Staff,
        db: AdaptiveSession,
        params: Annotated[sync_status.StatusParams, Query()],
    ) -> schemas.SyncOverview:
        """Devices and dead letters of the caller's classes (an admin: everyone's)."""
        return await sync_status.overview(db, _viewer(principal), params)

    @api.post("/dead-letters/{operation_id}/retry", response_model=schemas.RetryRequested)
    async def retry(
        operation_id: uuid.UUID, principal: Staff, db: AdaptiveSession
    ) -> schemas.RetryRequested:
        """Ask the device that sent this rejected operation to send it again (its next pull
        carries the request) — after fixing what made the server reject it."""
        return await sync_status.request_retry(db, _viewer(principal), operation_id)

    return api


__all__ = ["router"]
