"""Mathvidya's marking pages (issue 16): the teacher's queue, the marking screen and the
admin's SLA dashboard. Each reads through the same service calls as the API routes its
script then calls (`/api/mathvidya/evaluations/...`).

- `/marking` — the evaluations the teacher holds, most urgent first, each with a live
  countdown to its deadline, the working hours left and the forecast; the re-marking asked of
  them below. An admin sees everyone's held evaluations.
- `/marking/{evaluation_id}` — the marking screen: the answer-sheet pages (click to place the
  chosen stamp), the written questions with their marking scheme, a mark, a stamp and a
  comment per question (saved as they are entered), then submit. The page is the 404 page
  for anyone but the holder (or a teacher re-marking one of its questions) and admins.
- `/admin/sla` — the SLA report (met % overall, by plan and by teacher), evaluations at risk
  now, and every held evaluation with a control to give it to another teacher.

The student's name is not shown to the teacher: marking is blind (the class and paper are
what the marking needs).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from lyceum.core.pages import render
from lyceum.mathvidya.dependencies import MathvidyaSession, page_account
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.pages import _context, maths
from lyceum.mathvidya.repository import evaluations as evaluation_rows
from lyceum.mathvidya.service import evaluations, reevaluations, sla_report
from lyceum.mathvidya.service.audit import Actor
from lyceum.mathvidya.storage import signing_secret

Staff = Annotated[Actor, Depends(page_account(UserRole.TEACHER, UserRole.ADMIN))]
Admin = Annotated[Actor, Depends(page_account(UserRole.ADMIN))]

# The plans as families know them (the report groups by plan type; "none": no subscription).
PLAN_WORDS = {
    "basic": "Basic",
    "premium_mcq": "Premium MCQ",
    "premium": "Premium",
    "centum": "Plan Centum",
    "none": "No plan",
}
STATUS_WORDS = {
    "pending": "Waiting for a teacher",
    "assigned": "Not started",
    "in_progress": "Marking",
    "completed": "Marked",
}


async def _teacher_names(db: MathvidyaSession) -> dict[str, str]:
    # Name and address: two teachers may share a name.
    return {str(t.id): f"{t.name} ({t.email})" for t in await evaluation_rows.active_teachers(db)}


async def queue_page(request: Request, actor: Staff, db: MathvidyaSession) -> HTMLResponse:
    items = await evaluations.queue(db, actor)
    remarking = (
        await reevaluations.for_teacher(db, actor, open_only=True)
        if actor.role is UserRole.TEACHER
        else []
    )
    context = _context("marking-queue", "Marking queue", {"queue": items})
    context.update(
        items=items,
        remarking=remarking,
        status_words=STATUS_WORDS,
        teachers=await _teacher_names(db) if actor.role is UserRole.ADMIN else {},
        is_admin=actor.role is UserRole.ADMIN,
    )
    return render(request, "mathvidya/marking_queue.html", context)


async def marking_page(
    request: Request,
    actor: Staff,
    db: MathvidyaSession,
    evaluation_id: Annotated[uuid.UUID, Path()],
) -> HTMLResponse:
    detail = await evaluations.detail(db, actor, evaluation_id, secret=signing_secret())
    holder = detail.teacher_id == actor.user_id
    context = _context("marking", "Marking", {"evaluation": detail})
    context.update(
        evaluation=detail,
        maths=maths,
        status_words=STATUS_WORDS,
        # Only the holder marks; an admin (or a teacher re-marking one question) reads.
        can_mark=holder and detail.status.value == "in_progress",
        can_start=holder and detail.status.value == "assigned",
        remarking=[
            r
            for r in await reevaluations.for_teacher(db, actor, open_only=True)
            if r.evaluation_id == detail.id
        ]
        if actor.role is UserRole.TEACHER
        else [],
    )
    return render(request, "mathvidya/marking.html", context)


async def sla_page(
    request: Request,
    actor: Admin,
    db: MathvidyaSession,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> HTMLResponse:
    report = await sla_report.report(db, start, end)
    held = await evaluations.queue(db, actor)
    teachers = await _teacher_names(db)
    context = _context("sla", "Evaluation SLA", {"report": report.model_dump(mode="json")})
    context.update(
        report=report,
        held=held,
        teachers=teachers,
        status_words=STATUS_WORDS,
        plan_words=PLAN_WORDS,
        start=start,
        end=end,
    )
    return render(request, "mathvidya/sla.html", context)


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    routes: list[tuple[str, Any, str]] = [
        ("/marking", queue_page, "mathvidya_marking_queue"),
        ("/marking/{evaluation_id}", marking_page, "mathvidya_marking"),
        ("/admin/sla", sla_page, "mathvidya_sla"),
    ]
    for path, endpoint, name in routes:
        pages.add_api_route(path, endpoint, methods=["GET"], response_class=HTMLResponse, name=name)
    return pages


__all__ = ["router"]
