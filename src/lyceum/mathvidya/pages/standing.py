"""Mathvidya's standing pages (issue 16): the class leaderboard, a student's progress, and
the admin's teacher analytics. Each reads through the same service calls as the API routes.

- `/leaderboard` — the class board of a month, the reader's row highlighted; a person whose
  plan does not include it reads a sentence naming the plans that do;
- `/progress` — a student's own analytics (a parent: their children, each a link);
- `/progress/{student_id}` — a child's analytics for a linked parent or an admin (the student
  too), with the monthly report's download link; anyone else sees the 404 page;
- `/admin/teachers` — throughput, SLA met %, mark distributions and drift flags (admins).

Charts are drawn by static/standing.js with the shell's plotly (each with its numbers in a
table); every figure is also in the HTML, so the page reads without scripts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from lyceum.core.errors import Forbidden
from lyceum.core.pages import render
from lyceum.mathvidya.calendar_ist import ist_month_start
from lyceum.mathvidya.dependencies import MathvidyaSession, page_account
from lyceum.mathvidya.enums import STUDENT_CLASSES, UserRole
from lyceum.mathvidya.pages import _context
from lyceum.mathvidya.service import analytics, family, leaderboard, reports
from lyceum.mathvidya.service.audit import Actor

Anyone = Annotated[Actor, Depends(page_account())]
StudentOrParent = Annotated[Actor, Depends(page_account(UserRole.STUDENT, UserRole.PARENT))]
Reader = Annotated[Actor, Depends(page_account(UserRole.STUDENT, UserRole.PARENT, UserRole.ADMIN))]
Admin = Annotated[Actor, Depends(page_account(UserRole.ADMIN))]
MonthQuery = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


async def leaderboard_page(
    request: Request,
    actor: Anyone,
    db: MathvidyaSession,
    student_class: Annotated[str | None, Query(pattern="^(X|XII)$")] = None,
    month: MonthQuery = None,
) -> HTMLResponse:
    """The class board for the month; the reader's (or their child's) row highlighted."""
    now = datetime.now(UTC)
    try:
        board = await leaderboard.read_board(db, actor, student_class, month, now)
        readable = sorted(await leaderboard.readable_classes(db, actor, now))
        refused = None
    except Forbidden as refusal:
        board, readable, refused = None, [], str(refusal)
        refused = refused[:1].upper() + refused[1:] + "."
    title = f"Class {board.student_class} leaderboard" if board else "Class leaderboard"
    context = _context("leaderboard", title, {"board": board} if board else {})
    context.update(
        board=board,
        refused=refused,
        classes=[c for c in STUDENT_CLASSES if c in readable],
        month=board.month if board else month or f"{ist_month_start(now):%Y-%m}",
    )
    return render(request, "mathvidya/leaderboard.html", context)


def _progress_views(view: Any) -> dict[str, Any]:
    data = view.analytics
    return {
        "progress": {
            "units": data.get("units", []),
            "months": data.get("months", []),
            "question_types": data.get("question_types", []),
        }
    }


async def _progress(
    request: Request, actor: Actor, db: MathvidyaSession, student_id: uuid.UUID
) -> HTMLResponse:
    view = await analytics.student_view(db, actor, student_id)
    now = datetime.now(UTC)
    last_month = leaderboard.previous_month(ist_month_start(now))
    context = _context("progress", f"{view.name}'s progress", _progress_views(view))
    context.update(
        view=view,
        data=view.analytics,
        charts=True,
        is_self=actor.user_id == student_id,
        report_url=reports.report_path(student_id, last_month),
        report_month=f"{last_month:%B %Y}",
    )
    return render(request, "mathvidya/progress.html", context)


async def progress_page(
    request: Request, actor: StudentOrParent, db: MathvidyaSession
) -> HTMLResponse:
    """A student's own progress; a parent's list of children to choose from."""
    if actor.role is UserRole.STUDENT:
        return await _progress(request, actor, db, actor.user_id)
    context = _context("progress-children", "Your children's progress")
    context["children"] = await family.children(db, actor)
    return render(request, "mathvidya/progress_children.html", context)


async def child_progress_page(
    request: Request,
    actor: Reader,
    db: MathvidyaSession,
    student_id: Annotated[uuid.UUID, Path()],
) -> HTMLResponse:
    """A child's progress for a linked parent or an admin, with the monthly report."""
    return await _progress(request, actor, db, student_id)


async def teachers_page(request: Request, actor: Admin, db: MathvidyaSession) -> HTMLResponse:
    """Every teacher's throughput, SLA met %, mark distribution and drift flag."""
    rows = await analytics.teacher_list(db, datetime.now(UTC))
    charts = {
        "teachers": [
            {
                "name": row.name,
                "weeks": row.analytics.get("weeks", []),
                "histogram": row.analytics.get("marks", {}).get("histogram", []),
            }
            for row in rows
        ]
    }
    context = _context("teachers", "Teacher analytics", charts)
    context.update(rows=rows, charts=True, flagged=[r for r in rows if _flagged(r)])
    return render(request, "mathvidya/teachers.html", context)


def _flagged(row: Any) -> bool:
    return bool(row.analytics.get("drift", {}).get("flagged"))


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    routes: list[tuple[str, Any, str]] = [
        ("/leaderboard", leaderboard_page, "mathvidya_leaderboard"),
        ("/progress", progress_page, "mathvidya_progress"),
        ("/progress/{student_id}", child_progress_page, "mathvidya_child_progress"),
        ("/admin/teachers", teachers_page, "mathvidya_teachers"),
    ]
    for path, endpoint, name in routes:
        pages.add_api_route(path, endpoint, methods=["GET"], response_class=HTMLResponse, name=name)
    return pages


__all__ = ["router"]
