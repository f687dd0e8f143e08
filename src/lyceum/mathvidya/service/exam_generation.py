"""Exams, first half: the templates a student may sit and generating a paper from one.

`generate` reads the bank's active questions of the template's kinds and the student's last
papers, and lets `papers.assemble` choose (counts, marks, unit weightage, difficulty mix,
questions the student has not seen in their last `RECENT_PAPERS` papers, less-used questions).
The exam row freezes the template and the questions (`template_snapshot`,
`questions_snapshot`), the seed included, so the same seed over the same bank gives the same
paper. At most `MAX_UNSTARTED` generated papers wait to be started. Taking, reading and
handing in exams are `service.exams`, which re-exports what is here.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, InvalidInput, NotFound
from lyceum.mathvidya.enums import ExamStatus, ExamType, QuestionType
from lyceum.mathvidya.models import ExamInstance, ExamTemplate, Question
from lyceum.mathvidya.papers import (
    BankShortage,
    Candidate,
    Paper,
    TemplateConfigError,
    assemble,
    blueprint_from_config,
)
from lyceum.mathvidya.repository import exams as repository
from lyceum.mathvidya.schemas import exams as schemas
from lyceum.mathvidya.service import quota
from lyceum.mathvidya.service.audit import Actor, Origin, record

# Questions of the student's last RECENT_PAPERS papers are avoided while the bank allows; the
# last SEEN_MEMORY papers tell which question they saw longest ago when one must repeat.
RECENT_PAPERS = 5
SEEN_MEMORY = 30
MAX_UNSTARTED = 3
GENERATOR = "papers/1"
SEED_LIMIT = 2**53  # exact in JSON numbers and JavaScript


def now_or(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def exam_not_found() -> NotFound:
    return NotFound("no such exam", details={"reason": "not_found"})


# ---- templates ---------------------------------------------------------------------------


def sections_of(config: dict[str, Any]) -> list[schemas.SectionView]:
    sections = config.get("sections") if isinstance(config, dict) else None
    views = []
    for raw in sections if isinstance(sections, list) else []:
        if isinstance(raw, dict):
            views.append(
                schemas.SectionView(
                    name=str(raw.get("name", "")),
                    question_type=str(raw.get("question_type", "")),
                    count=int(raw.get("count", 0)),
                    marks_each=int(raw.get("marks_each", 0)),
                )
            )
    return views


def _template_view(template: ExamTemplate) -> schemas.TemplateView:
    weightage = template.config.get("unit_weightage") or {}
    return schemas.TemplateView(
        id=template.id,
        name=template.name,
        class_level=template.class_level,
        exam_type=template.exam_type,
        description=template.description,
        total_marks=template.total_marks,
        duration_minutes=template.duration_minutes,
        units=list(template.units),
        sections=sections_of(template.config),
        unit_weightage={str(k): float(v) for k, v in weightage.items()},
    )


async def available_templates(db: AsyncSession, actor: Actor) -> list[schemas.TemplateView]:
    """The active templates of the student's class."""
    if actor.student_class is None:
        return []
    return [_template_view(t) for t in await repository.active_templates(db, actor.student_class)]


# ---- generating --------------------------------------------------------------------------


async def _offered_template(db: AsyncSession, actor: Actor, template_id: uuid.UUID) -> ExamTemplate:
    template = await repository.template_by_id(db, template_id)
    if template is None or not template.is_active or template.class_level != actor.student_class:
        raise InvalidInput(
            f"no exam template {template_id} is offered to class {actor.student_class} students;"
            " choose one of GET /api/mathvidya/exam-templates/available",
            details={"field": "template_id"},
        )
    return template


def _chosen_units(template: ExamTemplate, units: list[str] | None) -> list[str] | None:
    if units is None:
        return None
    if template.exam_type is not ExamType.UNIT_WISE:
        raise InvalidInput(
            "units can be chosen for a unit-wise template only; this one covers its own pattern",
            details={"field": "units"},
        )
    unknown = [unit for unit in units if unit not in template.units]
    if unknown:
        raise InvalidInput(
            f"this template does not cover {', '.join(repr(u) for u in unknown)}; it covers "
            + ", ".join(repr(u) for u in template.units),
            details={"field": "units", "unknown": unknown},
        )
    return list(dict.fromkeys(units))


def _question_item(number: int, section: str, question: Question) -> dict[str, Any]:
    item: dict[str, Any] = {
        "number": number,
        "section": section,
        "question_id": str(question.id),
        "question_code": question.question_code,
        "version": question.version,
        "type": question.question_type.value,
        "marks": question.marks,
        "unit": question.unit,
        "chapter": question.chapter,
        "difficulty": question.difficulty.value,
        "text": question.question_text,
        "image_key": question.question_image_key,
        "choices": question.mcq_choices,
    }
    if question.question_type is QuestionType.MCQ:
        item["correct_option"] = question.correct_option
        item["explanation"] = question.explanation
    return item


def _template_snapshot(
    template: ExamTemplate, paper: Paper, units: list[str] | None
) -> dict[str, Any]:
    return {
        "template_id": str(template.id),
        "name": template.name,
        "exam_type": template.exam_type.value,
        "class_level": template.class_level,
        "total_marks": template.total_marks,
        "duration_minutes": template.duration_minutes,
        "config": template.config,
        "units": units if units is not None else list(template.units),
        "generator": GENERATOR,
        "seed": paper.seed,
        "recent_papers": RECENT_PAPERS,
        "tolerance": paper.tolerance,
        "unit_marks": dict(paper.unit_marks),
        "repeated": paper.repeated,
    }


async def build_paper(
    db: AsyncSession,
    student_id: uuid.UUID,
    template: ExamTemplate,
    units: list[str] | None,
    seed: int,
) -> Paper:
    """The paper `seed` gives for the student over the bank as it stands (no writes)."""
    try:
        blueprint = blueprint_from_config(template.config, template.units, units)
    except TemplateConfigError as exc:
        raise Conflict(
            f"exam template {template.name!r} cannot set a paper: {exc}",
            details={"reason": "template_invalid"},
        ) from None
    kinds = sorted({section.pool for section in blueprint.sections})
    rows = await repository.candidates(db, template.class_level, kinds, blueprint.units)
    seen = await repository.seen_questions(
        db, student_id, template.class_level, RECENT_PAPERS, SEEN_MEMORY
    )
    candidates = [
        Candidate(
            id=row.id,
            unit=row.unit,
            chapter=row.chapter,
            question_type=row.question_type,
            difficulty=row.difficulty,
            marks=row.marks,
            times_used=row.times_used,
            last_seen=seen[row.id][0] if row.id in seen else None,
            assertion_reason=row.assertion_reason,
        )
        for row in rows
    ]
    recent = {question_id for question_id, (_, is_recent) in seen.items() if is_recent}
    try:
        return assemble(blueprint, candidates, seed, recent, class_level=template.class_level)
    except BankShortage as exc:
        raise Conflict(
            exc.message,
            details={
                "reason": "bank_short",
                "shortfalls": [
                    {
                        "section": f.section,
                        "question_type": f.question_type,
                        "marks_each": f.marks_each,
                        "unit": f.unit,
                        "needed": f.needed,
                        "available": f.available,
                        "short": f.short,
                    }
                    for f in exc.shortfalls
                ],
            },
        ) from None


async def generate_exam(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    template_id: uuid.UUID,
    units: list[str] | None = None,
    *,
    now: datetime | None = None,
    seed: int | None = None,
) -> ExamInstance:
    """Set a paper from the template for the student (status `created`); nothing is spent
    until the start, but a student with no exams left this month is told now."""
    at = now_or(now)
    template = await _offered_template(db, actor, template_id)
    chosen = _chosen_units(template, units)
    standing = await quota.remaining(db, actor.user_id, at)
    if await repository.count_unstarted(db, actor.user_id) >= MAX_UNSTARTED:
        raise Conflict(
            f"You already have {MAX_UNSTARTED} papers waiting to be started; start one of them"
            " before setting another.",
            details={"reason": "too_many_unstarted"},
        )
    paper = await build_paper(
        db, actor.user_id, template, chosen, secrets.randbelow(SEED_LIMIT) if seed is None else seed
    )
    ids = [item.question.id for item in paper.questions]
    questions = await repository.questions_by_id(db, ids)
    snapshot = [
        _question_item(item.number, item.section, questions[item.question.id])
        for item in paper.questions
    ]
    exam = await repository.insert_exam(
        db,
        student_user_id=actor.user_id,
        template_id=template.id,
        subscription_id=standing.subscription_id,
        student_class=template.class_level,
        exam_type=template.exam_type,
        status=ExamStatus.CREATED,
        template_snapshot=_template_snapshot(template, paper, chosen),
        questions_snapshot=snapshot,
        total_marks=sum(item.question.marks for item in paper.questions),
        duration_minutes=template.duration_minutes,
        created_at=at,
        updated_at=at,
    )
    await repository.count_use(db, ids)
    await record(
        db,
        "exam.generated",
        "exam_instance",
        exam.id,
        actor=actor,
        origin=origin,
        details={
            "template_id": str(template.id),
            "seed": paper.seed,
            "questions": len(snapshot),
            "total_marks": exam.total_marks,
            "tolerance": paper.tolerance,
            "repeated": paper.repeated,
        },
    )
    return exam


__all__ = [
    "MAX_UNSTARTED",
    "RECENT_PAPERS",
    "available_templates",
    "build_paper",
    "exam_not_found",
    "generate_exam",
    "now_or",
    "sections_of",
]
