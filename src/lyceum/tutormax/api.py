"""TutorMax's HTTP API, mounted at /api/tutormax. Thin: parse, authorise, call the service.

Reads need any signed-in operator account (admin, operator or viewer). The evaluation engine,
churn predictions and interventions add their routes with issue 14.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.auth import Principal, get_principal
from lyceum.core.timestamps import Timestamp
from lyceum.tutormax import schemas, service
from lyceum.tutormax.connection import get_db_session
from lyceum.tutormax.enums import TutorStatus

TutorMaxSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
Reader = Annotated[Principal, Depends(get_principal)]


class TutorListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TutorStatus | None = None
    subject: str | None = Field(default=None, min_length=1, max_length=100)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class TutorDetailParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=30, ge=1, le=365, description="Days of activity to summarise.")
    until: Timestamp | None = Field(
        default=None,
        description="End of the activity window, an RFC 3339 date-time with an offset (now"
        " when omitted).",
    )


TutorId = Annotated[str, Path(min_length=1, max_length=50)]


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/tutors", response_model=schemas.TutorPage)
    async def list_tutors(
        _: Reader, db: TutorMaxSession, params: Annotated[TutorListParams, Query()]
    ) -> schemas.TutorPage:
        """Tutors by name, filtered by status and subject, a page at a time."""
        return await service.tutor_page(
            db,
            status=params.status,
            subject=params.subject,
            limit=params.limit,
            offset=params.offset,
        )

    @api.get("/tutors/{tutor_id}", response_model=schemas.TutorDetail)
    async def tutor(
        _: Reader,
        db: TutorMaxSession,
        tutor_id: TutorId,
        params: Annotated[TutorDetailParams, Query()],
    ) -> schemas.TutorDetail:
        """One tutor, with their sessions, rating, no-shows and reschedules over a window."""
        until: datetime | None = params.until
        return await service.tutor_detail(db, tutor_id, days=params.days, until=until)

    return api
