"""The student's pages (and the app's home): the home by role, the mastery map, the plan with
its profile form and "make my plan now".

Each reads through the services the API calls (`service.mastery`, `service.plans`,
`service.classes`), for the signed-in student only: the student id is the sign-in's subject,
never a parameter, so no page can be pointed at someone else's data.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas_learning as learning
from lyceum.adaptive.enums import STUDENT_ROLE, PlanEventKind
from lyceum.adaptive.pages import views
from lyceum.adaptive.pages.common import (
    FORMATTERS,
    AdaptiveSession,
    Member,
    Student,
    account_id,
    checked_form,
    field,
    no_plan_reason,
    staff_viewer,
)
from lyceum.adaptive.service import classes, plans
from lyceum.adaptive.service import graph as graph_service
from lyceum.adaptive.service import mastery as mastery_service
from lyceum.core.errors import InvalidInput, NotFound
from lyceum.core.pages import render
from lyceum.core.principal import Principal


async def _mastery(db: AsyncSession, student: uuid.UUID, now: datetime) -> views.MasteryPage:
    found = await mastery_service.mastery_map(db, student, now)
    graph = await graph_service.knowledge_graph(db, None)
    return views.mastery_page(found, graph.topics)


async def home_page(request: Request, person: Member, db: AdaptiveSession) -> HTMLResponse:
    """A student's dashboard; a teacher's or admin's classes."""
    if person.has_any_role(STUDENT_ROLE):
        return await _student_home(request, person, db)
    return await _staff_home(request, person, db)


async def _student_home(request: Request, person: Principal, db: AsyncSession) -> HTMLResponse:
    me = account_id(person)
    now = datetime.now(UTC)
    today = now.date()
    page = await _mastery(db, me, now)
    profile = await plans.get_profile(db, me)
    plan = await plans.current_plan(db, me, today)
    context = {
        **FORMATTERS,
        **views.plan_context(plan, today),
        "title": "My learning",
        "page_name": "adaptive-home",
        "grade": profile.grade,
        "exam_date": profile.exam_date,
        "days_left": (profile.exam_date - today).days if profile.exam_date else None,
        "units": page.units,
        "totals": page.totals,
        "no_plan_reason": no_plan_reason(profile.exam_date, today),
    }
    return render(request, "adaptive/home_student.html", context)


async def _staff_home(request: Request, person: Principal, db: AsyncSession) -> HTMLResponse:
    viewer = staff_viewer(person)
    found = await classes.teacher_classes(db, viewer.teacher_id)
    rows = []
    for group in found:
        # Who is short of their target, per class: a cheap read (plans' saved figures).
        short = await classes.class_shortfalls(db, viewer, group.class_id)
        rows.append(
            {"id": group.class_id, "name": group.name, "grade": group.grade,
             "students": group.students, "short": len(short.students),
             "without_plan": short.without_plan}
        )  # fmt: skip
    context = {
        **FORMATTERS,
        "title": "Classes",
        "page_name": "adaptive-classes",
        "classes": rows,
        "everyone": viewer.teacher_id is None,
    }
    return render(request, "adaptive/home_staff.html", context)


async def mastery_page(request: Request, person: Student, db: AdaptiveSession) -> HTMLResponse:
    me = account_id(person)
    now = datetime.now(UTC)
    page = await _mastery(db, me, now)
    profile = await plans.get_profile(db, me)
    context = {
        **FORMATTERS,
        "title": "Mastery map",
        "page_name": "adaptive-mastery",
        "grade": profile.grade,
        "as_of": now,
        "drawing": page.drawing,
        "units": page.units,
        "totals": page.totals,
    }
    return render(request, "adaptive/mastery.html", context)


async def _plan_response(
    request: Request,
    person: Principal,
    db: AsyncSession,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    me = account_id(person)
    today = datetime.now(UTC).date()
    profile = await plans.get_profile(db, me)
    plan = await plans.current_plan(db, me, today)
    context = {
        **FORMATTERS,
        **views.plan_context(plan, today),
        "title": "Study plan",
        "page_name": "adaptive-plan",
        "profile": profile,
        "today": today,
        "no_plan_reason": no_plan_reason(profile.exam_date, today),
        "plannable": profile.exam_date is not None and profile.exam_date > today,
        "error": error,
        "notice": notice,
    }
    return render(request, "adaptive/plan.html", context, status_code=status_code)


async def plan_page(request: Request, person: Student, db: AdaptiveSession) -> HTMLResponse:
    notice = None
    if request.query_params.get("saved"):
        notice = "Saved: your plan is made from your exam date, your hours and what you know now."
    elif request.query_params.get("planned"):
        notice = "Your plan was made again from your latest answers."
    elif request.query_params.get("done"):
        notice = "Marked done."
    return await _plan_response(request, person, db, notice=notice)


def _profile_update(form: Any, today: date) -> learning.ProfileUpdate:
    """The form's fields as the service's update; InvalidInput with a sentence when wrong."""
    exam, hours, target = (field(form, name) for name in ("exam_date", "hours_per_week",
                                                           "target_marks"))  # fmt: skip
    try:
        update = learning.ProfileUpdate.model_validate(
            {
                "exam_date": exam or None,
                "available_hours_per_week": float(hours) if hours else None,
                "target_marks": float(target) if target else None,
            }
        )
    except (ValueError, ValidationError) as exc:
        raise InvalidInput(_sentence(exc)) from None
    if update.exam_date is not None and update.exam_date <= today:
        raise InvalidInput("the exam date must be after today")
    if update.available_hours_per_week is not None and update.available_hours_per_week <= 0:
        raise InvalidInput("the hours a week must be more than zero")
    return update


FIELD_NAMES = {
    "exam_date": "the exam date",
    "available_hours_per_week": "the hours a week",
    "target_marks": "the target",
}


def _sentence(exc: Exception) -> str:
    """The first problem, in the form's words."""
    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        name = FIELD_NAMES.get(str(error["loc"][0]) if error["loc"] else "", "a field")
        return f"{name}: {error['msg'][0].lower()}{error['msg'][1:]}"
    return "the hours and the target must be numbers"


async def profile_form(request: Request, person: Student, db: AdaptiveSession) -> Response:
    """Save the exam date, weekly hours and target, and replan now (the page shows the new
    plan straight away); a wrong field shows the form again with a sentence."""
    form = await checked_form(request)
    me = account_id(person)
    now = datetime.now(UTC)
    try:
        update = _profile_update(form, now.date())
    except InvalidInput as exc:
        return await _plan_response(request, person, db, error=exc.message, status_code=422)
    await plans.update_profile(db, me, update, now)
    await plans.replan(db, me, now)
    return RedirectResponse("/adaptive/plan?saved=1", status_code=303)


async def replan_form(request: Request, person: Student, db: AdaptiveSession) -> Response:
    """Make the plan now (a student whose plan has not been made yet, or who wants it redone
    from their latest answers without waiting for the background replan)."""
    await checked_form(request)
    me = account_id(person)
    now = datetime.now(UTC)
    try:
        await plans.replan(db, me, now)
    except InvalidInput as exc:
        return await _plan_response(request, person, db, error=exc.message, status_code=422)
    return RedirectResponse("/adaptive/plan?planned=1", status_code=303)


async def done_form(request: Request, person: Student, db: AdaptiveSession) -> Response:
    """Mark one of today's items done (a progress event on the active plan, as a device
    records one); the plan page shows it done."""
    form = await checked_form(request)
    me = account_id(person)
    now = datetime.now(UTC)
    try:
        update = learning.PlanProgressUpdate.model_validate(
            {
                "kind": PlanEventKind.COMPLETED.value,
                "day": field(form, "day"),
                "concept_code": field(form, "concept_code") or None,
            }
        )
    except ValidationError:
        return await _plan_response(
            request, person, db, error="that item is not in your plan", status_code=422
        )
    try:
        await plans.record_progress(db, me, update, now)
    except (InvalidInput, NotFound) as exc:
        return await _plan_response(request, person, db, error=exc.message, status_code=422)
    return RedirectResponse("/adaptive/plan?done=1", status_code=303)


__all__ = ["done_form", "home_page", "mastery_page", "plan_page", "profile_form", "replan_form"]
