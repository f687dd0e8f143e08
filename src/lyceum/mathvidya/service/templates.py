"""Exam templates for admins: create, change, retire (and bring back), list.

A template's `config` is checked by the pure `bank.templates.check_template` (sections and
their marks against `total_marks`, unit weightage, difficulty mix, the board pattern) against
the curriculum in system_config, so every problem is a 422 naming its field before the
database's CHECKs are reached. Exams freeze the template's config into their snapshot, so a
template's sections and marks may change while exams use it; its class and type may not (the
exams' composite key points at them), which is answered 409 with a sentence. Names are
unique within a class (409). Every change writes an audit row:
`template.created|updated|retired|reactivated`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, InvalidInput, NotFound
from lyceum.mathvidya.bank import check_template
from lyceum.mathvidya.enums import ExamType
from lyceum.mathvidya.models import ExamTemplate
from lyceum.mathvidya.repository import questions as question_rows
from lyceum.mathvidya.repository import templates as rows
from lyceum.mathvidya.schemas import questions as schemas
from lyceum.mathvidya.service.audit import Actor, Origin, record
from lyceum.mathvidya.service.questions import invalid

ENTITY = "exam_template"
CHECKED_FIELDS = ("class_level", "exam_type", "total_marks", "duration_minutes", "units", "config")
REQUIRED = ("name", "class_level", "exam_type", "total_marks", "duration_minutes", "config",
            "units")  # fmt: skip
FIELDS = (*REQUIRED, "description")


def _out(template: ExamTemplate) -> schemas.Template:
    return schemas.Template.model_validate(template)


def _values(body: schemas.TemplateCreate | schemas.TemplateUpdate) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True, exclude={"config"})
    if "config" in body.model_fields_set:
        values["config"] = (
            body.config.model_dump(mode="json", exclude_none=True) if body.config else None
        )
    if "name" in values and values["name"] is not None:
        values["name"] = values["name"].strip()
    return values


async def _template(
    db: AsyncSession, template_id: uuid.UUID, *, lock: bool = False
) -> ExamTemplate:
    found = await rows.get(db, template_id, lock=lock)
    if found is None:
        raise NotFound("no exam template has this id", details={"field": "id"})
    return found


async def _check(db: AsyncSession, values: dict[str, Any]) -> None:
    if not values["name"]:
        raise InvalidInput("name: must not be blank", details={"field": "name"})
    problems = check_template(
        {name: values[name] for name in CHECKED_FIELDS}, await question_rows.curriculum_units(db)
    )
    if problems:
        raise invalid(problems)


async def _name_free(
    db: AsyncSession, class_level: str, name: str, other_than: uuid.UUID | None = None
) -> None:
    if await rows.name_taken(db, class_level, name, other_than=other_than):
        raise Conflict(
            f"class {class_level} already has a template named {name!r}",
            details={"field": "name"},
        )


async def listing(
    db: AsyncSession,
    *,
    class_level: str | None,
    exam_type: ExamType | None,
    is_active: bool | None,
    limit: int,
    offset: int,
) -> schemas.TemplatePage:
    found, total = await rows.listing(
        db,
        class_level=class_level,
        exam_type=exam_type,
        is_active=is_active,
        limit=limit,
        offset=offset,
    )
    return schemas.TemplatePage(
        items=[_out(t) for t in found], total=total, limit=limit, offset=offset
    )


async def read(db: AsyncSession, template_id: uuid.UUID) -> schemas.Template:
    return _out(await _template(db, template_id))


async def create(
    db: AsyncSession, actor: Actor, origin: Origin, body: schemas.TemplateCreate
) -> schemas.Template:
    values = _values(body)
    values.setdefault("units", [])
    values.setdefault("description", None)
    await _check(db, values)
    await _name_free(db, values["class_level"], values["name"])
    template = await rows.add(db, {**values, "created_by_user_id": actor.user_id})
    await record(
        db, "template.created", ENTITY, template.id, actor=actor, origin=origin,
        details={"name": template.name, "class_level": template.class_level,
                 "exam_type": str(template.exam_type)},
    )  # fmt: skip
    return _out(template)


async def update(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    template_id: uuid.UUID,
    body: schemas.TemplateUpdate,
) -> schemas.Template:
    changes = _values(body)
    if not changes:
        raise InvalidInput("give at least one field to change", details={"field": "body"})
    for name in REQUIRED:
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name}: cannot be removed", details={"field": name})
    template = await _template(db, template_id, lock=True)
    current = {name: getattr(template, name) for name in FIELDS}
    merged = {**current, **changes}
    changed = sorted(name for name in FIELDS if merged[name] != current[name])
    if not changed:
        return _out(template)
    moved = [n for n in ("class_level", "exam_type") if n in changed]
    if moved and await rows.has_exams(db, template.id):
        raise Conflict(
            f"exams use this template, so its {' and '.join(moved)} cannot change; create a new"
            " template and retire this one",
            details={"field": moved[0]},
        )
    await _check(db, merged)
    if "name" in changed or "class_level" in changed:
        await _name_free(db, merged["class_level"], merged["name"], template.id)
    for name in changed:
        setattr(template, name, merged[name])
    template = await rows.refresh(db, template)
    await record(
        db, "template.updated", ENTITY, template.id, actor=actor, origin=origin,
        details={"changed": changed},
    )  # fmt: skip
    return _out(template)


async def set_active(
    db: AsyncSession, actor: Actor, origin: Origin, template_id: uuid.UUID, *, active: bool
) -> schemas.Template:
    """Retire (`active=False`: no longer offered; exams keep it) or bring back a template.
    Idempotent: a template already in that state is returned unchanged, with no audit row."""
    template = await _template(db, template_id, lock=True)
    if template.is_active == active:
        return _out(template)
    template.is_active = active
    template = await rows.refresh(db, template)
    await record(
        db, "template.reactivated" if active else "template.retired", ENTITY, template.id,
        actor=actor, origin=origin, details={"name": template.name},
    )  # fmt: skip
    return _out(template)


__all__ = ["create", "listing", "read", "set_active", "update"]
