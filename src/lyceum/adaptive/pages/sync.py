"""Sync pages: what devices sent and received, and what the server refused.

- `/sync` — sync health, for teachers (their own classes' students), adaptive admins and
  platform admins (everyone): each device's last push and pull, the changes it has not pulled
  yet and the queue it reported, devices not heard from for `STALE_AFTER` flagged; and the dead
  letters — operations the server rejected, with its reason — each with a button that asks the
  device to send it again (after fixing the cause), through the API route the button calls
  (`static/sync.js`).
- `/my-sync` — a student's own devices and dead letters, read the same way for one student.

Both read through `service.sync_status`, the same call as `GET /api/adaptive/sync/status`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from lyceum.adaptive import schemas
from lyceum.adaptive.pages.common import (
    AdaptiveSession,
    Staff,
    Student,
    account_id,
    staff_viewer,
    when,
)
from lyceum.adaptive.repository import devices
from lyceum.adaptive.service import sync_status
from lyceum.core.pages import render

# A device that has not pushed or pulled for this long is flagged on the page.
STALE_AFTER = timedelta(days=3)


def device_rows(overview: schemas.SyncOverview, now: datetime) -> list[dict[str, Any]]:
    """Each device with whether it is stale and its dead letters from the server's ledger (a
    device's own count is only as fresh as its last push, which may predate the rejection)."""
    stale_before = now - STALE_AFTER
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
    return rows


async def sync_page(
    request: Request,
    person: Staff,
    db: AdaptiveSession,
    class_id: Annotated[uuid.UUID | None, Query()] = None,
) -> HTMLResponse:
    """Devices and dead letters of the reader's students."""
    viewer = staff_viewer(person)
    overview = await sync_status.overview(
        db, viewer, sync_status.StatusParams(class_id=class_id, limit=500)
    )
    rows = device_rows(overview, datetime.now(UTC))
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


async def my_sync_page(request: Request, person: Student, db: AdaptiveSession) -> HTMLResponse:
    """The student's own devices and dead letters: the staff's read, scoped to one student
    (a viewer seeing everyone, narrowed to the caller: nobody else's rows can match)."""
    me = account_id(person)
    overview = await sync_status.overview(
        db, sync_status.Viewer(teacher_id=None), sync_status.StatusParams(student_id=me)
    )
    rows = device_rows(overview, datetime.now(UTC))
    pushes = [row["device"].last_push_at for row in rows if row["device"].last_push_at]
    pulls = [row["device"].last_pull_at for row in rows if row["device"].last_pull_at]
    context = {
        "title": "My devices",
        "page_name": "adaptive-my-sync",
        "rows": rows,
        "dead_letters": overview.dead_letters,
        "when": when,
        "stale_days": STALE_AFTER.days,
        "last_push": max(pushes, default=None),
        "last_pull": max(pulls, default=None),
        "waiting": sum(row["device"].pending_operations for row in rows),
    }
    return render(request, "adaptive/my_sync.html", context)


__all__ = ["STALE_AFTER", "device_rows", "my_sync_page", "sync_page"]
