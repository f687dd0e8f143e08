"""Mathvidya's web pages, mounted at /mathvidya: what students, parents, teachers and admins
open in a browser.

- `/sign-up` and `/reset-password` — open to anyone (a person without an account yet);
- `/` — the person's home, by role: a student's plan, remaining exams, papers to start,
  recent results and parents; a parent's linked children with their plans and results; a
  teacher's and an admin's work (question bank, templates, users, activations);
- `/exams/{id}` — a paper: the start button, then the timed paper with autosave (each choice
  saved as it is made, kept in the browser until the server has it, so a reload or a lost
  connection loses nothing), then the result with the correct answers;
- `/questions`, `/questions/new`, `/questions/{id}`, `/questions/import` — the question bank:
  search, the editor with versions and review, bulk import (teachers and admins);
- `/templates` — exam templates (teachers read, admins edit);
- `/admin/users`, `/admin/subscriptions` — accounts and plan activations (admins).

Each page reads through the same service calls as the API routes its script then calls to
change things, and renders the maths in questions server-side (`mathtext`: MathML). Objects
follow the API's ownership rule (`service.ownership`): a paper the person may not read is the
404 page, exactly as one that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import BaseModel

from lyceum.core.access import public
from lyceum.core.auth import request_settings
from lyceum.core.pages import json_island, page_user, render
from lyceum.core.principal import Principal
from lyceum.mathvidya import mathtext
from lyceum.mathvidya.calendar_ist import IST
from lyceum.mathvidya.demo import DEMO_ACCOUNTS
from lyceum.mathvidya.dependencies import MathvidyaSession, account_of, page_account
from lyceum.mathvidya.enums import (
    STUDENT_CLASSES,
    ExamStatus,
    ExamType,
    QuestionDifficulty,
    QuestionStatus,
    QuestionType,
    RelationshipType,
    UserRole,
)
from lyceum.mathvidya.repository.questions import SearchFilters
from lyceum.mathvidya.schemas.accounts import UserListParams
from lyceum.mathvidya.schemas.exams import ExamDetail, QuestionView
from lyceum.mathvidya.service import (
    accounts,
    answer_sheets,
    catalogue,
    exams,
    family,
    questions,
    subscriptions,
    templates,
)
from lyceum.mathvidya.service.audit import Actor

Person = Annotated[Principal, Depends(page_user)]
Staff = Annotated[Actor, Depends(page_account(UserRole.TEACHER, UserRole.ADMIN))]
Admin = Annotated[Actor, Depends(page_account(UserRole.ADMIN))]
Reader = Annotated[Actor, Depends(page_account(UserRole.STUDENT, UserRole.PARENT, UserRole.ADMIN))]
PUBLIC = [Depends(public)]
RECENT_EXAMS = 20
PAGE_SIZE = 50

STATUS_WORDS = {
    ExamStatus.CREATED: "Not started",
    ExamStatus.IN_PROGRESS: "In progress",
    ExamStatus.SUBMITTED: "Awaiting the teacher",
    ExamStatus.UNDER_EVALUATION: "Being marked",
    ExamStatus.EVALUATED: "Marked",
    ExamStatus.EXPIRED: "Expired",
}
EXAM_TYPE_WORDS = {
    ExamType.BOARD_EXAM: "Board paper",
    ExamType.SECTION_WISE: "Section practice",
    ExamType.UNIT_WISE: "Unit practice",
}


def _island(views: dict[str, Any]) -> Markup:
    encoded = {
        name: view.model_dump_json().encode()
        if isinstance(view, BaseModel)
        else orjson.dumps(view, default=_jsonable)
        for name, view in views.items()
    }
    return json_island(encoded)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot put {type(value).__name__} in a page's data")


def _context(name: str, title: str, views: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "title": title,
        "page_name": f"mathvidya-{name}",
        "page_data": _island(views or {}),
        "status_words": STATUS_WORDS,
        "exam_type_words": EXAM_TYPE_WORDS,
        "ist": ist_text,
    }


def ist_text(at: datetime | None) -> str:
    """A moment as families and teachers in India read it: "Mon 09 Nov 2026, 14:30 IST"."""
    if at is None:
        return "\u2013"
    return at.astimezone(IST).strftime("%a %d %b %Y, %H:%M IST")


def maths(text: str | None) -> Markup:
    return mathtext.render(text or "")


# ---- open pages --------------------------------------------------------------------------


async def sign_up_page(request: Request) -> HTMLResponse:
    """A student or a parent makes an account (then signs in on the shell's page)."""
    context = _context("sign-up", "Join Mathvidya")
    context.update(classes=STUDENT_CLASSES)
    return render(request, "mathvidya/sign_up.html", context)


async def reset_password_page(
    request: Request, token: Annotated[str | None, Query(max_length=200)] = None
) -> HTMLResponse:
    """Ask for a reset link, or (with the link's token) choose a new password."""
    context = _context("reset-password", "Reset your password")
    context["token"] = token or ""
    return render(request, "mathvidya/reset_password.html", context)


# ---- home ----------------------------------------------------------------------------------


async def home_page(request: Request, person: Person, db: MathvidyaSession) -> HTMLResponse:
    """The person's Mathvidya, by role; an operator account is told how Mathvidya signs in."""
    actor = await account_of(db, person)
    if actor is None:
        settings = request_settings(request)
        context = _context("outsider", "Mathvidya")
        context["demo_accounts"] = DEMO_ACCOUNTS if settings.is_development else ()
        return render(request, "mathvidya/outsider.html", context)
    if actor.role is UserRole.STUDENT:
        return await _student_home(request, db, actor)
    if actor.role is UserRole.PARENT:
        return await _parent_home(request, db, actor)
    return await _staff_home(request, db, actor)


async def _student_home(request: Request, db: MathvidyaSession, actor: Actor) -> HTMLResponse:
    plans = await catalogue.plan_catalogue(db)
    subs = await subscriptions.student_subscriptions(db, actor, None)
    views = {
        "plans": plans,
        "subscriptions": subs,
        "templates": await exams.available_templates(db, actor),
        "exams": await exams.list_exams(db, actor, None, RECENT_EXAMS, 0),
        "parents": await family.parents(db, actor),
    }
    context = _context("student", f"{actor.name}'s practice", views)
    context.update(views, actor=actor, relationships=list(RelationshipType))
    return render(request, "mathvidya/student.html", context)


async def _parent_home(request: Request, db: MathvidyaSession, actor: Actor) -> HTMLResponse:
    children = []
    for child in await family.children(db, actor):
        children.append(
            {
                "child": child,
                "subscriptions": await subscriptions.student_subscriptions(
                    db, actor, child.student_id
                ),
                "exams": await exams.list_exams(db, actor, child.student_id, RECENT_EXAMS, 0),
            }
        )
    context = _context("parent", "Your children's practice", {"children": children})
    context.update(
        children=children,
        relationships=[kind.value for kind in RelationshipType],
        plans=await catalogue.plan_catalogue(db),
    )
    return render(request, "mathvidya/parent.html", context)


async def _staff_home(request: Request, db: MathvidyaSession, actor: Actor) -> HTMLResponse:
    drafts = await questions.search(
        db, SearchFilters(status=QuestionStatus.UNDER_REVIEW), limit=PAGE_SIZE, offset=0
    )
    context = _context("staff", "Mathvidya staff", {})
    context.update(actor=actor, awaiting_review=drafts, is_admin=actor.role is UserRole.ADMIN)
    if actor.role is UserRole.ADMIN:
        context["pending"] = await subscriptions.pending_activations(db, limit=PAGE_SIZE)
    return render(request, "mathvidya/staff.html", context)


# ---- exams -----------------------------------------------------------------------------------


def _question_html(question: QuestionView) -> dict[str, Any]:
    return {
        "view": question,
        "html": maths(question.text),
        "choices": [
            {"key": choice.key, "html": maths(choice.text)} for choice in question.choices or []
        ],
        "explanation_html": maths(question.explanation) if question.explanation else None,
    }


def _sections(detail: ExamDetail) -> list[dict[str, Any]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for question in detail.questions:
        grouped.setdefault(question.section, []).append(_question_html(question))
    by_name = {section.name: section for section in detail.sections}
    return [
        {"name": name, "section": by_name.get(name), "questions": items}
        for name, items in grouped.items()
    ]


async def exam_page(
    request: Request,
    actor: Reader,
    db: MathvidyaSession,
    exam_id: Annotated[uuid.UUID, Path()],
) -> HTMLResponse:
    """A paper: start it, take it (timer, autosave), or read its result."""
    detail = await exams.read(db, actor, exam_id)
    is_owner = actor.user_id == detail.student_user_id
    taking = is_owner and detail.status is ExamStatus.IN_PROGRESS
    view = {
        "exam": {
            "id": str(detail.id),
            "status": detail.status.value,
            "deadline": detail.deadline.isoformat() if detail.deadline else None,
            "taking": taking,
            "answers": {
                str(q.number): {
                    "selected_option": q.selected_option,
                    "answered_at": q.answered_at.isoformat() if q.answered_at else None,
                    "declared_unanswered": q.declared_unanswered,
                }
                for q in detail.questions
            },
        }
    }
    context = _context("exam", detail.name, view)
    context.update(
        exam=detail,
        sections=_sections(detail),
        is_owner=is_owner,
        taking=taking,
        finished=detail.status
        in (ExamStatus.SUBMITTED, ExamStatus.UNDER_EVALUATION, ExamStatus.EVALUATED),
        sheets=await answer_sheets.for_exam_page(db, actor, detail.id),
    )
    return render(request, "mathvidya/exam.html", context)


# ---- question bank -----------------------------------------------------------------------------


class BankQuery(BaseModel):
    q: str | None = None
    class_level: str | None = None
    question_type: QuestionType | None = None
    difficulty: QuestionDifficulty | None = None
    status: QuestionStatus | None = None
    offset: int = 0


async def questions_page(
    request: Request,
    actor: Staff,
    db: MathvidyaSession,
    q: Annotated[str | None, Query(max_length=200)] = None,
    class_level: Annotated[str | None, Query(pattern="^(X|XII)$")] = None,
    question_type: Annotated[QuestionType | None, Query()] = None,
    difficulty: Annotated[QuestionDifficulty | None, Query()] = None,
    status: Annotated[QuestionStatus | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    """Search the bank by words (typo-tolerant), class, type, difficulty and status."""
    filters = SearchFilters(
        text=q.strip() if q and q.strip() else None,
        class_level=class_level,
        question_type=question_type,
        difficulty=difficulty,
        status=status,
    )
    found = await questions.search(db, filters, limit=PAGE_SIZE, offset=offset)
    wanted = {
        "q": q,
        "class_level": class_level,
        "question_type": question_type.value if question_type else None,
        "difficulty": difficulty.value if difficulty else None,
        "status": status.value if status else None,
        "offset": offset + PAGE_SIZE,
    }
    context = _context("questions", "Question bank")
    context["next_query"] = urlencode({k: v for k, v in wanted.items() if v is not None})
    context.update(
        found=found,
        rows=[{"question": item, "html": maths(item.question_text)} for item in found.items],
        query=BankQuery(
            q=q,
            class_level=class_level,
            question_type=question_type,
            difficulty=difficulty,
            status=status,
            offset=offset,
        ),
        classes=STUDENT_CLASSES,
        types=list(QuestionType),
        difficulties=list(QuestionDifficulty),
        statuses=list(QuestionStatus),
        page_size=PAGE_SIZE,
    )
    return render(request, "mathvidya/questions.html", context)


async def question_new_page(request: Request, actor: Staff, db: MathvidyaSession) -> HTMLResponse:
    """The editor, empty: a new draft question."""
    return _editor(request, actor, None, [])


async def question_page(
    request: Request,
    actor: Staff,
    db: MathvidyaSession,
    question_id: Annotated[uuid.UUID, Path()],
) -> HTMLResponse:
    """A question in the editor, its maths previewed, with its versions and review."""
    question = await questions.read(db, question_id)
    return _editor(request, actor, question, await questions.history(db, question_id))


def _editor(request: Request, actor: Actor, question: Any, versions: list[Any]) -> HTMLResponse:
    title = f"{question.question_code} v{question.version}" if question else "New question"
    context = _context("question", title, {"question": question})
    context.update(
        question=question,
        versions=versions,
        actor=actor,
        preview=maths(question.question_text) if question else None,
        choice_previews={c["key"]: maths(c["text"]) for c in (question.mcq_choices or [])}
        if question
        else {},
        classes=STUDENT_CLASSES,
        types=list(QuestionType),
        difficulties=list(QuestionDifficulty),
    )
    return render(request, "mathvidya/question.html", context)


async def import_page(request: Request, actor: Staff) -> HTMLResponse:
    """Bulk import from CSV or JSON: every bad row reported, nothing imported on error."""
    return render(request, "mathvidya/import.html", _context("import", "Import questions"))


async def templates_page(request: Request, actor: Staff, db: MathvidyaSession) -> HTMLResponse:
    """Exam templates: the patterns papers are generated from."""
    listing = await templates.listing(
        db, class_level=None, exam_type=None, is_active=None, limit=100, offset=0
    )
    context = _context("templates", "Exam templates", {"templates": listing})
    context.update(
        listing=listing, is_admin=actor.role is UserRole.ADMIN, exam_types=list(ExamType)
    )
    return render(request, "mathvidya/templates.html", context)


# ---- admin -------------------------------------------------------------------------------------


async def users_page(
    request: Request,
    actor: Admin,
    db: MathvidyaSession,
    q: Annotated[str | None, Query(max_length=200)] = None,
    role: Annotated[UserRole | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    """Accounts: find anyone, add teachers and admins, deactivate."""
    page = await accounts.list_users(
        db, UserListParams(q=q or None, role=role, limit=PAGE_SIZE, offset=offset)
    )
    context = _context("users", "Accounts")
    context.update(page=page, q=q or "", role=role, roles=list(UserRole), actor=actor)
    return render(request, "mathvidya/users.html", context)


async def subscriptions_page(request: Request, actor: Admin, db: MathvidyaSession) -> HTMLResponse:
    """Plans waiting for activation (paid offline, or by an admin's decision)."""
    context = _context("activations", "Plan activations")
    context["pending"] = await subscriptions.pending_activations(db, limit=200)
    return render(request, "mathvidya/activations.html", context)


def router() -> APIRouter:
    # Pages are for browsers: left out of the API document (the API describes their data).
    pages = APIRouter(include_in_schema=False)
    routes: list[tuple[str, Any, str, list[Any]]] = [
        ("/sign-up", sign_up_page, "mathvidya_sign_up", PUBLIC),
        ("/reset-password", reset_password_page, "mathvidya_reset_password", PUBLIC),
        ("/", home_page, "mathvidya_home", []),
        ("/exams/{exam_id}", exam_page, "mathvidya_exam", []),
        ("/questions", questions_page, "mathvidya_questions", []),
        ("/questions/new", question_new_page, "mathvidya_question_new", []),
        ("/questions/import", import_page, "mathvidya_import", []),
        ("/questions/{question_id}", question_page, "mathvidya_question", []),
        ("/templates", templates_page, "mathvidya_templates", []),
        ("/admin/users", users_page, "mathvidya_users", []),
        ("/admin/subscriptions", subscriptions_page, "mathvidya_activations", []),
    ]
    for path, endpoint, name, dependencies in routes:
        pages.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            response_class=HTMLResponse,
            name=name,
            dependencies=dependencies,
        )
    from lyceum.mathvidya.pages import marking  # issue 16: queue, marking screen, SLA

    pages.include_router(marking.router())
    from lyceum.mathvidya.pages import standing  # issue 16: leaderboard, progress, teachers

    pages.include_router(standing.router())
    return pages


__all__ = ["EXAM_TYPE_WORDS", "STATUS_WORDS", "ist_text", "maths", "router"]
