"""Exam templates: listing, one by id, whether exams use one, a name already taken."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import ExamType
from lyceum.mathvidya.models import ExamInstance, ExamTemplate


async def listing(
    db: AsyncSession,
    *,
    class_level: str | None,
    exam_type: ExamType | None,
    is_active: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[ExamTemplate], int]:
    """Templates matching the filters, by class, type and name (unique within a class, so
    the order is total), and how many match in all."""
    conditions: list[ColumnElement[bool]] = []
    if class_level is not None:
        conditions.append(ExamTemplate.class_level == class_level)
    if exam_type is not None:
        conditions.append(ExamTemplate.exam_type == exam_type)
    if is_active is not None:
        conditions.append(ExamTemplate.is_active.is_(is_active))
    total = int(
        (
            await db.execute(select(func.count()).select_from(ExamTemplate).where(*conditions))
        ).scalar_one()
    )
    query = (
        select(ExamTemplate)
        .where(*conditions)
        .order_by(ExamTemplate.class_level, ExamTemplate.exam_type, ExamTemplate.name)
        .limit(limit)
        .offset(offset)
    )
    return list((await db.execute(query)).scalars()), total


async def get(
    db: AsyncSession, template_id: uuid.UUID, *, lock: bool = False
) -> ExamTemplate | None:
    query = select(ExamTemplate).where(ExamTemplate.id == template_id)
    if lock:
        query = query.with_for_update()
    return (await db.execute(query)).scalar_one_or_none()


async def name_taken(
    db: AsyncSession, class_level: str, name: str, *, other_than: uuid.UUID | None = None
) -> bool:
    query = select(
        exists().where(
            ExamTemplate.class_level == class_level,
            ExamTemplate.name == name,
            *([ExamTemplate.id != other_than] if other_than else []),
        )
    )
    return bool((await db.execute(query)).scalar())


async def has_exams(db: AsyncSession, template_id: uuid.UUID) -> bool:
    query = select(exists().where(ExamInstance.template_id == template_id))
    return bool((await db.execute(query)).scalar())


async def add(db: AsyncSession, values: dict[str, Any]) -> ExamTemplate:
    template = ExamTemplate(**values)
    db.add(template)
    await db.flush()
    await db.refresh(template)
    return template


async def refresh(db: AsyncSession, template: ExamTemplate) -> ExamTemplate:
    await db.flush()
    await db.refresh(template)
    return template


__all__ = ["add", "get", "has_exams", "listing", "name_taken", "refresh"]
