"""The adaptive app's web pages, mounted at /adaptive.

- `/` and `/sync` — sync health, for teachers (their own classes' students), adaptive admins and
  platform admins (everyone): each device's last push and pull, the changes it has not pulled
  yet and the queue it reported, devices not heard from for `STALE_AFTER` flagged; and the dead
  letters — operations the server rejected, with its reason — each with a button that asks the
  device to send it again (after fixing the cause), through the API route the button calls
  (`static/sync.js`).

The page reads through `service.sync_status`, the same call as `GET /api/adaptive/sync/status`.
Students' own pages (mastery, practice, the plan, their device's sync state) come with issue 18.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.connection import get_db
from lyceum.adaptive.enums import ADMIN_ROLE, TEACHER_ROLE
from lyceum.adaptive.repository import devices
from lyceum.adaptive.service import sync_status
from lyceum.core.pages import page_roles, render
from lyceum.core.principal import Principal

AdaptiveSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
STAFF_ROLES = (TEACHER_ROLE, ADMIN_ROLE, "admin")
Staff = Annotated[Principal, Depends(page_roles(*STAFF_ROLES))]
# A device that has not pushed or pulled for this long is flagged on the page.
STALE_AFTER = timedelta(days=3)


def _viewer(person: Principal) -> sync_status.Viewer:
    if person.has_any_role(ADMIN_ROLE, "admin"):
        return sync_status.Viewer(teacher_id=None)
    try:
        return sync_status.Viewer(teacher_id=uuid.UUID(person.subject))
    except ValueError:
        # A teacher role without an adaptive account behind it sees no class.
        return sync_status.Viewer(teacher_id=uuid.UUID(int=0))


def when(at: datetime | None) -> str:
    if at is None:
        return "never"
    return at.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


async def sync_page(
    request: Request,
    person: Staff,
    db: AdaptiveSession,
    class_id: Annotated[uuid.UUID | None, Query()] = None,
) -> HTMLResponse:
    """Devices and dead letters of the reader's students."""
    viewer = _viewer(person)
    overview = await sync_status.overview(
        db, viewer, sync_status.StatusParams(class_id=class_id, limit=500)
    )
    now = datetime.now(UTC)
    stale_before = now - STALE_AFTER
    # Dead letters per device, from the server's ledger (a device's own count is only as
    # fresh as its last push, which may predate the rejection).
    dead_by_device = Counter(
        (letter.student_id, letter.device_id) for letter in overview.dead_letters
    )
    rows: list[dict[str, Any]] = []
    for device in overview.devices:
        seen = max(
            (t for t in (device.last_push_at, device.last_pull_at) if t is not None),
            default=None,
        )
        rows.append(
            {
                "device": device,
                "stale": seen is None or seen < stale_before,
                "dead": dead_by_device[(device.student_id, device.device_id)],
            }
        )
    classes = await devices.visible_classes(db, viewer.teacher_id)
    context = {
        "title": "Sync health",
        "page_name": "adaptive-sync",
        "rows": rows,
        "dead_letters": overview.dead_letters,
        "classes": classes,
        "class_id": class_id,
        "when": when,
        "stale_days": STALE_AFTER.days,
        "totals": {
            "devices": len(rows),
            "stale": sum(1 for row in rows if row["stale"]),
            "waiting": sum(row["device"].pending_operations for row in rows),
            "dead": len(overview.dead_letters),
        },
        "everyone": viewer.teacher_id is None,
    }
    return render(request, "adaptive/sync.html", context)


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    pages.add_api_route("/sync", sync_page, methods=["GET"], response_class=HTMLResponse)
    # The app's home, for now its staff's one page (issue 18 brings the students' pages and
    # the teacher's class view here).
    pages.add_api_route(
        "/", sync_page, methods=["GET"], response_class=HTMLResponse, name="adaptive_home"
    )
    return pages


__all__ = ["STALE_AFTER", "router", "sync_page"]
