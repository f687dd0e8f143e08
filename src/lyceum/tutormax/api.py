"""TutorMax's HTTP API, mounted at /api/tutormax. Thin: parse, authorise, call the service.

Reads (tutors, profiles, the high-risk queue, the model's card, the exports) need an
operator account (admin, operator or viewer). A tutor account (the app role
`tutormax:tutor`, linked to one tutor in `tutormax.tutor_accounts`) may call only
GET /tutors/{its tutor}/profile and GET /tutors/{its tutor}: the routes admit the role and
the service checks the link, answering 404 for any other tutor id (as for an id nobody has,
so ids cannot be probed). Interventions: operator accounts read them; admins and operators
open, assign and move them. Ingest: admins and operators.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.auth import Principal, require_roles
from lyceum.core.query import QueryParams
from lyceum.core.timestamps import Timestamp
from lyceum.tutormax import schemas, service
from lyceum.tutormax.connection import get_db_session
from lyceum.tutormax.enums import (
    InterventionStatus,
    InterventionType,
    PerformanceTier,
    RiskLevel,
    TutorStatus,
)
from lyceum.tutormax.models import TUTOR_ACCOUNT_ROLE
from lyceum.tutormax.repository.interventions import InterventionFilters
from lyceum.tutormax.repository.profiles import TutorListFilters, TutorSort
from lyceum.tutormax.service import dashboard, ingest, interventions, profiles

TutorMaxSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
# The operator accounts read everything; a tutor account reaches only the routes that admit
# its role, and there only its own tutor (checked by the service).
Reader = Annotated[Principal, Depends(require_roles("admin", "operator", "viewer"))]
TutorScopedReader = Annotated[
    Principal, Depends(require_roles("admin", "operator", "viewer", TUTOR_ACCOUNT_ROLE))
]
Writer = Annotated[Principal, Depends(require_roles("operator", "admin"))]
# Interventions: the operator accounts read them, admins and operators change them (a tutor
# account, when there is one, sees neither).
InterventionReader = Annotated[Principal, Depends(require_roles("admin", "operator", "viewer"))]
InterventionWriter = Annotated[Principal, Depends(require_roles("admin", "operator"))]


class TutorListFilterParams(QueryParams):
    status: TutorStatus | None = None
    subject: str | None = Field(default=None, min_length=1, max_length=100, pattern=schemas.NO_NUL)
    risk_level: RiskLevel | None = Field(
        default=None, description="The risk level of the tutor's latest prediction."
    )
    tier: PerformanceTier | None = Field(
        default=None, description="The performance tier of the tutor's latest 30-day metrics."
    )
    sort: TutorSort = Field(
        default="name",
        description="name; risk (latest risk score, highest first, unscored last); score"
        " (latest 30-day overall score, weakest first, unscored last).",
    )

    def filters(self) -> TutorListFilters:
        return TutorListFilters(
            status=self.status, subject=self.subject, risk_level=self.risk_level, tier=self.tier
        )


class TutorListParams(TutorListFilterParams):
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class HighRiskParams(QueryParams):
    min_score: int = Field(
        default=51, ge=0, le=100, description="Lowest risk score listed (51: High or worse)."
    )
    limit: int = Field(default=50, ge=1, le=500)


class HistoryParams(QueryParams):
    days: int = Field(
        default=dashboard.HISTORY_DAYS,
        ge=1,
        le=730,
        description="Days of history, up to the latest.",
    )


class TutorDetailParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=30, ge=1, le=365, description="Days of activity to summarise.")
    until: Timestamp | None = Field(
        default=None,
        description="End of the activity window, an RFC 3339 date-time with an offset (now"
        " when omitted).",
    )


TutorId = Annotated[str, Path(min_length=1, max_length=50)]


InterventionId = Annotated[uuid.UUID, Path(description="The intervention's id (a UUID).")]
CSV = "text/csv; charset=utf-8"


def _csv(body: str, filename: str) -> Response:
    return Response(
        content=body,
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class InterventionListFilters(QueryParams):
    status: InterventionStatus | None = None
    owner: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=schemas.NO_NUL,
        description="Only those assigned to this owner.",
    )
    queue: schemas.QueueName | None = Field(
        default=None, description="Only those in this owner queue."
    )
    overdue: bool | None = Field(
        default=None,
        description="true: only open ones whose due day has passed; false: only the others.",
    )
    tutor_id: schemas.TutorIdText | None = None
    intervention_type: InterventionType | None = None
    as_of: schemas.DateText | None = Field(
        default=None,
        description="The day `overdue` is judged on, YYYY-MM-DD (today, UTC, when omitted).",
    )

    def filters(self) -> InterventionFilters:
        return InterventionFilters(
            status=self.status,
            owner=self.owner.lower() if self.owner else None,
            queue=self.queue,
            overdue=self.overdue,
            tutor_id=self.tutor_id,
            intervention_type=self.intervention_type,
        )


class InterventionListParams(InterventionListFilters):
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/tutors", response_model=schemas.TutorPage)
    async def list_tutors(
        _: Reader, db: TutorMaxSession, params: Annotated[TutorListParams, Query()]
    ) -> schemas.TutorPage:
        """Tutors with their latest risk and 30-day score, filtered and sorted, a page at a
        time, with the total."""
        return await profiles.tutor_page(
            db, params.filters(), sort=params.sort, limit=params.limit, offset=params.offset
        )

    @api.get(
        "/tutors.csv",
        response_class=Response,
        responses={200: {"content": {CSV: {"schema": {"type": "string"}}}}},
    )
    async def export_tutors(
        _: Reader, db: TutorMaxSession, params: Annotated[TutorListFilterParams, Query()]
    ) -> Response:
        """The same list as CSV (every match, same filters and order), for a spreadsheet."""
        body = await profiles.tutors_csv(db, params.filters(), sort=params.sort)
        return _csv(body, "tutors.csv")

    @api.get("/tutors/{tutor_id}", response_model=schemas.TutorDetail)
    async def tutor(
        who: TutorScopedReader,
        db: TutorMaxSession,
        tutor_id: TutorId,
        params: Annotated[TutorDetailParams, Query()],
    ) -> schemas.TutorDetail:
        """One tutor, with their sessions, rating, no-shows and reschedules over a window
        (a tutor account: its own tutor only)."""
        await profiles.check_can_see(db, who, tutor_id)
        until: datetime | None = params.until
        return await service.tutor_detail(db, tutor_id, days=params.days, until=until)

    @api.get("/tutors/{tutor_id}/profile", response_model=schemas.TutorProfile)
    async def tutor_profile(
        who: TutorScopedReader, db: TutorMaxSession, tutor_id: TutorId
    ) -> schemas.TutorProfile:
        """Everything about one tutor: metrics for the three windows, the latest prediction
        with its reasons and trend, recent sessions and events, interventions, and the last
        30 days' statistics. A tutor account: its own tutor only, without the prediction
        and the interventions."""
        return await profiles.tutor_profile(db, who, tutor_id)

    @api.get("/tutors/{tutor_id}/history", response_model=schemas.TutorHistory)
    async def tutor_history(
        who: TutorScopedReader,
        db: TutorMaxSession,
        tutor_id: TutorId,
        params: Annotated[HistoryParams, Query()],
    ) -> schemas.TutorHistory:
        """The tutor's daily metrics (every window) and risk over the `days` days up to the
        latest of each. A tutor account: its own tutor only, without the risk."""
        return await dashboard.tutor_history(db, who, tutor_id, days=params.days)

    @api.get("/tutors/{tutor_id}/standing", response_model=schemas.TutorStanding)
    async def tutor_standing(
        who: TutorScopedReader, db: TutorMaxSession, tutor_id: TutorId
    ) -> schemas.TutorStanding:
        """Where the tutor stands among the tutors scored the same day in each window (the
        share they do better than, per metric), and each missed criterion of the scorecard
        with the points meeting it would add. A tutor account: its own tutor only."""
        return await dashboard.tutor_standing(db, who, tutor_id)

    @api.get("/me", response_model=schemas.LinkedTutor)
    async def my_tutor(who: TutorScopedReader, db: TutorMaxSession) -> schemas.LinkedTutor:
        """The tutor this account speaks for (404 when it is linked to none)."""
        return await profiles.linked_tutor_of(db, who)

    @api.get("/risk-overview", response_model=schemas.RiskOverview)
    async def risk_overview(_: Reader, db: TutorMaxSession) -> schemas.RiskOverview:
        """The latest scoring's risk levels and ten-point histogram over tutors who have not
        churned, and tutors per level on each scoring day of the 26 weeks before it."""
        return await dashboard.risk_overview(db)

    @api.get("/high-risk", response_model=schemas.HighRiskQueue)
    async def high_risk(
        _: Reader, db: TutorMaxSession, params: Annotated[HighRiskParams, Query()]
    ) -> schemas.HighRiskQueue:
        """Tutors whose latest risk score is at least `min_score`, riskiest first, each with
        the reason adding the most points and whether an intervention is open."""
        return await profiles.high_risk_queue(db, min_score=params.min_score, limit=params.limit)

    @api.get(
        "/high-risk.csv",
        response_class=Response,
        responses={200: {"content": {CSV: {"schema": {"type": "string"}}}}},
    )
    async def export_high_risk(
        _: Reader, db: TutorMaxSession, params: Annotated[HighRiskParams, Query()]
    ) -> Response:
        """The high-risk queue as CSV."""
        body = await profiles.high_risk_csv(db, min_score=params.min_score, limit=params.limit)
        return _csv(body, "high-risk.csv")

    @api.get("/model", response_model=schemas.ModelCard)
    async def churn_model(_: Reader, db: TutorMaxSession) -> schemas.ModelCard:
        """The churn model's card: the latest model and its held-out evaluation figures
        (404 until a model has been trained)."""
        return await profiles.current_model_card(db)

    # ---- interventions -------------------------------------------------------------------

    @api.get("/intervention-board", response_model=schemas.InterventionBoard)
    async def intervention_board(
        _: InterventionReader, db: TutorMaxSession
    ) -> schemas.InterventionBoard:
        """Interventions by status: every open one (up to 100 a column; overdue first, then
        most urgent, then due soonest) and those closed in the last 30 days."""
        return await dashboard.intervention_board(db)

    @api.get("/interventions", response_model=schemas.InterventionPage)
    async def list_interventions(
        _: InterventionReader,
        db: TutorMaxSession,
        params: Annotated[InterventionListParams, Query()],
    ) -> schemas.InterventionPage:
        """Interventions: open ones first (overdue, then most urgent, then due soonest), then
        closed ones, newest first; filtered, a page at a time, with the total."""
        return await interventions.intervention_page(
            db, params.filters(), as_of=params.as_of, limit=params.limit, offset=params.offset
        )

    @api.get(
        "/interventions.csv",
        response_class=Response,
        responses={200: {"content": {CSV: {"schema": {"type": "string"}}}}},
    )
    async def export_interventions(
        _: InterventionReader,
        db: TutorMaxSession,
        params: Annotated[InterventionListFilters, Query()],
    ) -> Response:
        """The same list as CSV (every match, same filters and order), for a spreadsheet."""
        body = await interventions.interventions_csv(db, params.filters(), as_of=params.as_of)
        return Response(
            content=body,
            media_type=CSV,
            headers={"Content-Disposition": 'attachment; filename="interventions.csv"'},
        )

    @api.post(
        "/interventions",
        response_model=schemas.InterventionOut,
        status_code=status.HTTP_201_CREATED,
    )
    async def create_intervention(
        who: InterventionWriter, db: TutorMaxSession, body: schemas.InterventionCreate
    ) -> schemas.InterventionOut:
        """Open an intervention by hand (409 while the tutor has an open one of the type)."""
        return await interventions.create_intervention(db, who.subject, body)

    @api.get("/interventions/{intervention_id}", response_model=schemas.InterventionOut)
    async def get_intervention(
        _: InterventionReader, db: TutorMaxSession, intervention_id: InterventionId
    ) -> schemas.InterventionOut:
        return await interventions.intervention(db, intervention_id)

    @api.post("/interventions/{intervention_id}/assign", response_model=schemas.InterventionOut)
    async def assign_intervention(
        who: InterventionWriter,
        db: TutorMaxSession,
        intervention_id: InterventionId,
        body: schemas.InterventionAssignment,
    ) -> schemas.InterventionOut:
        """Give an open intervention to an owner, who is notified."""
        return await interventions.assign_intervention(
            db, who.subject, intervention_id, body.assigned_to
        )

    @api.post("/interventions/{intervention_id}/status", response_model=schemas.InterventionOut)
    async def change_intervention_status(
        who: InterventionWriter,
        db: TutorMaxSession,
        intervention_id: InterventionId,
        body: schemas.InterventionStatusChange,
    ) -> schemas.InterventionOut:
        """Start or cancel an intervention (409 naming the move when it is not allowed)."""
        return await interventions.change_status(
            db, who.subject, intervention_id, body.status, body.notes
        )

    @api.post("/interventions/{intervention_id}/complete", response_model=schemas.InterventionOut)
    async def complete_intervention(
        who: InterventionWriter,
        db: TutorMaxSession,
        intervention_id: InterventionId,
        body: schemas.InterventionCompletion,
    ) -> schemas.InterventionOut:
        """Close an in-progress intervention with its outcome."""
        return await interventions.complete_intervention(
            db, who.subject, intervention_id, body.outcome, body.notes
        )

    @api.get(
        "/interventions/{intervention_id}/audit", response_model=schemas.InterventionAuditTrail
    )
    async def intervention_audit(
        _: InterventionReader, db: TutorMaxSession, intervention_id: InterventionId
    ) -> schemas.InterventionAuditTrail:
        """Who changed what on the intervention, oldest first."""
        return await interventions.audit_trail(db, intervention_id)

    _ingest_routes(api)
    return api


def _ingest_routes(api: APIRouter) -> None:
    """Feeding TutorMax (docs/tutormax.md, "Feeding TutorMax"): a batch (`/ingest/<rows>`,
    up to `schemas.MAX_BATCH` rows, all or nothing) or one row (`/ingest/<row>`), idempotent
    by each row's id."""

    @api.post("/ingest/tutors", response_model=schemas.IngestReport)
    async def ingest_tutors(
        _: Writer, db: TutorMaxSession, batch: schemas.TutorBatch
    ) -> schemas.IngestReport:
        """Add or update tutors (by `tutor_id`)."""
        return await ingest.ingest_tutors(db, batch.items)

    @api.post("/ingest/tutor", response_model=schemas.IngestReport)
    async def ingest_tutor(
        _: Writer, db: TutorMaxSession, item: schemas.TutorIn
    ) -> schemas.IngestReport:
        """Add or update one tutor."""
        return await ingest.ingest_tutors(db, [item])

    @api.post("/ingest/students", response_model=schemas.IngestReport)
    async def ingest_students(
        _: Writer, db: TutorMaxSession, batch: schemas.StudentBatch
    ) -> schemas.IngestReport:
        """Add or update students (by `student_id`)."""
        return await ingest.ingest_students(db, batch.items)

    @api.post("/ingest/student", response_model=schemas.IngestReport)
    async def ingest_student(
        _: Writer, db: TutorMaxSession, item: schemas.StudentIn
    ) -> schemas.IngestReport:
        """Add or update one student."""
        return await ingest.ingest_students(db, [item])

    @api.post("/ingest/sessions", response_model=schemas.IngestReport)
    async def ingest_sessions(
        _: Writer, db: TutorMaxSession, batch: schemas.SessionBatch
    ) -> schemas.IngestReport:
        """Add sessions or bring them up to date (by `session_id`): send a session again
        when it is rescheduled, has run, or was missed."""
        return await ingest.ingest_sessions(db, batch.items)

    @api.post("/ingest/session", response_model=schemas.IngestReport)
    async def ingest_session(
        _: Writer, db: TutorMaxSession, item: schemas.SessionIn
    ) -> schemas.IngestReport:
        """Add or update one session."""
        return await ingest.ingest_sessions(db, [item])

    @api.post("/ingest/feedback", response_model=schemas.IngestReport)
    async def ingest_feedback(
        _: Writer, db: TutorMaxSession, batch: schemas.FeedbackBatch
    ) -> schemas.IngestReport:
        """Add or update ratings (one per session, by `session_id`)."""
        return await ingest.ingest_feedback(db, batch.items)

    @api.post("/ingest/rating", response_model=schemas.IngestReport)
    async def ingest_rating(
        _: Writer, db: TutorMaxSession, item: schemas.FeedbackIn
    ) -> schemas.IngestReport:
        """Add or update the rating of one session."""
        return await ingest.ingest_feedback(db, [item])

    @api.post("/ingest/events", response_model=schemas.IngestReport)
    async def ingest_events(
        _: Writer, db: TutorMaxSession, batch: schemas.EventBatch
    ) -> schemas.IngestReport:
        """Add events (by `event_id`; an id already stored is a retry and changes nothing)."""
        return await ingest.ingest_events(db, batch.items)

    @api.post("/ingest/event", response_model=schemas.IngestReport)
    async def ingest_event(
        _: Writer, db: TutorMaxSession, item: schemas.EventIn
    ) -> schemas.IngestReport:
        """Add one event."""
        return await ingest.ingest_events(db, [item])
