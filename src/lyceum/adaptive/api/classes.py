"""What teachers see of their classes: the list, the mastery heatmap (students x topics) and
the students whose plan falls short of their target. A teacher sees their own classes only
(another class is a 404); an adaptive or platform admin every class."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas_learning as schemas
from lyceum.adaptive.api.students import account_id
from lyceum.adaptive.connection import get_db
from lyceum.adaptive.enums import ADMIN_ROLE, TEACHER_ROLE
from lyceum.adaptive.service import classes
from lyceum.adaptive.service.sync_status import Viewer
from lyceum.core.auth import Principal, require_roles

AdaptiveSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
Staff = Annotated[Principal, Depends(require_roles(TEACHER_ROLE, ADMIN_ROLE, "admin"))]


def viewer(principal: Principal) -> Viewer:
    if principal.has_any_role(ADMIN_ROLE, "admin"):
        return Viewer(teacher_id=None)
    return Viewer(teacher_id=account_id(principal))


def router() -> APIRouter:
    api = APIRouter(prefix="/classes", tags=["adaptive classes"])

    @api.get("", response_model=list[schemas.ClassSummary])
    async def list_classes(principal: Staff, db: AdaptiveSession) -> list[schemas.ClassSummary]:
        """The caller's classes (an admin: every class)."""
        return await classes.teacher_classes(db, viewer(principal).teacher_id)

    @api.get("/{class_id}/mastery", response_model=schemas.ClassMastery)
    async def class_mastery(
        class_id: uuid.UUID, principal: Staff, db: AdaptiveSession
    ) -> schemas.ClassMastery:
        """Mean P(mastered) now per student and topic of the class's grade."""
        return await classes.class_mastery(db, viewer(principal), class_id)

    @api.get("/{class_id}/shortfalls", response_model=schemas.ClassShortfalls)
    async def class_shortfalls(
        class_id: uuid.UUID, principal: Staff, db: AdaptiveSession
    ) -> schemas.ClassShortfalls:
        """Students whose current plan expects fewer marks than their target, largest gap
        first."""
        return await classes.class_shortfalls(db, viewer(principal), class_id)

    return api


__all__ = ["router", "viewer"]
