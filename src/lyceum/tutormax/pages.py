"""TutorMax's web pages, mounted at /tutormax: the tutor-success team's morning, and a tutor's
own page.

- `/` the dashboard: the risk distribution and its trend, the at-risk queue with each tutor's
  top reason and a button to open an intervention, and the intervention board by status
  with overdue ones marked;
- `/tutors` every tutor, filtered and sorted as the API's list is;
- `/tutors/{id}` a tutor's profile: metric and risk trends, the reasons behind the risk,
  sessions, events and interventions (which can be opened, started and completed here);
- `/model` the churn model's card: calibration, AUC beside the baselines and the true hazard;
- `/me` a tutor account's own page: their metrics beside their peers' and what would lift
  their score.

Each page is rendered with its data in it (a JSON island read by `tutormax/pages.js`),
built by the same service calls as the API routes `pages.js` calls afterwards to refresh.
Staff pages need an operator account (admin, operator, viewer); the controls that change
interventions are shown to admins and operators only (the API refuses them to anyone else).
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import NotFound
from lyceum.core.models import OPERATOR_ROLES
from lyceum.core.pages import json_island, page_roles, render
from lyceum.core.principal import Principal
from lyceum.tutormax import schemas
from lyceum.tutormax.connection import get_db_session
from lyceum.tutormax.enums import (
    InterventionOutcome,
    InterventionStatus,
    InterventionType,
    PerformanceTier,
    RiskLevel,
    TutorStatus,
)
from lyceum.tutormax.models import TUTOR_ACCOUNT_ROLE
from lyceum.tutormax.repository.profiles import TutorListFilters
from lyceum.tutormax.service import dashboard, profiles

TutorMaxSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
Staff = Annotated[Principal, Depends(page_roles(*OPERATOR_ROLES))]
TutorAccount = Annotated[Principal, Depends(page_roles(TUTOR_ACCOUNT_ROLE))]
WRITING_ROLES = ("admin", "operator")
QUEUE_MIN_SCORE = 51  # High or worse, as the API's high-risk queue
QUEUE_LIMIT = 50
LIST_LIMIT = 50

TYPE_WORDS = {kind: kind.value.replace("_", " ").capitalize() for kind in InterventionType}
OUTCOME_WORDS = {
    InterventionOutcome.IMPROVED: "Improved",
    InterventionOutcome.NO_CHANGE: "No change",
    InterventionOutcome.DECLINED: "Declined the help",
    InterventionOutcome.CHURNED: "Left anyway",
}
STATUS_WORDS = {
    InterventionStatus.PENDING: "To do",
    InterventionStatus.IN_PROGRESS: "In progress",
    InterventionStatus.COMPLETED: "Completed",
    InterventionStatus.CANCELLED: "Cancelled",
}


def _island(views: dict[str, BaseModel | Any]) -> Any:
    encoded = {
        name: view.model_dump_json().encode() if isinstance(view, BaseModel) else orjson.dumps(view)
        for name, view in views.items()
    }
    return json_island(encoded)


def _vocabulary() -> dict[str, Any]:
    """The words the page scripts show for the API's codes (one source: this module)."""
    return {
        "types": {kind.value: words for kind, words in TYPE_WORDS.items()},
        "outcomes": {outcome.value: words for outcome, words in OUTCOME_WORDS.items()},
        "statuses": {status.value: words for status, words in STATUS_WORDS.items()},
        "levels": [level.value for level in RiskLevel],
    }


def _context(
    request: Request, person: Principal, name: str, title: str, views: dict[str, Any]
) -> dict[str, Any]:
    return {
        "title": title,
        "page_name": f"tutormax-{name}",
        "page_data": _island(views),
        "page_config": _island(
            {"vocabulary": _vocabulary(), "can_write": person.has_any_role(*WRITING_ROLES)}
        ),
        "can_write": person.has_any_role(*WRITING_ROLES),
        "types": TYPE_WORDS,
        "outcomes": OUTCOME_WORDS,
    }


async def dashboard_page(request: Request, person: Staff, db: TutorMaxSession) -> HTMLResponse:
    """The risk distribution, the at-risk queue and the intervention board."""
    risk = await dashboard.risk_overview(db)
    views = {
        "risk": risk,
        "queue": await profiles.high_risk_queue(db, min_score=QUEUE_MIN_SCORE, limit=QUEUE_LIMIT),
        "board": await dashboard.intervention_board(db),
    }
    context = _context(request, person, "dashboard", "Tutor success", views)
    context["as_of"] = risk.as_of
    return render(request, "tutormax/dashboard.html", context)


async def tutors_page(request: Request, person: Staff, db: TutorMaxSession) -> HTMLResponse:
    """Every tutor, riskiest first; filters and pages through the API's list."""
    first = await profiles.tutor_page(
        db, TutorListFilters(), sort="risk", limit=LIST_LIMIT, offset=0
    )
    context = _context(request, person, "tutors", "Tutors", {"tutors": first})
    context.update(
        statuses=[status.value for status in TutorStatus],
        levels=[level.value for level in RiskLevel],
        tiers=[tier.value for tier in PerformanceTier],
    )
    return render(request, "tutormax/tutors.html", context)


async def tutor_page(
    request: Request,
    person: Staff,
    db: TutorMaxSession,
    tutor_id: Annotated[str, Path(min_length=1, max_length=50)],
) -> HTMLResponse:
    """One tutor's profile with their trends, reasons, sessions and interventions."""
    profile = await profiles.tutor_profile(db, person, tutor_id)
    views = {
        "profile": profile,
        "history": await dashboard.tutor_history(db, person, tutor_id),
        "standing": await dashboard.tutor_standing(db, person, tutor_id),
    }
    context = _context(request, person, "tutor", profile.tutor.name, views)
    context["profile"] = profile
    return render(request, "tutormax/tutor.html", context)


async def model_page(request: Request, person: Staff, db: TutorMaxSession) -> HTMLResponse:
    """The churn model's card and held-out figures (says what to run when there is none)."""
    try:
        card: schemas.ModelCard | None = await profiles.current_model_card(db)
    except NotFound:
        card = None
    context = _context(request, person, "model", "Churn model", {"card": card})
    context["card"] = card
    return render(request, "tutormax/model.html", context)


async def my_page(request: Request, person: TutorAccount, db: TutorMaxSession) -> HTMLResponse:
    """A tutor's own metrics beside their peers', and what would lift their score."""
    try:
        linked = await profiles.linked_tutor_of(db, person)
    except NotFound as exc:
        context = _context(request, person, "me", "My page", {})
        context["not_linked"] = str(exc)
        return render(request, "tutormax/me.html", context)
    views = {
        "profile": await profiles.tutor_profile(db, person, linked.tutor_id),
        "history": await dashboard.tutor_history(db, person, linked.tutor_id),
        "standing": await dashboard.tutor_standing(db, person, linked.tutor_id),
    }
    context = _context(request, person, "me", f"{linked.name}: my page", views)
    context["profile"] = views["profile"]
    return render(request, "tutormax/me.html", context)


def router() -> APIRouter:
    # Pages are for browsers: left out of the API document (the API describes their data).
    pages = APIRouter(include_in_schema=False)
    routes = (
        ("/", dashboard_page, "tutormax_dashboard"),
        ("/tutors", tutors_page, "tutormax_tutors"),
        ("/tutors/{tutor_id}", tutor_page, "tutormax_tutor"),
        ("/model", model_page, "tutormax_model"),
        ("/me", my_page, "tutormax_me"),
    )
    for path, endpoint, name in routes:
        pages.add_api_route(path, endpoint, methods=["GET"], response_class=HTMLResponse, name=name)
    return pages


__all__ = ["OUTCOME_WORDS", "STATUS_WORDS", "TYPE_WORDS", "router"]
