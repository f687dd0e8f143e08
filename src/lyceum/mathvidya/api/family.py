"""`/api/mathvidya/family`: linking parents to students with the student's consent (issue 15).
The rules and why are in `service/family.py`.

Students: `POST /family/invites` (a code, shown once), `GET /family/parents`.
Parents: `POST /family/links` (redeem a code), `GET /family/children`.
Either side of a link: `PUT /family/primary-contact`, `DELETE /family/links/{mapping_id}`
(a link the caller is not part of answers 404).

Redeeming is throttled per parent account (`LINK_GUESSES`: 10 refused codes an hour, then
429 with `Retry-After`), on the platform's attempt limiter (Redis when configured): with a
31^8 code space and one live code per student, that makes guessing a child's code hopeless.
A successful redemption takes its attempt back, so honest typos cost little.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from lyceum.core.ratelimit import AttemptLimiter, Limit
from lyceum.mathvidya.dependencies import (
    MathvidyaSession,
    Parent,
    RequestOrigin,
    Student,
    require_account,
)
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.schemas import family as schemas
from lyceum.mathvidya.service import family as service
from lyceum.mathvidya.service.audit import Actor

StudentOrParent = Annotated[Actor, Depends(require_account(UserRole.STUDENT, UserRole.PARENT))]

LINK_GUESSES = Limit("mathvidya_family_link:parent", max_failures=10, window_seconds=3600)


def _limiter(request: Request) -> AttemptLimiter | None:
    # The platform's attempt limiter, built by the app's lifespan (absent in a bare app).
    return getattr(request.app.state, "login_limiter", None)


def router() -> APIRouter:
    api = APIRouter()

    @api.post(
        "/family/invites",
        response_model=schemas.InviteIssued,
        status_code=status.HTTP_201_CREATED,
    )
    async def issue_invite(
        actor: Student, db: MathvidyaSession, origin: RequestOrigin, response: Response
    ) -> schemas.InviteIssued:
        """A code that links one parent account to the student's (48 hours, single use; a
        new code cancels the previous one). Shown only in this answer."""
        response.headers["Cache-Control"] = "no-store"
        return await service.issue_invite(db, actor, origin)

    @api.post("/family/links", response_model=schemas.Child, status_code=status.HTTP_201_CREATED)
    async def link(
        actor: Parent,
        body: schemas.LinkRequest,
        db: MathvidyaSession,
        origin: RequestOrigin,
        request: Request,
    ) -> schemas.Child:
        """Redeem a student's invite code: the parent is linked to that student (the
        student's first parent becomes their primary contact)."""
        limiter, subject = _limiter(request), str(actor.user_id)
        if limiter is not None:
            blocked = await limiter.attempt([(LINK_GUESSES, subject)])
            if blocked is not None:
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    "too many invite codes were refused for this account; try again in"
                    f" {blocked.retry_after} seconds",
                    headers={"Retry-After": str(blocked.retry_after)},
                )
        child = await service.link(db, actor, body, origin)
        if limiter is not None:
            await limiter.forgive(LINK_GUESSES, subject)
        return child

    @api.get("/family/children", response_model=list[schemas.Child])
    async def children(actor: Parent, db: MathvidyaSession) -> list[schemas.Child]:
        """The parent's linked children."""
        return await service.children(db, actor)

    @api.get("/family/parents", response_model=list[schemas.LinkedParent])
    async def parents(actor: Student, db: MathvidyaSession) -> list[schemas.LinkedParent]:
        """The student's linked parents, the primary contact first."""
        return await service.parents(db, actor)

    @api.put("/family/primary-contact", response_model=schemas.PrimaryContact)
    async def set_primary_contact(
        actor: StudentOrParent,
        body: schemas.PrimaryContactChange,
        db: MathvidyaSession,
        origin: RequestOrigin,
    ) -> schemas.PrimaryContact:
        """Make a link's parent the student's primary contact: the student chooses among
        their parents; a parent can make themselves primary."""
        return await service.set_primary_contact(db, actor, body, origin)

    @api.delete("/family/links/{mapping_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def unlink(
        actor: StudentOrParent, mapping_id: uuid.UUID, db: MathvidyaSession, origin: RequestOrigin
    ) -> Response:
        """End a link (either side may)."""
        await service.unlink(db, actor, mapping_id, origin)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api


__all__ = ["router"]
