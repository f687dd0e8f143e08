"""A student's learning data: the mastery map, the next question, answering it, the study
plan (and redoing it) and the profile.

Who may call: a student for themselves only (anyone else's id: 403 with a sentence); a teacher
for the students of their own classes (others: 404); an adaptive or platform admin for
everyone. Answering a question is the student's own act: students only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas_learning as schemas
from lyceum.adaptive.connection import get_db
from lyceum.adaptive.enums import ADMIN_ROLE, STUDENT_ROLE, TEACHER_ROLE
from lyceum.adaptive.service import mastery, plans
from lyceum.adaptive.service.learner import Reader, check_access
from lyceum.core.auth import Principal, require_roles
from lyceum.core.errors import NotFound

AdaptiveSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
Member = Annotated[
    Principal, Depends(require_roles(STUDENT_ROLE, TEACHER_ROLE, ADMIN_ROLE, "admin"))
]
Student = Annotated[Principal, Depends(require_roles(STUDENT_ROLE))]


def account_id(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        raise NotFound(
            "this sign-in names no adaptive account; sign in with an adaptive account",
            details={"reason": "no_account"},
        ) from None


def reader(principal: Principal) -> Reader:
    """Who is asking, from the token: admin over teacher over student."""
    if principal.has_any_role(ADMIN_ROLE, "admin"):
        try:
            return Reader.admin(uuid.UUID(principal.subject))
        except ValueError:
            return Reader.admin()
    if principal.has_any_role(TEACHER_ROLE):
        return Reader.teacher(account_id(principal))
    return Reader.student(account_id(principal))


def router() -> APIRouter:
    api = APIRouter(prefix="/students/{student_id}", tags=["adaptive learning"])

    @api.get("/mastery", response_model=schemas.MasteryMap)
    async def mastery_map(
        student_id: uuid.UUID, principal: Member, db: AdaptiveSession
    ) -> schemas.MasteryMap:
        """P(mastered) now of every concept of the student's grade, with its status (mastered,
        learning, not started, decaying, locked by prerequisites) and a summary per topic."""
        await check_access(db, reader(principal), student_id)
        return await mastery.mastery_map(db, student_id, datetime.now(UTC))

    @api.get("/next-question", response_model=schemas.NextQuestion)
    async def next_question(
        student_id: uuid.UUID, principal: Member, db: AdaptiveSession
    ) -> schemas.NextQuestion:
        """The question to answer next and why (never its answer)."""
        await check_access(db, reader(principal), student_id)
        chosen = await mastery.next_question(db, student_id, datetime.now(UTC))
        if chosen is None:
            raise NotFound("there is no question for this student's grade yet")
        return chosen

    @api.post("/attempts", response_model=schemas.AttemptResult)
    async def submit_attempt(
        student_id: uuid.UUID,
        body: schemas.AttemptSubmission,
        principal: Student,
        db: AdaptiveSession,
    ) -> schemas.AttemptResult:
        """Answer a question: the attempt and the mastery it changes are written in one
        transaction, and the plan is queued to be redone. Send an `attempt_id` to make a
        retry safe: the same id again returns the first result and changes nothing."""
        await check_access(db, Reader.student(account_id(principal)), student_id)
        return await mastery.submit_attempt(db, student_id, body, datetime.now(UTC))

    @api.get("/plan", response_model=schemas.PlanView)
    async def current_plan(
        student_id: uuid.UUID, principal: Member, db: AdaptiveSession
    ) -> schemas.PlanView:
        """The active study plan, day by day, with progress and today's items."""
        await check_access(db, reader(principal), student_id)
        found = await plans.current_plan(db, student_id, datetime.now(UTC).date())
        if found is None:
            raise NotFound(
                "this student has no study plan yet: set an exam date in the profile, or POST "
                "here to make one now"
            )
        return found

    @api.post("/plan", response_model=schemas.PlanView)
    async def replan(
        student_id: uuid.UUID, principal: Member, db: AdaptiveSession
    ) -> schemas.PlanView:
        """Redo the plan now from the current mastery and profile; the previous one is
        archived."""
        await check_access(db, reader(principal), student_id)
        return await plans.replan(db, student_id, datetime.now(UTC))

    @api.post("/plan/progress", response_model=schemas.PlanView)
    async def record_progress(
        student_id: uuid.UUID,
        body: schemas.PlanProgressUpdate,
        principal: Student,
        db: AdaptiveSession,
    ) -> schemas.PlanView:
        """Mark an item of the active plan (or a whole day, without `concept_code`) done,
        started or skipped; progress is append-only and the last mark of an item counts."""
        await check_access(db, Reader.student(account_id(principal)), student_id)
        return await plans.record_progress(db, student_id, body, datetime.now(UTC))

    @api.get("/profile", response_model=schemas.LearnerProfile)
    async def get_profile(
        student_id: uuid.UUID, principal: Member, db: AdaptiveSession
    ) -> schemas.LearnerProfile:
        await check_access(db, reader(principal), student_id)
        return await plans.get_profile(db, student_id)

    @api.patch("/profile", response_model=schemas.LearnerProfile)
    async def update_profile(
        student_id: uuid.UUID,
        body: schemas.ProfileUpdate,
        principal: Member,
        db: AdaptiveSession,
    ) -> schemas.LearnerProfile:
        """Change the exam date, weekly hours or target marks (only the fields sent); the
        plan is queued to be redone."""
        await check_access(db, reader(principal), student_id)
        return await plans.update_profile(db, student_id, body, datetime.now(UTC))

    return api


__all__ = ["account_id", "reader", "router"]
