"""Recording security-relevant actions (seed 003's immutable audit trail).

Who did it (`Actor`, or nobody for a job) and where from (`Origin`) come from the edge; the
service that performs an action calls `record` before the edge commits, so the action and
its audit row are one transaction. Actions are `noun.verb` ("auth.signed_in",
"family.linked", "exam.submitted"); the database checks the shape.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.repository import audit as audit_rows


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in Mathvidya account acting."""

    user_id: uuid.UUID
    role: UserRole
    name: str
    student_class: str | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from, as an audit row keeps it."""

    ip_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


SYSTEM = Origin()


async def record(
    db: AsyncSession,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | None,
    *,
    actor: Actor | None,
    origin: Origin = SYSTEM,
    details: dict[str, Any] | None = None,
) -> None:
    await audit_rows.add_entry(
        db,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_user_id=actor.user_id if actor else None,
        actor_role=actor.role if actor else None,
        details=details or {},
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
    )


__all__ = ["SYSTEM", "Actor", "Origin", "record"]
