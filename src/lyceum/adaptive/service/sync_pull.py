"""A device's pull: the server's changes after its cursor — the knowledge graph and questions
(everyone's), and this student's own rows (their attempts from every device, mastery and
plans the server recomputed, their profile) — as current state, oldest change first.

Within a page an entity changed several times is sent once, at its last position, with its
current state; a profile comes with its class and the class's teacher (public fields), which
the device's foreign keys need. The device applies a page and stores the returned cursor in
one SQLite transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas
from lyceum.adaptive.enums import UserRole
from lyceum.adaptive.repository import changes
from lyceum.adaptive.repository import sync as ledger
from lyceum.adaptive.repository.changes import LogEntry
from lyceum.core.errors import Forbidden


async def pull(
    db: AsyncSession, student_id: uuid.UUID, params: schemas.PullParams
) -> schemas.PullResponse:
    # As for a push: a token outliving its account's deactivation (or naming no student) reads
    # nothing, and registers no device.
    account = await ledger.student_account(db, student_id)
    if account is None or account[0] != UserRole.STUDENT.value or not account[1]:
        raise Forbidden("only an active student's device pulls their practice")
    # Fetch one more than asked, to know whether there is more.
    page = await changes.log_page(db, student_id, params.cursor, params.limit + 1)
    has_more = len(page) > params.limit
    page = page[: params.limit]
    latest: dict[tuple[str, uuid.UUID], LogEntry] = {}
    for entry in page:
        latest.pop((entry.entity_type, entry.entity_id), None)
        latest[(entry.entity_type, entry.entity_id)] = entry
    entries = sorted(latest.values(), key=lambda e: e.seq)

    ids_by_type: dict[str, list[uuid.UUID]] = {}
    for entry in entries:
        ids_by_type.setdefault(entry.entity_type, []).append(entry.entity_id)
    rows: dict[str, dict[uuid.UUID, dict[str, Any]]] = {}
    for entity_type, ids in ids_by_type.items():
        if entity_type == changes.PREREQUISITES or entity_type in changes.ENTITIES:
            rows[entity_type] = await changes.current_rows(db, entity_type, ids, student_id)

    profiles = rows.get("student_profile", {}).values()
    class_ids = [uuid.UUID(p["class_id"]) for p in profiles if p["class_id"]]
    classes = await changes.current_rows(db, "class", class_ids, None)
    teachers = await changes.current_rows(
        db, "user", (uuid.UUID(c["teacher_id"]) for c in classes.values()), None
    )

    out: list[schemas.Change] = []
    for entry in entries:
        if entry.entity_type not in rows:
            continue  # a type this server version no longer sends
        row = rows[entry.entity_type].get(entry.entity_id)
        if entry.entity_type == "student_profile" and row is not None and row["class_id"]:
            group = classes.get(uuid.UUID(row["class_id"]))
            if group is not None:
                teacher = teachers.get(uuid.UUID(group["teacher_id"]))
                if teacher is not None:
                    out.append(_upsert(entry.seq, "user", teacher))
                out.append(_upsert(entry.seq, "class", group))
        if row is None:
            out.append(
                schemas.Change(
                    seq=entry.seq,
                    entity_type=entry.entity_type,
                    entity_id=entry.entity_id,
                    op=schemas.ChangeKind.DELETE,
                    row=None,
                )
            )
        else:
            out.append(_upsert(entry.seq, entry.entity_type, row, entry.entity_id))
    cursor = page[-1].seq if page else params.cursor
    await ledger.record_pull(db, student_id, params.device_id, cursor)
    return schemas.PullResponse(
        epoch=await changes.epoch(db),
        cursor=cursor,
        has_more=has_more,
        changes=out,
        retry_operations=await changes.retry_requests(db, student_id, params.device_id),
    )


def _upsert(
    seq: int, entity_type: str, row: dict[str, Any], entity_id: uuid.UUID | None = None
) -> schemas.Change:
    key = entity_id if entity_id is not None else uuid.UUID(row["id"])
    return schemas.Change(
        seq=seq, entity_type=entity_type, entity_id=key, op=schemas.ChangeKind.UPSERT, row=row
    )


__all__ = ["pull"]
