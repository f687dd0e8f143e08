"""`reevaluation_requests`: a student's request to have one question marked again."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models import ReevaluationRequest


async def insert_reevaluation(db: AsyncSession, **values: Any) -> ReevaluationRequest:
    request = ReevaluationRequest(**values)
    db.add(request)
    await db.flush()
    return request


async def reevaluation_by_id(
    db: AsyncSession, request_id: uuid.UUID, *, lock: bool = False
) -> ReevaluationRequest | None:
    query = select(ReevaluationRequest).where(ReevaluationRequest.id == request_id)
    if lock:
        query = query.with_for_update()
    query = query.execution_options(populate_existing=True)
    return (await db.execute(query)).scalar_one_or_none()


async def reevaluations_of(db: AsyncSession, evaluation_id: uuid.UUID) -> list[ReevaluationRequest]:
    query = (
        select(ReevaluationRequest)
        .where(ReevaluationRequest.evaluation_id == evaluation_id)
        .order_by(ReevaluationRequest.question_number)
    )
    return list((await db.execute(query)).scalars())


async def reevaluations_for_teacher(
    db: AsyncSession, teacher_id: uuid.UUID | None, open_only: bool
) -> list[ReevaluationRequest]:
    query = select(ReevaluationRequest)
    if teacher_id is not None:
        query = query.where(ReevaluationRequest.teacher_user_id == teacher_id)
    if open_only:
        query = query.where(ReevaluationRequest.status == "requested")
    query = query.order_by(ReevaluationRequest.sla_deadline, ReevaluationRequest.id)
    return list((await db.execute(query)).scalars())


async def unassigned_reevaluations(db: AsyncSession) -> list[ReevaluationRequest]:
    query = (
        select(ReevaluationRequest)
        .where(
            ReevaluationRequest.status == "requested",
            ReevaluationRequest.teacher_user_id.is_(None),
        )
        .order_by(ReevaluationRequest.sla_deadline)
        .with_for_update(skip_locked=True)
    )
    return list((await db.execute(query)).scalars())


async def update_reevaluation(db: AsyncSession, request_id: uuid.UUID, **values: Any) -> None:
    await db.execute(
        update(ReevaluationRequest)
        .where(ReevaluationRequest.id == request_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


__all__ = [
    "insert_reevaluation",
    "reevaluation_by_id",
    "reevaluations_for_teacher",
    "reevaluations_of",
    "unassigned_reevaluations",
    "update_reevaluation",
]
