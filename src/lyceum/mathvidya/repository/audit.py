"""`audit_logs`: the append-only record of security-relevant actions (its triggers refuse
UPDATE, DELETE and TRUNCATE). Rows are written in the transaction of the action they record,
so an action and its record commit or vanish together."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.models import AuditLog


async def add_entry(
    db: AsyncSession,
    *,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | None,
    actor_user_id: uuid.UUID | None,
    actor_role: UserRole | None,
    details: dict[str, Any],
    ip_address: str | None,
    user_agent: str | None,
    request_id: str | None,
) -> None:
    await db.execute(
        insert(AuditLog).values(
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            actor_user_id=actor_user_id,
            actor_role=actor_role,
            details=details,
            ip_address=ip_address,
            user_agent=user_agent,
            request_id=request_id,
        )
    )


async def entries_for(
    db: AsyncSession,
    *,
    entity_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[AuditLog]:
    """Newest first: an entity's history, or what one user did."""
    query = select(AuditLog).order_by(AuditLog.occurred_at.desc(), AuditLog.id).limit(limit)
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == entity_id)
    if actor_user_id is not None:
        query = query.where(AuditLog.actor_user_id == actor_user_id)
    return list((await db.execute(query)).scalars())


__all__ = ["add_entry", "entries_for"]
