"""What the adaptive pages share: who may open them, whose data they show, the CSRF check of
their plain forms, and how numbers and mastery are drawn (formatters and colours the
templates call)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from lyceum.adaptive.connection import get_db
from lyceum.adaptive.enums import ADMIN_ROLE, STUDENT_ROLE, TEACHER_ROLE
from lyceum.adaptive.service import sync_status
from lyceum.core.errors import Forbidden, NotFound
from lyceum.core.pages import page_roles
from lyceum.core.principal import Principal
from lyceum.core.sessions import CSRF_FIELD, csrf_matches

AdaptiveSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
STAFF_ROLES = (TEACHER_ROLE, ADMIN_ROLE, "admin")
Staff = Annotated[Principal, Depends(page_roles(*STAFF_ROLES))]
Student = Annotated[Principal, Depends(page_roles(STUDENT_ROLE))]
# The app's home answers everyone with an adaptive role (and platform admins).
Member = Annotated[Principal, Depends(page_roles(STUDENT_ROLE, *STAFF_ROLES))]


def account_id(person: Principal) -> uuid.UUID:
    """The adaptive account a sign-in speaks for (its subject); a 404 page when it names none
    (an operator holding an adaptive role, say), as the API answers."""
    try:
        return uuid.UUID(person.subject)
    except ValueError:
        raise NotFound(
            "this sign-in names no adaptive account; sign in with an adaptive account",
            details={"reason": "no_account"},
        ) from None


def staff_viewer(person: Principal) -> sync_status.Viewer:
    """Whose students a member of staff sees: an admin everyone, a teacher their classes."""
    if person.has_any_role(ADMIN_ROLE, "admin"):
        return sync_status.Viewer(teacher_id=None)
    try:
        return sync_status.Viewer(teacher_id=uuid.UUID(person.subject))
    except ValueError:
        # A teacher role without an adaptive account behind it sees no class.
        return sync_status.Viewer(teacher_id=uuid.UUID(int=0))


async def checked_form(request: Request) -> FormData:
    """A plain form's fields, once its CSRF token matches the session's. The page guard reads
    the cookie but checks no token (GETs need none); a bearer-token caller (a script, a
    test) has no session for a foreign page to ride, so needs none either."""
    form = await request.form()
    session = getattr(request.state, "page_session", None)
    if session is not None:
        presented = form.get(CSRF_FIELD)
        if not csrf_matches(session.csrf, presented if isinstance(presented, str) else None):
            raise Forbidden(
                "this form lacks the page's CSRF token; reload the page and try again",
                details={"reason": "csrf"},
            )
    return form


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# ---- formatting, for the templates ----------------------------------------------------

NO_VALUE = "\N{EN DASH}"


def when(at: datetime | None) -> str:
    if at is None:
        return "never"
    return at.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def day_label(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if (day - today).days == 1:
        return "Tomorrow"
    return day.strftime("%a %d %b")


def percent(p: float | None, digits: int = 0) -> str:
    return NO_VALUE if p is None else f"{p * 100:.{digits}f} %"


def marks(value: float | None, digits: int = 1) -> str:
    return NO_VALUE if value is None else f"{value:.{digits}f}"


def hours(minutes: float) -> str:
    """`45 min`, `1 h 30 min`, `2 h`."""
    whole = round(minutes)
    h, m = divmod(whole, 60)
    if not h:
        return f"{m} min"
    return f"{h} h" if not m else f"{h} h {m} min"


def mastery_colour(p: float | None) -> str:
    """A colour for P(mastered): red (0) through orange and amber (0.5) to green (1); grey
    when unknown. Two straight runs of hue, so that weak reads red-orange rather than the
    olive a single run passes through; dark enough everywhere for white text."""
    if p is None:
        return "#e3e7ee"
    p = min(1.0, max(0.0, p))
    if p < 0.5:
        hue, light = 4 + 68 * p, 46.0
    else:
        hue, light = 38 + 208 * (p - 0.5), 44 - 12 * (p - 0.5)
    return f"hsl({hue:.0f}, 62%, {light:.0f}%)"


# Status words as the mastery service gives them, with what the page says and its badge.
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "mastered": ("Mastered", "good"),
    "learning": ("Learning", "low"),
    "decaying": ("Fading", "warning"),
    "locked": ("Locked", "locked"),
    "not_started": ("Not started", "none"),
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, (status.replace("_", " ").capitalize(), ""))[0]


def status_badge(status: str) -> str:
    return STATUS_LABELS.get(status, ("", ""))[1]


def no_plan_reason(exam_date: date | None, today: date) -> str:
    """Why a student has no plan, in their words."""
    if exam_date is None:
        return "You have no study plan yet: the planner needs your exam date and weekly hours."
    if exam_date <= today:
        return (
            f"Your exam date ({exam_date.strftime('%d %b %Y')}) has passed: set the date of"
            " your next exam to get a plan."
        )
    return "Your plan has not been made yet."


FORMATTERS = {
    "when": when,
    "percent": percent,
    "marks": marks,
    "hours": hours,
    "mastery_colour": mastery_colour,
    "status_label": status_label,
    "status_badge": status_badge,
}

__all__ = [
    "FORMATTERS",
    "STAFF_ROLES",
    "AdaptiveSession",
    "Member",
    "Staff",
    "Student",
    "account_id",
    "checked_form",
    "day_label",
    "field",
    "no_plan_reason",
    "staff_viewer",
]
